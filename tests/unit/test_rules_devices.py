"""CD/DVD and floppy drives: flagged only for what blocks a move, with a message saying what was seen.

Flagged: connected now to a datastore ISO, a host device or a client device; or set to connect at
power-on with a datastore ISO or host device. A client device ("Remote device", "Remote ATAPI")
that is not connected blocks nothing, even when "Starts Connected" is set. A connected datastore
ISO blocks no HCX method (HCX unmounts ISOs when asked; an administrator disconnects one from the
running VM): every method is conditional on it, so a running VM is still recommended HCX vMotion.
A connected host device blocks vMotion and RAV (vSphere refuses to vMotion it).
"""

from __future__ import annotations

import datetime as dt

import pytest

from scanner.analysis.engine import analyze
from scanner.inventory.model import RemovableDrive
from scanner.rvtools.reader import read_rvtools
from tests.factories import AS_OF, clean_vm, estate_of
from tests.unit.rvtools_helpers import write_workbook

AS_OF_DATE = dt.date.fromisoformat(AS_OF)
ISO = "[ds01] iso/win2019.iso"


def rule_status(rule_id: str, **vm_changes) -> tuple[str, list[str], list[dict[str, str]]]:
    """(pass | fail | unknown, messages, per-result methods) of one rule on one VM."""
    assessment = analyze(estate_of(clean_vm(**vm_changes)), as_of=AS_OF_DATE, targets=("avs",))
    found = [f for f in assessment.findings if f.rule_id == rule_id]
    statuses = {f.status for f in found}
    status = "fail" if "fail" in statuses else ("unknown" if "unknown" in statuses else "pass")
    return status, [f.message for f in found], [f.methods for f in found]


def cd(backing: str | None, path: str | None = None, connected: bool | None = False,
       start_connected: bool | None = False) -> RemovableDrive:
    return RemovableDrive(key=3000, label="CD/DVD drive 1", backing=backing, backing_path=path,
                          connected=connected, start_connected=start_connected)


LIVE = {"hcx_vmotion": "blocks", "hcx_rav": "blocks", "hcx_bulk": "conditions", "hcx_cold": "conditions"}
POWER_ON = dict.fromkeys(LIVE, "conditions")
ISO_NOW = dict.fromkeys(LIVE, "conditions")
CLIENT = {"hcx_vmotion": "blocks", "hcx_rav": "blocks"}

# (case, drive, status, message, methods of the result)
CD_CASES = [
    ("iso connected", cd("iso", ISO, True, True), "fail",
     f"CD/DVD drive 1: datastore ISO {ISO}, connected now, starts connected", ISO_NOW),
    ("iso connected, not at power-on", cd("iso", ISO, True, False), "fail",
     f"CD/DVD drive 1: datastore ISO {ISO}, connected now", ISO_NOW),
    ("iso connection unknown, starts connected", cd("iso", ISO, None, True), "fail",
     f"CD/DVD drive 1: datastore ISO {ISO}, connection now not known, starts connected (connects at power-on)",
     ISO_NOW),
    ("iso starts connected only", cd("iso", ISO, False, True), "fail",
     f"CD/DVD drive 1: datastore ISO {ISO}, not connected now, starts connected (connects at power-on)", POWER_ON),
    ("iso neither (near miss)", cd("iso", ISO, False, False), "pass", None, None),
    ("host device connected", cd("host_device", "ATAPI", True, False), "fail",
     "CD/DVD drive 1: host device ATAPI, connected now", LIVE),
    ("host device connection unknown, starts connected", cd("host_device", "ATAPI", None, True), "fail",
     "CD/DVD drive 1: host device ATAPI, connection now not known, starts connected (connects at power-on)", LIVE),
    ("host device starts connected", cd("host_device", "ATAPI", False, True), "fail",
     "CD/DVD drive 1: host device ATAPI, not connected now, starts connected (connects at power-on)", POWER_ON),
    ("client connected", cd("client", None, True, False), "fail", "CD/DVD drive 1: client device, connected now",
     CLIENT),
    ("remote ATAPI connected", cd("remote", "Remote ATAPI", True, True), "fail",
     "CD/DVD drive 1: client device Remote ATAPI, connected now", CLIENT),
    # The case the issue reports: a client device set to connect at power-on is not connected.
    ("remote device starts connected (near miss)", cd("remote", "Remote device", False, True), "pass", None, None),
    ("client idle (near miss)", cd("client", None, False, False), "pass", None, None),
    ("client, connection unknown", cd("client", None, None, True), "unknown", None, None),
    ("iso, connection unknown", cd("iso", ISO, None, None), "unknown", None, None),
    ("iso, starts-connected unknown", cd("iso", ISO, False, None), "unknown", None, None),
    ("backing unknown", cd(None, None, True, True), "unknown", None, None),
    ("no backing (near miss)", cd("none", None, True, True), "pass", None, None),
]


@pytest.mark.parametrize(("case", "drive", "status", "message", "methods"), CD_CASES, ids=[c[0] for c in CD_CASES])
def test_cdrom_cases(case, drive, status, message, methods):
    got_status, messages, got_methods = rule_status("device.cdrom-connected", cdroms=[drive])
    assert got_status == status
    if message is not None:
        assert messages == [message]
        assert got_methods == [methods]


def test_floppy_image_and_idle_client():
    image = RemovableDrive(label="Floppy drive 1", backing="image", backing_path="[ds01] boot.flp", connected=True,
                           start_connected=False)
    status, messages, _ = rule_status("device.floppy-connected", floppies=[image])
    assert (status, messages) == ("fail", ["Floppy drive 1: floppy image [ds01] boot.flp, connected now"])
    idle = RemovableDrive(label="Floppy drive 1", backing="client", connected=False, start_connected=True)
    assert rule_status("device.floppy-connected", floppies=[idle])[0] == "pass"


def test_a_starts_connected_iso_leaves_vmotion_eligible_with_conditions():
    assessment = analyze(estate_of(clean_vm(cdroms=[cd("iso", ISO, False, True)])), as_of=AS_OF_DATE,
                         targets=("avs",))
    outcome = assessment.vms[0]
    assert outcome.readiness["avs"] == "ready_with_conditions"
    assert outcome.methods["avs"]["hcx_vmotion"] == "conditional"


def test_a_connected_iso_means_disconnect_it_then_vmotion():
    # What an HCX consultant answers: disconnect (or let HCX unmount) the ISO, then vMotion - not a
    # Bulk migration that reboots the VM to get around a one-click fix.
    connected = analyze(estate_of(clean_vm(cdroms=[cd("iso", ISO, True, True)])), as_of=AS_OF_DATE,
                        targets=("avs",)).vms[0]
    assert connected.readiness["avs"] == "ready_with_conditions"
    assert connected.readiness_reasons["avs"] == ["device.cdrom-connected"]
    assert connected.methods["avs"] == dict.fromkeys(("hcx_vmotion", "hcx_rav", "hcx_bulk", "hcx_cold"),
                                                     "conditional")
    assert connected.recommended_method["avs"] == "hcx_vmotion"
    assert connected.disposition == "remediate"


def test_a_connected_host_drive_still_blocks_live_methods():
    # Near miss of the ISO case: the source host's own drive has no HCX option and vSphere refuses
    # to vMotion it while it is connected, so a running VM goes by Bulk.
    host = analyze(estate_of(clean_vm(cdroms=[cd("host_device", "ATAPI", True, False)])), as_of=AS_OF_DATE,
                   targets=("avs",)).vms[0]
    assert host.methods["avs"] == {"hcx_vmotion": "blocked", "hcx_rav": "blocked", "hcx_bulk": "conditional",
                                   "hcx_cold": "conditional"}
    assert host.recommended_method["avs"] == "hcx_bulk"


# vCD rows as RVTools 4.x writes them: (VM, Device Node, Connected, Starts Connected, Device Type).
VCD_ROWS = [
    ("vm-a", "CD/DVD drive 1", "False", "True", "Remote device"),        # client, idle: pass
    ("vm-b", "CD/DVD drive 1", "False", "True", "Remote ATAPI"),         # client, idle: pass
    ("vm-c", "CD/DVD drive 1", "True", "True", "Remote ATAPI"),          # client connected: fail
    ("vm-d", "CD/DVD drive 1", "False", "False", "ATAPI"),               # host drive, idle: pass
    ("vm-e", "CD/DVD drive 1", "False", "True", "ATAPI"),                # host drive at power-on: fail
    ("vm-f", "CD/DVD drive 1", "True", "True", "ISO [ds01] iso/win2019.iso"),  # ISO connected: fail
    ("vm-g", "CD/DVD drive 1", "False", "False", "ISO [ds01] iso/win2019.iso"),  # ISO idle: pass
    ("vm-h", "CD/DVD drive 1", "False", "True", "ISO [] /vmfs/volumes/5f1e-aa/iso/rhel9.iso"),  # fail
    ("vm-i", "CD/DVD drive 1", "False", "False", "Remote device"),       # client, idle: pass
]


def test_rvtools_vcd_device_types(tmp_path):
    vms = sorted({row[0] for row in VCD_ROWS})
    sheets = {
        "vInfo": [["VM", "Powerstate", "Template", "VM ID"],
                  *[[name, "poweredOn", "False", f"id-{name}"] for name in vms]],
        "vCD": [["VM", "Powerstate", "Template", "Device Node", "Connected", "Starts Connected", "Device Type",
                 "VM ID"],
                *[[vm, "poweredOn", "False", node, conn, start, kind, f"id-{vm}"]
                  for vm, node, conn, start, kind in VCD_ROWS]],
    }
    estate = read_rvtools(write_workbook(tmp_path / "vcd.xlsx", sheets))
    drives = {vm.name: vm.cdroms[0] for vm in estate.all_vms()}
    assert {name: d.backing for name, d in drives.items()} == {
        "vm-a": "remote", "vm-b": "remote", "vm-c": "remote", "vm-d": "host_device", "vm-e": "host_device",
        "vm-f": "iso", "vm-g": "iso", "vm-h": "iso", "vm-i": "remote"}
    assert drives["vm-f"].backing_path == "[ds01] iso/win2019.iso"
    assert drives["vm-h"].backing_path == "[] /vmfs/volumes/5f1e-aa/iso/rhel9.iso"
    assessment = analyze(estate, as_of=AS_OF_DATE, targets=("avs",))
    names = {o.vm_id: o.name for o in assessment.vms}
    failing = {names[f.vm_id]: f.message for f in assessment.findings
               if f.rule_id == "device.cdrom-connected" and f.status == "fail"}
    # Hand count of VCD_ROWS: 4 of 9 drives block or condition a move.
    assert failing == {
        "vm-c": "CD/DVD drive 1: client device Remote ATAPI, connected now",
        "vm-e": "CD/DVD drive 1: host device ATAPI, not connected now, starts connected (connects at power-on)",
        "vm-f": "CD/DVD drive 1: datastore ISO [ds01] iso/win2019.iso, connected now, starts connected",
        "vm-h": "CD/DVD drive 1: datastore ISO [] /vmfs/volumes/5f1e-aa/iso/rhel9.iso, not connected now, "
                "starts connected (connects at power-on)",
    }
    assert not [f for f in assessment.findings if f.rule_id == "device.cdrom-connected" and f.status == "unknown"]


def test_vms_with_the_same_drive_share_its_result_and_each_keeps_it_as_its_own_finding():
    # Every VM of the vCenter has the same drive of unknown backing: the rule hands each the one
    # result made for that drive (its evidence one object), yet it stays a finding of each VM - no
    # vCenter-wide result, as when each VM had its own equal object (rules.base.held_per_vm).
    drive = dict(key=3000, label="CD/DVD drive 1", backing=None, connected=False, start_connected=False)
    # Near miss beside it: the USB devices unknown on every VM (a text-only result the engine pools) is
    # held once for the vCenter.
    vms = [clean_vm(f"vc-uuid/vm-{n}", name=f"app{n}", cdroms=[RemovableDrive(**drive)], usb_devices=None)
           for n in range(3)]
    assessment = analyze(estate_of(*vms), as_of=AS_OF_DATE, targets=("avs",))
    found = [f for f in assessment.findings if f.rule_id == "device.cdrom-connected"]
    assert [(f.vm_id, f.status, f.message) for f in found] == [
        (vm.id, "unknown", "CD/DVD drive 1: backing not known") for vm in vms]
    assert len({id(f.evidence) for f in found}) == 1
    assert [(w.rule_id, w.vm_count) for w in assessment.vcenter_findings] == [("device.usb", 3)]


def test_drives_equal_in_python_but_not_in_json_do_not_share_a_result():
    # 1 == True: a drive whose flags are ints is another drive; its evidence is written as it was read.
    as_bool = RemovableDrive(key=3000, label="CD/DVD drive 1", backing=None, connected=True, start_connected=False)
    as_int = RemovableDrive(key=3000, label="CD/DVD drive 1", backing=None, connected=1, start_connected=0)
    vms = [clean_vm("vc-uuid/vm-1", cdroms=[as_bool]), clean_vm("vc-uuid/vm-2", name="app02", cdroms=[as_int])]
    assessment = analyze(estate_of(*vms), as_of=AS_OF_DATE, targets=("avs",))
    found = {f.vm_id: f.evidence for f in assessment.findings if f.rule_id == "device.cdrom-connected"}
    assert type(found["vc-uuid/vm-1"]["connected"]) is bool
    assert type(found["vc-uuid/vm-2"]["connected"]) is int
