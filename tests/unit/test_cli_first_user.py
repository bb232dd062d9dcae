"""Rough edges a first user hit, kept fixed: early failures, clear words, honest examples."""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main
from scanner.reporters.output import FILE_NAMES

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "fixtures" / "sample-estate.json.gz"
KUBEV2V = REPO / "fixtures" / "kubev2v-example1.xlsx"


def one_line_error(result_output: str) -> str:
    lines = result_output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmscan: error:"), result_output
    return lines[0]


def test_report_checks_policy_before_reading_inputs(tmp_path: Path) -> None:
    # The input does not exist: only a policy check that runs first can produce the policy message.
    policy = tmp_path / "policy.toml"
    policy.write_text("[rules.thresholds]\nsnapshot_max_age_dayz = 3\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(tmp_path / "missing.xlsx"), "--out", str(tmp_path / "r"),
                                       "--policy", str(policy)])
    assert result.exit_code == 2
    assert "snapshot_max_age_dayz" in one_line_error(result.output)


def test_report_refuses_an_occupied_folder_before_reading_inputs(tmp_path: Path) -> None:
    out = tmp_path / "r"
    out.mkdir()
    (out / "old.txt").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(tmp_path / "missing.xlsx"), "--out", str(out)])
    assert result.exit_code == 2
    assert "--force" in one_line_error(result.output)


def test_scan_checks_policy_and_as_of_before_connecting(tmp_path: Path, refused_port: int) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text('[rules."vm.snapshot"]\nenabled = false\n', encoding="utf-8")
    server = f"http://127.0.0.1:{refused_port}/sdk"  # nothing listens: connecting would fail differently
    base = ["scan", "--as-of", "2026-11-25",
            "-s", server, "-u", "u", "--password-env", "PW", "--out", str(tmp_path / "r")]
    bad_policy = CliRunner().invoke(main, [*base, "--policy", str(policy)], env={"PW": "pw"})
    assert bad_policy.exit_code == 2
    assert "vm.snapshot" in one_line_error(bad_policy.output)
    assert not (tmp_path / "r" / "estate.json.gz").exists()
    bad_date = CliRunner().invoke(main, [*base, "--as-of", "yesterday"], env={"PW": "pw"})
    assert bad_date.exit_code == 2 and "--as-of" in bad_date.output and "connection refused" not in bad_date.output


def test_collect_without_credentials_and_no_terminal_says_what_to_pass(tmp_path: Path, refused_port: int) -> None:
    # A CI job or cron: stdin is empty, so the prompt cannot be answered.
    output = tmp_path / "e.json.gz"
    result = CliRunner().invoke(main, ["collect", "-s", f"http://127.0.0.1:{refused_port}/sdk", "-o", str(output)],
                                input="")
    assert result.exit_code == 2, result.output
    assert "Aborted" not in result.output
    assert "--password-env" in result.output.strip().splitlines()[-1]
    assert not output.exists()


def test_deanonymize_help_example_names_a_file_report_writes() -> None:
    result = CliRunner().invoke(main, ["deanonymize", "--help"])
    names = set(re.findall(r"[\w-]+/([\w.-]+\.(?:html|xlsx|json))\b", result.output))
    assert names, result.output
    assert names <= set(FILE_NAMES.values()), f"{names} are not files `vmscan report` writes"


def test_analyze_summary_words_on_the_sample() -> None:
    result = CliRunner().invoke(main, ["analyze", str(FIXTURE), "--as-of", "2026-01-31"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert "1 template)" in first and first.endswith("1 vCenter"), first
    assert "vCenter(s)" not in first and "1 templates" not in first
    coverage = result.output[result.output.index("could not evaluate"):]
    # Only an info rule lacked data: name it, and do not advise a policy that changes readiness.
    assert "other rule" not in coverage and "they were" not in coverage
    assert "vm.powered-off-long not evaluated" in coverage
    assert "unknown_as" not in coverage


def test_analyze_names_the_minimum_cluster_size_in_words() -> None:
    result = CliRunner().invoke(main, ["analyze", str(KUBEV2V), "--as-of", "2026-01-31",
                                       "--sizing-basis", "allocated"])
    assert result.exit_code == 0, result.output
    sizing = [line for line in result.output.splitlines() if line.strip().startswith("sizing")]
    assert sizing and all("minimum_cluster" not in line for line in sizing), sizing
    assert any("bound by the minimum cluster size" in line for line in sizing), sizing


def test_about_says_defaults_or_names_the_policy_file(tmp_path: Path) -> None:
    import openpyxl

    default = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                        str(FIXTURE), "--out", str(tmp_path / "d"), "--format", "html,xlsx"])
    assert default.exit_code == 0, default.output
    html = (tmp_path / "d" / "report.html").read_text(encoding="utf-8")
    assert "defaults shipped with vmscan (no --policy file)" in html
    assert '"overrides": {}' not in html and '"source": null' not in html
    about = {row[0]: row[1] for row in openpyxl.load_workbook(tmp_path / "d" / "report.xlsx")["About"].iter_rows(
        values_only=True) if row and row[0]}
    assert about["Policy"] == "defaults shipped with vmscan (no --policy file)"

    policy = tmp_path / "keep.toml"
    policy.write_text('[retain]\nname_patterns = ["*VM1"]\n', encoding="utf-8")
    custom = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(FIXTURE), "--out", str(tmp_path / "p"), "--format", "html,xlsx",
                                       "--policy", str(policy)])
    assert custom.exit_code == 0, custom.output
    html = (tmp_path / "p" / "report.html").read_text(encoding="utf-8")
    assert f"policy file {policy.name}" in html and "*VM1" in html
    about = {row[0]: row[1] for row in openpyxl.load_workbook(tmp_path / "p" / "report.xlsx")["About"].iter_rows(
        values_only=True) if row and row[0]}
    assert about["Policy"] == f"policy file {policy.name}" and "*VM1" in about["Policy overrides"]


def test_summary_cards_use_singular_for_one(tmp_path: Path) -> None:
    # kubev2v: 1 cluster, 0 templates; the sample: 1 template, 1 datastore.
    for source, expected in ((KUBEV2V, "1 cluster ·"), (FIXTURE, "1 template<")):
        out = tmp_path / source.stem
        result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                           str(source), "--out", str(out), "--format", "html"])
        assert result.exit_code == 0, result.output
        html = (out / "report.html").read_text(encoding="utf-8")
        assert expected in html
        assert not re.search(r">1 (templates|clusters|datastores)\b|\b1 (clusters|datastores|templates)\b", html)


def test_workbook_vms_sheet_speaks_like_the_html_and_csv_keeps_ids(tmp_path: Path) -> None:
    import csv

    import openpyxl

    out = tmp_path / "r"
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(FIXTURE), "--out", str(out), "--format", "xlsx,csv"])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(out / "report.xlsx")["VMs"]
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert {r["Method AVS"] for r in rows} <= {"HCX vMotion", "HCX Replication Assisted vMotion",
                                               "HCX Bulk Migration", "HCX Cold Migration", "None possible"}
    assert "None possible" in {r["Method AVS"] for r in rows if r["Readiness AVS"] == "Not ready"}
    assert {r["Disposition"] for r in rows} <= {"Lift-and-shift as is", "Lift-and-shift after remediation",
                                                "Replatform", "Refactor", "Retire", "Retain"}
    assert {r["Power state"] for r in rows} <= {"Powered on", "Powered off", "Suspended"}
    with (out / "csv" / "vms.csv").open(encoding="utf-8-sig", newline="") as handle:
        plain = list(csv.DictReader(handle))
    assert {r["Method AVS"] for r in plain} <= {"hcx_vmotion", "hcx_rav", "hcx_bulk", "hcx_cold", ""}
    assert {r["Disposition"] for r in plain} <= {"rehost", "remediate", "replatform", "refactor", "retire", "retain"}


def test_fail_on_names_vms_and_rules_and_warns_when_unknowns_hide_them() -> None:
    failed = CliRunner().invoke(main, ["analyze", str(FIXTURE), "--as-of", "2026-01-31", "--fail-on", "blocker"])
    assert failed.exit_code == 1
    gate = failed.output.strip().splitlines()[-1]
    not_ready = re.search(r"not_ready: (\d+)", failed.output)
    assert not_ready and gate.startswith(f"vmscan: --fail-on blocker: {not_ready.group(1)} VMs with blocker findings")
    assert "device.passthrough" in gate
    # Nothing failed, but nothing could be checked either: the gate passes and says why it is weak.
    passed = CliRunner().invoke(main, ["analyze", "--as-of", "2026-11-25", str(KUBEV2V), "--fail-on", "blocker"])
    assert passed.exit_code == 0
    assert "readiness is unknown for 9 (avs), 9 (vmc) VMs" in passed.output.strip().splitlines()[-1]


def test_workbook_summary_gives_the_recommended_hosts_like_the_terminal(tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "r"
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(FIXTURE), "--out", str(out), "--format", "xlsx,json"])
    assert result.exit_code == 0, result.output
    assessment = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    rows = list(openpyxl.load_workbook(out / "report.xlsx")["Summary"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(rows) if r[0] == "Recommended hosts (Sizing sheet)")
    shown = {r[0]: (r[1], r[2]) for r in rows[start + 2:start + 2 + len(assessment["sizing"])]}
    for sizing in assessment["sizing"]:
        option = next(o for o in sizing["options"] if o["node_type"] == sizing["recommended_node_type"])
        name = {"avs": "Azure VMware Solution", "vmc": "VMware Cloud on AWS"}[sizing["target"]]
        assert shown[name] == (option["nodes"], option["node_type"])


def test_deanonymize_into_an_occupied_folder_says_what_to_do(tmp_path: Path) -> None:
    shared, mapping, report, real = (tmp_path / "s.json.gz", tmp_path / "m.json", tmp_path / "r", tmp_path / "real")
    anonymized = CliRunner().invoke(main, ["anonymize", str(FIXTURE), "-o", str(shared), "--map", str(mapping)])
    assert anonymized.exit_code == 0, anonymized.output
    assert CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                     str(shared), "--out", str(report), "--format", "json"]).exit_code == 0
    real.mkdir()
    (real / "x").write_text("x", encoding="utf-8")
    result = CliRunner().invoke(main, ["deanonymize", str(report), "--map", str(mapping), "-o", str(real)])
    assert result.exit_code == 2
    assert "choose a new folder with -o" in one_line_error(result.output)


def test_two_rvtools_inputs_give_one_collect_live_advice(tmp_path: Path) -> None:
    # The same data missing from two exports, met in a different order, is one piece of advice.
    exported = tmp_path / "sample-rvtools.xlsx"
    assert CliRunner().invoke(main, ["export", str(FIXTURE), "-o", str(exported)]).exit_code == 0
    result = CliRunner().invoke(main, ["analyze", "--as-of", "2026-11-25", str(KUBEV2V), str(exported)])
    assert result.exit_code == 0, result.output
    advice = [line for line in result.output.splitlines() if line.strip().startswith("- collect live")]
    assert len(advice) == 1, advice


def test_terminal_output_shows_control_characters_from_inputs_as_escapes(tmp_path: Path) -> None:
    from tests.unit.rvtools_helpers import variant_sheets, write_csv_folder

    sheets = variant_sheets("4.7")
    host_column = sheets["vInfo"][0].index("Host")
    hostile = "esx\x1b]0;pwned\x07\x1b[2J\u202eevil"
    sheets["vInfo"][1][host_column] = hostile
    folder = write_csv_folder(tmp_path / "export", sheets, encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", "--as-of", "2026-11-25", str(folder)])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output and "\u202e" not in result.output
    assert "esx\\x1b]0;pwned\\x07\\x1b[2J\\u202eevil" in result.output


def test_force_with_fewer_formats_flags_files_left_from_an_earlier_run(tmp_path: Path) -> None:
    out = tmp_path / "r"
    first = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                      str(FIXTURE), "--out", str(out), "--format", "html,json"])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                      str(FIXTURE), "--out", str(out), "--format", "html", "--force"])
    assert again.exit_code == 0, again.output
    note = again.output.strip().splitlines()[-1]
    assert note.startswith("vmscan: note: assessment.json in ") and "earlier run" in note and "report.html" not in note
    same = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                     str(FIXTURE), "--out", str(out), "--format", "html,json", "--force"])
    assert "vmscan: note" not in same.output
