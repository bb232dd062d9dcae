"""Outputs never replace a FIFO, device or folder; plain HTTP and --insecure are warned about (issue 18)."""

from __future__ import annotations

import os
import socket
import stat

import pytest

from scanner.cli import transport_warnings
from tests.hostile.runner import REPO, run_capped

SAMPLE = str(REPO / "fixtures" / "sample-estate.json.gz")


@pytest.mark.parametrize("command", [
    ["analyze", "--as-of", "2026-11-25", SAMPLE, "-o", "{target}"],
    ["export", SAMPLE, "-o", "{target}.xlsx"],
    ["anonymize", SAMPLE, "-o", "{target}", "--map", "{folder}/new.map.json"],
])
def test_output_onto_a_fifo_is_refused_and_the_fifo_stays(tmp_path, command):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    os.mkfifo(tmp_path / "pipe.xlsx")
    args = [part.format(target=fifo, folder=tmp_path) for part in command]
    outcome = run_capped(args, cwd=tmp_path)
    assert outcome.exit_code == 2, outcome.stderr
    assert outcome.stderr.strip().endswith("is a FIFO; refusing to replace it (choose a file name)")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert not (tmp_path / "new.map.json").exists()  # the map is not written without its snapshot


def test_output_onto_a_device_is_refused(tmp_path):
    before = os.stat("/dev/null")
    outcome = run_capped(["analyze", "--as-of", "2026-11-25", SAMPLE, "-o", "/dev/null"], cwd=tmp_path)
    assert outcome.exit_code == 2
    assert outcome.stderr.strip() == ("vmscan: error: /dev/null: is a device; refusing to replace it "
                                      "(choose a file name)")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_output_onto_a_folder_is_refused(tmp_path):
    (tmp_path / "folder").mkdir()
    outcome = run_capped(["anonymize", SAMPLE, "-o", "folder", "--map", "m.json"], cwd=tmp_path)
    assert outcome.exit_code == 2
    assert "folder: is a folder; refusing to replace it" in outcome.stderr
    assert (tmp_path / "folder").is_dir()


def test_plain_http_and_insecure_warn_once_each():
    assert transport_warnings(["vc.example.com"], insecure=False) == []
    assert transport_warnings(["http://127.0.0.1:8989/sdk", "https://vc2"], insecure=False) == [
        "http://127.0.0.1:8989: plain HTTP, the login and the inventory travel unencrypted"]
    warnings = transport_warnings(["vc1", "vc2"], insecure=True)
    assert len(warnings) == 1 and warnings[0].startswith("--insecure: the vCenter TLS certificate is not verified")
    # --insecure with only plain-HTTP servers: TLS is not involved, one warning (HTTP).
    assert len(transport_warnings(["http://vc1/sdk"], insecure=True)) == 1


def test_collect_over_plain_http_prints_the_warning_before_connecting(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: connection refused
    outcome = run_capped(["collect", "-s", f"http://127.0.0.1:{port}/sdk", "-u", "ro", "--password-env", "VC_PASS",
                          "-o", "estate.json.gz"], cwd=tmp_path, env={"VC_PASS": "x"})
    lines = outcome.stderr.strip().splitlines()
    assert lines[0] == (f"vmscan: warning: http://127.0.0.1:{port}: plain HTTP, the login and the inventory "
                        "travel unencrypted")
    assert outcome.exit_code == 2 and lines[-1].startswith("vmscan: error: ")


@pytest.mark.parametrize("output, map_name", [("missing/shared.json.gz", "estate.map.json"),
                                              ("shared.json.gz", "missing/estate.map.json")])
def test_anonymize_into_a_missing_folder_writes_neither_file(tmp_path, output, map_name):
    # Before: the map was written, then 'output folder does not exist: missing (1 file(s) already
    # written: estate.map.json)': a secret map with no anonymized snapshot.
    outcome = run_capped(["anonymize", SAMPLE, "-o", output, "--map", map_name], cwd=tmp_path)
    assert outcome.exit_code == 2, outcome.stderr
    assert outcome.stderr.strip() == "vmscan: error: output folder does not exist: missing"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", [
    ["report", SAMPLE, "--as-of", "2026-11-25", "--out", "{long}"],
    ["analyze", SAMPLE, "--as-of", "2026-11-25", "-o", "{long}.json"],
    ["inventory", "{long}.xlsx"],
])
def test_a_name_longer_than_the_file_system_allows_is_one_line(tmp_path, command):
    # Before (report, inventory): "vmscan: internal error: OSError: [Errno 36] File name too long", exit 3
    # (found by a mutation loop); analyze already said it in one line.
    long = "a" * 300
    outcome = run_capped([part.format(long=long) for part in command], cwd=tmp_path)
    assert outcome.exit_code == 2, outcome.stderr
    line, = outcome.stderr.splitlines()
    assert line.startswith("vmscan: error: ") and "a" * 100 in line and line.endswith(": File name too long")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("command", [
    ["deanonymize", SAMPLE, "--map", "m.json", "-o", "loop"],
    ["deanonymize", "loop", "--map", "m.json", "-o", "out.json"],
    ["anonymize", "loop", "-o", "a.json.gz", "--map", "m.json"],
])
def test_a_symbolic_link_loop_is_one_line(tmp_path, command):
    # Before (deanonymize): "internal error: RuntimeError: Symlink loop from ...", exit 3 (found by a mutation loop).
    (tmp_path / "loop").symlink_to("loop")
    outcome = run_capped(command, cwd=tmp_path)
    assert outcome.exit_code == 2, outcome.stderr
    line, = outcome.stderr.splitlines()
    assert line.startswith("vmscan: error: loop: cannot follow this path"), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loop"]
