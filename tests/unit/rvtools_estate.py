"""A complete RVTools export of a modern estate (~200 VMs), in the 4.7, 4.4 and 4.1 layouts.

What a consultant receives from a customer: vCenter 8.0, ESXi 7.0U3 and 8.0 hosts, every VM NIC on a
distributed switch, every VM tab filled, vMetaData with the export's date, no vFloppy tab. Mostly clean,
with a known handful of real problems (see ``PROBLEMS``). Headers, tab order and per-version differences
come from ``tests.unit.rvtools_layouts``; only the estate is new here.

The acceptance test counts everything again from the written workbook with openpyxl, so nothing here is
an expected result; the comments only say what was put in.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.unit.rvtools_helpers import write_workbook
from tests.unit.rvtools_layouts import VERSION, _row, layout_headers

SERVER = "vcsa01.corp.example"
SDK_UUID = "5b1e0c4d-8a77-4f0e-9d1c-000000000047"
VCENTER_FULLNAME = "VMware vCenter Server 8.0.3 build-24022515"
EXPORT_TIME = datetime(2026, 10, 15, 7, 30, 0)
DVS = "dvs-prod"
PORT_GROUPS = ("pg-app-110", "pg-web-120", "pg-db-130", "pg-mgmt-140")

HOSTS = [  # name, cluster, ESXi version, object id  (Intel only: no CPU-vendor finding)
    *((f"esx{n:02d}.corp.example", "Prod-A", "VMware ESXi 8.0.3 build-24022510", f"host-{100 + n}")
      for n in range(1, 5)),
    *((f"esx{n:02d}.corp.example", "Prod-B", "VMware ESXi 7.0.3 build-21930508", f"host-{100 + n}")
      for n in range(5, 9)),
]
DATASTORES = ("ds-prod-01", "ds-prod-02", "ds-prod-03", "ds-prod-04")

# The known problems, by VM name. Every other VM is clean.
PROBLEMS = {
    "iso_connected": ("app-017", "app-042", "web-063"),  # datastore ISO connected now
    "client_starts_connected": ("app-025", "web-081"),  # client device, not connected, starts connected
    "physical_rdm": ("db-011", "db-012"),
    "multiwriter_pair": ("sqlclu-a", "sqlclu-b"),  # one VMDK shared multi-writer
    "snapshots": {"app-030": 1, "app-031": 6, "web-070": 45, "db-020": 200},  # VM -> age in days at export
    "powered_off": ("app-090", "app-091", "web-092", "web-093", "db-094"),
    "templates": ("tmpl-win2022", "tmpl-rhel9"),
    "windows_2012r2": ("app-050", "app-051", "web-052"),
    "rocky_read_as_rhel7": ("app-060",),
    "e1000e": ("app-005", "app-010", "web-015", "db-016", "app-020", "app-035"),
}


def _os(kind: str) -> tuple[str, str, str]:
    """(config-file OS, Tools OS, Guest Detailed Data) as vCenter 8 reports them."""
    return {
        "win2022": ("Microsoft Windows Server 2022 (64-bit)", "Microsoft Windows Server 2022 Standard",
                    "architecture='X86' bitness='64' buildNumber='20348' distroName='Microsoft Windows Server 2022 "
                    "Standard' familyName='Windows' kernelVersion='20348' prettyName='Microsoft Windows Server 2022 "
                    "Standard, 64-bit (Build 20348.2700)'"),
        "win2019": ("Microsoft Windows Server 2019 (64-bit)", "Microsoft Windows Server 2019 Standard",
                    "architecture='X86' bitness='64' buildNumber='17763' distroName='Microsoft Windows Server 2019 "
                    "Standard' familyName='Windows' prettyName='Microsoft Windows Server 2019 Standard, 64-bit "
                    "(Build 17763.6293)'"),
        "win2012r2": ("Microsoft Windows Server 2012 (64-bit)", "Microsoft Windows Server 2012 R2 Standard",
                      "architecture='X86' bitness='64' buildNumber='9600' distroName='Microsoft Windows Server 2012 "
                      "R2 Standard' familyName='Windows' prettyName='Microsoft Windows Server 2012 R2 Standard, "
                      "64-bit (Build 9600)'"),
        "rhel9": ("Red Hat Enterprise Linux 9 (64-bit)", "Red Hat Enterprise Linux 9 (64-bit)",
                  "architecture='X86' bitness='64' distroName='Red Hat Enterprise Linux' distroVersion='9.4' "
                  "familyName='Linux' kernelVersion='5.14.0-427.13.1.el9_4.x86_64' prettyName='Red Hat Enterprise "
                  "Linux 9.4 (Plow)'"),
        "rhel8": ("Red Hat Enterprise Linux 8 (64-bit)", "Red Hat Enterprise Linux 8 (64-bit)",
                  "architecture='X86' bitness='64' distroName='Red Hat Enterprise Linux' distroVersion='8.10' "
                  "familyName='Linux' kernelVersion='4.18.0-553.el8_10.x86_64' prettyName='Red Hat Enterprise "
                  "Linux 8.10 (Ootpa)'"),
        "ubuntu2204": ("Ubuntu Linux (64-bit)", "Ubuntu Linux (64-bit)",
                       "architecture='X86' bitness='64' distroName='Ubuntu' distroVersion='22.04' familyName='Linux' "
                       "kernelVersion='5.15.0-122-generic' prettyName='Ubuntu 22.04.5 LTS'"),
        # Rocky 9 installed in a VM created as RHEL 7: the configuration file still says RHEL 7.
        "rocky9": ("Red Hat Enterprise Linux 7 (64-bit)", "Rocky Linux (64-bit)",
                   "architecture='X86' bitness='64' distroName='Rocky Linux' distroVersion='9.4' familyName='Linux' "
                   "kernelVersion='5.14.0-427.16.1.el9_4.x86_64' prettyName='Rocky Linux 9.4 (Blue Onyx)'"),
    }[kind]


def _names() -> list[str]:
    names = [f"app-{n:03d}" for n in range(1, 92)] + [f"web-{n:03d}" for n in (*range(1, 83), 92, 93)]
    return names + [f"db-{n:03d}" for n in (*range(1, 21), 94)] + ["sqlclu-a", "sqlclu-b", *PROBLEMS["templates"]]


def estate() -> list[dict[str, Any]]:
    """One dict per VM: everything the tabs need."""
    vms = []
    names = _names()
    for index, name in enumerate(names):
        template = name in PROBLEMS["templates"]
        off = template or name in PROBLEMS["powered_off"]
        if name in PROBLEMS["windows_2012r2"]:
            kind = "win2012r2"
        elif name in PROBLEMS["rocky_read_as_rhel7"]:
            kind = "rocky9"
        elif name == "tmpl-rhel9":
            kind = "rhel9"
        elif name.startswith(("db-", "sqlclu", "tmpl-win")):
            kind = "win2022" if index % 2 else "win2019"
        else:
            kind = ("win2022", "win2019", "rhel9", "rhel8", "ubuntu2204")[index % 5]
        host, cluster, _, _ = HOSTS[index % len(HOSTS)]
        datastore = DATASTORES[index % len(DATASTORES)]
        cpus = (2, 4, 8)[index % 3]
        memory = (4096, 8192, 16384, 32768)[index % 4]
        disks = [{"Disk": "Hard disk 1", "Capacity MiB": 102400, "Path": f"[{datastore}] {name}/{name}.vmdk",
                  "Thin": "True", "Disk Mode": "persistent", "Sharing mode": "sharingNone", "Raw": "False"}]
        if index % 3 == 0:
            disks.append({"Disk": "Hard disk 2", "Capacity MiB": 204800,
                          "Path": f"[{datastore}] {name}/{name}_1.vmdk",
                          "Thin": "True", "Disk Mode": "persistent", "Sharing mode": "sharingNone", "Raw": "False"})
        if name in PROBLEMS["physical_rdm"]:
            # vSphere reports a physical-mode RDM as independent-persistent (it cannot be snapshotted).
            disks.append({"Disk": "Hard disk 3", "Capacity MiB": 524288,
                          "Path": f"[{datastore}] {name}/{name}_rdm.vmdk",
                          "Thin": "False", "Disk Mode": "independent_persistent", "Sharing mode": "sharingNone",
                          "Raw": "True", "Raw Comp. Mode": "physicalMode",
                          "Raw LUN ID": f"naa.6000097000019{index:07d}"})
        if name in PROBLEMS["multiwriter_pair"]:
            disks.append({"Disk": "Hard disk 2", "Capacity MiB": 262144,
                          "Path": "[ds-prod-01] sqlclu-a/sqlclu-a_shared.vmdk",
                          "Thin": "False", "Eagerly Scrub": "True", "Disk Mode": "persistent",
                          "Sharing mode": "sharingMultiWriter", "Raw": "False"})
        adapter = "E1000E" if name in PROBLEMS["e1000e"] else "VMXNET3"
        nics = [{"Adapter": adapter, "Network": PORT_GROUPS[index % 3]}]
        if name.startswith("db-"):
            nics.append({"Adapter": "VMXNET3", "Network": PORT_GROUPS[3]})
        if name in PROBLEMS["iso_connected"]:
            cd = ("True", "True", f"ISO [{datastore}] iso/en-us_windows_server_2022.iso")
        elif name in PROBLEMS["client_starts_connected"]:
            cd = ("False", "True", "Remote ATAPI" if name.startswith("web") else "Remote device")
        else:
            cd = ("False", "False", "Remote device")
        vms.append({
            "VM": name, "VM ID": f"vm-{2001 + index}", "VM UUID": f"50{index:06d}-7d3c-4e55-9a1b-{index:012d}",
            "Powerstate": "poweredOff" if off else "poweredOn", "Template": "True" if template else "False",
            "os": _os(kind), "CPUs": cpus, "Memory": memory, "Host": host, "Cluster": cluster,
            "Datastore": datastore, "disks": disks, "nics": nics, "cd": cd,
            "HW version": (19, 20, 21)[index % 3], "IP": f"10.{110 + index % 3}.{index // 200}.{index % 200 + 10}",
        })
    return vms


def _common(vm: dict[str, Any]) -> dict[str, Any]:
    config_os, tools_os, _ = vm["os"]
    running = vm["Powerstate"] == "poweredOn"
    return {
        "VM": vm["VM"], "Powerstate": vm["Powerstate"], "Template": vm["Template"], "SRM Placeholder": "False",
        "Datacenter": "DC-Main", "Cluster": vm["Cluster"], "Host": vm["Host"], "Folder": "/DC-Main/vm/Prod",
        "OS according to the configuration file": config_os,
        "OS according to the VMware Tools": tools_os if running else None,
        "VM ID": vm["VM ID"], "VMRef": vm["VM ID"], "VM UUID": vm["VM UUID"], "VI SDK Server": SERVER,
        "VI SDK UUID": SDK_UUID, "owner": "platform", "app": vm["VM"].split("-")[0],
    }


def _rows(layout: str) -> dict[str, list[dict[str, Any]]]:
    vms = estate()
    rows: dict[str, list[dict[str, Any]]] = {tab: [] for tab in layout_headers(layout)}
    for vm in vms:
        common = _common(vm)
        running = vm["Powerstate"] == "poweredOn"
        disk_mib = sum(d["Capacity MiB"] for d in vm["disks"])
        rows["vInfo"].append({
            **common, "Config status": "green", "DNS Name": vm["VM"] + ".corp.example" if running else None,
            "Connection state": "connected", "Guest state": "running" if running else "notRunning",
            "Heartbeat": "green" if running else "gray", "Consolidation Needed": "False",
            "PowerOn": EXPORT_TIME - timedelta(days=30) if running else None, "Suspended To Memory": "False",
            "Creation date": datetime(2023, 1, 2), "CPUs": vm["CPUs"], "Memory": vm["Memory"],
            "NICs": len(vm["nics"]), "Disks": len(vm["disks"]), "Total disk capacity MiB": disk_mib,
            "Latency Sensitivity": "normal", "EnableUUID": "True", "CBT": "False",
            "Primary IP Address": vm["IP"] if running else None,
            **{f"Network #{i + 1}": nic["Network"] for i, nic in enumerate(vm["nics"])},
            "Num Monitors": 1, "Video Ram KiB": 8192, "Resource pool": f"/DC-Main/{vm['Cluster']}/Resources",
            "Folder": "/DC-Main/vm/Prod", "DAS protection": "True", "FT State": "notConfigured",
            "FT Role": None, "Provisioned MiB": disk_mib + vm["Memory"], "In Use MiB": disk_mib // 3,
            "Unshared MiB": disk_mib // 3, "HA Restart Priority": "medium", "EFI Secure boot": "True",
            "Firmware": "efi", "HW version": vm["HW version"], "HW upgrade status": "none",
            "HW upgrade policy": "never", "Path": f"[{vm['Datastore']}] {vm['VM']}/{vm['VM']}.vmx",
            "Log directory": f"[{vm['Datastore']}] {vm['VM']}", "Snapshot directory": f"[{vm['Datastore']}] {vm['VM']}",
            "Suspend directory": f"[{vm['Datastore']}] {vm['VM']}",
            "Guest Detailed Data": vm["os"][2] if running else None, "SMBIOS UUID": "4222" + vm["VM UUID"][4:],
            "VI SDK Server type": VCENTER_FULLNAME, "VI SDK API Version": "8.0.3.0",
        })
        rows["vCPU"].append({**common, "CPUs": vm["CPUs"], "Sockets": 1, "Cores p/s": vm["CPUs"],
                             "Overall": 300 if running else 0, "Level": "normal", "Shares": 1000 * vm["CPUs"],
                             "Reservation": 0, "Limit": -1, "Hot Add": "False", "Hot Remove": "False"})
        rows["vMemory"].append({**common, "Size MiB": vm["Memory"], "Consumed": vm["Memory"] // 2 if running else 0,
                                "Active": vm["Memory"] // 10 if running else 0, "Level": "normal",
                                "Shares": 10 * vm["Memory"], "Reservation": 0, "Limit": -1, "Hot Add": "False"})
        for unit, disk in enumerate(vm["disks"]):
            rows["vDisk"].append({
                **common, "Disk": disk["Disk"], "Disk Key": 2000 + unit, "Disk UUID": f"6000C29{unit}-{vm['VM ID']}",
                "Disk Path": disk["Path"], "Path": disk["Path"], "Capacity MiB": disk["Capacity MiB"],
                "Raw": disk["Raw"], "Disk Mode": disk["Disk Mode"], "Sharing mode": disk["Sharing mode"],
                "Thin": disk["Thin"], "Eagerly Scrub": disk.get("Eagerly Scrub", "False"), "Split": "False",
                "Write Through": "False", "Level": "normal", "Shares": 1000, "Reservation": 0, "Limit": -1,
                "Controller": "SCSI controller 0", "Label": disk["Disk"], "SCSI Unit #": unit, "Unit #": unit,
                "Shared Bus": "noSharing", "Raw LUN ID": disk.get("Raw LUN ID"),
                "Raw Comp. Mode": disk.get("Raw Comp. Mode"), "Internal Sort Column": f"{vm['VM']}{unit}",
            })
        if vm["Powerstate"] == "poweredOn":
            rows["vPartition"].append({**common, "Disk Key": 2000,
                                       "Disk": "C:\\" if "Windows" in vm["os"][0] else "/",
                                       "Capacity MiB": 101000, "Consumed MiB": 40000, "Free MiB": 61000, "Free %": 60})
        for number, nic in enumerate(vm["nics"], start=1):
            rows["vNetwork"].append({
                **common, "NIC label": f"Network adapter {number}", "Adapter": nic["Adapter"],
                "Network": nic["Network"],
                "Switch": DVS, "Connected": "True" if running else "False", "Starts Connected": "True",
                "Mac Address": f"00:50:56:{number:02x}:{int(vm['VM ID'][3:]) // 256:02x}:"
                               f"{int(vm['VM ID'][3:]) % 256:02x}",
                "Type": "assigned", "IPv4 Address": vm["IP"] if running and number == 1 else None,
                "Direct Path IO": "False",
            })
        connected, starts, device = vm["cd"]
        rows["vCD"].append({**common, "Device Node": "CD/DVD drive 1", "Connected": connected,
                            "Starts Connected": starts, "Device Type": device})
        rows["vTools"].append({**common, "VM Version": f"vmx-{vm['HW version']}",
                               "Tools": "toolsOk" if running else "toolsNotRunning", "Tools Version": "12448",
                               "Required Version": "12448", "Upgradeable": "False", "Upgrade Policy": "manual",
                               "Sync time": "False", "App status": None,
                               "Heartbeat status": "green" if running else "gray", "Operation Ready": str(running)})
    by_name = {vm["VM"]: vm for vm in vms}
    for name, age in PROBLEMS["snapshots"].items():  # type: ignore[union-attr]
        vm = by_name[name]
        rows["vSnapshot"].append({**_common(vm), "Name": f"before-change-{age}d", "Description": "change window",
                                  "Date / time": EXPORT_TIME - timedelta(days=age, hours=2), "Quiesced": "False",
                                  "State": vm["Powerstate"],
                                  "Filename": f"[{vm['Datastore']}] {name}/{name}-Snapshot1.vmsn",
                                  "Size MiB (vmsn)": 12, "Size MiB (total)": 2048})
    rows["vUSB"] = []
    if "vSource" in rows:
        rows["vSource"] = [{"Name": SERVER, "OS type": "linux-x64", "API type": "VirtualCenter",
                            "API version": "8.0.3.0", "Version": "8.0.3", "Patch level": "00300", "Build": "24022515",
                            "Fullname": VCENTER_FULLNAME, "Product name": "VMware VirtualCenter Server",
                            "Product version": "8.0", "Product line": "vpx", "Vendor": "VMware, Inc.",
                            "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}]
    rows["vCluster"] = [{"Name": name, "Config status": "green", "OverallStatus": "green", "NumHosts": 4,
                         "numEffectiveHosts": 4, "HA enabled": "True", "DRS enabled": "True",
                         "DRS default VM behavior": "fullyAutomated", "Object ID": moref, "VI SDK Server": SERVER,
                         "VI SDK UUID": SDK_UUID}
                        for name, moref in (("Prod-A", "domain-c10"), ("Prod-B", "domain-c11"))]
    rows["vRP"] = [{"Resource Pool name": "Resources", "Resource Pool path": f"/DC-Main/{c}/Resources",
                    "Status": "green", "# VMs total": 100, "# VMs": 100, "Object ID": f"resgroup-{i}",
                    "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID} for i, c in enumerate(("Prod-A", "Prod-B"))]
    rows["vHost"] = [{"Host": name, "Datacenter": "DC-Main", "Cluster": cluster, "Config status": "green",
                      "in Maintenance Mode": "False", "in Quarantine Mode": "False",
                      "CPU Model": "Intel(R) Xeon(R) Gold 6438Y+", "Speed": 2000, "HT Available": "True",
                      "HT Active": "True", "# CPU": 2, "Cores per CPU": 32, "# Cores": 64, "CPU usage %": 25,
                      "# Memory": 1048576, "Memory usage %": 45, "# NICs": 4, "# HBAs": 2, "VMotion support": "True",
                      "Storage VMotion support": "True", "ESX Version": version, "Vendor": "Dell Inc.",
                      "Model": "PowerEdge R760", "Serial number": f"SN{moref}", "Object ID": moref,
                      "UUID": f"4c4c4544-{moref}", "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}
                     for name, cluster, version, moref in HOSTS]
    rows["vHBA"] = [{"Host": h[0], "Datacenter": "DC-Main", "Cluster": h[1], "Device": "vmhba0", "Type": "Block SCSI",
                     "Status": "online", "Driver": "lsi_mr3", "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}
                    for h in HOSTS]
    rows["vNIC"] = [{"Host": h[0], "Datacenter": "DC-Main", "Cluster": h[1], "Network Device": f"vmnic{n}",
                     "Driver": "i40en", "Speed": 25000, "Duplex": "True", "Switch": DVS, "VI SDK Server": SERVER,
                     "VI SDK UUID": SDK_UUID} for h in HOSTS for n in range(2)]
    rows["vSwitch"] = []  # every host on the distributed switch only
    rows["vPort"] = []
    rows["dvSwitch"] = [{"Switch": DVS, "Datacenter": "DC-Main", "Name": DVS, "Vendor": "VMware, Inc.",
                         "Version": "8.0.3", "Host members": len(HOSTS), "# Ports": 512, "# VMs": 200,
                         "Object ID": "dvs-21", "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}]
    rows["dvPort"] = [{"Port": pg, "Switch": DVS, "Type": "earlyBinding", "# Ports": 128, "VLAN": pg[-3:],
                       "Object ID": f"dvportgroup-{i}", "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}
                      for i, pg in enumerate(PORT_GROUPS)]
    rows["vSC_VMK"] = [{"Host": h[0], "Datacenter": "DC-Main", "Cluster": h[1], "Port Group": "pg-mgmt-140",
                        "Device": "vmk0", "IP Address": f"10.140.0.{i + 11}", "MTU": 1500, "VI SDK Server": SERVER,
                        "VI SDK UUID": SDK_UUID} for i, h in enumerate(HOSTS)]
    rows["vDatastore"] = [{"Name": ds, "Config status": "green", "Accessible": "True", "Type": "VMFS",
                           "# VMs total": 50, "# VMs": 50, "Capacity MiB": 16777216, "Free MiB": 8388608,
                           "In Use MiB": 8388608, "Free %": 50, "# Hosts": len(HOSTS),
                           "Hosts": ", ".join(h[0] for h in HOSTS), "Major Version": 6, "Version": "6.82",
                           "Object ID": f"datastore-{i}", "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}
                          for i, ds in enumerate(DATASTORES)]
    rows["vMultiPath"] = []
    rows["vLicense"] = [{"Name": "VMware vSphere 8 Enterprise Plus", "Total": 256, "Used": 128,
                         "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}]
    rows["vHealth"] = [{"Name": "ds-prod-03", "Message": "Datastore free space below 60%", "Message type": "Storage",
                        "VI SDK Server": SERVER, "VI SDK UUID": SDK_UUID}]
    rows["vMetaData"] = [{"RVTools major version": int(VERSION[layout][0]), "RVTools version": VERSION[layout],
                          "xlsx creation datetime": EXPORT_TIME, "Server": SERVER}]
    if layout == "4.1":
        for disk in rows["vDisk"]:
            disk["Disk Path"] = None  # 4.1 writes the header and leaves it empty; the file is in "Path"
    return rows


def estate_sheets(layout: str) -> dict[str, list[list[Any]]]:
    """The estate's workbook in one RVTools layout (4.1, 4.4 or 4.7): tab -> rows (header first)."""
    if layout not in ("4.1", "4.4", "4.7"):
        raise ValueError(f"no {layout} layout of the modern estate")
    headers = layout_headers(layout)
    rows = _rows(layout)
    return {tab: [header, *(_row(header, values) for values in rows.get(tab, []))] for tab, header in headers.items()}


def write_estate(path: Path, layout: str = "4.7") -> Path:
    return write_workbook(path, estate_sheets(layout))
