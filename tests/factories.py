"""Small builders for test inventories: a clean, modern VM that no rule flags, and variations of it."""

from __future__ import annotations

import dataclasses
from typing import Any

from scanner.inventory.model import (
    VM,
    Controller,
    Disk,
    Estate,
    Host,
    Network,
    Nic,
    RemovableDrive,
    Source,
    VCenter,
)

GIB = 1024**3
TIB = 1024**4
AS_OF = "2026-11-25"

LIST_FIELDS = (
    "ipv4_addresses", "ipv6_addresses", "controllers", "disks", "nics", "cdroms", "floppies", "serial_ports",
    "parallel_ports", "usb_controllers", "usb_devices", "passthrough_devices", "snapshots", "guest_disks",
)


DEFAULT_DISK_FILE = "[vsan-ds] app01/app01.vmdk"


def clean_disk(**changes: Any) -> Disk:
    disk = Disk(key=2000, label="Hard disk 1", capacity_bytes=60 * GIB, provisioning="thin", mode="persistent",
                sharing="none", backing="flat", datastore="vsan-ds", file_name=DEFAULT_DISK_FILE,
                controller_type="scsi_pvscsi", controller_bus_sharing="none", controller_key=1000, unit_number=0)
    return dataclasses.replace(disk, **changes)


def clean_nic(**changes: Any) -> Nic:
    nic = Nic(key=4000, label="Network adapter 1", adapter_type="vmxnet3", network="App-VLAN100",
              network_kind="distributed", connected=True, start_connected=True, mac_address="00:50:56:aa:bb:cc",
              mac_type="assigned")
    return dataclasses.replace(nic, **changes)


def clean_vm(vm_id: str = "vc-uuid/vm-100", **changes: Any) -> VM:
    """A powered-on Windows Server 2019 VM on current hardware: zero findings on any target."""
    vm = VM(
        id=vm_id, moref=vm_id.rsplit("/", 1)[-1], name="app01", vcenter="vc01", folder_path="/DC1/vm/Prod",
        datacenter="DC1", cluster="Cluster1", host="esx01.example.com", power_state="powered_on",
        connection_state="connected", template=False, num_cpu=4, cores_per_socket=2, memory_mib=16384,
        hardware_version=19, firmware="efi", secure_boot=True,
        guest_id="windows2019srv_64Guest", guest_full_name="Microsoft Windows Server 2019 (64-bit)",
        guest_id_tools="windows2019srv_64Guest", guest_full_name_tools="Microsoft Windows Server 2019 (64-bit)",
        tools_status="ok", tools_running=True, tools_version="12352", tools_version_status="current",
        ipv4_addresses=["10.0.100.10"], ipv6_addresses=["fe80::250:56ff:feaa:bbcc"], hostname="app01",
        annotation="Owner: app team. Ticket CHG-1234.", custom_attributes={"Owner": "app-team"},
        controllers=[Controller(key=1000, label="SCSI controller 0", type="scsi_pvscsi", bus_sharing="none",
                                bus_number=0)],
        disks=[clean_disk()], nics=[clean_nic()],
        cdroms=[RemovableDrive(key=3000, label="CD/DVD drive 1", backing="client", connected=False,
                               start_connected=False)],
        floppies=[], serial_ports=[], parallel_ports=[], usb_controllers=[], usb_devices=[],
        passthrough_devices=[], snapshots=[], snapshot_count=0, ft_state="not_configured",
        latency_sensitivity="normal", vtpm=False, encrypted=False, cbt_enabled=False, consolidation_needed=False,
    )
    vm = dataclasses.replace(vm, **changes)
    # Each VM's disks are files in its own folder, as vSphere creates them (a file attached to two VMs
    # is a shared disk, see disk.shared-vmdk-path); a test that sets file_name keeps its own.
    if vm.disks is not None:
        folder = vm.moref or vm.id.rsplit("/", 1)[-1]
        vm.disks = [dataclasses.replace(d, file_name=f"[vsan-ds] {folder}/{folder}_{i}.vmdk")
                    if d.file_name == DEFAULT_DISK_FILE else d for i, d in enumerate(vm.disks)]
    return vm


def unknown_vm(vm_id: str = "vc-uuid/vm-999") -> VM:
    """A VM about which the input says nothing beyond its id (every family missing)."""
    vm = VM(id=vm_id, name="mystery")
    for name in LIST_FIELDS:
        setattr(vm, name, None)
    vm.custom_attributes = None
    vm.perf = None
    return vm


def clean_host(**changes: Any) -> Host:
    host = Host(id="vc-uuid/host-1", name="esx01.example.com", datacenter="DC1", cluster="Cluster1",
                esxi_version="7.0.3", esxi_build="21930508", cpu_vendor="intel", cpu_model="Intel Xeon Gold 6240",
                cpu_sockets=2, cpu_cores=36, cpu_threads=72, cpu_mhz=2600, memory_mib=768 * 1024,
                connection_state="connected", maintenance_mode=False, power_state="powered_on")
    return dataclasses.replace(host, **changes)


def estate_of(*vms: VM, host: Host | None = None, networks: list[Network] | None = None) -> Estate:
    hosts = [host if host is not None else clean_host()]
    nets = networks if networks is not None else [
        Network(id="vc-uuid/dvportgroup-1", name="App-VLAN100", kind="distributed", vlan="100", switch="dvs01"),
        Network(id="vc-uuid/network-1", name="VM Network", kind="standard", vlan="0", switch="vSwitch0"),
    ]
    vc = VCenter(name="vc01", instance_uuid="vc-uuid", version="7.0.3", hosts=hosts, networks=nets, vms=list(vms))
    return Estate(collected_at="2026-11-25T00:00:00Z", source=Source(kind="synthetic"), vcenters=[vc])


def every_finding_json(assessment: dict[str, Any]) -> list[dict[str, Any]]:
    """An assessment JSON's findings, with each of its ``vcenter_findings`` given to every VM of its
    vCenter as that VM's finding (schema 3): every result per VM, as schema 2 listed them."""
    by_vcenter: dict[str, list[str]] = {}
    for outcome in assessment["vms"]:
        by_vcenter.setdefault(outcome["vcenter"], []).append(outcome["vm_id"])
    expanded = list(assessment["findings"])
    for wide in assessment.get("vcenter_findings", []):
        assert wide["vm_count"] == len(by_vcenter[wide["vcenter"]])
        fields = {key: value for key, value in wide.items() if key not in ("vcenter", "vm_count")}
        expanded += [{**fields, "vm_id": vm_id} for vm_id in by_vcenter[wide["vcenter"]]]
    return expanded
