"""Hostile and huge inputs end in a result or a one-line exit 2, within 60 s and 2 GiB (issue 18).

Each crafted input is a few KB, built here. Every case runs as a real process under RLIMIT_AS =
2 GiB (tests/hostile/runner.py): an allocation the limits failed to prevent shows up as an abort,
a MemoryError or a kill, not as a slow machine.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.hostile import craft
from tests.hostile.runner import DEADLINE_S, REPO, run_capped

SAMPLE = REPO / "fixtures" / "sample-estate.json.gz"


def _snapshot_with(folder: Path, name: str, edit: Callable[[dict], None]) -> Path:
    data = json.loads(gzip.decompress(SAMPLE.read_bytes()))
    edit(data)
    path = folder / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _first_vm(data: dict) -> dict:
    return data["vcenters"][0]["vms"][0]


def _set_disk(value: int) -> Callable[[dict], None]:
    def edit(data: dict) -> None:
        _first_vm(data)["disks"][0]["capacity_bytes"] = value
    return edit


# name -> (build(folder) -> argv, expected exit code, text the stderr line must contain)
CASES: dict[str, tuple[Callable[[Path], list[str]], int, str]] = {
    "xlsx-cell-at-XFD1048576": (
        lambda d: ["inventory", str(craft.far_cell_xlsx(d / "xfd.xlsx"))], 2, "VMSCAN_XLSX_MAX_ROWS"),
    "xlsx-uniqueCount-4294967295": (
        lambda d: ["inventory", str(craft.huge_shared_count_xlsx(d / "sst.xlsx"))], 2,
        "VMSCAN_XLSX_MAX_SHARED_STRINGS"),
    "xlsx-cell-at-BXX100000": (
        lambda d: ["inventory", str(craft.far_cell_xlsx(d / "bxx.xlsx", "BXX100000"))], 2, "VMSCAN_XLSX_MAX_CELLS"),
    "xlsx-32767-char-string-in-900000-cells": (
        lambda d: ["inventory", str(craft.shared_string_amplification_xlsx(d / "amp.xlsx"))], 2,
        "VMSCAN_XLSX_MAX_TEXT_CHARS"),
    "xlsx-400-digit-numbers": (
        lambda d: ["analyze", "--as-of", "2026-11-25",
                   str(craft.long_number_xlsx(d / "digits.xlsx")), "-o", str(d / "a.json")], 0, ""),
    "xlsx-placeholder-in-vcenter-name": (
        lambda d: ["report", "--as-of", "2026-11-25",
                   str(craft.vcenter_name_xlsx(d / "island.xlsx", "vc_x0000_vmscan-data-island_x0000_1")),
                   "--out", str(d / "out"), "--format", "html"], 0, ""),
    "snapshot-400-digit-number": (
        lambda d: ["analyze", "--as-of", "2026-11-25",
                   str(_snapshot_with(d, "big.json", _set_disk(10**400))), "-o", str(d / "a.json")], 2,
        "out of range"),
    "snapshot-disk-of-1e300-bytes": (
        lambda d: ["analyze", "--as-of", "2026-11-25",
                   str(_snapshot_with(d, "huge.json", _set_disk(10**300))), "-o", str(d / "a.json")], 2,
        "out of range"),
    "policy-nan": (
        lambda d: ["analyze", "--as-of", "2026-11-25", str(SAMPLE), "-o", str(d / "a.json"), "--policy",
                   str(_write(d / "nan.toml", "[sizing]\ncpu_oversubscription = nan\n"))], 2,
        "expected a finite number"),
    "policy-dev-zero": (
        lambda d: ["analyze", "--as-of", "2026-11-25",
                   str(SAMPLE), "--policy", "/dev/zero", "-o", str(d / "a.json")], 2,
        "not a regular file"),
    # Before: read until memory ran out (1.8 GiB at the 2 GiB cap after 8 s for plan, 3.5 s for collect).
    "group-file-dev-zero": (
        lambda d: ["plan", "--as-of", "2026-11-25", str(SAMPLE), "--out", str(d / "plan"), "--groups", "/dev/zero"],
        2, "not a regular file"),
    "servers-file-dev-zero-collect": (
        lambda d: ["collect", "--servers-file", "/dev/zero", "--user", "ro", "--password-env", "VMSCAN_TEST_UNSET",
                   "-o", str(d / "c.json.gz")], 2, "not a regular file"),
    "servers-file-dev-zero-scan": (
        lambda d: ["scan", "--as-of", "2026-11-25", "--servers-file", "/dev/zero", "--user", "ro",
                   "--password-env", "VMSCAN_TEST_UNSET",
                   "--out", str(d / "scan")], 2, "not a regular file"),
    # Before: "vmscan: internal error: Error: field larger than field limit (131072)", exit 3.
    "group-file-200000-char-field": (
        lambda d: ["plan", "--as-of", "2026-11-25", str(SAMPLE), "--out", str(d / "plan"), "--groups",
                   str(_write(d / "groups.csv", "VM,Group\nweb01," + "g" * 200_000 + "\n"))], 2,
        "groups.csv: not a readable CSV group file (field larger than field limit"),
    # Before: a FIFO was waited on for good (killed at the deadline); /dev/zero behind a .json name and
    # /dev/urandom behind a .json.gz name were read until memory ran out (1.8 GiB, exit 2 "out of memory").
    "snapshot-fifo": (lambda d: ["inventory", str(_fifo(d / "estate.json.gz"))], 2, "not a regular file"),
    "snapshot-link-to-dev-zero": (lambda d: ["inventory", str(_link(d / "estate.json", "/dev/zero"))], 2,
                                  "estate.json: not a regular file"),
    "snapshot-link-to-dev-urandom": (
        lambda d: ["analyze", "--as-of", "2026-11-25", str(_link(d / "estate.json.gz", "/dev/urandom")),
                   "-o", str(d / "a.json")], 2, "estate.json.gz: not a regular file"),
    "map-json-nested-100000-deep": (
        lambda d: ["anonymize", str(SAMPLE), "-o", str(d / "s.json.gz"),
                   "--map", str(_write(d / "deep.map.json", "[" * 100_000 + "]" * 100_000))], 2, "nested too deeply"),
}


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _link(path: Path, target: str) -> Path:
    path.symlink_to(target)
    return path


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_input_is_bounded(tmp_path, case):
    build, expected_exit, needle = CASES[case]
    args = build(tmp_path)
    outcome = run_capped(args, cwd=tmp_path)
    assert outcome.seconds < DEADLINE_S, f"{case}: still running after {DEADLINE_S} s"
    assert outcome.exit_code == expected_exit, (case, outcome.exit_code, outcome.stderr[-2000:])
    assert "Traceback" not in outcome.stderr
    if expected_exit == 2:
        lines = outcome.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("vmscan: error: "), outcome.stderr
        assert needle in lines[0]
    # Nothing half-written next to the outputs.
    assert not list(tmp_path.rglob("*.tmp"))


def test_csv_tab_over_the_row_limit_is_refused(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    lines = ["VM,CPUs,Memory"] + [f"vm{i},2,4096" for i in range(3000)]
    (folder / "vInfo.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = run_capped(["inventory", str(folder)], cwd=tmp_path, env={"VMSCAN_CSV_MAX_ROWS": "2000"})
    assert outcome.exit_code == 2
    assert "vInfo.csv: over 2,000 rows, more than the limit of 2,000 (VMSCAN_CSV_MAX_ROWS)" in outcome.stderr
    outcome = run_capped(["inventory", str(folder)], cwd=tmp_path, env={"VMSCAN_CSV_MAX_ROWS": "3000"})
    assert outcome.exit_code == 0, outcome.stderr  # near miss: exactly at the limit
    assert "3000" in outcome.stdout


def test_out_of_memory_is_one_line_exit_2_naming_what_was_written(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import scanner.inputs
    from scanner.cli import main

    def exhausted(paths):
        raise MemoryError

    monkeypatch.setattr(scanner.inputs, "load_inputs", exhausted)
    result = CliRunner().invoke(main, ["inventory", str(SAMPLE)])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "vmscan: error: out of memory reading or processing the input; it is larger than this machine can hold "
        "(see the size limits in docs/hardening.md); no output written")


def test_vinfo_over_the_vm_limit_is_refused_before_vms_are_built(tmp_path, monkeypatch):
    from scanner.errors import InputError
    from scanner.rvtools.reader import read_rvtools

    rows = craft.HEADER_ROW + "".join(craft.vm_row(n, f"vm{n}") for n in range(2, 53))  # 51 VMs
    path = craft.raw_xlsx(tmp_path / "many.xlsx", rows, dimension="A1:C52")
    monkeypatch.setenv("VMSCAN_MAX_VMS", "50")
    with pytest.raises(InputError, match=r"vInfo lists over 50 VMs, more than the limit of 50 \(VMSCAN_MAX_VMS\)"):
        read_rvtools(path)
    monkeypatch.setenv("VMSCAN_MAX_VMS", "51")  # near miss: exactly the limit
    assert len(read_rvtools(path).all_vms()) == 51


@pytest.mark.parametrize(("name", "command"), [
    ("mem", ["inventory", "{link}"]),
    ("mem.json", ["inventory", "{link}"]),
    ("mem.json.gz", ["analyze", "--as-of", "2026-11-25", "{link}", "-o", "a.json"]),
    ("mem.toml", ["analyze", "--as-of", "2026-11-25", "{sample}", "--policy", "{link}", "-o", "a.json"]),
    ("mem.map.json", ["anonymize", "{sample}", "-o", "a.json.gz", "--map", "{link}"]),
])
def test_a_file_that_fails_on_read_is_one_line(tmp_path, name, command):
    # /proc/self/mem is a regular file that fails on read (EIO). Before: "internal error: OSError:
    # [Errno 5] Input/output error", exit 3, naming no file (found by a mutation loop over options).
    link = tmp_path / name
    link.symlink_to("/proc/self/mem")
    outcome = run_capped([part.format(link=link.name, sample=SAMPLE) for part in command], cwd=tmp_path)
    assert outcome.exit_code == 2, outcome.stderr
    line, = outcome.stderr.splitlines()
    assert line.startswith(f"vmscan: error: {name}") or f" {name}:" in line, line
    assert "Input/output error" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]
