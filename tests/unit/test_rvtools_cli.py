"""vmscan analyze and report on RVTools inputs of several versions, xlsx and CSV, merged."""

from __future__ import annotations

import json

from click.testing import CliRunner

from scanner.cli import main
from tests.unit.rvtools_helpers import kubev2v_path, variant_sheets, write_csv_folder, write_workbook


def inputs(tmp_path):
    old = write_workbook(tmp_path / "vc-old.xlsx", variant_sheets("3.x", server="vc-old", sdk_uuid="uuid-old"))
    new = write_workbook(tmp_path / "vc-new.xlsx", variant_sheets("4.7", server="vc-new", sdk_uuid="uuid-new"))
    csv = write_csv_folder(tmp_path / "vc-csv", variant_sheets("4.1.2", server="vc-csv", sdk_uuid="uuid-csv"))
    return [str(old), str(new), str(csv), str(kubev2v_path())]


def test_analyze_rvtools_inputs(tmp_path):
    out = tmp_path / "assessment.json"
    result = CliRunner().invoke(main, ["analyze", *inputs(tmp_path), "-o", str(out), "--as-of", "2026-11-25"])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert len(data["vms"]) == 2 * 3 + 9
    assert [item["kind"] for item in data["inputs"]] == ["rvtools_xlsx", "rvtools_xlsx", "rvtools_csv",
                                                        "rvtools_xlsx"]
    assert [item["vcenters"] for item in data["inputs"]] == [
        ["vc-old"], ["vc-new"], ["vc-csv"], ["rvtools-file:kubev2v-example1.xlsx"]]
    assert [item["vm_count"] for item in data["inputs"]] == [2, 2, 2, 9]


def test_report_rvtools_inputs(tmp_path):
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["report", *inputs(tmp_path), "--out", str(out), "--format", "html,xlsx,json",
                                       "--as-of", "2026-11-25"])
    assert result.exit_code == 0, result.output
    html = next(out.glob("*.html")).read_text(encoding="utf-8")
    assert "web01" in html and "vc-new" in html
    assert list(out.glob("*.xlsx"))
