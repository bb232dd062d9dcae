"""`vmscan analyze` and `vmscan rules` through click's CliRunner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.io import save_estate
from scanner.inventory.model import RemovableDrive
from scanner.rules import load_catalogue
from scanner.rules.catalogue import catalogue_markdown
from tests.factories import clean_disk, clean_nic, clean_vm, estate_of, every_finding_json

REPO = Path(__file__).resolve().parents[2]
ISO = [RemovableDrive(label="CD/DVD drive 1", backing="iso", connected=True)]


def snapshot(tmp_path, *vms, name="estate.json.gz") -> str:
    path = tmp_path / name
    save_estate(estate_of(*vms), path)
    return str(path)


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_analyze_dash_output_is_the_json_on_stdout_and_the_summary_on_stderr(tmp_path):
    # `-o -` wrote a file literally named "-"; now the JSON alone on stdout (for jq and pipes).
    # A real process: click's test runner mixes the two streams in some click versions.
    estate = snapshot(tmp_path, clean_vm(), clean_vm("vc/vm-2", name="b", cdroms=ISO))
    result = subprocess.run([sys.executable, "-m", "scanner", "analyze", estate, "--as-of", "2026-11-25", "-o", "-"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["schema"], data["summary"]["vm_count"]) == ("vmscan-assessment", 2)
    assert "readiness    ready: 1  ready_with_conditions: 1" in result.stderr
    assert not (tmp_path / "-").exists()
    written = tmp_path / "assessment.json"
    assert run("analyze", estate, "--as-of", "2026-11-25", "-o", str(written)).exit_code == 0
    # The two runs' generated_at may fall in different seconds (a loaded machine): compared without it.
    in_file = json.loads(written.read_text())
    assert {**in_file, "generated_at": None} == {**data, "generated_at": None}


def test_analyze_prints_summary_and_writes_json(tmp_path):
    estate = snapshot(tmp_path, clean_vm(), clean_vm("vc/vm-2", name="b", cdroms=ISO))
    out = tmp_path / "assessment.json"
    result = run("analyze", estate, "--as-of", "2026-11-25", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Azure VMware Solution (avs)" in result.output
    assert "readiness    ready: 1  ready_with_conditions: 1  not_ready: 0  unknown: 0" in result.output
    assert "dispositions  rehost: 1  remediate: 1" in result.output
    data = json.loads(out.read_text())
    assert (data["schema"], data["schema_version"]) == ("vmscan-assessment", 3)
    assert data["as_of"] == "2026-11-25"
    assert data["inputs"][0]["kind"] == "snapshot" and data["inputs"][0]["vm_count"] == 2
    assert len(data["rules"]) == len(load_catalogue())


def test_analyze_single_target(tmp_path):
    result = run("analyze", "--as-of", "2026-11-25", snapshot(tmp_path, clean_vm()), "--target", "vmc")
    assert result.exit_code == 0, result.output
    assert "(vmc)" in result.output and "(avs)" not in result.output


def test_multiple_inputs_merge(tmp_path):
    a = snapshot(tmp_path, clean_vm("vc/vm-1"), name="a.json.gz")
    b = snapshot(tmp_path, clean_vm("vc/vm-2"), name="b.json.gz")
    out = tmp_path / "x.json"
    result = run("analyze", "--as-of", "2026-11-25", a, b, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["summary"]["vm_count"] == 2


def test_fail_on_exit_codes(tmp_path):
    blocker = snapshot(tmp_path, clean_vm(disks=[clean_disk(backing="rdm_physical")]), name="blocker.json.gz")
    warning = snapshot(tmp_path, clean_vm(cdroms=ISO), name="warning.json.gz")
    info_only = snapshot(tmp_path, clean_vm(nics=[clean_nic(adapter_type="e1000")]), name="info.json.gz")
    assert run("analyze", "--as-of", "2026-11-25", blocker, "--fail-on", "blocker").exit_code == 1
    assert run("analyze", "--as-of", "2026-11-25", warning, "--fail-on", "blocker").exit_code == 0
    assert run("analyze", "--as-of", "2026-11-25", warning, "--fail-on", "warning").exit_code == 1
    assert run("analyze", "--as-of", "2026-11-25", blocker, "--fail-on", "warning").exit_code == 1
    assert run("analyze", "--as-of", "2026-11-25", info_only, "--fail-on", "warning").exit_code == 0
    assert run("analyze", "--as-of", "2026-11-25", blocker).exit_code == 0


def test_fail_on_respects_policy_severity(tmp_path):
    estate = snapshot(tmp_path, clean_vm(disks=[clean_disk(backing="rdm_physical")]))
    policy = tmp_path / "policy.toml"
    policy.write_text('[rules."disk.rdm-physical"]\nseverity = "warning"\n')
    assert run("analyze", "--as-of", "2026-11-25",
               estate, "--policy", str(policy), "--fail-on", "blocker").exit_code == 0
    policy.write_text('[rules."disk.rdm-physical"]\nenabled = false\n')
    assert run("analyze", "--as-of", "2026-11-25",
               estate, "--policy", str(policy), "--fail-on", "warning").exit_code == 0


def test_bad_policy_is_one_line_exit_2_and_no_output_file(tmp_path):
    estate = snapshot(tmp_path, clean_vm())
    policy = tmp_path / "policy.toml"
    policy.write_text("[rules.thresholds]\nsnapshot_max_age_dayz = 4\n")
    out = tmp_path / "assessment.json"
    result = run("analyze", "--as-of", "2026-11-25", estate, "--policy", str(policy), "-o", str(out))
    assert result.exit_code == 2
    assert result.output == ("vmscan: error: policy.toml: unknown key "
                             "'rules.thresholds.snapshot_max_age_dayz'\n")
    assert not out.exists()


def test_bad_input_and_bad_date_exit_2(tmp_path):
    bad = tmp_path / "x.json.gz"
    bad.write_bytes(b"nonsense")
    result = run("analyze", "--as-of", "2026-11-25", str(bad))
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = run("analyze", snapshot(tmp_path, clean_vm()), "--as-of", "25/11/2026")
    assert result.exit_code == 2
    assert "--as-of" in result.output


def test_unwritable_output_exit_2(tmp_path):
    result = run("analyze", "--as-of", "2026-11-25",
                 snapshot(tmp_path, clean_vm()), "-o", str(tmp_path / "missing" / "a.json"))
    assert result.exit_code == 2
    assert "output folder does not exist" in result.output


def test_rules_formats():
    table = run("rules")
    assert table.exit_code == 0
    assert "disk.rdm-physical" in table.output and "SEVERITY" in table.output
    as_json = json.loads(run("rules", "--format", "json").output)
    assert {r["id"] for r in as_json} == {s.id for s in load_catalogue().specs()}
    assert run("rules", "--format", "markdown").output.startswith("# vmscan rule catalogue")


def test_docs_rules_md_is_in_sync_with_the_registry():
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == catalogue_markdown(load_catalogue()), (
        "docs/rules.md is stale: run `vmscan rules --format markdown > docs/rules.md`")


def test_help_texts_have_examples():
    for command in ("analyze", "rules"):
        result = run(command, "--help")
        assert result.exit_code == 0 and "Example" in result.output


def test_analyze_rvtools_export_and_snapshot_together(tmp_path):
    xlsx = REPO / "fixtures" / "kubev2v-example1.xlsx"
    out = tmp_path / "assessment.json"
    result = run("analyze", str(xlsx), snapshot(tmp_path, clean_vm()), "--as-of", "2026-11-25", "-o", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    assert [i["kind"] for i in data["inputs"]] == ["rvtools_xlsx", "snapshot"]
    assert data["summary"]["vm_count"] == data["inputs"][0]["vm_count"] + 1
    # Families the export does not carry come out as unknown findings, not as silent passes.
    rvtools_vm_ids = {vm["vm_id"] for vm in data["vms"] if vm["vcenter"] != "vc01"}
    unknown = {f["rule_id"] for f in every_finding_json(data)
               if f["vm_id"] in rvtools_vm_ids and f["status"] == "unknown"}
    assert unknown, "an RVTools export lacks some families; their rules must say unknown"
