"""Issue 15 acceptance, as a migration consultant checks it: a complete RVTools 4.x export of a modern
estate (tests/unit/rvtools_estate.py, 200 VMs, 4.7 / 4.4 / 4.1 layouts), counted BY HAND with openpyxl
over the written workbook - never through vmscan's reader - and compared with every total and
per-rule count vmscan prints (terminal) and writes (JSON, xlsx Summary / VMs / Findings / Rules, CSV).

The hand rules below are the consultant's reading of the tabs, each stated next to its count:
what blocks a move, what is a condition, what RVTools never carries.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from scanner.cli import main
from tests.factories import every_finding_json
from tests.unit.rvtools_estate import write_estate

AS_OF = "2026-12-01"
TARGETS = ("avs", "vmc")
# Microsoft lifecycle: Windows Server 2012 / 2012 R2 extended support ended 2023-10-10. Every other OS in
# the estate (Windows Server 2019/2022, RHEL 8/9, Ubuntu 22.04, Rocky 9) is supported on AS_OF.
WS2012_END = date(2023, 10, 10)
# Checks RVTools 4.x never carries: they must change no readiness (not in source), per VM.
NOT_IN_SOURCE = ("device.floppy-connected", "device.parallel-port", "device.passthrough", "device.serial-port",
                 "vm.encrypted", "vm.vtpm")


def _tab(workbook: Any, name: str) -> list[dict[str, Any]]:
    rows = list(workbook[name].iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=False)) for row in rows[1:] if any(cell is not None for cell in row)]


def _true(value: Any) -> bool:
    return str(value).strip().casefold() == "true"


def _os_version(info: dict[str, Any]) -> tuple[str, str | None]:
    """(family, version) read by hand, most specific source first: Guest Detailed Data, Tools, config."""
    texts = [info.get("Guest Detailed Data"), info.get("OS according to the VMware Tools"),
             info.get("OS according to the configuration file")]
    for text in (t for t in texts if t):
        pretty = re.search(r"prettyName='([^']*)'", text)
        name = pretty.group(1) if pretty else text
        if m := re.search(r"Windows Server (\d{4}( R2)?)", name):
            return "windows", m.group(1)
        if m := re.search(r"(Red Hat Enterprise Linux|Rocky Linux) (\d+)", name):
            return m.group(1), m.group(2)
        if m := re.search(r"Ubuntu (\d+\.\d+)", name):
            return "ubuntu", m.group(1)
        if name.startswith("Ubuntu"):
            return "ubuntu", None
        if name.startswith("Rocky"):
            return "Rocky Linux", None  # the Tools contradict the configured RHEL 7: never fall back to it
    raise AssertionError(f"OS not classified by hand: {texts}")


def hand_count(path: Path) -> dict[str, Any]:
    """Everything a consultant counts from the workbook, with openpyxl only."""
    workbook = openpyxl.load_workbook(path, read_only=True)
    info = _tab(workbook, "vInfo")
    by_id = {row["VM ID"]: row for row in info}
    name_to_id = {row["VM"]: row["VM ID"] for row in info}
    export = _tab(workbook, "vMetaData")[0]["xlsx creation datetime"]
    assert isinstance(export, datetime)
    templates = {i for i, r in by_id.items() if _true(r["Template"])}
    vms = set(by_id) - templates
    counts: dict[str, Any] = {
        "vm_count": len(info), "templates": len(templates),
        "powered_on": sum(by_id[i]["Powerstate"] == "poweredOn" for i in vms),
        "powered_off": sum(by_id[i]["Powerstate"] == "poweredOff" for i in vms),
        "suspended": sum(by_id[i]["Powerstate"] == "suspended" for i in vms),
        "total_vcpu": sum(r["CPUs"] for r in info), "total_memory_gib": sum(r["Memory"] for r in info) / 1024,
        "total_provisioned_tib": round(sum(r["Provisioned MiB"] for r in info) / 1024**2, 3),
        "host_count": len(_tab(workbook, "vHost")), "cluster_count": len(_tab(workbook, "vCluster")),
        "datastore_count": len(_tab(workbook, "vDatastore")), "export_date": export.date(),
    }
    fails: dict[str, set[str]] = {}
    # CD/DVD: connected now to anything, or set to connect at power-on with an ISO or host drive;
    # an idle client device ("Remote ...") set to start connected blocks nothing.
    fails["device.cdrom-connected"] = {
        r["VM ID"] for r in _tab(workbook, "vCD")
        if _true(r["Connected"]) or (_true(r["Starts Connected"]) and not str(r["Device Type"]).startswith("Remote"))}
    # Of those, a drive connected now to the host's drive ("ATAPI") or a client ("Remote ...") blocks vMotion
    # and RAV (vSphere refuses it); a connected datastore ISO blocks nothing: disconnect it (or let HCX
    # unmount it), then vMotion - every method is conditional on it.
    cd_live_block = {r["VM ID"] for r in _tab(workbook, "vCD")
                     if _true(r["Connected"]) and not str(r["Device Type"]).startswith("ISO")}
    disks = _tab(workbook, "vDisk")
    fails["disk.rdm-physical"] = {d["VM ID"] for d in disks
                                  if _true(d["Raw"]) and str(d["Raw Comp. Mode"]).startswith("physical")}
    fails["disk.independent"] = {d["VM ID"] for d in disks if str(d["Disk Mode"]).startswith("independent")}
    fails["disk.shared-multiwriter"] = {d["VM ID"] for d in disks if "multiwriter" in str(d["Sharing mode"]).lower()}
    fails["disk.thick-eager-zeroed"] = {d["VM ID"] for d in disks if not _true(d["Raw"]) and not _true(d["Thin"])
                                        and _true(d["Eagerly Scrub"])}
    # RDMs have no VMDK provisioning; every other disk says thin or thick, so nothing is unknown.
    counts["thick_eager_unknown"] = set()
    nics = _tab(workbook, "vNetwork")
    fails["net.nic-legacy"] = {n["VM ID"] for n in nics if str(n["Adapter"]).upper() in ("E1000", "VLANCE", "FLEXIBLE")}
    counts["e1000e_vms"] = len({n["VM ID"] for n in nics if str(n["Adapter"]).upper() == "E1000E"})
    distributed = {s["Name"] for s in _tab(workbook, "dvSwitch")}
    fails["net.standard-vswitch"] = {n["VM ID"] for n in nics if n["Switch"] not in distributed}
    snapshots = _tab(workbook, "vSnapshot")
    ages: dict[str, int] = {}
    for snap in snapshots:  # age at the export's own date (vMetaData), not at --as-of
        vm_id = name_to_id[snap["VM"]]
        ages[vm_id] = max(ages.get(vm_id, 0), (export - snap["Date / time"]).days)
    counts["snapshot_ages"] = ages
    fails["vm.snapshots"] = set(ages)  # threshold: more than 0 snapshots
    fails["vm.template"] = templates
    os_read = {i: _os_version(r) for i, r in by_id.items()}
    counts["os_read"] = os_read
    as_of = date.fromisoformat(AS_OF)
    fails["vm.guest-os-end-of-support"] = {
        i for i, (family, version) in os_read.items() if family == "windows" and version and version.startswith("2012")
        and WS2012_END <= as_of}
    counts["eos_unknown"] = {i for i, (_, version) in os_read.items() if version is None}
    for rule_id in ("device.usb", "disk.bus-sharing", "disk.shared-vmdk-path", "vm.tools-outdated",
                    "vm.tools-not-running", "vm.oracle-licensing", "vm.suspended", "host.esxi-old"):
        fails[rule_id] = set()
    counts["fails"] = fails
    # Readiness: a blocker fail -> not ready; a warning fail -> ready with conditions; info changes nothing.
    blockers = fails["disk.rdm-physical"] | fails["disk.shared-multiwriter"]
    warnings = fails["device.cdrom-connected"] | fails["vm.snapshots"] | fails["disk.independent"]
    counts["readiness"] = {"ready": len(by_id) - len(blockers | warnings),
                           "ready_with_conditions": len(warnings - blockers), "not_ready": len(blockers),
                           "unknown": 0}
    # HCX methods (catalogue effects): a CD/DVD drive conditions every method, and blocks vMotion and RAV when
    # it is a connected host or client device; snapshots condition RAV and Bulk; the physical RDMs and the
    # shared disk block every method.
    cd = fails["device.cdrom-connected"]
    block = cd_live_block
    counts["methods"] = {
        "hcx_vmotion": {"eligible": len(by_id) - len(cd | blockers), "conditional": len(cd - block - blockers),
                        "blocked": len(block | blockers), "unknown": 0},
        "hcx_rav": {"eligible": len(by_id) - len(cd | blockers | ages.keys()),
                    "conditional": len((cd | set(ages)) - block - blockers), "blocked": len(block | blockers),
                    "unknown": 0},
        "hcx_bulk": {"eligible": len(by_id) - len(cd | blockers | ages.keys()),
                     "conditional": len((cd | set(ages)) - blockers), "blocked": len(blockers), "unknown": 0},
        "hcx_cold": {"eligible": len(by_id) - len(cd | blockers), "conditional": len(cd - blockers),
                     "blocked": len(blockers), "unknown": 0},
    }
    # Recommended: none when blocked everywhere; cold for what is off (and templates); vMotion for running
    # VMs nothing blocks (a connected ISO included: disconnect it first); Bulk for running VMs whose
    # connected host or client drive blocks vMotion and RAV.
    off = {i for i, r in by_id.items() if r["Powerstate"] != "poweredOn"} - blockers
    counts["recommended"] = {"hcx_vmotion": len(set(by_id) - blockers - off - block), "hcx_rav": 0,
                             "hcx_bulk": len(block - blockers - off), "hcx_cold": len(off), "none": len(blockers)}
    # Dispositions: a multi-writer shared disk is a guest cluster the target re-creates on vSAN and an
    # OS past end of support needs an upgrade (replatform); other blockers and warnings are remediated
    # first; templates retire; nothing here needs a refactor (no USB, passthrough, oversize VM).
    replatform = fails["disk.shared-multiwriter"] | fails["vm.guest-os-end-of-support"]
    remediate = (blockers | warnings) - replatform
    counts["dispositions"] = {"rehost": len(set(by_id) - replatform - remediate - templates),
                              "remediate": len(remediate), "replatform": len(replatform), "refactor": 0,
                              "retire": len(templates - replatform - remediate), "retain": 0}
    # Sizing as on-premises: the VMs that move (templates retire), configured vCPU and memory, and vInfo
    # "Provisioned MiB", which already holds each VM's swap file (vCenter committed + uncommitted).
    movers = [by_id[i] for i in vms]
    counts["sizing"] = {"vm_count": len(movers), "vcpu": sum(r["CPUs"] for r in movers),
                        "memory_gib": sum(r["Memory"] for r in movers) / 1024,
                        "storage_tib": sum(r["Provisioned MiB"] for r in movers) / 1024**2}
    counts["by_id"] = by_id
    return counts


@pytest.fixture(scope="module")
def estates(tmp_path_factory) -> dict[str, tuple[Path, dict[str, Any], dict[str, Any], str]]:
    """layout -> (workbook, hand count, assessment JSON, terminal text)."""
    out: dict[str, tuple[Path, dict[str, Any], dict[str, Any], str]] = {}
    folder = tmp_path_factory.mktemp("estate")
    for layout in ("4.7", "4.4", "4.1"):
        path = write_estate(folder / f"estate-{layout}.xlsx", layout)
        result = CliRunner().invoke(main, ["analyze", str(path), "--as-of", AS_OF, "-o",
                                           str(folder / f"{layout}.json")])
        assert result.exit_code == 0, result.output
        out[layout] = (path, hand_count(path), json.loads((folder / f"{layout}.json").read_text()), result.output)
    return out


LAYOUTS = ("4.7", "4.4", "4.1")


def _fails(assessment: dict[str, Any], target: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for f in every_finding_json(assessment):
        if target in f["targets"] and f["status"] == "fail":
            found.setdefault(f["rule_id"], set()).add(f["vm_id"].split("/")[-1])
    return found


@pytest.mark.parametrize("layout", LAYOUTS)
def test_totals_match_the_hand_count(estates, layout):
    _, hand, assessment, terminal = estates[layout]
    summary = assessment["summary"]
    assert (hand["vm_count"], hand["powered_on"], hand["powered_off"], hand["templates"]) == (200, 193, 5, 2)
    for key in ("vm_count", "powered_on", "powered_off", "suspended", "templates", "total_vcpu", "total_memory_gib",
                "total_provisioned_tib", "host_count", "cluster_count", "datastore_count"):
        assert summary[key] == pytest.approx(hand[key]), key
    assert (f"{hand['vm_count']} VMs ({hand['powered_on']} on, {hand['powered_off']} off, {hand['suspended']} "
            f"suspended, {hand['templates']} templates) on {hand['host_count']} hosts, 1 vCenter") in terminal


@pytest.mark.parametrize("layout", LAYOUTS)
def test_readiness_and_methods_match_the_hand_count(estates, layout):
    _, hand, assessment, terminal = estates[layout]
    # Most VMs Ready, vMotion where nothing blocks it; checks RVTools never carries change nothing.
    assert hand["readiness"] == {"ready": 189, "ready_with_conditions": 7, "not_ready": 4, "unknown": 0}
    # The three running VMs with a connected datastore ISO go by vMotion once it is disconnected.
    assert hand["recommended"] == {"hcx_vmotion": 189, "hcx_rav": 0, "hcx_bulk": 0, "hcx_cold": 7, "none": 4}
    for target in assessment["summary"]["targets"]:
        assert target["readiness"] == hand["readiness"]
        assert target["recommended_methods"] == hand["recommended"]
        assert target["methods"] == hand["methods"]
    readiness = "  ".join(f"{k}: {v}" for k, v in hand["readiness"].items())
    recommended = "  ".join(f"{k}: {v}" for k, v in hand["recommended"].items())
    assert terminal.count(f"readiness    {readiness}") == 2
    assert terminal.count(f"recommended  {recommended}") == 2
    assert assessment["summary"]["dispositions"] == hand["dispositions"]
    d = hand["dispositions"]
    assert terminal.count(f"{d['rehost']} as is, {d['remediate']} after remediation; {d['replatform']} replatform, "
                          f"0 refactor, {d['retire']} retire, 0 retain") == 2
    for vm in assessment["vms"]:
        vm_id = vm["vm_id"].split("/")[-1]
        if not set(vm["finding_ids"]) and vm["power_state"] == "powered_on":
            assert vm["readiness"] == {"avs": "ready", "vmc": "ready"} or all(
                v == "ready" for v in vm["readiness"].values()), vm_id
        assert not set(vm["not_in_source_ids"]) & set(vm["finding_ids"])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_rule_count_matches_the_hand_count(estates, layout):
    _, hand, assessment, terminal = estates[layout]
    for target in TARGETS:
        found = _fails(assessment, target)
        for rule_id, vms in hand["fails"].items():
            assert found.get(rule_id, set()) == vms, (target, rule_id)
    sizes = {rule: len(vms) for rule, vms in hand["fails"].items()}
    assert sizes["device.cdrom-connected"] == 3 and sizes["disk.rdm-physical"] == 2
    assert sizes["disk.shared-multiwriter"] == 2 and sizes["vm.snapshots"] == 4
    assert sizes["vm.guest-os-end-of-support"] == 3 and sizes["net.nic-legacy"] == 0 and hand["e1000e_vms"] == 6
    for line in ("2  disk.rdm-physical", "2  disk.shared-multiwriter", "4  vm.snapshots",
                 "3  device.cdrom-connected", "3  vm.guest-os-end-of-support"):
        assert line in terminal
    # Not in source: stated once, never a finding, never a condition.
    statuses = Counter((f["rule_id"], f["status"]) for f in every_finding_json(assessment) if "avs" in f["targets"])
    for rule_id in NOT_IN_SOURCE:
        assert statuses[(rule_id, "not_in_source")] == hand["vm_count"], rule_id
        assert statuses[(rule_id, "fail")] == statuses[(rule_id, "unknown")] == 0, rule_id
    assert "not in this source: 7 check(s)" in terminal


@pytest.mark.parametrize("layout", LAYOUTS)
def test_unknowns_are_the_ones_the_workbook_leaves_open(estates, layout):
    _, hand, assessment, _ = estates[layout]
    unknown = {(f["rule_id"], f["vm_id"].split("/")[-1]) for f in every_finding_json(assessment)
               if "avs" in f["targets"] and f["status"] == "unknown"}
    expected = {("vm.guest-os-end-of-support", vm_id) for vm_id in hand["eos_unknown"]}
    assert unknown == expected
    # 4.7 names the Ubuntu release in Guest Detailed Data; 4.4 / 4.1 only say "Ubuntu Linux (64-bit)".
    rocky = next(i for i, r in hand["by_id"].items() if r["VM"] == "app-060")
    assert hand["os_read"][rocky] == ("Rocky Linux", "9" if layout == "4.7" else None)
    assert len(hand["eos_unknown"]) == (2 if layout == "4.7" else 34)  # 33 Ubuntu + the Rocky VM


@pytest.mark.parametrize("layout", LAYOUTS)
def test_sizing_is_as_on_premises_from_the_hand_count(estates, layout):
    _, hand, assessment, terminal = estates[layout]
    sizing = hand["sizing"]
    assert (sizing["vm_count"], sizing["vcpu"], sizing["memory_gib"]) == (198, 924, 2952)
    assert terminal.count("as on-premises (allocated)") == 2
    for result in assessment["sizing"]:
        assert (result["basis"], result["vm_count"]) == ("allocated", sizing["vm_count"])
        params = result["parameters"]
        for option in result["options"]:
            demand = {r["resource"]: r["demand"] for r in option["resources"]}
            assert demand["cpu"] == sizing["vcpu"] and demand["memory"] == sizing["memory_gib"]
            # storage demand = provisioned x RAID factor / (dedupe x compression); swap counted once
            expected = sizing["storage_tib"] * option["storage_policy_factor"] / (
                params["dedupe"] * params["compression"])
            assert demand["storage"] == pytest.approx(expected, abs=1e-3), (result["target"], option["node_type"])


@pytest.mark.parametrize("layout", LAYOUTS)
def test_snapshot_ages_are_measured_at_the_export_date(estates, layout):
    _, hand, assessment, _ = estates[layout]
    assert hand["export_date"] == date(2026, 10, 15)
    assert sorted(hand["snapshot_ages"].values()) == [1, 6, 45, 200]
    ages = {f["vm_id"].split("/")[-1]: f["evidence"]["oldest_age_days"] for f in assessment["findings"]
            if "avs" in f["targets"] and f["rule_id"] == "vm.snapshots" and f["status"] == "fail"}
    assert ages == hand["snapshot_ages"]
    assert assessment["data_dates"][0]["taken_at"].startswith("2026-10-15")


def test_end_of_support_is_measured_at_as_of(estates, tmp_path):
    path, hand, _, _ = estates["4.7"]
    # Before Windows Server 2012 R2's end of support nothing is past it; snapshot ages do not move.
    result = CliRunner().invoke(main, ["analyze", str(path), "--as-of", "2023-06-01", "-o", str(tmp_path / "a.json")])
    assert result.exit_code == 0, result.output
    early = json.loads((tmp_path / "a.json").read_text())
    assert "vm.guest-os-end-of-support" not in _fails(early, "avs")
    ages = {f["vm_id"].split("/")[-1]: f["evidence"]["oldest_age_days"] for f in early["findings"]
            if "avs" in f["targets"] and f["rule_id"] == "vm.snapshots" and f["status"] == "fail"}
    assert ages == hand["snapshot_ages"]


def test_reports_carry_the_hand_counts(estates, tmp_path):
    path, hand, _, _ = estates["4.7"]
    out = tmp_path / "reports"
    result = CliRunner().invoke(main, ["report", str(path), "--out", str(out), "--format", "html,xlsx,csv,json",
                                       "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assessment = json.loads((out / "assessment.json").read_text())
    assert assessment["summary"]["targets"][0]["readiness"] == hand["readiness"]
    book = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    # Summary: key figures, readiness per target, recommended methods, sizing basis.
    summary = [tuple(c for c in row if c is not None) for row in book["Summary"].iter_rows(values_only=True)]
    pairs = {row[0]: row[1:] for row in summary if row}  # label -> count, share[, count, share]
    first = {label: values[0] for label, values in pairs.items() if values}
    assert (first["Virtual machines"], first["Powered on"], first["Powered off"], first["Templates"]) == (
        200, 193, 5, 2)
    assert first["vCPU allocated"] == hand["total_vcpu"]
    for label, key in (("Ready", "ready"), ("Ready with conditions", "ready_with_conditions"),
                       ("Not ready", "not_ready")):
        assert (pairs[label][0], pairs[label][2]) == (hand["readiness"][key],) * 2, label
    for label, key in (("HCX vMotion", "hcx_vmotion"), ("HCX Bulk Migration", "hcx_bulk"),
                       ("HCX Cold Migration", "hcx_cold"), ("None possible", "none")):
        assert first[label] == hand["recommended"][key], label
    dispositions = hand["dispositions"]
    assert (first["Lift-and-shift as is"], first["Lift-and-shift after remediation"], first["Replatform"],
            first["Retire"]) == (dispositions["rehost"], dispositions["remediate"], dispositions["replatform"],
                                 dispositions["retire"])
    assert sum("as on-premises (allocated)" in str(row[0]) for row in summary if row) == 2
    # VMs sheet: one row per VM, readiness and method per target, findings = fails only.
    vms = _tab(book, "VMs")
    assert len(vms) == 200
    for target, label in (("avs", "AVS"), ("vmc", "VMC")):
        assert Counter(r[f"Readiness {label}"] for r in vms) == {
            "Ready": 189, "Ready with conditions": 7, "Not ready": 4}
        assert Counter(r[f"Method {label}"] for r in vms) == {
            "HCX vMotion": 189, "HCX Cold Migration": 7, "None possible": 4}
        fails = _fails(assessment, target)
        per_vm = Counter(vm_id for vms_ in fails.values() for vm_id in vms_)
        for row in vms:
            listed = {x for x in (row["Findings"] or "").split(", ") if x}
            assert len(listed) == per_vm[row["VM id"].split("/")[-1]], row["VM"]
    assert Counter(r["Power state"] for r in vms) == {"Powered on": 193, "Powered off": 7}
    assert sum(r["Template"] is True for r in vms) == 2
    assert {r["VM id"].split("/")[-1]: r["Snapshots"] for r in vms if r["Snapshots"]} == {
        i: 1 for i in hand["snapshot_ages"]}
    # Findings sheet: the fails per rule and target are the hand's.
    findings = _tab(book, "Findings")
    for target in TARGETS:
        by_rule: dict[str, set[str]] = {}
        for f in findings:
            if target in f["Targets"].split(", ") and f["Status"] == "fail":
                by_rule.setdefault(f["Rule"], set()).add(f["VM id"].split("/")[-1])
        for rule_id, expected in hand["fails"].items():
            assert by_rule.get(rule_id, set()) == expected, (target, rule_id)
    # Rules sheet and CSV: "VMs affected" counts fails only; not in source apart.
    rules = {r["Rule"]: r for r in _tab(book, "Rules")}
    with open(out / "csv" / "rules.csv", encoding="utf-8-sig", newline="") as handle:
        rules_csv = {r["Rule"]: r for r in csv.DictReader(handle)}
    for rule_id, expected in hand["fails"].items():
        assert rules[rule_id]["VMs affected"] == len(expected), rule_id
        assert int(rules_csv[rule_id]["VMs affected"]) == len(expected), rule_id
    for rule_id in NOT_IN_SOURCE:
        assert (rules[rule_id]["VMs affected"], rules[rule_id]["VMs not in source"]) == (0, 200), rule_id
    assert rules["vm.guest-os-end-of-support"]["VMs unknown"] == len(hand["eos_unknown"])
    assert rules["disk.thick-eager-zeroed"]["VMs unknown"] == 0
    # HTML VM table (its data island): readiness, method and the Findings column (fails only) per VM.
    html = (out / "report.html").read_text(encoding="utf-8")
    start = html.index('<script type="application/json" id="vm-data">')
    island = json.loads(html[html.index(">", start) + 1:html.index("</script>", start)])
    rule_ids = [r["id"] for r in island["rules"]]
    fails = _fails(assessment, "avs")
    per_vm: dict[str, set[str]] = {}
    for rule_id, vm_ids in fails.items():
        for vm_id in vm_ids:
            per_vm.setdefault(vm_id, set()).add(rule_id)
    rows = island["rows"]
    assert len(rows) == 200
    assert Counter(row[10][0] for row in rows) == {k: v for k, v in hand["readiness"].items() if v}
    for row in rows:
        assert {rule_ids[i] for i in row[13]} == per_vm.get(row[0].split("/")[-1], set()), row[1]
