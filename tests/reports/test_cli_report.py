"""`vmscan report` / `vmscan demo` end to end through the CLI (CliRunner and a real subprocess)."""

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from scanner.cli import main

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "fixtures" / "sample-estate.json.gz"


def test_report_all_formats(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", str(FIXTURE), "--out", str(out), "--format", "html,xlsx,csv,json",
                                       "--as-of", "2025-06-30"])
    assert result.exit_code == 0, result.output
    printed = result.output.split()
    assert str(out / "report.html") in printed and str(out / "report.xlsx") in printed
    assert str(out / "assessment.json") in printed and str(out / "csv" / "vms.csv") in printed
    assessment = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    assert assessment["schema"] == "vmscan-assessment" and assessment["as_of"] == "2025-06-30"
    wb = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    assert wb["VMs"].max_row == len(assessment["vms"]) + 1
    assert "Migration readiness assessment" in (out / "report.html").read_text(encoding="utf-8")
    assert not [p for p in out.rglob("*") if p.name.startswith(".")], "no temporary files left behind"


def test_existing_output_folder_needs_force(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    args = ["report", str(FIXTURE), "--out", str(out), "--format", "json"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2
    assert refused.output.startswith("vmscan: error:") and "--force" in refused.output
    assert refused.output.strip().count("\n") == 0
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert sorted(p.name for p in out.iterdir()) == ["assessment.json", "keep.txt"]


def test_unknown_format_and_bad_input_exit_2(tmp_path):
    bad_format = CliRunner().invoke(main, ["report", str(FIXTURE), "--out", str(tmp_path / "o"), "--format", "pdf"])
    assert bad_format.exit_code == 2 and "pdf" in bad_format.output
    assert not (tmp_path / "o").exists()
    missing = CliRunner().invoke(main, ["report", str(tmp_path / "nope.json.gz"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "nope.json.gz" in missing.output


def test_demo_writes_html_and_xlsx(tmp_path):
    result = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "demo")])
    assert result.exit_code == 0, result.output
    assert result.output.split() == [str(tmp_path / "demo" / "report.html"), str(tmp_path / "demo" / "report.xlsx")]
    again = CliRunner().invoke(main, ["demo", "--out", str(tmp_path / "demo")])
    assert again.exit_code == 2


def test_report_never_imports_pyvmomi(tmp_path):
    """Everything downstream of the inventory works with pyVmomi made unimportable."""
    code = (
        "import sys; sys.modules['pyVmomi'] = None\n"
        "from scanner.cli import main\n"
        f"main(['report', {str(FIXTURE)!r}, '--out', {str(tmp_path / 'o')!r}, '--format', 'html,xlsx,csv,json'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "report.html").exists() and (tmp_path / "o" / "csv" / "findings.csv").exists()


def test_password_in_vm_notes_is_masked_in_every_report_file(tmp_path):
    # The sample estate has a VM whose notes hold "password=Secr3t!"; reports are mailed around.
    import zipfile

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", str(FIXTURE), "--out", str(out), "--format", "html,xlsx,csv,json"])
    assert result.exit_code == 0, result.output
    texts = []
    for path in out.rglob("*"):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as workbook:
                texts += [workbook.read(name).decode("utf-8") for name in workbook.namelist()]
        elif path.is_file():
            texts.append(path.read_text(encoding="utf-8-sig"))
    assert not [text for text in texts if "Secr3t!" in text]
    assert any("password=********" in text for text in texts)
