"""A rule's result is stored once for every target it holds for (assessment schema 2).

Schema 1 stored one finding per target (``target``); schema 2 stores one per distinct result
(``targets``), and still reads schema 1 files (``vmscan diff`` compares with earlier scans).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from scanner.analysis.engine import analyze
from scanner.analysis.io import load_assessment, save_assessment
from scanner.analysis.model import Finding
from scanner.analysis.targets import target_ids
from scanner.cli import main
from scanner.errors import InputError
from scanner.inventory.io import save_estate
from scanner.inventory.model import RemovableDrive
from scanner.policy import default_policy
from scanner.reporters.csv import write_csv
from scanner.reporters.html import vm_table_payload
from scanner.reporters.xlsx import write_xlsx
from scanner.synthetic import generate_estate
from tests.factories import AS_OF, clean_host, clean_vm, estate_of, every_finding_json

AS_OF_DATE = dt.date.fromisoformat(AS_OF)
ISO = [RemovableDrive(label="CD/DVD drive 1", backing="iso", backing_path="[ds] a.iso", connected=True)]


def of(findings: list[Finding], rule_id: str, vm_id: str | None = None) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule_id and (vm_id is None or f.vm_id == vm_id)]


def test_a_result_that_holds_for_both_targets_is_one_finding() -> None:
    # A connected ISO fails the same way on AVS and VMC; unknown memory makes the same unknown on both
    # runs of the per-target memory rule.
    iso = clean_vm("vc-uuid/vm-1", name="iso", cdroms=ISO)
    no_memory = clean_vm("vc-uuid/vm-2", name="no-memory", memory_mib=None)
    assessment = analyze(estate_of(iso, no_memory), as_of=AS_OF_DATE)
    assert assessment.targets == ["avs", "vmc"]
    (cdrom,) = of(assessment.findings, "device.cdrom-connected", iso.id)
    assert (cdrom.targets, cdrom.status) == (["avs", "vmc"], "fail")
    (memory,) = of(assessment.findings, "vm.memory-exceeds-node", no_memory.id)
    assert (memory.targets, memory.status) == (["avs", "vmc"], "unknown")
    assert all(f.targets == ["avs", "vmc"] for f in assessment.findings)
    # One list object for all of them, not one per finding.
    assert len({id(f.targets) for f in assessment.findings}) == 1


def test_a_target_specific_result_lists_only_its_targets() -> None:
    # 1,200 GiB fits an AVS AV52 (1,536 GiB), not a VMC host (1,024 GiB); near miss: 1,000 GiB fits both.
    big = clean_vm("vc-uuid/vm-1", name="big", memory_mib=1200 * 1024)
    near = clean_vm("vc-uuid/vm-2", name="near", memory_mib=1000 * 1024)
    assessment = analyze(estate_of(big, near), as_of=AS_OF_DATE)
    (memory,) = of(assessment.findings, "vm.memory-exceeds-node")
    assert (memory.vm_id, memory.targets, memory.status) == (big.id, ["vmc"], "fail")
    assert {o.name: o.readiness for o in assessment.vms}["big"] == {"avs": "ready", "vmc": "not_ready"}


def test_results_that_differ_between_targets_stay_apart() -> None:
    # The AMD rule's message names the target's CPU vendors per target: two results, one finding each.
    assessment = analyze(estate_of(clean_vm(), host=clean_host(cpu_vendor="amd")), as_of=AS_OF_DATE,
                         targets=["avs", "vmc", "gcve"])
    amd = of(assessment.findings, "host.cpu-vendor-amd")
    assert [f.targets for f in amd] == [["avs"], ["vmc"], ["gcve"]]
    assert [f.message.split("; ")[1].split(" ")[0] for f in amd] == ["avs", "vmc", "gcve"]


def per_target(findings: list[Finding], target: str) -> list[tuple[Any, ...]]:
    return [(f.vm_id, f.rule_id, f.severity, f.status, f.message, json.dumps(f.evidence), json.dumps(f.methods),
             f.remediation) for f in findings if target in f.targets]


def test_each_targets_findings_are_those_of_assessing_it_alone() -> None:
    """Stored once, counted per target: what holds for a target is what assessing it alone finds."""
    estate = generate_estate(60, seed=7)
    # Too large for some targets' largest node (VMC, EVS, AVS Gen 2), not for others'.
    estate.vcenters[0].vms.append(clean_vm("vc-uuid/vm-big", name="big", memory_mib=1200 * 1024))
    together = analyze(estate, targets=target_ids(default_policy().data), as_of=AS_OF_DATE)
    assert len(together.targets) > 2
    assert any(len(f.targets) > 1 for f in together.findings)
    assert any(len(f.targets) < len(together.targets) for f in together.findings), "no target-specific result"
    for target in together.targets:
        alone = analyze(estate, targets=[target], as_of=AS_OF_DATE)
        assert per_target(together.findings, target) == per_target(alone.findings, target), target
        assert [o.readiness[target] for o in together.vms] == [o.readiness[target] for o in alone.vms]


def test_findings_sheet_and_csv_name_the_targets(tmp_path: Path) -> None:
    big = clean_vm("vc-uuid/vm-1", name="big", memory_mib=1200 * 1024, cdroms=ISO)
    estate = estate_of(big)
    assessment = analyze(estate, as_of=AS_OF_DATE)
    expected = {("device.cdrom-connected", "avs, vmc"), ("vm.memory-exceeds-node", "vmc")}

    write_xlsx(estate, assessment, tmp_path / "report.xlsx")
    sheet = list(openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True)["Findings"]
                 .iter_rows(values_only=True))
    header = list(sheet[0])
    assert "Targets" in header and "Target" not in header
    rows = {(r[header.index("Rule")], r[header.index("Targets")]) for r in sheet[1:]}
    assert expected <= rows and len(sheet) - 1 == len(assessment.findings)

    (tmp_path / "csv").mkdir()
    write_csv(estate, assessment, tmp_path / "csv")
    with (tmp_path / "csv" / "findings.csv").open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert expected <= {(r["Rule"], r["Targets"]) for r in table} and len(table) == len(assessment.findings)


def as_version_1(path: Path, into: Path) -> None:
    """The assessment file as schema 1 wrote it: one finding per target, ``target`` in ``targets``' place."""
    data = json.loads(path.read_text(encoding="utf-8"))
    findings = []
    for f in every_finding_json(data):
        for target in f["targets"]:
            findings.append({("target" if k == "targets" else k): (target if k == "targets" else v)
                             for k, v in f.items()})
    data["schema_version"] = 1
    data["findings"] = findings
    del data["vcenter_findings"]
    into.write_text(json.dumps(data), encoding="utf-8")


def test_a_version_1_assessment_loads_and_diffs(tmp_path: Path) -> None:
    old_estate = estate_of(clean_vm("vc-uuid/vm-1", name="app01"), clean_vm("vc-uuid/vm-2", name="big"))
    new_estate = estate_of(clean_vm("vc-uuid/vm-1", name="app01", cdroms=ISO),
                           clean_vm("vc-uuid/vm-2", name="big", memory_mib=1200 * 1024))
    for name, estate in (("old", old_estate), ("new", new_estate)):
        save_estate(estate, tmp_path / f"{name}.json.gz")
        result = CliRunner().invoke(main, ["analyze", str(tmp_path / f"{name}.json.gz"), "--as-of", AS_OF,
                                           "-o", str(tmp_path / f"{name}-v2.json")])
        assert result.exit_code == 0, result.output
    (tmp_path / "v1").mkdir()
    (tmp_path / "v2").mkdir()
    as_version_1(tmp_path / "old-v2.json", tmp_path / "v1" / "week1.json")
    (tmp_path / "v2" / "week1.json").write_bytes((tmp_path / "old-v2.json").read_bytes())
    as_version_1(tmp_path / "new-v2.json", tmp_path / "new-v1.json")

    loaded = load_assessment(tmp_path / "new-v1.json")
    assert loaded.schema_version == 3
    assert sorted((f.vm_id, f.rule_id, tuple(f.targets)) for f in loaded.findings) == [
        ("vc-uuid/vm-1", "device.cdrom-connected", ("avs",)), ("vc-uuid/vm-1", "device.cdrom-connected", ("vmc",)),
        ("vc-uuid/vm-2", "vm.memory-exceeds-node", ("vmc",))]
    assert loaded.vms == load_assessment(tmp_path / "new-v2.json").vms

    diffs = {}
    for version in ("v1", "v2"):
        result = CliRunner().invoke(main, ["diff", str(tmp_path / version / "week1.json"),
                                           str(tmp_path / "new-v2.json"), "--as-of", AS_OF,
                                           "--out", str(tmp_path / f"d-{version}")])
        assert result.exit_code == 0, result.output
        diffs[version] = json.loads((tmp_path / f"d-{version}" / "diff.json").read_text(encoding="utf-8"))["pairs"]
    assert diffs["v1"] == diffs["v2"]
    changed = {c["name"]: c for c in diffs["v1"][0]["changed"]}
    assert changed["app01"]["findings_new"] == ["device.cdrom-connected"]
    assert changed["big"]["findings_new"] == ["vm.memory-exceeds-node"]


@pytest.mark.parametrize("version", [0, 4, "2", None])
def test_an_unknown_schema_version_is_one_line(tmp_path: Path, version: Any) -> None:
    assessment = analyze(estate_of(clean_vm()), as_of=AS_OF_DATE)
    path = tmp_path / "assessment.json"
    save_assessment(assessment, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["schema_version"] = version
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_assessment(path)
    assert "schema_version" in str(raised.value) and "\n" not in str(raised.value)


def test_html_detail_names_each_findings_targets() -> None:
    big = clean_vm("vc-uuid/vm-1", name="big", memory_mib=1200 * 1024, cdroms=ISO)
    estate = estate_of(big)
    assessment = analyze(estate, as_of=AS_OF_DATE)
    data = json.loads("".join(vm_table_payload(estate, assessment)))
    rule_ids = [r["id"] for r in data["rules"]]
    (details,) = data["details"]
    shown = {(rule_ids[f[0]], tuple(data["targets"][t] for t in f[1])) for f in details[2]}
    assert {("device.cdrom-connected", ("avs", "vmc")), ("vm.memory-exceeds-node", ("vmc",))} <= shown
    assert len(details[2]) == len(assessment.findings)


def test_a_rule_run_once_for_all_targets_sees_no_target_after_a_per_target_rule() -> None:
    # run_rules sets the target only for a per_target rule's runs (one run when one target is
    # assessed) and clears it after them; the rules after it are run for every target at once.
    from scanner.rules import Registry, rule

    registry = Registry()
    seen: list[tuple[str, str | None]] = []

    def record(name: str) -> Any:
        def check(ctx: Any) -> tuple[()]:
            seen.append((name, ctx.target))
            return ()
        return check

    common = dict(title="t", severity="info", remediation="r", rationale="r", references=("https://example.com",),
                  registry=registry)
    rule(id="vm.a-per-target", per_target=True, **common)(record("per target"))
    rule(id="vm.b-all-targets", **common)(record("all targets"))
    for targets in (("avs",), ("avs", "vmc")):
        seen.clear()
        analyze(estate_of(clean_vm()), targets=targets, as_of=AS_OF_DATE, registry=registry)
        assert seen == [*(("per target", t) for t in targets), ("all targets", None)]


def test_run_rules_hands_over_the_site_and_unknown_findings_as_it_makes_them() -> None:
    # analyze takes a VM's site findings and its unknown ones from the lists run_rules fills: the very
    # findings, in the VM's order, that a pass over all of them would pick (per_target rules included).
    from scanner.analysis.engine import active_rules, index_vcenters, run_rules
    from scanner.analysis.shared import SharedValues
    from scanner.rules import load_catalogue

    estate = generate_estate(300, seed=5)
    policy = default_policy()
    rules, _ = active_rules(load_catalogue(), policy, target_ids(policy.data), SharedValues())
    site_rules = {active.spec.id for active in rules if active.spec.site}
    indexes = index_vcenters(estate)
    shared: dict[str, Any] = {}
    picked = {"site": 0, "unknown": 0}
    for vc in estate.vcenters:
        for vm in vc.vms:
            site: list[Finding] = []
            unknown: list[Finding] = []
            findings = run_rules(vm, indexes[id(vc)], rules, policy, AS_OF_DATE, shared=shared, site=site,
                                 unknown_found=unknown)
            assert list(map(id, site)) == [id(f) for f in findings if f.rule_id in site_rules]
            assert list(map(id, unknown)) == [id(f) for f in findings if f.status == "unknown"]
            picked["site"] += len(site)
            picked["unknown"] += len(unknown)
    assert picked["site"] and picked["unknown"]
