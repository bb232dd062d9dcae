"""Write an Inventory as an RVTools-4.x-compatible workbook, for tools that import RVTools exports.

Tabs and header names follow RVTools 4.x (sizes in MiB, booleans as "True"/"False", power states
in vSphere's camelCase), so importers that read RVTools — and vmscan itself — read it back. Text
cells go through ``textsafety.safe_value`` (formula-injection guard). The file is written
with openpyxl's write-only mode through ``atomic_path``: a failure leaves no file.

Known limits of the layout: a family tab (vDisk, vUSB, ...) is left out when no VM knows that
family, so it reads back as unknown; when only some VMs know it, the others read back as having
none. IP addresses are known per VM, not per NIC: they are written on the VM's first NIC row.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection, Iterable
from typing import Any

from scanner import __version__
from scanner.fsutil import atomic_path
from scanner.inventory.model import VM, Disk, Estate, VCenter
from scanner.textsafety import safe_value

MIB = 1024 * 1024

_CONTROLLER_NAMES = {
    "scsi_pvscsi": "VMware paravirtual SCSI",
    "scsi_lsilogic_sas": "LSI Logic SAS",
    "scsi_lsilogic": "LSI Logic Parallel",
    "scsi_buslogic": "BusLogic",
    "nvme": "NVMe",
    "sata": "SATA (AHCI)",
    "ide": "IDE",
}
_ADAPTER_NAMES = {
    "vmxnet3": "Vmxnet3", "vmxnet2": "Vmxnet2", "vmxnet": "Vmxnet", "e1000": "E1000", "e1000e": "E1000E",
    "vlance": "Vlance", "pcnet32": "PCNet32", "sriov": "SriovEthernetCard",
}
_TOOLS = {"ok": "toolsOk", "old": "toolsOld", "not_running": "toolsNotRunning", "not_installed": "toolsNotInstalled"}
_SHARED_BUS = {"none": "noSharing", "virtual": "virtualSharing", "physical": "physicalSharing"}
_DATASTORE_TYPES = {"vmfs": "VMFS", "nfs": "NFS", "nfs41": "NFS41", "vsan": "vsan", "vvol": "VVOL"}
_VM_KEY_HEADERS = ["Datacenter", "Cluster", "Host", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"]


def _bool(value: bool | None) -> str | None:
    return None if value is None else ("True" if value else "False")


def _camel(value: str | None) -> str | None:
    """``powered_on`` -> ``poweredOn``."""
    if not value:
        return None
    head, *rest = value.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _mib(value: int | None) -> int | None:
    return None if value is None else round(value / MIB)


def _date(value: str | None) -> Any:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    # Excel has no time zones; RVTools writes plain local date-times.
    return parsed.replace(tzinfo=None)


def _vm_ref(vm: VM) -> str | None:
    # Without a moref the reader rebuilds the id from VM UUID or name, as it did on import.
    return vm.moref


class _Context:
    def __init__(self, vcenter: VCenter) -> None:
        self.server = vcenter.name
        self.uuid = vcenter.instance_uuid
        self.switch_of = {n.name: n.switch for n in vcenter.networks if n.name}

    def vm_keys(self, vm: VM) -> list[Any]:
        return [vm.datacenter, vm.cluster, vm.host, _vm_ref(vm), vm.instance_uuid, self.server, self.uuid]


def _rows_vinfo(estate: Estate, attributes: list[str]) -> Iterable[list[Any]]:
    yield [
        "VM", "Powerstate", "Template", "SRM Placeholder", "DNS Name", "Connection state", "Guest state",
        "Consolidation Needed", "PowerOn",
        "CPUs", "Memory", "NICs", "Disks", "Total disk capacity MiB", "Latency Sensitivity", "CBT",
        "Primary IP Address", "Network #1", "Network #2", "Network #3", "Network #4", "Resource pool", "Folder",
        "vApp", "FT State", "Provisioned MiB", "In Use MiB", "Unshared MiB", "EFI Secure boot", "Firmware",
        "HW version", "Annotation", *attributes, "Datacenter", "Cluster", "Host",
        "OS according to the configuration file", "OS according to the VMware Tools", "VM ID", "SMBIOS UUID",
        "VM UUID", "VI SDK Server type", "VI SDK API Version", "VI SDK Server", "VI SDK UUID",
    ]
    for vcenter in estate.vcenters:
        for vm in vcenter.vms:
            networks: list[str | None] = [nic.network for nic in vm.nics or [] if nic.network]
            networks = networks[:4]
            networks += [None] * (4 - len(networks))
            capacities = [d.capacity_bytes for d in vm.disks or [] if d.capacity_bytes is not None]
            provisioned = vm.provisioned_bytes
            guest_state = None if vm.tools_running is None else ("running" if vm.tools_running else "notRunning")
            custom = vm.custom_attributes or {}
            yield [
                vm.name, _camel(vm.power_state), _bool(vm.template), "False", vm.hostname, vm.connection_state,
                guest_state, _bool(vm.consolidation_needed), _date(vm.boot_time), vm.num_cpu, vm.memory_mib,
                None if vm.nics is None else len(vm.nics), None if vm.disks is None else len(vm.disks),
                _mib(sum(capacities)) if vm.disks is not None else None, vm.latency_sensitivity, _bool(vm.cbt_enabled),
                vm.ipv4_addresses[0] if vm.ipv4_addresses else None, *networks, vm.resource_pool, vm.folder_path,
                vm.vapp,
                _camel(vm.ft_state), _mib(provisioned), _mib(vm.storage_committed_bytes),
                _mib(vm.storage_unshared_bytes), _bool(vm.secure_boot), vm.firmware, vm.hardware_version,
                vm.annotation, *[custom.get(name) for name in attributes], vm.datacenter, vm.cluster, vm.host,
                vm.guest_full_name, vm.guest_full_name_tools, _vm_ref(vm), vm.bios_uuid, vm.instance_uuid,
                vcenter.full_name, vcenter.api_version, vcenter.name, vcenter.instance_uuid,
            ]


def _per_vm(estate: Estate, head: list[str], family: str, make: Any) -> Iterable[list[Any]]:
    yield [*head, *_VM_KEY_HEADERS]
    for vcenter in estate.vcenters:
        context = _Context(vcenter)
        for vm in vcenter.vms:
            if family and getattr(vm, family) is None:
                continue
            for row in make(vm, context):
                yield [*row, *context.vm_keys(vm)]


def _disk_row(vm: VM, disk: Disk) -> list[Any]:
    rdm = disk.backing in ("rdm_physical", "rdm_virtual")
    raw = True if rdm else (False if disk.backing in ("flat", "sparse") else None)
    label = next((c.label for c in vm.controllers or [] if c.key is not None and c.key == disk.controller_key), None)
    path = disk.file_name or (f"[{disk.datastore}]" if disk.datastore else None)
    provisioning = disk.provisioning
    return [
        vm.name, _camel(vm.power_state), _bool(vm.template), disk.label, disk.key, path, _mib(disk.capacity_bytes),
        _bool(raw), disk.mode,
        {"none": "sharingNone", "multi_writer": "sharingMultiWriter"}.get(disk.sharing or ""),
        None if provisioning is None else _bool(provisioning == "thin"),
        None if provisioning is None else _bool(provisioning == "thick_eager"),
        _CONTROLLER_NAMES.get(disk.controller_type or "", disk.controller_type), label, disk.unit_number,
        _SHARED_BUS.get(disk.controller_bus_sharing or ""), disk.lun_uuid,
        {"rdm_physical": "physicalMode", "rdm_virtual": "virtualMode"}.get(disk.backing or ""),
    ]


def _cd_type(backing: str | None, path: str | None) -> str | None:
    if backing == "iso":
        return f"ISO {path}" if path else "ISO"
    if backing == "client":
        return "Client Device"
    if backing == "remote":
        return "Remote Device"
    if backing == "host_device":
        return f"Host Device {path}" if path else "Host Device"
    return path


def _floppy_type(backing: str | None, path: str | None) -> str | None:
    if backing == "image":
        return f"Image {path}" if path else "Image"
    if backing in ("client", "remote", "host_device"):
        return {"client": "Client Device", "remote": "Remote Device", "host_device": "Host Device"}[backing]
    return path


def workbook_rows(estate: Estate) -> dict[str, Iterable[list[Any]]]:
    """Each tab's rows (header first), in RVTools' tab order."""
    vms = estate.all_vms()

    def any_known(family: str) -> bool:
        return any(getattr(vm, family) is not None for vm in vms)

    attributes = sorted({name for vm in vms for name in (vm.custom_attributes or {})})
    tabs: dict[str, Iterable[list[Any]]] = {"vInfo": _rows_vinfo(estate, attributes)}
    tabs["vCPU"] = _per_vm(
        estate, ["VM", "Powerstate", "Template", "CPUs", "Sockets", "Cores p/s", "Overall", "Reservation", "Limit",
                 "Hot Add"], "",
        lambda vm, _: [[vm.name, _camel(vm.power_state), _bool(vm.template), vm.num_cpu, vm.sockets,
                        vm.cores_per_socket, vm.cpu_usage_mhz, vm.cpu_reservation_mhz, vm.cpu_limit_mhz,
                        _bool(vm.cpu_hot_add)]])
    tabs["vMemory"] = _per_vm(
        estate, ["VM", "Powerstate", "Template", "Size MiB", "Consumed", "Active", "Reservation", "Limit",
                 "Hot Add"], "",
        lambda vm, _: [[vm.name, _camel(vm.power_state), _bool(vm.template), vm.memory_mib, vm.memory_consumed_mib,
                        vm.memory_active_mib, vm.memory_reservation_mib, vm.memory_limit_mib,
                        _bool(vm.memory_hot_add)]])
    if any_known("disks"):
        tabs["vDisk"] = _per_vm(
            estate, ["VM", "Powerstate", "Template", "Disk", "Disk Key", "Disk Path", "Capacity MiB", "Raw",
                     "Disk Mode", "Sharing mode", "Thin", "Eagerly Scrub", "Controller", "Label", "Unit #",
                     "Shared Bus", "Raw LUN ID", "Raw Comp. Mode"], "disks",
            lambda vm, _: [_disk_row(vm, disk) for disk in vm.disks or []])
    if any_known("guest_disks"):
        tabs["vPartition"] = _per_vm(
            estate, ["VM", "Powerstate", "Template", "Disk", "Capacity MiB", "Consumed MiB", "Free MiB", "Free %"],
            "guest_disks",
            lambda vm, _: [[vm.name, _camel(vm.power_state), _bool(vm.template), g.path, _mib(g.capacity_bytes),
                            _mib(g.capacity_bytes - g.free_bytes)
                            if g.capacity_bytes is not None and g.free_bytes is not None else None,
                            _mib(g.free_bytes),
                            round(100 * g.free_bytes / g.capacity_bytes)
                            if g.capacity_bytes and g.free_bytes is not None else None]
                           for g in vm.guest_disks or []])
    if any_known("nics"):
        def nic_rows(vm: VM, context: _Context) -> list[list[Any]]:
            rows = []
            for index, nic in enumerate(vm.nics or []):
                ipv4 = ", ".join(vm.ipv4_addresses or []) if index == 0 else None
                ipv6 = ", ".join(vm.ipv6_addresses or []) if index == 0 else None
                rows.append([vm.name, _camel(vm.power_state), _bool(vm.template), nic.label,
                             _ADAPTER_NAMES.get(nic.adapter_type or "", nic.adapter_type), nic.network,
                             context.switch_of.get(nic.network or ""), _bool(nic.connected), _bool(nic.start_connected),
                             nic.mac_address, nic.mac_type, ipv4 or None, ipv6 or None])
            return rows

        tabs["vNetwork"] = _per_vm(
            estate, ["VM", "Powerstate", "Template", "NIC label", "Adapter", "Network", "Switch", "Connected",
                     "Starts Connected", "Mac Address", "Type", "IPv4 Address", "IPv6 Address"], "nics", nic_rows)
    if any_known("cdroms"):
        tabs["vCD"] = _per_vm(
            estate, ["VM", "Powerstate", "Template", "Device Node", "Connected", "Starts Connected", "Device Type"],
            "cdroms",
            lambda vm, _: [[vm.name, _camel(vm.power_state), _bool(vm.template), cd.label, _bool(cd.connected),
                            _bool(cd.start_connected), _cd_type(cd.backing, cd.backing_path)]
                           for cd in vm.cdroms or []])
    if any_known("floppies"):
        tabs["vFloppy"] = _per_vm(
            estate, ["VM", "Powerstate", "Template", "Device Node", "Connected", "Starts Connected", "Device Type"],
            "floppies",
            lambda vm, _: [[vm.name, _camel(vm.power_state), _bool(vm.template), fd.label, _bool(fd.connected),
                            _bool(fd.start_connected), _floppy_type(fd.backing, fd.backing_path)]
                           for fd in vm.floppies or []])
    if any_known("usb_devices"):
        tabs["vUSB"] = _per_vm(
            estate, ["VM", "Powerstate", "Template", "Device Node", "Device Type", "Connected"], "usb_devices",
            lambda vm, _: [[vm.name, _camel(vm.power_state), _bool(vm.template), usb.label, usb.backing_path,
                            _bool(usb.connected)] for usb in vm.usb_devices or []])
    if any_known("snapshots"):
        tabs["vSnapshot"] = _per_vm(
            estate, ["VM", "Powerstate", "Name", "Description", "Date / time", "Quiesced", "State"], "snapshots",
            lambda vm, _: [[vm.name, _camel(vm.power_state), s.name, s.description, _date(s.created),
                            _bool(s.quiesced), _camel(s.power_state)] for s in vm.snapshots or []])
    if any(vm.tools_status is not None or vm.tools_version is not None for vm in vms):
        tabs["vTools"] = _per_vm(
            estate, ["VM", "Powerstate", "Template", "VM Version", "Tools", "Tools Version", "Upgradeable"], "",
            lambda vm, _: [[vm.name, _camel(vm.power_state), _bool(vm.template),
                            f"vmx-{vm.hardware_version:02d}" if vm.hardware_version is not None else None,
                            _TOOLS.get(vm.tools_status or ""), vm.tools_version, _bool(vm.tools_upgradeable)]])
    tabs["vSource"] = _source_rows(estate)
    tabs["vCluster"] = _cluster_rows(estate)
    tabs["vHost"] = _host_rows(estate)
    tabs["vDatastore"] = _datastore_rows(estate)
    tabs["vSwitch"], tabs["vPort"], tabs["dvSwitch"], tabs["dvPort"] = _network_rows(estate)
    tabs["vMetaData"] = [
        ["RVTools major version", "RVTools version", "xlsx creation datetime", "Server"],
        *[["4", f"vmscan {__version__} (RVTools 4.x layout)", _date(estate.collected_at), vc.name]
          for vc in estate.vcenters],
    ]
    return tabs


def _source_rows(estate: Estate) -> list[list[Any]]:
    rows: list[list[Any]] = [["Name", "API version", "Version", "Build", "Fullname", "VI SDK Server", "VI SDK UUID"]]
    for vc in estate.vcenters:
        rows.append([vc.name, vc.api_version, vc.version, vc.build, vc.full_name, vc.name, vc.instance_uuid])
    return rows


def _cluster_rows(estate: Estate) -> list[list[Any]]:
    rows: list[list[Any]] = [["Name", "HA enabled", "DRS enabled", "DRS default VM behavior", "NumHosts",
                              "Object ID", "VI SDK Server", "VI SDK UUID"]]
    for vc in estate.vcenters:
        for cluster in vc.clusters:
            rows.append([cluster.name, _bool(cluster.ha_enabled), _bool(cluster.drs_enabled), cluster.drs_behavior,
                         len(cluster.hosts), cluster.moref, vc.name, vc.instance_uuid])
    return rows


def _host_rows(estate: Estate) -> list[list[Any]]:
    rows: list[list[Any]] = [[
        "Host", "Datacenter", "Cluster", "in Maintenance Mode", "CPU Model", "Speed", "HT Active", "# CPU",
        "Cores per CPU", "# Cores", "CPU usage %", "# Memory", "Memory usage %", "ESX Version", "Vendor", "Model",
        "Object ID", "VI SDK Server", "VI SDK UUID",
    ]]
    for vc in estate.vcenters:
        for host in vc.hosts:
            cores, mhz = host.cpu_cores, host.cpu_mhz
            capacity = cores * mhz if cores and mhz else None
            full = host.product_full_name or (
                f"VMware ESXi {host.esxi_version} build-{host.esxi_build}" if host.esxi_version else None)
            rows.append([
                host.name, host.datacenter, host.cluster, _bool(host.maintenance_mode), host.cpu_model, mhz,
                _bool(host.cpu_threads > cores) if host.cpu_threads is not None and cores is not None else None,
                host.cpu_sockets, cores // host.cpu_sockets if cores and host.cpu_sockets else None, cores,
                round(100 * host.cpu_usage_mhz / capacity) if capacity and host.cpu_usage_mhz is not None else None,
                host.memory_mib,
                round(100 * host.memory_usage_mib / host.memory_mib)
                if host.memory_mib and host.memory_usage_mib is not None else None,
                full, host.vendor, host.model, host.moref, vc.name, vc.instance_uuid,
            ])
    return rows


def _datastore_rows(estate: Estate) -> list[list[Any]]:
    rows: list[list[Any]] = [["Name", "Accessible", "Type", "Capacity MiB", "Free MiB", "Free %", "Hosts",
                              "Object ID", "VI SDK Server", "VI SDK UUID"]]
    for vc in estate.vcenters:
        for ds in vc.datastores:
            rows.append([
                ds.name, _bool(ds.accessible), _DATASTORE_TYPES.get(ds.type or "", ds.type), _mib(ds.capacity_bytes),
                _mib(ds.free_bytes),
                round(100 * ds.free_bytes / ds.capacity_bytes) if ds.capacity_bytes and ds.free_bytes is not None
                else None,
                ", ".join(ds.hosts), ds.moref, vc.name, vc.instance_uuid,
            ])
    return rows


def _network_rows(estate: Estate) -> tuple[list[list[Any]], list[list[Any]], list[list[Any]], list[list[Any]]]:
    switches: list[list[Any]] = [["Host", "Datacenter", "Switch", "VI SDK Server", "VI SDK UUID"]]
    ports: list[list[Any]] = [["Host", "Datacenter", "Port Group", "Switch", "VLAN", "VI SDK Server", "VI SDK UUID"]]
    dv_switches: list[list[Any]] = [["Switch", "Datacenter", "VI SDK Server", "VI SDK UUID"]]
    dv_ports: list[list[Any]] = [["Port", "Switch", "VLAN", "Object ID", "VI SDK Server", "VI SDK UUID"]]
    for vc in estate.vcenters:
        seen_std: set[str] = set()
        seen_dv: set[str] = set()
        for network in vc.networks:
            if network.kind == "distributed":
                dv_ports.append([network.name, network.switch, network.vlan, network.moref, vc.name,
                                 vc.instance_uuid])
                if network.switch and network.switch not in seen_dv:
                    seen_dv.add(network.switch)
                    dv_switches.append([network.switch, network.datacenter, vc.name, vc.instance_uuid])
            elif network.kind == "standard":
                ports.append([None, network.datacenter, network.name, network.switch, network.vlan, vc.name,
                              vc.instance_uuid])
                if network.switch and network.switch not in seen_std:
                    seen_std.add(network.switch)
                    switches.append([None, network.datacenter, network.switch, vc.name, vc.instance_uuid])
    return switches, ports, dv_switches, dv_ports


def write_rvtools(estate: Estate, path: str | os.PathLike[str], tabs: Collection[str] | None = None) -> dict[str, int]:
    """Write the workbook atomically; returns the number of data rows per tab.

    ``tabs``: only these tabs (a trimmed export such as vInfo alone, as users often send); all when None.
    """
    import openpyxl

    counts: dict[str, int] = {}
    with atomic_path(path) as tmp:
        workbook = openpyxl.Workbook(write_only=True)
        for title, rows in workbook_rows(estate).items():
            if tabs is not None and title not in tabs:
                continue
            sheet = workbook.create_sheet(title)
            count = -1
            for row in rows:
                sheet.append([safe_value(value) for value in row])
                count += 1
            counts[title] = max(count, 0)
        workbook.save(tmp)
    return counts
