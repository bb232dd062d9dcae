"""End to end on the seeded simulator estate: each seeded condition yields its rule on exactly that VM.

fixtures/sample-estate.conditions.json names the VM carrying each condition. Every rule's set of
failing VMs must equal the VMs seeded with a condition that rule covers (empty when none is).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import pytest

from scanner.analysis.engine import analyze
from scanner.analysis.model import Assessment
from scanner.inventory.io import load_estate
from scanner.rules import load_catalogue

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MANIFEST = json.loads((FIXTURES / "sample-estate.conditions.json").read_text(encoding="utf-8"))
SEEDED: dict[str, str] = MANIFEST["conditions"]
# Before RHEL 7 / CentOS 7 (the fixture's legacy baseline guests) reached end of support on
# 2024-06-30, so only the seeded old guests count; test_end_of_support_today covers a later date.
AS_OF = dt.date(2024, 1, 1)

# rule id -> seeded conditions whose VM must fail it (and no other VM may).
RULE_CONDITIONS: dict[str, tuple[str, ...]] = {
    "vm.snapshots": ("snapshot", "snapshots_multiple"),
    "device.serial-port": ("serial_network",),  # serial_file must NOT trigger
    "device.parallel-port": ("parallel_port",),
    "device.usb": ("usb",),
    "device.floppy-connected": ("floppy_connected",),
    "disk.shared-multiwriter": ("multiwriter_disk",),
    "disk.bus-sharing": ("bus_sharing_virtual", "bus_sharing_physical"),
    "disk.independent": ("independent_disk",),
    # Multi-writer and bus-shared disks are eager-zeroed thick by vSphere's requirement.
    "disk.thick-eager-zeroed": ("eager_zeroed_disk", "multiwriter_disk", "bus_sharing_virtual",
                                "bus_sharing_physical"),
    "disk.nvme-controller": ("nvme_disk",),
    "vm.hw-version-old": ("hw_version_vmx07", "hw_version_vmx08"),
    "vm.guest-os-unsupported": ("guest_os_win2003",),
    "vm.guest-os-end-of-support": ("guest_os_win2003", "guest_os_rhel5"),
    "vm.template": ("template",),
    "vm.suspended": ("suspended",),
    "net.nic-legacy": ("nic_e1000",),
    "device.passthrough": ("pci_passthrough", "vgpu"),
    "vm.latency-sensitivity-high": ("latency_high",),
    "vm.memory-exceeds-node": ("oversized",),
    "annotation.cleartext-secret": ("annotation_password",),
    "vm.ipv6": ("ipv6_only",),
    "vm.tools-not-running": ("tools_not_running",),
    "net.standard-vswitch": ("standard_portgroup",),
    # A disconnected ISO must NOT trigger; a client device connected now blocks a live migration
    # (vSphere: RemoteDeviceNotSupported), unlike the disconnected client device of every other VM.
    "device.cdrom-connected": ("cdrom_iso_connected", "cdrom_host_device", "cdrom_client_device"),
}


@pytest.fixture(scope="module")
def assessment() -> Assessment:
    return analyze(load_estate(FIXTURES / "sample-estate.json.gz"), as_of=AS_OF)


def failing_vms(assessment: Assessment, status: str = "fail") -> dict[str, set[str]]:
    names = {o.vm_id: o.name for o in assessment.vms}
    result: dict[str, set[str]] = defaultdict(set)
    for f in assessment.findings:
        if f.status == status:
            result[f.rule_id].add(names[f.vm_id] or f.vm_id)
    # Site rules (standard port groups, old hosts) report once per object, with their VMs.
    for task in assessment.site_tasks:
        if task.status == status:
            result[task.rule_id].update(names[v] or v for v in task.vm_ids)
    return result


def test_mapping_names_real_conditions_and_rules():
    rule_ids = {s.id for s in load_catalogue().specs()}
    assert set(RULE_CONDITIONS) <= rule_ids
    assert {c for conds in RULE_CONDITIONS.values() for c in conds} <= set(SEEDED)


@pytest.mark.parametrize("rule_id", sorted(s.id for s in load_catalogue().specs()))
def test_rule_fires_on_exactly_the_seeded_vms(rule_id: str, assessment: Assessment):
    expected = {SEEDED[c] for c in RULE_CONDITIONS.get(rule_id, ())}
    actual = failing_vms(assessment).get(rule_id, set())
    assert actual == expected


def test_no_rule_is_unknown_except_where_the_data_is_missing(assessment: Assessment):
    # The simulator carries everything; only the VM powered off before the event history is
    # unknown (on AS_OF, before the fixture was made, it cannot have been off for 90 days).
    # The vSphere guest "Ubuntu Linux (64-bit)" names no release: its end of support is unknown.
    unknown = failing_vms(assessment, "unknown")
    ubuntu = {vm.name for vm in load_estate(FIXTURES / "sample-estate.json.gz").all_vms()
              if vm.guest_id_tools == "ubuntu64Guest"}
    assert len(ubuntu) == 12
    assert unknown == {"vm.powered-off-long": {SEEDED["powered_off_before_history"]},
                       "vm.guest-os-end-of-support": ubuntu}


def test_baseline_vms_are_ready_for_vmotion(assessment: Assessment):
    """A VM that got no seeded condition is what most of a real estate looks like: ready, rehost, vMotion.

    Conditions that no rule flags (a file-backed serial port, a disconnected ISO, a client-device
    CD-ROM, hot-add, CBT, EFI, reservations, custom attributes, hostile but harmless annotations ...)
    must not change that either.
    """
    flagged = {SEEDED[c] for conds in RULE_CONDITIONS.values() for c in conds}
    # powered off: cold migration
    flagged |= {SEEDED[c] for c in ("powered_off", "powered_off_before_history", "template")}
    plain = [o for o in assessment.vms if o.name not in flagged]
    assert len(plain) == 120 - len(flagged)
    for outcome in plain:
        assert outcome.readiness == {"avs": "ready", "vmc": "ready"}, outcome.name
        assert outcome.recommended_method == {"avs": "hcx_vmotion", "vmc": "hcx_vmotion"}, outcome.name
        assert outcome.disposition == "rehost", outcome.name
        # An unknown end of support (Ubuntu release not named) is information: readiness stays "ready".
        assert outcome.finding_ids == [] and outcome.unknown_ids in ([], ["vm.guest-os-end-of-support"]), outcome.name


def test_end_of_support_today():
    # On 2026-11-26 RHEL 7 and CentOS 7 are past end of support: 2 in 10 baseline guests (24 VMs,
    # none of them seeded with an old guest) plus the two seeded old guests.
    from tests.vcsim.seed import BASELINE_GUESTS

    estate = load_estate(FIXTURES / "sample-estate.json.gz")
    assessment = analyze(estate, as_of=dt.date(2026, 11, 26))
    legacy = {"rhel7_64Guest", "centos7_64Guest"}
    expected = {vm.name for vm in estate.all_vms() if vm.guest_id_tools in legacy}
    assert len(expected) == 120 * sum(g in legacy for g, _ in BASELINE_GUESTS) // len(BASELINE_GUESTS)
    expected |= {SEEDED["guest_os_win2003"], SEEDED["guest_os_rhel5"]}
    assert failing_vms(assessment)["vm.guest-os-end-of-support"] == expected


def test_power_off_dates_come_from_the_event_history():
    estate = load_estate(FIXTURES / "sample-estate.json.gz")
    by_name = {vm.name: vm for vm in estate.all_vms()}
    off = by_name[SEEDED["powered_off"]]
    aged_out = by_name[SEEDED["powered_off_before_history"]]
    assert off.powered_off_since is not None and off.powered_off_before is None
    assert aged_out.powered_off_since is None and aged_out.powered_off_before is not None
    assert aged_out.powered_off_before <= off.powered_off_since


@pytest.mark.parametrize(("days_after", "fail", "unknown"), [
    (30, (), ("powered_off_before_history",)),
    (91, ("powered_off", "powered_off_before_history"), ()),
])
def test_powered_off_long_once_the_threshold_has_passed(days_after: int, fail: tuple[str, ...],
                                                        unknown: tuple[str, ...]):
    """Off since the fixture was made: retire candidates in data taken 90 days later (the default
    threshold). Ages are measured at the data's date: a later assessment date alone changes nothing."""
    estate = load_estate(FIXTURES / "sample-estate.json.gz")
    made = dt.datetime.fromisoformat(estate.collected_at.replace("Z", "+00:00"))
    far_later = made.date() + dt.timedelta(days=days_after + 400)
    as_made = analyze(estate, as_of=far_later)
    assert failing_vms(as_made).get("vm.powered-off-long", set()) == set()
    estate.collected_at = (made + dt.timedelta(days=days_after)).isoformat()
    later = analyze(estate, as_of=far_later)
    assert failing_vms(later).get("vm.powered-off-long", set()) == {SEEDED[c] for c in fail}
    assert failing_vms(later, "unknown").get("vm.powered-off-long", set()) == {SEEDED[c] for c in unknown}


def test_fixture_outcomes(assessment: Assessment):
    by_name = {o.name: o for o in assessment.vms}
    assert by_name[SEEDED["template"]].disposition == "retire"
    assert by_name[SEEDED["guest_os_rhel5"]].disposition == "replatform"
    assert by_name[SEEDED["usb"]].disposition == "refactor"  # a host USB device: no cloud host gives one
    assert by_name[SEEDED["usb"]].readiness["avs"] == "not_ready"
    assert by_name[SEEDED["oversized"]].readiness == {"avs": "not_ready", "vmc": "not_ready"}
    hw7 = by_name[SEEDED["hw_version_vmx07"]]
    assert hw7.methods["avs"]["hcx_vmotion"] == "blocked" and hw7.methods["avs"]["hcx_bulk"] != "blocked"
    summary = assessment.summary
    assert summary.vm_count == 120
    assert sum(summary.dispositions.values()) == 120
    for ts in summary.targets:
        assert sum(ts.readiness.values()) == 120
