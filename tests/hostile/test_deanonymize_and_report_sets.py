"""deanonymize bounds what a third party hands back; a stopped multi-file command names what it wrote."""

from __future__ import annotations

import gzip
import zipfile
from pathlib import Path

from click.testing import CliRunner

from scanner import fsutil
from scanner.anonymize import AnonymizationMap
from scanner.cli import main
from tests.hostile.runner import REPO, run_capped

SAMPLE = str(REPO / "fixtures" / "sample-estate.json.gz")


def _map(folder: Path) -> Path:
    path = folder / "estate.map.json"
    AnonymizationMap.new().save(path)
    return path


def gzip_expanding_to(path: Path, gib: int) -> Path:
    """Concatenated gzip members (a valid stream): ~1 KB per MiB of zeros, 2 MB for 2 GiB."""
    member = gzip.compress(b"\0" * 1024**2, compresslevel=9)
    with open(path, "wb") as handle:
        for _ in range(gib * 1024):
            handle.write(member)
    return path


def test_gzip_report_expanding_to_2_gib_is_refused_within_bounds(tmp_path):
    report = gzip_expanding_to(tmp_path / "assessment.json.gz", 2)
    assert report.stat().st_size < 3 * 1024**2
    outcome = run_capped(["deanonymize", str(report), "--map", str(_map(tmp_path)), "-o", "real.json.gz"],
                         cwd=tmp_path)
    assert outcome.exit_code == 2, outcome.stderr
    assert "decompresses to over 536,870,912 bytes" in outcome.stderr
    assert "VMSCAN_MAX_REPORT_BYTES" in outcome.stderr
    assert outcome.peak_rss_mib < 1024
    assert not (tmp_path / "real.json.gz").exists()


def test_xlsx_report_over_the_limit_is_refused(tmp_path, monkeypatch):
    workbook = tmp_path / "report.xlsx"
    with zipfile.ZipFile(workbook, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a/>" * 600_000)
    monkeypatch.setenv("VMSCAN_MAX_REPORT_BYTES", "2000000")
    result = CliRunner().invoke(main, ["deanonymize", str(workbook), "--map", str(_map(tmp_path)),
                                       "-o", str(tmp_path / "real.xlsx")])
    assert result.exit_code == 2
    assert "report.xlsx: workbook expands to 2,400,000 bytes, more than the limit of 2,000,000" in result.output
    monkeypatch.setenv("VMSCAN_MAX_REPORT_BYTES", "3000000")  # near miss: just under the raised limit
    result = CliRunner().invoke(main, ["deanonymize", str(workbook), "--map", str(_map(tmp_path)),
                                       "-o", str(tmp_path / "real.xlsx")])
    assert result.exit_code == 0, result.output


def test_symlink_out_of_the_report_folder_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy me", encoding="utf-8")
    report = tmp_path / "report"
    report.mkdir()
    (report / "report.html").write_text("<p>vm-x</p>", encoding="utf-8")
    (report / "notes.txt").symlink_to(secret)
    result = CliRunner().invoke(main, ["deanonymize", str(report), "--map", str(_map(tmp_path)),
                                       "-o", str(tmp_path / "real")])
    assert result.exit_code == 2
    assert "notes.txt: a symbolic link to outside the report folder" in result.output
    assert not (tmp_path / "real").exists() or not any((tmp_path / "real").rglob("*"))
    # A link that stays inside the folder is a near miss: copied as a file.
    (report / "notes.txt").unlink()
    (report / "notes.txt").symlink_to(report / "report.html")
    result = CliRunner().invoke(main, ["deanonymize", str(report), "--map", str(_map(tmp_path)),
                                       "-o", str(tmp_path / "real2")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "real2" / "notes.txt").read_text(encoding="utf-8") == "<p>vm-x</p>"


def test_report_interrupted_after_the_first_file_names_exactly_that_file(tmp_path, monkeypatch):
    real_replace = fsutil.os.replace
    calls = []

    def replace_then_interrupt(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_replace(src, dst)

    monkeypatch.setattr(fsutil.os, "replace", replace_then_interrupt)
    out = tmp_path / "r"
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       SAMPLE, "--out", str(out), "--format", "html,xlsx,json"])
    assert result.exit_code == 130
    written = [p for p in out.iterdir()]
    assert len(written) == 1
    assert result.output.strip().splitlines()[-1] == (
        f"vmscan: interrupted; 1 file(s) already written: {written[0]}")


def test_report_not_interrupted_says_nothing_of_the_kind(tmp_path):
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       SAMPLE, "--out", str(tmp_path / "r"), "--format", "json"])
    assert result.exit_code == 0
    assert "already written" not in result.output
