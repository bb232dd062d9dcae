"""Full RVTools 4.x header rows as real exports carry them (research: public RVTools-format column
lists), including custom attributes between "Annotation" and "Datacenter" — one of them named
"Name", which collides with real column names in vInfo and vSnapshot."""

from __future__ import annotations

from scanner.rvtools.reader import read_rvtools
from tests.unit.rvtools_helpers import write_workbook

ATTRS = ["app_role", "Name", "Owner"]
VINFO = [
    "VM", "Powerstate", "Template", "SRM Placeholder", "Config status", "DNS Name", "Connection state", "Guest state",
    "Heartbeat", "Consolidation Needed", "PowerOn", "Suspend time", "Creation date", "Change Version", "CPUs",
    "Memory", "NICs", "Disks", "Total disk capacity MiB", "min Required EVC Mode Key", "Latency Sensitivity",
    "EnableUUID", "CBT", "Primary IP Address", "Network #1", "Network #2", "Network #3", "Network #4", "Network #5",
    "Network #6", "Network #7", "Network #8", "Num Monitors", "Video Ram KiB", "Resource pool", "Folder ID", "Folder",
    "vApp", "DAS protection", "FT State", "FT Role", "FT Latency", "FT Bandwidth", "FT Sec. Latency",
    "Provisioned MiB", "In Use MiB", "Unshared MiB", "HA Restart Priority", "HA Isolation Response",
    "HA VM Monitoring", "Cluster rule(s)", "Cluster rule name(s)", "Boot Required", "Boot delay", "Boot retry delay",
    "Boot retry enabled", "Boot BIOS setup", "Reboot PowerOff", "EFI Secure boot", "Firmware", "HW version",
    "HW upgrade status", "HW upgrade policy", "HW target", "Path", "Log directory", "Snapshot directory",
    "Suspend directory", "Annotation", *ATTRS, "Datacenter", "Cluster", "Host",
    "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "SMBIOS UUID", "VM UUID",
    "VI SDK Server type", "VI SDK API Version", "VI SDK Server", "VI SDK UUID",
]
VSNAPSHOT = [
    "VM", "Powerstate", "Name", "Description", "Date / time", "Filename", "Size MiB (vmsn)", "Size MiB (total)",
    "Quiesced", "State", "Annotation", *ATTRS, "Datacenter", "Cluster", "Host", "Folder",
    "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID",
    "VI SDK Server", "VI SDK UUID",
]
VUSB = [
    "VM", "Powerstate", "Template", "SRM Placeholder", "Device Node", "Device Type", "Connected", "Family", "Speed",
    "EHCI enabled", "Auto connect", "Bus number", "Unit number", "Annotation", *ATTRS, "Datacenter", "Cluster",
    "Host", "Folder", "OS according to the configuration file", "OS according to the VMware tools", "VMRef", "VM ID",
    "VM UUID", "VI SDK Server", "VI SDK UUID",
]


def row_for(headers, values):
    return [values.get(h) for h in headers]


def test_full_4x_headers_with_colliding_custom_attribute(tmp_path):
    common = {"VI SDK Server": "vc.example.com", "VI SDK UUID": "u1", "VM ID": "vm-7", "VM UUID": "5007"}
    vinfo = {**common, "VM": "app07", "Powerstate": "poweredOn", "Template": "False", "CPUs": 2, "Memory": 4096,
             "HW version": 21, "Provisioned MiB": 2048, "In Use MiB": 1024, "Annotation": "note",
             "app_role": "web", "Owner": "ops", "Datacenter": "DC", "Cluster": "C1", "Host": "esx1",
             "VI SDK Server type": "VMware vCenter Server 8.0.3", "SMBIOS UUID": "4207"}
    headers_with_name = list(VINFO)
    values = row_for(headers_with_name, vinfo)
    values[headers_with_name.index("Name")] = "custom-name-value"
    snapshot = row_for(VSNAPSHOT, {**common, "VM": "app07", "Powerstate": "poweredOn", "Date / time":
                                   "2025-06-01 12:00:00", "Quiesced": "True", "State": "poweredOn",
                                   "Description": "d"})
    snapshot[VSNAPSHOT.index("Name")] = "snap-1"
    snapshot[len(VSNAPSHOT) - 1 - VSNAPSHOT[::-1].index("Name")] = "attribute value, not the snapshot"
    usb = row_for(VUSB, {**common, "VM": "app07", "Device Node": "USB 1", "Device Type": "Token", "Connected": "True",
                         "VMRef": "vm-7"})
    path = write_workbook(tmp_path / "real.xlsx", {"vInfo": [VINFO, values], "vSnapshot": [VSNAPSHOT, snapshot],
                                                   "vUSB": [VUSB, usb]})
    (vm,) = read_rvtools(path).all_vms()
    assert vm.id == "u1/vm-7"
    assert vm.name == "app07"
    assert vm.custom_attributes == {"app_role": "web", "Name": "custom-name-value", "Owner": "ops"}
    assert vm.annotation == "note"
    assert (vm.hardware_version, vm.bios_uuid, vm.instance_uuid) == (21, "4207", "5007")
    assert [s.name for s in vm.snapshots] == ["snap-1"]
    assert vm.snapshots[0].quiesced is True and vm.snapshots[0].power_state == "powered_on"
    assert [(u.label, u.backing_path, u.connected) for u in vm.usb_devices] == [("USB 1", "Token", True)]
