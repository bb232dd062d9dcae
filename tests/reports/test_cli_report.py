"""`vmscan report` / `vmscan demo` end to end through the CLI (CliRunner and a real subprocess)."""

import datetime as dt
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
    args = ["report", "--as-of", "2026-11-25", str(FIXTURE), "--out", str(out), "--format", "json"]
    refused = CliRunner().invoke(main, args)
    assert refused.exit_code == 2
    assert refused.output.startswith("vmscan: error:") and "--force" in refused.output
    assert refused.output.strip().count("\n") == 0
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    forced = CliRunner().invoke(main, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert sorted(p.name for p in out.iterdir()) == ["assessment.json", "keep.txt"]


def test_unknown_format_and_bad_input_exit_2(tmp_path):
    bad_format = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                           str(FIXTURE), "--out", str(tmp_path / "o"), "--format", "pdf"])
    assert bad_format.exit_code == 2 and "pdf" in bad_format.output
    assert not (tmp_path / "o").exists()
    missing = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                        str(tmp_path / "nope.json.gz"), "--out", str(tmp_path / "o")])
    assert missing.exit_code == 2 and "nope.json.gz" in missing.output


def test_demo_writes_html_and_xlsx_and_ends_with_the_headline(tmp_path):
    demo = tmp_path / "demo"
    result = CliRunner().invoke(main, ["demo", "--out", str(demo)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[:2] == [str(demo / "report.html"), str(demo / "report.xlsx")]  # scripts read the paths
    headline = lines[3:]
    # demo has no --as-of: it assesses as of today, and the sample (taken 2026-12-06) is old data
    # once more than stale_data_days (30, targets.toml) have passed: one warning line then.
    today = dt.date.today()
    age = (today - dt.date(2026, 12, 6)).days
    if age > 30:
        assert headline.pop(1).startswith(
            f"WARNING: The data is {age} days old (taken 2026-12-06, assessed {today.isoformat()}; ")
    assessment_line, avs, vmc, where = headline
    # Hand count of the sample estate (fixtures/README.md): 120 VMs, 116 on, 2 off, 1 suspended,
    # 1 template, 10 hosts; readiness and hosts as `vmscan analyze` prints them.
    assert assessment_line.startswith("vmscan assessment as of ")
    assert assessment_line.endswith(": 120 VMs (116 on, 2 off, 1 suspended, 1 template) on 10 hosts, 1 vCenter")
    assert avs.startswith("  Azure VMware Solution: ") and "ready" in avs and "recommended 3 hosts (AV" in avs
    # Basis and confidence beside every host count (issue 16).
    assert "performance (utilisation history)" in avs or "as on-premises (allocated)" in avs
    assert "confidence" in avs
    assert vmc.startswith("  VMware Cloud on AWS: ") and "recommended " in vmc
    assert where == f"reports in {demo}: report.html, report.xlsx"


def test_demo_runs_twice_replacing_only_its_own_output(tmp_path):
    """The README's first command, run a second time, stopped on 'folder is not empty'."""
    demo = tmp_path / "demo"
    assert CliRunner().invoke(main, ["demo", "--out", str(demo)]).exit_code == 0
    first = (demo / "report.html").stat().st_mtime_ns
    again = CliRunner().invoke(main, ["demo", "--out", str(demo)])
    assert again.exit_code == 0, again.output
    assert f"replacing the earlier demo reports in {demo}" in again.stderr
    assert (demo / "report.html").stat().st_mtime_ns >= first
    assert sorted(p.name for p in demo.iterdir()) == ["report.html", "report.xlsx"]


def test_demo_never_overwrites_a_foreign_folder(tmp_path):
    occupied = tmp_path / "mine"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("keep", encoding="utf-8")
    refused = CliRunner().invoke(main, ["demo", "--out", str(occupied)])
    assert refused.exit_code == 2 and "--force" in refused.output
    assert sorted(p.name for p in occupied.iterdir()) == ["notes.txt"]
    # A report.html of another report (not the demo's sample) is not taken for the demo's own.
    other = tmp_path / "other"
    assert CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                     str(REPO / "fixtures" / "kubev2v-example1.xlsx"), "--out", str(other),
                                     "--format", "html,xlsx"]).exit_code == 0
    assert CliRunner().invoke(main, ["demo", "--out", str(other)]).exit_code == 2
    # Beside the demo's own files, anything else also makes the folder foreign.
    demo = tmp_path / "demo"
    assert CliRunner().invoke(main, ["demo", "--out", str(demo)]).exit_code == 0
    (demo / "draft.docx").write_bytes(b"x")
    assert CliRunner().invoke(main, ["demo", "--out", str(demo)]).exit_code == 2


def test_report_ends_with_the_headline_naming_its_files(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(FIXTURE), "--out", str(out), "--format", "html,csv,json"])
    assert result.exit_code == 0, result.output
    tail = result.stdout.splitlines()[-4:]
    assert tail[0].endswith(": 120 VMs (116 on, 2 off, 1 suspended, 1 template) on 10 hosts, 1 vCenter")
    csv_count = len(list((out / "csv").glob("*.csv")))
    assert csv_count > 5
    assert tail[-1] == f"reports in {out}: report.html, assessment.json, csv/ ({csv_count} files)"


def test_report_never_imports_pyvmomi(tmp_path):
    """Everything downstream of the inventory works with pyVmomi made unimportable."""
    code = (
        "import sys; sys.modules['pyVmomi'] = None\n"
        "from scanner.cli import main\n"
        f"main(['report', '--as-of', '2026-11-25', {str(FIXTURE)!r}, '--out', {str(tmp_path / 'o')!r},"
        " '--format', 'html,xlsx,csv,json'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "o" / "report.html").exists() and (tmp_path / "o" / "csv" / "findings.csv").exists()


def test_password_in_vm_notes_is_masked_in_every_report_file(tmp_path):
    # The sample estate has a VM whose notes hold "password=Secr3t!"; reports are mailed around.
    import zipfile

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(FIXTURE), "--out", str(out), "--format", "html,xlsx,csv,json"])
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
