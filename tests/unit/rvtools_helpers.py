"""Helpers shared by the RVTools tests: the real export's location and workbook builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

REPO = Path(__file__).resolve().parents[2]
SHARED_KUBEV2V = REPO.parent / "shared" / "data" / "rvtools" / "kubev2v-example1.xlsx"
FIXTURE_KUBEV2V = REPO / "fixtures" / "kubev2v-example1.xlsx"


def kubev2v_path() -> Path:
    """The shared copy when the worktree sits next to shared/, else the identical fixture copy."""
    return SHARED_KUBEV2V if SHARED_KUBEV2V.exists() else FIXTURE_KUBEV2V


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path


# Two logical VMs written with the headers of each RVTools generation. Values are the same so the
# resulting inventories must agree on every key field.
VARIANTS = ("3.x", "4.0", "4.1.2", "4.7")


def variant_sheets(
    variant: str, server: str = "vc1.example.com", sdk_uuid: str = "sdk-uuid-1"
) -> dict[str, list[list[Any]]]:
    mib = variant in ("4.1.2", "4.7")
    unit = "MiB" if mib else "MB"
    hw_web = 19 if variant == "4.7" else "vmx-19"
    hw_db = 13 if variant == "4.7" else "vmx-13"
    has_ids = variant != "3.x"
    raw_mode = "Raw Comp. Mode" if variant in ("4.1.2", "4.7") else "Raw Com. Mode"

    info_head = ["VM", "Powerstate", "Template", "CPUs", "Memory", "NICs", "Disks",
                 "Primary IP Address", "Network #1", "Network #2", f"Provisioned {unit}", f"In Use {unit}",
                 f"Unshared {unit}", "Firmware", "HW version", "Annotation"]
    info_web = ["web01", "poweredOn", "False", 4, 8192, 1, 2, "10.0.0.5", "VM Network", None, 61440, 20480,
                20480, "efi", hw_web, "web tier"]
    info_db = ["db01", "poweredOff", "False", 8, 32768, 1, 1, None, "DB Net", None, 102400, 102400,
               102400, "bios", hw_db, None]
    if variant == "4.7":
        info_head += ["owner", "env"]
        info_web += ["alice", "prod"]
        info_db += [None, "test"]
    info_head += ["Datacenter", "Cluster", "Host", "OS according to the configuration file",
                  "OS according to the VMware Tools"]
    info_web += ["DC1", "Prod", "esx01.example.com", "Red Hat Enterprise Linux 8 (64-bit)",
                 "Red Hat Enterprise Linux 8"]
    info_db += ["DC1", "Prod", "esx02.example.com", "Microsoft Windows Server 2019 (64-bit)", None]
    if variant == "4.7":
        info_head.append("SMBIOS UUID")
        info_web.append("4201-web")
        info_db.append("4201-db")
    if has_ids:
        info_head.append("VM ID")
        info_web.append("vm-101")
        info_db.append("vm-102")
    info_head += ["VM UUID", "VI SDK Server", "VI SDK UUID"]
    info_web += ["5001-web", server, sdk_uuid]
    info_db += ["5001-db", server, sdk_uuid]

    def keyed(head: list[str], rows: list[list[Any]], names: list[str]) -> list[list[Any]]:
        """Append the identity columns RVTools adds to each VM tab."""
        ids = {"web01": ("vm-101", "5001-web"), "db01": ("vm-102", "5001-db")}
        out = [[*head, *(["VM ID"] if has_ids else []), "VM UUID", "VI SDK Server", "VI SDK UUID"]]
        for row, name in zip(rows, names, strict=True):
            vm_id, uuid = ids[name]
            out.append([*row, *([vm_id] if has_ids else []), uuid, server, sdk_uuid])
        return out

    sheets: dict[str, list[list[Any]]] = {"vInfo": [info_head, info_web, info_db]}
    sheets["vCPU"] = keyed(["VM", "CPUs", "Sockets", "Cores p/s", "Overall", "Reservation", "Limit", "Hot Add"],
                           [["web01", 4, 2, 2, 1200, 0, -1, "True"], ["db01", 8, 1, 8, 0, 500, 4000, "False"]],
                           ["web01", "db01"])
    sheets["vMemory"] = keyed(["VM", f"Size {unit}", "Consumed", "Active", "Reservation", "Limit", "Hot Add"],
                              [["web01", 8192, 6000, 1500, 0, -1, "True"], ["db01", 32768, 0, 0, 32768, -1, "False"]],
                              ["web01", "db01"])
    sheets["vDisk"] = keyed(
        ["VM", "Disk", "Disk Key", "Disk Path", f"Capacity {unit}", "Raw", "Disk Mode", "Sharing mode", "Thin",
         "Eagerly Scrub", "Controller", "Label", "Unit #", "Shared Bus", "Raw LUN ID", raw_mode],
        [["web01", "Hard disk 1", 2000, "[ds01] web01/web01.vmdk", 40960, "False", "persistent", "sharingNone",
          "True", "False", "VMware paravirtual SCSI", "SCSI controller 0", 0, "noSharing", None, None],
         ["web01", "Hard disk 2", 2001, "[ds01] web01/web01_1.vmdk", 20480, "True", "independent_persistent",
          "sharingMultiWriter", "False", "False", "LSI Logic SAS", "SCSI controller 1", 0, "physicalSharing",
          "vml.0200", "physicalMode"],
         ["db01", "Hard disk 1", 2000, "[ds02] db01/db01.vmdk", 102400, "False", "persistent", "sharingNone",
          "False", "True", "LSI Logic SAS", "SCSI controller 0", 0, "noSharing", None, None]],
        ["web01", "web01", "db01"])
    sheets["vPartition"] = keyed(["VM", "Disk", f"Capacity {unit}", f"Free {unit}"],
                                 [["web01", "/", 40000, 10000]], ["web01"])
    sheets["vNetwork"] = keyed(
        ["VM", "NIC label", "Adapter", "Network", "Switch", "Connected", "Starts Connected", "Mac Address", "Type",
         "IPv4 Address", "IPv6 Address"],
        [["web01", "Network adapter 1", "Vmxnet3", "VM Network", "vSwitch0", "True", "True", "00:50:56:aa:bb:cc",
          "assigned", "10.0.0.5, 10.0.0.6", "fe80::1"],
         ["db01", "Network adapter 1", "E1000E", "DB Net", "dvs01", "False", "True", "00:50:56:aa:bb:dd",
          "manual", None, None]],
        ["web01", "db01"])
    sheets["vCD"] = keyed(["VM", "Device Node", "Connected", "Starts Connected", "Device Type"],
                          [["web01", "CD/DVD drive 1", "True", "True", "ISO [ds01] iso/rhel8.iso"]], ["web01"])
    sheets["vUSB"] = keyed(["VM", "Device Node", "Device Type", "Connected"],
                           [["db01", "USB 1", "Dongle", "True"]], ["db01"])
    sheets["vSnapshot"] = keyed(["VM", "Name", "Description", "Date / time", "Quiesced", "State"],
                                [["db01", "before-patch", "pre", "2024-03-01 10:00:00", "False", "poweredOff"]],
                                ["db01"])
    sheets["vTools"] = keyed(["VM", "VM Version", "Tools", "Tools Version"],
                             [["web01", "vmx-19", "toolsOk", "12352"], ["db01", "vmx-13", "toolsNotRunning", "11269"]],
                             ["web01", "db01"])
    sheets["vHost"] = [
        ["Host", "Datacenter", "Cluster", "in Maintenance Mode", "CPU Model", "Speed", "HT Active", "# CPU", "# Cores",
         "CPU usage %", "# Memory", "Memory usage %", "ESX Version", "Vendor", "Model", "Object ID",
         "VI SDK Server", "VI SDK UUID"],
        ["esx01.example.com", "DC1", "Prod", "False", "AMD EPYC 7302", 3000, "True", 2, 32, 10, 524288, 50,
         "VMware ESXi 7.0.3 build-20036589", "Dell", "R7525", "host-1", server, sdk_uuid],
        ["esx02.example.com", "DC1", "Prod", "True", "Intel(R) Xeon(R) Gold 6230", 2100, "False", 2, 40, 0,
         786432, 0, "VMware ESXi 8.0.2 build-22380479", "HPE", "DL380", "host-2", server, sdk_uuid],
    ]
    sheets["vCluster"] = [["Name", "HA enabled", "DRS enabled", "DRS default VM behavior", "Object ID",
                           "VI SDK Server", "VI SDK UUID"],
                          ["Prod", "True", "False", "fullyAutomated", "domain-c8", server, sdk_uuid]]
    sheets["vDatastore"] = [["Name", "Accessible", "Type", f"Capacity {unit}", f"Free {unit}", "Hosts", "Object ID",
                             "VI SDK Server", "VI SDK UUID"],
                            ["ds01", "True", "VMFS", 1048576, 524288, "esx01.example.com, esx02.example.com",
                             "datastore-1", server, sdk_uuid],
                            ["ds02", "True", "NFS", 2097152, 1048576, "esx02.example.com", "datastore-2", server,
                             sdk_uuid]]
    sheets["vSwitch"] = [["Host", "Datacenter", "Switch", "VI SDK Server", "VI SDK UUID"],
                         ["esx01.example.com", "DC1", "vSwitch0", server, sdk_uuid]]
    sheets["vPort"] = [["Host", "Port Group", "Switch", "VLAN", "VI SDK Server", "VI SDK UUID"],
                       ["esx01.example.com", "VM Network", "vSwitch0", 0, server, sdk_uuid],
                       ["esx02.example.com", "VM Network", "vSwitch0", 0, server, sdk_uuid]]
    sheets["dvSwitch"] = [["Switch", "Datacenter", "Object ID", "VI SDK Server", "VI SDK UUID"],
                          ["dvs01", "DC1", "dvs-1", server, sdk_uuid]]
    sheets["dvPort"] = [["Port", "Switch", "VLAN", "Object ID", "VI SDK Server", "VI SDK UUID"],
                        ["DB Net", "dvs01", "120", "dvportgroup-5", server, sdk_uuid]]
    sheets["vSource"] = [["Name", "API version", "Version", "Build", "Fullname", "VI SDK Server", "VI SDK UUID"],
                         [server, "8.0.2.0", "8.0.2", "22385739", "VMware vCenter Server 8.0.2 build-22385739",
                          server, sdk_uuid]]
    if variant == "3.x":
        sheets["vMetaData"] = [["RVTools version", "3.11.9"], ["xlsx creation datetime", "2019-05-01 08:00:00"]]
    else:
        version = {"4.0": "4.0.6", "4.1.2": "4.1.4", "4.7": "4.7.1"}[variant]
        sheets["vMetaData"] = [["RVTools major version", "RVTools version", "xlsx creation datetime", "Server"],
                               [version[:1], version, "2025-01-02 03:04:05", server]]
    return sheets


def write_csv_folder(folder: Path, sheets: dict[str, list[list[Any]]], encoding: str = "cp1252",
                     separator: str = ";", naming: str = "RVTools_tab{tab}.csv") -> Path:
    import csv

    folder.mkdir(parents=True, exist_ok=True)
    for tab, rows in sheets.items():
        with open(folder / naming.format(tab=tab), "w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle, delimiter=separator)
            for row in rows:
                writer.writerow(["" if value is None else value for value in row])
    return folder
