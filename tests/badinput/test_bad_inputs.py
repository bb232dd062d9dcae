"""Bad input corpus: every case ends in one line on stderr, exit code 2, no traceback, no output file.

Each case is run through every input-reading command of the real CLI (CliRunner) and, for
``vmscan inventory``, through a real subprocess (``python -m scanner``) as a user would run it.
Commands that write output write into an empty folder, which must still be empty afterwards.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.io import save_estate
from tests.unit.test_inventory_io import sample_estate

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Case:
    id: str
    build: Callable[[Path], Path]  # makes the bad input inside the given folder, returns its path
    needles: tuple[str, ...]  # words the one-line message must contain
    env: dict[str, str] | None = None


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _snapshot_bytes() -> bytes:
    return json.dumps({"schema": "vmscan-inventory", "schema_version": 1, "collected_at": "2026-01-01T00:00:00Z",
                       "source": {"kind": "synthetic"}, "vcenters": []}).encode()


OLE2_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def vinfo_fifo(folder: Path) -> Path:
    export = folder / "pipes"
    export.mkdir()
    os.mkfifo(export / "vInfo.csv")
    return export


def repeated_vm(folder: Path) -> Path:
    save_estate(sample_estate(), folder / "one.json")
    data = json.loads((folder / "one.json").read_text(encoding="utf-8"))
    (folder / "one.json").unlink()
    vms = data["vcenters"][0]["vms"]
    vms.append(json.loads(json.dumps(vms[0])))
    return _write(folder / "twice.json", json.dumps(data).encode())


def truncated_gzip(folder: Path) -> Path:
    save_estate(sample_estate(), folder / "full.json.gz")
    data = (folder / "full.json.gz").read_bytes()
    (folder / "full.json.gz").unlink()
    return _write(folder / "estate.json.gz", data[: len(data) // 2])


def gzip_bomb(folder: Path) -> Path:
    # 64 concatenated gzip members of 16 MiB of zeros each: 1 GiB once decompressed, ~1 MiB on
    # disk. The guard is lowered to 4 MiB for the test through VMSCAN_MAX_INPUT_BYTES.
    member = gzip.compress(b"\0" * (16 << 20), compresslevel=9, mtime=0)
    return _write(folder / "bomb.json.gz", member * 64)


def docx_renamed(folder: Path) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return _write(folder / "report.xlsx", buffer.getvalue())


def workbook(folder: Path, name: str, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path = folder / name
    book.save(path)
    return path


def zip_bomb_xlsx(folder: Path) -> Path:
    # A real workbook whose sheet XML is padded to 200 MiB that compresses ~1000:1.
    path = workbook(folder, "bomb.xlsx", {"vInfo": [["VM", "Powerstate"], ["a", "poweredOn"]]})
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    sheet = next(name for name in parts if name.startswith("xl/worksheets/"))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            if name != sheet:
                archive.writestr(name, data)
        with archive.open(sheet, "w", force_zip64=True) as handle:
            handle.write(parts[sheet].replace(b"</worksheet>", b""))
            handle.write(b"<!--")
            chunk = b" " * (1 << 20)
            for _ in range(200):
                handle.write(chunk)
            handle.write(b"--></worksheet>")
    return path


def deep_json(folder: Path) -> Path:
    return _write(folder / "deep.json", b"[" * 200_000 + b"]" * 200_000)


def huge_integer(folder: Path) -> Path:
    data = _snapshot_bytes().replace(b'"vcenters": []', b'"vcenters": [], "x": ' + b"9" * 10_000)
    return _write(folder / "bigint.json", data)


def cp1252_without_vinfo(folder: Path) -> Path:
    target = folder / "csvexport"
    target.mkdir()
    (target / "vHost.csv").write_bytes("Host;Datacenter\r\nesx-Zürich;DC\r\n".encode("cp1252"))
    return target


def one_mb_cell(folder: Path) -> Path:
    # Excel refuses cells over 32,767 characters; a 1 MB cell was not written by RVTools.
    target = folder / "bigcell"
    target.mkdir()
    (target / "vInfo.csv").write_text("VM,Annotation\r\nweb01," + "x" * (1 << 20) + "\r\n")
    return target


def one_mb_cell_xlsx(folder: Path) -> Path:
    # openpyxl truncates long cells when writing, so the XML is patched afterwards.
    path = workbook(folder, "bigcell.xlsx", {"vInfo": [["VM", "Annotation"], ["web01", "PLACEHOLDER"]]})
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data.replace(b"PLACEHOLDER", b"x" * (1 << 20)))
    return path


def wide_workbook(folder: Path) -> Path:
    return workbook(folder, "wide.xlsx", {"vInfo": [["VM"] + [f"c{i}" for i in range(10_000)], ["web01"]]})


SNAPSHOT_CASES = [
    Case("missing-path", lambda d: d / "nope.json.gz", ("nope.json.gz", "no such file")),
    Case("empty-file", lambda d: _write(d / "estate.json.gz", b""), ("estate.json.gz", "empty")),
    Case("truncated-gzip", truncated_gzip, ("estate.json.gz", "gzip")),
    # Fixed bytes, not os.urandom: random ones are now and then valid UTF-8 and fail differently.
    Case("random-bytes-json-gz", lambda d: _write(d / "estate.json.gz", bytes(range(0x80, 0xC0))),
         ("estate.json.gz", "not UTF-8 JSON text")),
    Case("binary-json", lambda d: _write(d / "estate.json", b"\xff\xfe\x00garbage"), ("estate.json", "JSON")),
    Case("json-of-another-schema", lambda d: _write(d / "other.json", b'{"name": "x", "items": []}'),
         ("other.json", "not a vmscan inventory (no 'schema' key")),
    Case("json-array", lambda d: _write(d / "list.json", b"[1, 2]"), ("list.json", "not a vmscan inventory")),
    Case("future-schema-version",
         lambda d: _write(d / "future.json", _snapshot_bytes().replace(b'"schema_version": 1', b'"schema_version": 2')),
         ("future.json", "schema_version 2")),
    Case("wrong-field-type",
         lambda d: _write(d / "types.json", _snapshot_bytes().replace(b'"vcenters": []', b'"vcenters": {}')),
         ("types.json", "vcenters")),
    Case("unknown-field",
         lambda d: _write(d / "extra.json", _snapshot_bytes().replace(b'"vcenters": []', b'"vcenters": [], "x": 1')),
         ("extra.json", "unknown field")),
    Case("deeply-nested-json", deep_json, ("deep.json",)),
    Case("10000-digit-integer", huge_integer, ("bigint.json", "thousands of digits")),
    Case("gzip-bomb", gzip_bomb, ("bomb.json.gz", "refusing"), env={"VMSCAN_MAX_INPUT_BYTES": str(4 << 20)}),
    Case("plain-json-over-limit", lambda d: _write(d / "big.json", _snapshot_bytes() + b" " * (2 << 20)),
         ("big.json", "limit"), env={"VMSCAN_MAX_INPUT_BYTES": str(1 << 20)}),
    Case("bad-limit-setting", lambda d: _write(d / "estate.json", _snapshot_bytes()),
         ("VMSCAN_MAX_INPUT_BYTES",), env={"VMSCAN_MAX_INPUT_BYTES": "lots"}),
    Case("unknown-extension", lambda d: _write(d / "estate.txt", b"hello"), ("estate.txt", "unrecognised input")),
    # Was read as two VMs (counted, sized and planned twice), exit 0.
    Case("same-vm-listed-twice", repeated_vm, ("twice.json", "vcenters[0].vms[1].id 'uuid-1/vm-1' is also",
                                               "vms[0]", "the same VM listed twice")),
    # One tab of an RVTools CSV export instead of its folder; an old binary .xls.
    Case("single-csv-file", lambda d: _write(d / "RVTools_tabvInfo.csv", b"VM;Powerstate\nweb01;poweredOn\n"),
         ("RVTools_tabvInfo.csv", "give the folder")),
    Case("old-xls", lambda d: _write(d / "rvtools.xls", b"\xd0\xcf\x11\xe0"), ("rvtools.xls", ".xlsx")),
]

RVTOOLS_CASES = [
    Case("directory-without-rvtools-csv", lambda d: (d / "empty-folder").mkdir() or d / "empty-folder",
         ("empty-folder", "vInfo")),
    Case("docx-renamed-xlsx", docx_renamed, ("report.xlsx", "Word")),
    Case("random-bytes-xlsx", lambda d: _write(d / "random.xlsx", os.urandom(4096)), ("random.xlsx", "not an Excel")),
    Case("empty-xlsx", lambda d: _write(d / "empty.xlsx", b""), ("empty.xlsx", "not an Excel")),
    # A vInfo tab saved as CSV under an .xlsx name, and Excel's container for a password-protected
    # .xlsx: both said only "File is not a zip file".
    Case("csv-text-named-xlsx", lambda d: _write(d / "vinfo.xlsx", "VM;CPUs\r\nweb01;2\r\n".encode("utf-16")),
         ("vinfo.xlsx", "not an Excel", "looks like CSV text", "give that folder")),
    Case("password-protected-xlsx", lambda d: _write(d / "locked.xlsx", OLE2_HEADER + bytes(4088)),
         ("locked.xlsx", "not an Excel", "password-protected .xlsx")),
    Case("truncated-xlsx", lambda d: _write(d / "cut.xlsx", workbook(d, "full.xlsx", {"vInfo": [["VM"], ["a"]]})
                                            .read_bytes()[:700]), ("cut.xlsx",)),
    Case("xlsx-without-vinfo", lambda d: workbook(d, "novinfo.xlsx", {"vHost": [["Host"], ["esx1"]]}),
         ("novinfo.xlsx", "vInfo")),
    Case("vinfo-without-name-column",
         lambda d: workbook(d, "noname.xlsx", {"vInfo": [["Powerstate", "CPUs"], ["poweredOn", 2]]}),
         ("noname.xlsx", "vInfo", "'VM'")),
    Case("csv-folder-cp1252-without-vinfo", cp1252_without_vinfo, ("csvexport", "vInfo")),
    # Was "no vInfo CSV file (expected vInfo.csv ...)" with vInfo.csv right there.
    Case("csv-folder-vinfo-fifo", vinfo_fifo, ("pipes/vInfo.csv", "not a regular file", "tab vInfo")),
    Case("one-mb-cell-csv", one_mb_cell, ("vInfo.csv", "larger than")),
    Case("one-mb-cell-xlsx", one_mb_cell_xlsx, ("bigcell.xlsx", "32767")),
    Case("10000-columns", wide_workbook, ("wide.xlsx", "columns")),
    Case("zip-bomb-xlsx", zip_bomb_xlsx, ("bomb.xlsx", "refusing")),
]

CASES = SNAPSHOT_CASES + RVTOOLS_CASES


def command_lines(out: Path) -> dict[str, list[str]]:
    """Input-reading commands and the output arguments that send their files into ``out``."""
    lines = {
        "inventory": [],
        "anonymize": ["-o", str(out / "shared.json.gz"), "--map", str(out / "map.json")],
        "analyze": ["--as-of", "2026-11-25", "-o", str(out / "assessment.json")],
        "report": ["--as-of", "2026-11-25", "--out", str(out / "report")],
    }
    return {name: args for name, args in lines.items() if name in main.commands}


def assert_one_line_error(exit_code: int, stderr: str, needles: tuple[str, ...]) -> None:
    assert exit_code == 2, stderr
    text = stderr.strip()
    assert text.startswith("vmscan: error:"), text
    assert "\n" not in text, text
    assert "Traceback" not in text
    for needle in needles:
        assert needle in text, text


def test_every_input_command_is_covered():
    # analyze/report join automatically once they exist; inventory and anonymize are here today.
    assert {"inventory", "anonymize"} <= set(command_lines(Path("/x")))


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_through_every_command(tmp_path, case, monkeypatch):
    inputs = tmp_path / "in"
    inputs.mkdir()
    bad = case.build(inputs)
    for key, value in (case.env or {}).items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    for command, extra in command_lines(tmp_path / "out").items():
        out = tmp_path / "out"
        out.mkdir()
        before = sorted(p.name for p in inputs.iterdir())
        result = runner.invoke(main, [command, str(bad), *extra])
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, result.exception)
        assert_one_line_error(result.exit_code, result.output, case.needles)
        assert list(out.iterdir()) == [], f"{command} left output behind"
        assert sorted(p.name for p in inputs.iterdir()) == before, f"{command} changed the input folder"
        out.rmdir()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_in_a_real_process(tmp_path, case):
    bad = case.build(tmp_path)
    env = {**os.environ, **(case.env or {}), "PYTHONPATH": str(REPO)}
    env.pop("VMSCAN_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "scanner", "inventory", str(bad)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert proc.stdout == ""
    assert_one_line_error(proc.returncode, proc.stderr, case.needles)


def test_gzip_bomb_stops_early_without_the_env_override(tmp_path):
    # The default guard is 4 GiB; the loader's max_bytes parameter lowers it for one call.
    from scanner.errors import InputError
    from scanner.inventory.io import load_estate

    bomb = gzip_bomb(tmp_path)
    with pytest.raises(InputError, match="refusing"):
        load_estate(bomb, max_bytes=1 << 20)


def test_wrong_cell_types_become_unknown_values_with_an_issue(tmp_path):
    # RVTools reader policy: an unparsable cell leaves its field None (unknown) and one collection
    # issue per sheet+column says so; the run does not abort. Nothing is guessed.
    from scanner.inputs import load_inputs

    path = workbook(tmp_path, "types.xlsx", {"vInfo": [["VM", "Powerstate", "CPUs", "Memory"],
                                                      ["web01", "poweredOn", "four", "lots"],
                                                      ["web02", "poweredOn", 2, 4096]]})
    estate, _ = load_inputs([str(path)])
    web01, web02 = estate.all_vms()
    assert web01.num_cpu is None and web01.memory_mib is None
    assert web02.num_cpu == 2 and web02.memory_mib == 4096
    messages = " ".join(i.message for i in estate.collection_issues)
    assert "CPUs" in messages or any(i.property and "CPUs" in i.property for i in estate.collection_issues)
    result = CliRunner().invoke(main, ["inventory", str(path)])
    assert result.exit_code == 0, result.output


def test_csv_folder_in_cp1252_is_read_not_mangled(tmp_path):
    from scanner.inputs import load_inputs

    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "vInfo.csv").write_bytes("VM;Powerstate;Annotation\r\nsrv-Zürich;poweredOn;Geschäft – “Prod”\r\n"
                                       .encode("cp1252"))
    estate, _ = load_inputs([str(folder)])
    (vm,) = estate.all_vms()
    assert vm.name == "srv-Zürich"
    assert vm.annotation == "Geschäft – “Prod”"


def test_zip_bomb_was_cheap_to_build(tmp_path):
    # Guard for the corpus itself: the bomb must stay small on disk, or the test suite gets slow.
    assert zip_bomb_xlsx(tmp_path).stat().st_size < 2 << 20


POLICY_CASES = [
    ("unknown-top-level-key", "[nonsense]\nx = 1\n", "unknown key"),
    ("unknown-rule-id", '[rules."disk.no-such-rule"]\nenabled = false\n', "disk.no-such-rule"),
    ("wrong-type", '[rules."annotation.cleartext-secret"]\nenabled = "no"\n', "must be a boolean"),
    ("bad-severity", '[rules."annotation.cleartext-secret"]\nseverity = "fatal"\n', "severity"),
    ("retain-not-a-list", '[retain]\nname_patterns = "web*"\n', "retain.name_patterns"),
    ("not-toml", "this is = = not toml", "not valid TOML"),
    ("binary", "\x00\x01\x02", "policy.toml"),
]


@pytest.mark.parametrize(("text", "needle"), [c[1:] for c in POLICY_CASES], ids=[c[0] for c in POLICY_CASES])
def test_bad_policy_file(tmp_path, text, needle):
    save_estate(sample_estate(), tmp_path / "estate.json.gz")
    (tmp_path / "policy.toml").write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    result = CliRunner().invoke(main, ["analyze", "--as-of", "2026-11-25", str(tmp_path / "estate.json.gz"), "--policy",
                                       str(tmp_path / "policy.toml"), "-o", str(out / "assessment.json")])
    assert_one_line_error(result.exit_code, result.output, ("policy.toml", needle))
    assert list(out.iterdir()) == []


def test_policy_that_is_a_folder_or_missing(tmp_path):
    save_estate(sample_estate(), tmp_path / "estate.json.gz")
    (tmp_path / "dir.toml").mkdir()
    for policy in ("dir.toml", "missing.toml"):
        result = CliRunner().invoke(main, ["analyze", "--as-of", "2026-11-25",
                                           str(tmp_path / "estate.json.gz"), "--policy",
                                           str(tmp_path / policy)])
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert policy in result.output
