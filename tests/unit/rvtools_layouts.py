"""RVTools workbooks in the layouts of real versions, built at test time with openpyxl.

The layouts differ where the real versions differ:

- **4.7** (27 tabs, vSource and vMetaData, no vFloppy): the full 4.x header rows as real 4.7
  exports write them (public RVTools-format comparisons against a reference export, and
  fixtures/kubev2v-example1.xlsx), vInfo with "Customization Info" and "Guest Detailed Data",
  VM tabs ending in custom attributes, Datacenter ... VM ID, VM UUID, VI SDK Server, VI SDK UUID.
- **4.4**: the 4.7 layout without vInfo's "Guest Detailed Data".
- **4.1** (26 tabs, no vSource): vDisk carries both "Disk Path" and "Path" and leaves "Disk Path"
  empty (the disk file is in "Path"); vCenter version unknown for want of vSource.
- **3.x**: "MB" headers (Provisioned MB, Capacity MB, Size MB ...), "Raw Com. Mode", a vFloppy tab,
  vDisk "Path" only, no SMBIOS UUID, vMetaData as property/value pairs.

Every layout carries the same estate, whose counts are worked out by hand in ``EXPECTED``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from tests.unit.rvtools_helpers import write_csv_folder, write_workbook

SERVER = "vc-a.corp.example"
SDK_UUID = "4c4c4544-0001-aaaa-bbbb-000000000001"
ATTRIBUTES = ["owner", "app"]  # custom attributes: RVTools puts them between Annotation and Datacenter

# Tail of every VM tab in 4.x (vInfo has its own): custom attributes, placement, OS, identity.
VM_TAIL = ["Annotation", *ATTRIBUTES, "Datacenter", "Cluster", "Host", "Folder",
           "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "VM UUID",
           "VI SDK Server", "VI SDK UUID"]
VM_HEAD = ["VM", "Powerstate", "Template", "SRM Placeholder"]

HEADERS_47: dict[str, list[str]] = {
    "vInfo": [
        "VM", "Powerstate", "Template", "SRM Placeholder", "Config status", "DNS Name", "Connection state",
        "Guest state", "Heartbeat", "Consolidation Needed", "PowerOn", "Suspended To Memory", "Suspend time",
        "Suspend Interval", "Creation date", "Change Version", "CPUs", "Overall Cpu Readiness", "Memory",
        "Active Memory", "NICs", "Disks", "Total disk capacity MiB", "Fixed Passthru HotPlug",
        "min Required EVC Mode Key", "Latency Sensitivity", "Op Notification Timeout", "EnableUUID", "CBT",
        "Primary IP Address", "Network #1", "Network #2", "Network #3", "Network #4", "Network #5", "Network #6",
        "Network #7", "Network #8", "Num Monitors", "Video Ram KiB", "Resource pool", "Folder ID", "Folder", "vApp",
        "DAS protection", "FT State", "FT Role", "FT Latency", "FT Bandwidth", "FT Sec. Latency",
        "Vm Failover In Progress", "Provisioned MiB", "In Use MiB", "Unshared MiB", "HA Restart Priority",
        "HA Isolation Response", "HA VM Monitoring", "Cluster rule(s)", "Cluster rule name(s)", "Boot Required",
        "Boot delay", "Boot retry delay", "Boot retry enabled", "Boot BIOS setup", "Reboot PowerOff",
        "EFI Secure boot", "Firmware", "HW version", "HW upgrade status", "HW upgrade policy", "HW target", "Path",
        "Log directory", "Snapshot directory", "Suspend directory", "Annotation", *ATTRIBUTES, "Datacenter",
        "Cluster", "Host", "OS according to the configuration file", "OS according to the VMware Tools",
        "Customization Info", "Guest Detailed Data", "VM ID", "SMBIOS UUID", "VM UUID", "VI SDK Server type",
        "VI SDK API Version", "VI SDK Server", "VI SDK UUID",
    ],
    "vCPU": [*VM_HEAD, "CPUs", "Sockets", "Cores p/s", "Max", "Overall", "Level", "Shares", "Reservation",
             "Entitlement", "DRS Entitlement", "Limit", "Hot Add", "Hot Remove", "Numa Hotadd Exposed", *VM_TAIL],
    "vMemory": [*VM_HEAD, "Size MiB", "Memory Reservation Locked To Max", "Overhead", "Max", "Consumed",
                "Consumed Overhead", "Private", "Shared", "Swapped", "Ballooned", "Active", "Entitlement",
                "DRS Entitlement", "Level", "Shares", "Reservation", "Limit", "Hot Add", *VM_TAIL],
    "vDisk": [*VM_HEAD, "Disk", "Disk Key", "Disk UUID", "Disk Path", "Capacity MiB", "Raw", "Disk Mode",
              "Sharing mode", "Thin", "Eagerly Scrub", "Split", "Write Through", "Level", "Shares", "Reservation",
              "Limit", "Controller", "Label", "SCSI Unit #", "Unit #", "Shared Bus", "Path", "Raw LUN ID",
              "Raw Comp. Mode", "Internal Sort Column", *VM_TAIL],
    "vPartition": [*VM_HEAD, "Disk Key", "Disk", "Capacity MiB", "Consumed MiB", "Free MiB", "Free %",
                   "Internal Sort Column", *VM_TAIL],
    "vNetwork": [*VM_HEAD, "NIC label", "Adapter", "Network", "Switch", "Connected", "Starts Connected",
                 "Mac Address", "Type", "IPv4 Address", "IPv6 Address", "Direct Path IO", "Internal Sort Column",
                 *VM_TAIL],
    "vCD": [*VM_HEAD, "Device Node", "Connected", "Starts Connected", "Device Type", *VM_TAIL[:-4], "VMRef",
            *VM_TAIL[-4:]],
    "vUSB": [*VM_HEAD, "Device Node", "Device Type", "Connected", "Family", "Speed", "EHCI enabled", "Auto connect",
             "Bus number", "Unit number", *VM_TAIL[:-4], "VMRef", *VM_TAIL[-4:]],
    "vSnapshot": ["VM", "Powerstate", "Name", "Description", "Date / time", "Filename", "Size MiB (vmsn)",
                  "Size MiB (total)", "Quiesced", "State", *VM_TAIL],
    "vTools": [*VM_HEAD, "VM Version", "Tools", "Tools Version", "Required Version", "Upgradeable",
               "Upgrade Policy", "Sync time", "App status", "Heartbeat status", "Kernel Crash state",
               "Operation Ready", "State change support", "Interactive Guest", *VM_TAIL[:-4], "VMRef",
               *VM_TAIL[-4:]],
    "vSource": ["Name", "OS type", "API type", "API version", "Version", "Patch level", "Build", "Fullname",
                "Product name", "Product version", "Product line", "Vendor", "VI SDK Server", "VI SDK UUID"],
    "vRP": ["Resource Pool name", "Resource Pool path", "Status", "# VMs total", "# VMs", "# vCPUs", "Object ID",
            "VI SDK Server", "VI SDK UUID"],
    "vCluster": ["Name", "Config status", "OverallStatus", "NumHosts", "numEffectiveHosts", "TotalCpu",
                 "NumCpuCores", "NumCpuThreads", "Effective Cpu", "TotalMemory", "Effective Memory", "Num VMotions",
                 "HA enabled", "Failover Level", "AdmissionControlEnabled", "Host monitoring", "Isolation Response",
                 "Restart Priority", "VM Monitoring", "DRS enabled", "DRS default VM behavior", "DRS vmotion rate",
                 "DPM enabled", "Object ID", "VI SDK Server", "VI SDK UUID"],
    "vHost": ["Host", "Datacenter", "Cluster", "Config status", "Compliance Check State", "in Maintenance Mode",
              "in Quarantine Mode", "vSAN Fault Domain Name", "CPU Model", "Speed", "HT Available", "HT Active",
              "# CPU", "Cores per CPU", "# Cores", "CPU usage %", "# Memory", "Memory Tiering Type",
              "Memory usage %", "Console", "# NICs", "# HBAs", "# VMs total", "# VMs", "VMs per Core", "# vCPUs",
              "vCPUs per Core", "vRAM", "VMotion support", "Storage VMotion support", "Current EVC", "Max EVC",
              "ESX Version", "Boot time", "Vendor", "Model", "Serial number", "Object ID", "UUID", "VI SDK Server",
              "VI SDK UUID"],
    "vHBA": ["Host", "Datacenter", "Cluster", "Device", "Type", "Status", "Bus", "Pci", "Driver", "Model", "WWN",
             "VI SDK Server", "VI SDK UUID"],
    "vNIC": ["Host", "Datacenter", "Cluster", "Network Device", "Driver", "Speed", "Duplex", "MAC", "Switch",
             "Uplink port", "PCI", "WakeOn", "VI SDK Server", "VI SDK UUID"],
    "vSwitch": ["Host", "Datacenter", "Cluster", "Switch", "# Ports", "Free Ports", "Promiscuous Mode",
                "Mac Changes", "Forged Transmits", "MTU", "VI SDK Server", "VI SDK UUID"],
    "vPort": ["Host", "Datacenter", "Cluster", "Port Group", "Switch", "VLAN", "Promiscuous Mode", "Mac Changes",
              "Forged Transmits", "VI SDK Server", "VI SDK UUID"],
    "dvSwitch": ["Switch", "Datacenter", "Name", "Vendor", "Version", "Description", "Created", "Host members",
                 "Max Ports", "# Ports", "# VMs", "Object ID", "VI SDK Server", "VI SDK UUID"],
    "dvPort": ["Port", "Switch", "Type", "# Ports", "VLAN", "Speed", "Full Duplex", "Blocked", "Allow Promiscuous",
               "Mac Changes", "Active Uplink", "Standby Uplink", "Policy", "Forged Transmits", "Object ID",
               "VI SDK Server", "VI SDK UUID"],
    "vSC_VMK": ["Host", "Datacenter", "Cluster", "Port Group", "Device", "Mac Address", "DHCP", "IP Address",
                "IP 6 Address", "Subnet mask", "Gateway", "IP 6 Gateway", "MTU", "VI SDK Server", "VI SDK UUID"],
    "vDatastore": ["Name", "Config status", "Address", "Accessible", "Type", "# VMs total", "# VMs", "Capacity MiB",
                   "Provisioned MiB", "In Use MiB", "Free MiB", "Free %", "SIOC enabled", "SIOC Threshold",
                   "# Hosts", "Hosts", "Cluster name", "Cluster capacity MiB", "Cluster free space MiB",
                   "Block size", "Max Blocks", "# Extents", "Major Version", "Version", "VMFS Upgradeable", "MHA",
                   "URL", "Object ID", "VI SDK Server", "VI SDK UUID"],
    "vMultiPath": ["Host", "Cluster", "Datacenter", "Datastore", "Disk", "Display name", "Policy", "Oper. State",
                   "Path 1", "Path 1 state", "Vendor", "Model", "Object ID", "VI SDK Server", "VI SDK UUID"],
    "vLicense": ["Name", "Key", "Labels", "Cost Unit", "Total", "Used", "Expiration Date", "Features",
                 "VI SDK Server", "VI SDK UUID"],
    "vFileInfo": ["Friendly Path Name", "File Name", "File Type", "File Size in bytes", "Path",
                  "Internal Sort Column", "VI SDK Server", "VI SDK UUID"],
    "vHealth": ["Name", "Message", "Message type", "VI SDK Server", "VI SDK UUID"],
    "vMetaData": ["RVTools major version", "RVTools version", "xlsx creation datetime", "Server"],
}
TABS_47 = list(HEADERS_47)  # 27 tabs, in RVTools' order

# The estate every layout carries. Sizes in MiB. Hand counts in EXPECTED below.
VMS: list[dict[str, Any]] = [
    {"VM": "app01", "VM ID": "vm-101", "VM UUID": "5001a1", "Powerstate": "poweredOn", "Template": "False",
     "CPUs": 4, "Memory": 16384, "Host": "esx01.corp.example", "Cluster": "Prod", "NICs": 1, "Disks": 2,
     "Provisioned MiB": 159744, "In Use MiB": 60000, "Unshared MiB": 60000, "HW version": 19,
     "OS according to the configuration file": "Red Hat Enterprise Linux 9 (64-bit)",
     "OS according to the VMware Tools": "Red Hat Enterprise Linux 9.4 (64-bit)",
     "Guest Detailed Data": "prettyName='Red Hat Enterprise Linux 9.4 (Plow)'",
     "Primary IP Address": "10.1.0.11", "Network #1": "VM Network", "owner": "ops", "app": "shop"},
    {"VM": "db01", "VM ID": "vm-102", "VM UUID": "5001a2", "Powerstate": "poweredOn", "Template": "False",
     "CPUs": 8, "Memory": 65536, "Host": "esx02.corp.example", "Cluster": "Prod", "NICs": 2, "Disks": 1,
     "Provisioned MiB": 577536, "In Use MiB": 300000, "Unshared MiB": 300000, "HW version": 17,
     "OS according to the configuration file": "Microsoft Windows Server 2019 (64-bit)",
     "OS according to the VMware Tools": "Microsoft Windows Server 2019 Standard",
     "Primary IP Address": "10.2.0.12", "Network #1": "DB Net", "Network #2": "Backup", "owner": "dba"},
    {"VM": "web02", "VM ID": "vm-103", "VM UUID": "5001a3", "Powerstate": "poweredOff", "Template": "False",
     "CPUs": 2, "Memory": 4096, "Host": "esx01.corp.example", "Cluster": "Prod", "NICs": 1, "Disks": 1,
     "Provisioned MiB": 20480, "In Use MiB": 8000, "Unshared MiB": 8000, "HW version": 19,
     "OS according to the configuration file": "Ubuntu Linux (64-bit)", "Network #1": "VM Network"},
    {"VM": "tmpl-rhel9", "VM ID": "vm-104", "VM UUID": "5001a4", "Powerstate": "poweredOff", "Template": "True",
     "CPUs": 2, "Memory": 2048, "Host": "esx03.corp.example", "Cluster": "Dev", "NICs": 1, "Disks": 1,
     "Provisioned MiB": 16384, "In Use MiB": 5000, "Unshared MiB": 5000, "HW version": 19,
     "OS according to the configuration file": "Red Hat Enterprise Linux 9 (64-bit)", "Network #1": "VM Network"},
    {"VM": "old01", "VM ID": "vm-105", "VM UUID": "5001a5", "Powerstate": "suspended", "Template": "False",
     "CPUs": 1, "Memory": 1024, "Host": "esx03.corp.example", "Cluster": "Dev", "NICs": 1, "Disks": 1,
     "Provisioned MiB": 11264, "In Use MiB": 4000, "Unshared MiB": 4000, "HW version": 8,
     "OS according to the configuration file": "Microsoft Windows Server 2008 R2 (64-bit)",
     "Network #1": "Legacy"},
]
DISKS = [  # VM, Disk, Capacity MiB, datastore path, thin, controller
    ("app01", "Hard disk 1", 40960, "[ds-a] app01/app01.vmdk", "True", "VMware paravirtual SCSI"),
    ("app01", "Hard disk 2", 102400, "[ds-b] app01/app01_1.vmdk", "True", "VMware paravirtual SCSI"),
    ("db01", "Hard disk 1", 512000, "[ds-b] db01/db01.vmdk", "False", "LSI Logic SAS"),
    ("web02", "Hard disk 1", 20480, "[ds-a] web02/web02.vmdk", "True", "VMware paravirtual SCSI"),
    ("tmpl-rhel9", "Hard disk 1", 16384, "[ds-c] tmpl-rhel9/tmpl-rhel9.vmdk", "True", "VMware paravirtual SCSI"),
    ("old01", "Hard disk 1", 10240, "[ds-c] old01/old01.vmdk", "False", "LSI Logic Parallel"),
]
NICS = [  # VM, label, adapter, network, switch, connected
    ("app01", "Network adapter 1", "Vmxnet3", "VM Network", "vSwitch0", "True"),
    ("db01", "Network adapter 1", "Vmxnet3", "DB Net", "dvs-prod", "True"),
    ("db01", "Network adapter 2", "E1000E", "Backup", "dvs-prod", "True"),
    ("web02", "Network adapter 1", "Vmxnet3", "VM Network", "vSwitch0", "False"),
    ("tmpl-rhel9", "Network adapter 1", "Vmxnet3", "VM Network", "vSwitch0", "False"),
    ("old01", "Network adapter 1", "E1000", "Legacy", "vSwitch0", "True"),
]
CDS = [  # VM, Connected, Starts Connected, Device Type (the values real 4.x exports write)
    ("app01", "False", "False", "Remote device"),
    ("db01", "True", "True", "ISO [ds-a] iso/rhel9.iso"),
    ("web02", "False", "True", "Remote ATAPI"),
    ("tmpl-rhel9", "False", "False", "ATAPI"),
    ("old01", "False", "False", "ISO [] /vmfs/volumes/5f0c1a2b-01/iso/tools.iso"),
]
HOSTS = [  # name, cluster, CPU model, # CPU, # Cores, MHz, # Memory MiB, ESX version, object id
    ("esx01.corp.example", "Prod", "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz", 2, 56, 2000, 1048576,
     "VMware ESXi 7.0.3 build-21930508", "host-11"),
    ("esx02.corp.example", "Prod", "Intel(R) Xeon(R) Gold 6330 CPU @ 2.00GHz", 2, 56, 2000, 1048576,
     "VMware ESXi 7.0.3 build-21930508", "host-12"),
    ("esx03.corp.example", "Dev", "AMD EPYC 7313 16-Core Processor", 1, 16, 3000, 262144,
     "VMware ESXi 8.0.2 build-22380479", "host-13"),
]
DATASTORES = [("ds-a", "VMFS", 4194304, 2097152, "datastore-21"), ("ds-b", "VMFS", 8388608, 4194304, "datastore-22"),
              ("ds-c", "NFS", 2097152, 1048576, "datastore-23")]

MIB = 1024**2
# Worked out by hand from the tables above (power states count VMs, not templates, as vmscan does).
EXPECTED = {
    "vms": 5,  # app01, db01, web02, tmpl-rhel9, old01
    "templates": 1,  # tmpl-rhel9
    "power_states": {"powered_off": 1, "powered_on": 2, "suspended": 1},  # web02 | app01, db01 | old01
    "vcpu": 4 + 8 + 2 + 2 + 1,  # 17
    "memory_mib": 16384 + 65536 + 4096 + 2048 + 1024,  # 89,088 MiB = 87.0 GiB
    # vInfo Provisioned MiB: 159,744 + 577,536 + 20,480 + 16,384 + 11,264 = 785,408 MiB (0.75 TiB)
    "provisioned_bytes": (159744 + 577536 + 20480 + 16384 + 11264) * MIB,
    "hosts": 3,  # esx01, esx02 (Prod), esx03 (Dev)
    "clusters": 2,  # Prod, Dev
    "datastores": 3,  # ds-a, ds-b, ds-c
    "datacenters": 1,  # DC1
}

EXPORT_TIME = "2025-03-10 08:00:00"
LAYOUTS = ("3.x", "4.1", "4.4", "4.7")
VERSION = {"3.x": "3.11.9", "4.1": "4.1.4", "4.4": "4.4.5", "4.7": "4.7.1"}


def _vm(name: str) -> dict[str, Any]:
    return next(vm for vm in VMS if vm["VM"] == name)


def _vm_common(name: str) -> dict[str, Any]:
    vm = _vm(name)
    return {
        "VM": name, "Powerstate": vm["Powerstate"], "Template": vm["Template"], "SRM Placeholder": "False",
        "Datacenter": "DC1", "Cluster": vm["Cluster"], "Host": vm["Host"], "Folder": "/DC1/vm/" + vm["Cluster"],
        "OS according to the configuration file": vm["OS according to the configuration file"],
        "OS according to the VMware Tools": vm.get("OS according to the VMware Tools"),
        "VM ID": vm["VM ID"], "VMRef": vm["VM ID"], "VM UUID": vm["VM UUID"], "VI SDK Server": SERVER,
        "VI SDK UUID": SDK_UUID, "owner": vm.get("owner"), "app": vm.get("app"),
    }


def _row(headers: list[str], values: dict[str, Any]) -> list[Any]:
    # The same logical value under every version's spelling ("Capacity MB" is "Capacity MiB").
    def lookup(header: str) -> Any:
        key = header.replace(" MB", " MiB").replace("Raw Com. Mode", "Raw Comp. Mode")
        return values.get(key)
    return [lookup(header) for header in headers]


def _rows_47() -> dict[str, list[dict[str, Any]]]:
    """Row values per tab, keyed by 4.7 header names."""
    rows: dict[str, list[dict[str, Any]]] = {}
    rows["vInfo"] = [{
        **_vm_common(vm["VM"]), **vm, "Connection state": "connected", "Firmware": "efi" if vm["HW version"] >= 17
        else "bios", "EFI Secure boot": "False", "CBT": "False", "Guest state": "running"
        if vm["Powerstate"] == "poweredOn" else "notRunning", "FT State": "notConfigured",
        "Latency Sensitivity": "normal", "Resource pool": "/DC1/" + vm["Cluster"] + "/Resources",
        "Path": f"[{'ds-c' if vm['Cluster'] == 'Dev' else 'ds-a'}] {vm['VM']}/{vm['VM']}.vmx",
        "VI SDK Server type": "VMware vCenter Server 8.0.2 build-22385739", "VI SDK API Version": "8.0.2.0",
        "SMBIOS UUID": "4201" + vm["VM UUID"][4:], "DNS Name": vm["VM"] + ".corp.example",
        "Total disk capacity MiB": sum(d[2] for d in DISKS if d[0] == vm["VM"]),
    } for vm in VMS]
    rows["vCPU"] = [{**_vm_common(vm["VM"]), "CPUs": vm["CPUs"], "Sockets": 1, "Cores p/s": vm["CPUs"],
                     "Overall": 400 if vm["Powerstate"] == "poweredOn" else 0, "Shares": 1000 * vm["CPUs"],
                     "Reservation": 0, "Limit": -1, "Hot Add": "False", "Hot Remove": "False"} for vm in VMS]
    rows["vMemory"] = [{**_vm_common(vm["VM"]), "Size MiB": vm["Memory"],
                        "Consumed": vm["Memory"] // 2 if vm["Powerstate"] == "poweredOn" else 0,
                        "Active": vm["Memory"] // 8 if vm["Powerstate"] == "poweredOn" else 0,
                        "Reservation": 0, "Limit": -1, "Hot Add": "False"} for vm in VMS]
    rows["vDisk"] = [{**_vm_common(vm), "Disk": disk, "Disk Key": 2000 + i, "Disk UUID": f"6000C29{i}-{vm}",
                      "Disk Path": path, "Path": path, "Capacity MiB": capacity, "Raw": "False",
                      "Disk Mode": "persistent", "Sharing mode": "sharingNone", "Thin": thin, "Eagerly Scrub": "False",
                      "Controller": controller, "Label": "SCSI controller 0", "SCSI Unit #": i, "Unit #": i,
                      "Shared Bus": "noSharing"}
                     for i, (vm, disk, capacity, path, thin, controller) in enumerate(DISKS)]
    rows["vPartition"] = [{**_vm_common("app01"), "Disk Key": 2000, "Disk": "/", "Capacity MiB": 40000,
                           "Consumed MiB": 28000, "Free MiB": 12000, "Free %": 30}]
    rows["vNetwork"] = [{**_vm_common(vm), "NIC label": label, "Adapter": adapter, "Network": network,
                         "Switch": switch, "Connected": connected, "Starts Connected": "True",
                         "Mac Address": f"00:50:56:00:00:{i:02x}", "Type": "assigned",
                         "IPv4 Address": _vm(vm).get("Primary IP Address") if label.endswith("1") else None}
                        for i, (vm, label, adapter, network, switch, connected) in enumerate(NICS)]
    rows["vCD"] = [{**_vm_common(vm), "Device Node": "CD/DVD drive 1", "Connected": connected,
                    "Starts Connected": starts, "Device Type": device} for vm, connected, starts, device in CDS]
    rows["vUSB"] = [{**_vm_common("db01"), "Device Node": "USB 1", "Device Type": "Aladdin HASP dongle",
                     "Connected": "True", "Family": "other", "Speed": "full", "Auto connect": "False"}]
    rows["vSnapshot"] = [{**_vm_common("db01"), "Name": "pre-patch", "Description": "before CU",
                          "Date / time": "2025-02-01 10:00:00", "Quiesced": "False", "State": "poweredOn"}]
    tools = {"app01": "toolsOk", "db01": "toolsOk", "web02": "toolsOk", "tmpl-rhel9": "toolsNotRunning",
             "old01": "toolsOld"}
    rows["vTools"] = [{**_vm_common(vm["VM"]), "VM Version": f"vmx-{vm['HW version']:02d}", "Tools": tools[vm["VM"]],
                       "Tools Version": "12352" if vm["VM"] != "old01" else "10346",
                       "Upgradeable": "True" if vm["VM"] == "old01" else "False"} for vm in VMS]
    rows["vSource"] = [{"Name": SERVER, "OS type": "linux-x64", "API type": "VirtualCenter", "API version": "8.0.2.0",
                        "Version": "8.0.2", "Build": "22385739",
                        "Fullname": "VMware vCenter Server 8.0.2 build-22385739", "VI SDK Server": SERVER,
                        "VI SDK UUID": SDK_UUID}]
    rows["vCluster"] = [{"Name": name, "NumHosts": hosts, "HA enabled": "True", "DRS enabled": drs,
                         "DRS default VM behavior": "fullyAutomated", "Object ID": moref, "VI SDK Server": SERVER,
                         "VI SDK UUID": SDK_UUID}
                        for name, hosts, drs, moref in (("Prod", 2, "True", "domain-c8"), ("Dev", 1, "False",
                                                                                         "domain-c9"))]
    rows["vHost"] = [{"Host": name, "Datacenter": "DC1", "Cluster": cluster, "in Maintenance Mode": "False",
                      "CPU Model": model, "Speed": mhz, "HT Active": "True", "# CPU": sockets,
                      "Cores per CPU": cores // sockets, "# Cores": cores, "CPU usage %": 20, "# Memory": memory,
                      "Memory usage %": 40, "ESX Version": version, "Vendor": "Dell Inc.", "Model": "PowerEdge R750",
                      "Object ID": moref, "UUID": "4c4c-" + moref, "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}
                     for name, cluster, model, sockets, cores, mhz, memory, version, moref in HOSTS]
    rows["vSwitch"] = [{"Host": h[0], "Datacenter": "DC1", "Cluster": h[1], "Switch": "vSwitch0",
                        "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID} for h in HOSTS]
    rows["vPort"] = [{"Host": h[0], "Datacenter": "DC1", "Cluster": h[1], "Port Group": pg, "Switch": "vSwitch0",
                      "VLAN": vlan, "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}
                     for h in HOSTS for pg, vlan in (("VM Network", 0), ("Legacy", 30))]
    rows["dvSwitch"] = [{"Switch": "dvs-prod", "Datacenter": "DC1", "Name": "dvs-prod", "Version": "7.0.3",
                         "Object ID": "dvs-31", "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}]
    rows["dvPort"] = [{"Port": port, "Switch": "dvs-prod", "Type": "earlyBinding", "VLAN": vlan, "Object ID": moref,
                       "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}
                      for port, vlan, moref in (("DB Net", "120", "dvportgroup-41"), ("Backup", "130",
                                                                                    "dvportgroup-42"))]
    rows["vDatastore"] = [{"Name": name, "Accessible": "True", "Type": kind, "Capacity MiB": capacity,
                           "Free MiB": free, "In Use MiB": capacity - free, "Hosts": ", ".join(h[0] for h in HOSTS),
                           "Object ID": moref, "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}
                          for name, kind, capacity, free, moref in DATASTORES]
    rows["vHealth"] = [{"Name": "esx03.corp.example", "Message": "NTP not running", "Message type": "Host",
                        "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}]
    rows["vMetaData"] = [{"RVTools major version": 4, "RVTools version": VERSION["4.7"],
                          "xlsx creation datetime": EXPORT_TIME, "Server": SERVER}]
    return rows


def layout_headers(layout: str) -> dict[str, list[str]]:
    """Tab -> header row, in the tab order of that RVTools version."""
    headers = copy.deepcopy(HEADERS_47)
    if layout in ("4.4", "4.1", "3.x"):
        headers["vInfo"].remove("Guest Detailed Data")
    if layout in ("4.1", "3.x"):
        del headers["vSource"]
    if layout == "3.x":
        for tab, row in headers.items():
            headers[tab] = [h.replace(" MiB", " MB").replace("Raw Comp. Mode", "Raw Com. Mode") for h in row]
        headers["vInfo"] = [h for h in headers["vInfo"] if h not in ("SMBIOS UUID", "Customization Info")]
        headers["vInfo"][headers["vInfo"].index("Video Ram KiB")] = "Video Ram KB"
        headers["vDisk"] = [h for h in headers["vDisk"] if h not in ("Disk Path", "Disk UUID")]
        tabs = list(headers)
        floppy = [*VM_HEAD, "Device Node", "Connected", "Starts Connected", "Device Type", *VM_TAIL]
        headers = {tab: headers[tab] for tab in tabs[:tabs.index("vUSB")]} | {"vFloppy": floppy} | {
            tab: headers[tab] for tab in tabs[tabs.index("vUSB"):]}
    return headers


def layout_sheets(layout: str, export_time: str = EXPORT_TIME) -> dict[str, list[list[Any]]]:
    """The workbook of one RVTools version: tab -> rows (header first)."""
    headers = layout_headers(layout)
    rows = _rows_47()
    rows["vMetaData"][0].update({"RVTools version": VERSION[layout], "RVTools major version": VERSION[layout][0],
                                 "xlsx creation datetime": export_time})
    if layout == "4.1":
        for disk in rows["vDisk"]:
            disk["Disk Path"] = None  # 4.1 writes the header and leaves it empty; the file is in "Path"
    if layout == "3.x":
        rows["vFloppy"] = [{**_vm_common("old01"), "Device Node": "Floppy drive 1", "Connected": "False",
                            "Starts Connected": "False", "Device Type": "Client Device"}]
    sheets: dict[str, list[list[Any]]] = {}
    for tab, header in headers.items():
        sheets[tab] = [header, *(_row(header, values) for values in rows.get(tab, []))]
    if layout == "3.x":
        # RVTools 3.x writes vMetaData as property / value pairs.
        sheets["vMetaData"] = [["RVTools version", VERSION["3.x"]], ["xlsx creation datetime", export_time],
                               ["Server", SERVER]]
    return sheets


def write_layout(path: Path, layout: str, **kwargs: Any) -> Path:
    return write_workbook(path, layout_sheets(layout, **kwargs))


def write_layout_csv(folder: Path, layout: str) -> Path:
    return write_csv_folder(folder, layout_sheets(layout))


def trimmed_vinfo_sheets() -> dict[str, list[list[Any]]]:
    """A 4.7 export edited by hand, as consultants receive them:

    - vInfo's Powerstate, Template, CPUs, Memory, Host and Cluster columns deleted, a "Migration wave"
      column inserted after VM, and a "Total" row added at the bottom;
    - vCPU filtered differently from vInfo (old01 left out);
    - a SUM row under vHost.
    """
    sheets = layout_sheets("4.7")
    dropped = {"Powerstate", "Template", "CPUs", "Memory", "Host", "Cluster"}
    info = sheets["vInfo"]
    keep = [i for i, h in enumerate(info[0]) if h not in dropped]
    trimmed = [[row[i] for i in keep] for row in info]
    trimmed[0].insert(1, "Migration wave")
    for number, row in enumerate(trimmed[1:], start=1):
        row.insert(1, f"wave {1 + number % 2}")
    total = [None] * len(trimmed[0])
    total[0] = "Total"
    total[trimmed[0].index("Provisioned MiB")] = sum(vm["Provisioned MiB"] for vm in VMS)
    trimmed.append(total)
    sheets["vInfo"] = trimmed
    vcpu = sheets["vCPU"]
    sheets["vCPU"] = [row for row in vcpu if row[0] != "old01"]
    host_header = sheets["vHost"][0]
    sum_row = [None] * len(host_header)
    sum_row[host_header.index("# Cores")] = sum(h[4] for h in HOSTS)
    sum_row[host_header.index("# Memory")] = sum(h[6] for h in HOSTS)
    sheets["vHost"].append(sum_row)
    return sheets
