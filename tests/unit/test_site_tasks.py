"""Site tasks apart from per-VM readiness: a source host or vCenter below HCX's minimum, and port
groups on a standard vSwitch, are listed once each with their VMs; every VM is assessed as it will
be once they are done, and names them.

Hand-built estate (counted by hand): hosts esx-old (ESXi 6.0.0; VMs old1, old2, old3) and esx01
(ESXi 7.0.3; VMs new1, new2). old1 and new1 have their NIC on the standard port group "VM Network"
(vSwitch0); the others on the distributed App-VLAN100. Nothing else is wrong with any VM.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from scanner.analysis.engine import analyze
from scanner.analysis.io import load_assessment, save_assessment
from scanner.analysis.text import format_assessment
from scanner.cli import main
from scanner.inventory.io import save_estate
from scanner.reporters.html import render_html
from scanner.reporters.xlsx import write_xlsx
from scanner.rvtools.reader import read_rvtools
from scanner.rvtools.writer import write_rvtools
from tests.factories import AS_OF, clean_host, clean_nic, clean_vm, estate_of

AS_OF_DATE = dt.date.fromisoformat(AS_OF)
OLD_HOST = "esx-old.example.com"
STANDARD = clean_nic(network="VM Network", network_kind="standard")


def vm(number: int, name: str, host: str, standard: bool = False):
    extra = {"nics": [STANDARD]} if standard else {}
    return clean_vm(f"vc-uuid/vm-{number}", name=name, host=host, instance_uuid=f"uuid-{name}",
                    bios_uuid=f"bios-{name}", **extra)


def estate(vcenter_version: str = "7.0.3"):
    vms = [vm(1, "old1", OLD_HOST, standard=True), vm(2, "old2", OLD_HOST), vm(3, "old3", OLD_HOST),
           vm(4, "new1", "esx01.example.com", standard=True), vm(5, "new2", "esx01.example.com")]
    result = estate_of(*vms)
    (vc,) = result.vcenters
    vc.version = vcenter_version
    vc.hosts.append(clean_host(id="vc-uuid/host-2", name=OLD_HOST, esxi_version="6.0.0", esxi_build="3620759"))
    return result


def by_name(assessment):
    return {o.name: o for o in assessment.vms}


def test_old_host_is_one_prerequisite_and_the_vms_are_assessed_as_after_it():
    assessment = analyze(estate(), as_of=AS_OF_DATE)
    prerequisites = [t for t in assessment.site_tasks if t.kind == "prerequisite"]
    (task,) = prerequisites
    assert (task.rule_id, task.status, task.object_type, task.object) == ("host.esxi-old", "fail", "host", OLD_HOST)
    assert task.message == f"host {OLD_HOST} runs ESXi 6.0.0, older than 6.5"
    assert task.action.startswith("Upgrade the source host")
    assert sorted(task.vm_ids) == ["vc-uuid/vm-1", "vc-uuid/vm-2", "vc-uuid/vm-3"]
    outcomes = by_name(assessment)
    for name in ("old1", "old2", "old3", "new1", "new2"):
        o = outcomes[name]
        assert o.readiness == {"avs": "ready", "vmc": "ready"}, (name, o.readiness_details)
        assert o.recommended_method == {"avs": "hcx_vmotion", "vmc": "hcx_vmotion"}
        assert o.finding_ids == [] and o.unknown_ids == []
    assert task.id in outcomes["old2"].site_tasks and task.id not in outcomes["new2"].site_tasks
    # The per-VM findings list carries no site rule: "VMs affected" and Findings stay per VM.
    assert not any(f.rule_id in ("host.esxi-old", "net.standard-vswitch") for f in assessment.findings)
    summary = {ts.target: ts for ts in assessment.summary.targets}
    assert summary["avs"].readiness["ready"] == 5 and summary["avs"].recommended_methods["hcx_vmotion"] == 5
    assert assessment.summary.top_blockers == []


def test_standard_port_group_is_one_network_task_with_its_vms():
    assessment = analyze(estate(), as_of=AS_OF_DATE)
    (task,) = [t for t in assessment.site_tasks if t.kind == "network"]
    assert (task.rule_id, task.object_type, task.object) == ("net.standard-vswitch", "port group", "VM Network")
    assert task.message == "port group VM Network is on standard vSwitch vSwitch0"
    assert sorted(task.vm_ids) == ["vc-uuid/vm-1", "vc-uuid/vm-4"]
    outcomes = by_name(assessment)
    assert task.id in outcomes["new1"].site_tasks and outcomes["new2"].site_tasks == []
    # Near miss: the distributed port group is no task.
    assert not any(t.object == "App-VLAN100" for t in assessment.site_tasks)


def test_vcenter_below_the_minimum_is_a_prerequisite_and_a_current_one_is_not():
    old = analyze(estate(vcenter_version="6.0.0"), as_of=AS_OF_DATE)
    (task,) = [t for t in old.site_tasks if t.rule_id == "vcenter.version-old"]
    assert (task.status, task.object, len(task.vm_ids)) == ("fail", "vc01", 5)
    assert task.message == "vCenter vc01 runs version 6.0.0, older than 6.5"
    assert {o.readiness["avs"] for o in old.vms} == {"ready"}
    current = analyze(estate(vcenter_version="6.5.0"), as_of=AS_OF_DATE)
    assert not any(t.rule_id == "vcenter.version-old" for t in current.site_tasks)


def test_terminal_lists_site_tasks_once():
    text = format_assessment(analyze(estate(), as_of=AS_OF_DATE))
    assert "readiness    ready: 5  ready_with_conditions: 0  not_ready: 0  unknown: 0" in text
    assert ("site prerequisites (once for the estate; the VMs' readiness above is as after them): 1 found "
            "(3 VMs)") in text
    assert f"       3  host.esxi-old          host {OLD_HOST} runs ESXi 6.0.0, older than 6.5" in text
    assert "       2  net.standard-vswitch   port group VM Network is on standard vSwitch vSwitch0" in text
    assert text.count("older than 6.5") == 1


def test_reports_show_site_tasks(tmp_path: Path):
    data = estate()
    assessment = analyze(data, as_of=AS_OF_DATE)
    path = tmp_path / "report.xlsx"
    write_xlsx(data, assessment, path)
    workbook = openpyxl.load_workbook(path, read_only=True)
    rows = list(workbook["Site tasks"].iter_rows(values_only=True))
    header = rows[0]
    tasks = [dict(zip(header, row, strict=True)) for row in rows[1:]]
    assert [(t["Kind"], t["Object"], t["VMs"], t["VM names"]) for t in tasks] == [
        ("prerequisite", OLD_HOST, 3, "old1, old2, old3"), ("network", "VM Network", 2, "old1, new1")]
    vms = list(workbook["VMs"].iter_rows(values_only=True))
    column = vms[0].index("Site tasks (before it moves)")
    old1 = next(r for r in vms[1:] if r[0] == "old1")
    assert old1[column] == (f"host.esxi-old: host {OLD_HOST} runs ESXi 6.0.0, older than 6.5; "
                            "net.standard-vswitch: port group VM Network is on standard vSwitch vSwitch0")
    page = render_html(data, assessment)
    assert 'id="site-tasks"' in page and 'id="site-prerequisite"' in page and 'id="site-network"' in page
    assert page.count("runs ESXi 6.0.0, older than 6.5") == 2  # the table row and the data island, once each
    saved = tmp_path / "assessment.json"
    save_assessment(assessment, saved)
    assert load_assessment(saved).site_tasks == assessment.site_tasks
    raw = json.loads(saved.read_text(encoding="utf-8"))
    assert [t["object"] for t in raw["site_tasks"]] == [OLD_HOST, "VM Network"]


def test_rvtools_shaped_export_gives_the_same_hand_counts(tmp_path: Path):
    path = tmp_path / "rvtools.xlsx"
    write_rvtools(estate(), path)
    assessment = analyze(read_rvtools(path), as_of=AS_OF_DATE)
    counts = {(t.rule_id, t.object): len(t.vm_ids) for t in assessment.site_tasks if t.status == "fail"}
    assert counts == {("host.esxi-old", OLD_HOST): 3, ("net.standard-vswitch", "VM Network"): 2}
    outcomes = by_name(assessment)
    assert {o.readiness["avs"] for o in outcomes.values()} == {"ready"}
    assert {o.recommended_method["avs"] for o in outcomes.values()} == {"hcx_vmotion"}


def test_fail_on_blocker_names_the_site_prerequisite(tmp_path: Path):
    snapshot = tmp_path / "estate.json.gz"
    save_estate(estate(), snapshot)
    result = CliRunner().invoke(main, ["analyze", str(snapshot), "--as-of", AS_OF, "--fail-on", "blocker"])
    assert result.exit_code == 1, result.output
    assert "1 site task at that level (host.esxi-old" in result.output
    # Near miss: with every host current, nothing gates.
    fine = estate()
    fine.vcenters[0].hosts[1] = dataclasses.replace(fine.vcenters[0].hosts[1], esxi_version="7.0.3")
    save_estate(fine, snapshot)
    passed = CliRunner().invoke(main, ["analyze", str(snapshot), "--as-of", AS_OF, "--fail-on", "blocker"])
    assert passed.exit_code == 0, passed.output
