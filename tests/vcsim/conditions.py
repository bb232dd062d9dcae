"""Predicates that recognise each seeded condition in a collected inventory.

Shared by the live collector tests and the test of the committed sample fixture: each predicate
must hold on the VM the condition was seeded on, and on no other VM.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scanner.inventory.model import VM
from tests.vcsim.seed import CUSTOM_ATTRIBUTES, HOSTILE_ANNOTATIONS, STANDARD_PORTGROUP


def has(items: list[Any] | None, **expected: Any) -> bool:
    return any(all(getattr(item, k) == v for k, v in expected.items()) for item in items or [])


def annotation_is(text: str) -> Callable[[VM], bool]:
    return lambda vm: vm.annotation == text


# Condition -> predicate that must hold on the seeded VM and on no other VM.
CONDITION_CHECKS: dict[str, Callable[[VM], bool]] = {
    "snapshot": lambda vm: vm.snapshot_count == 1,
    "snapshots_multiple": lambda vm: (
        vm.snapshot_count == 3 and [s.name for s in vm.snapshots or []] == ["base", "after-upgrade", "pre-release"]
    ),
    "serial_file": lambda vm: has(vm.serial_ports, backing="file"),
    "serial_network": lambda vm: has(vm.serial_ports, backing="network", backing_path="telnet://:7001"),
    "parallel_port": lambda vm: has(vm.parallel_ports, backing="file"),
    "usb": lambda vm: bool(vm.usb_controllers) and has(vm.usb_devices, connected=True),
    "cdrom_iso_connected": lambda vm: has(vm.cdroms, backing="iso", connected=True),
    "cdrom_iso_disconnected": lambda vm: has(vm.cdroms, backing="iso", connected=False, start_connected=False),
    # Every baseline CD-ROM is a disconnected client device; only this one is connected.
    "cdrom_client_device": lambda vm: has(vm.cdroms, backing="client", connected=True),
    "cdrom_host_device": lambda vm: has(vm.cdroms, backing="host_device", connected=True),
    "floppy_connected": lambda vm: has(vm.floppies, backing="image", connected=True),
    "multiwriter_disk": lambda vm: has(vm.disks, sharing="multi_writer"),
    "bus_sharing_virtual": lambda vm: (
        has(vm.controllers, bus_sharing="virtual") and has(vm.disks, controller_bus_sharing="virtual")
    ),
    "bus_sharing_physical": lambda vm: (
        has(vm.controllers, bus_sharing="physical") and has(vm.disks, controller_bus_sharing="physical")
    ),
    "independent_disk": lambda vm: has(vm.disks, mode="independent_persistent"),
    "eager_zeroed_disk": lambda vm: has(
        vm.disks, provisioning="thick_eager", sharing="none", controller_bus_sharing="none"
    ),
    "thick_lazy_disk": lambda vm: has(vm.disks, provisioning="thick_lazy"),
    "sata_disk": lambda vm: has(vm.disks, controller_type="sata"),
    "nvme_disk": lambda vm: has(vm.disks, controller_type="nvme"),
    "hw_version_vmx07": lambda vm: vm.hardware_version == 7,
    "hw_version_vmx08": lambda vm: vm.hardware_version == 8,
    "guest_os_win2003": lambda vm: vm.guest_id == "winNetStandardGuest" and vm.guest_id_tools == "winNetStandardGuest",
    "guest_os_rhel5": lambda vm: vm.guest_id == "rhel5Guest",
    "template": lambda vm: vm.template is True,
    "suspended": lambda vm: vm.power_state == "suspended",
    # Its power-off event is in the history; powered_off_before_history's was aged out of it.
    "powered_off": lambda vm: (
        vm.power_state == "powered_off" and vm.template is False and vm.powered_off_since is not None
        and vm.powered_off_before is None
    ),
    "powered_off_before_history": lambda vm: (
        vm.power_state == "powered_off" and vm.template is False and vm.powered_off_since is None
        and vm.powered_off_before is not None
    ),
    "standard_portgroup": lambda vm: has(vm.nics, network=STANDARD_PORTGROUP, network_kind="standard"),
    "nic_e1000": lambda vm: has(vm.nics, adapter_type="e1000", mac_type="manual", mac_address="00:50:56:00:00:01"),
    "pci_passthrough": lambda vm: has(vm.passthrough_devices, kind="pci"),
    "vgpu": lambda vm: has(vm.passthrough_devices, kind="vgpu", detail="grid_t4-4q"),
    "hot_add": lambda vm: vm.cpu_hot_add is True and vm.memory_hot_add is True,
    "cbt": lambda vm: vm.cbt_enabled is True,
    "latency_high": lambda vm: vm.latency_sensitivity == "high",
    "reservations_limits": lambda vm: (
        (
            vm.cpu_reservation_mhz,
            vm.cpu_limit_mhz,
            vm.memory_reservation_mib,
            vm.memory_limit_mib,
        )
        == (2000, 4000, 1024, 2048)
    ),
    "oversized": lambda vm: vm.num_cpu == 128 and vm.memory_mib == 4 * 1024 * 1024,
    "efi_secure_boot": lambda vm: vm.firmware == "efi" and vm.secure_boot is True,
    "custom_attributes": lambda vm: vm.custom_attributes == CUSTOM_ATTRIBUTES,
    **{name: annotation_is(text) for name, text in HOSTILE_ANNOTATIONS.items()},
    "ipv6_only": lambda vm: vm.ipv6_addresses == ["fd00:10::25"] and vm.ipv4_addresses == [],
    "tools_not_running": lambda vm: vm.tools_status == "not_running" and vm.tools_running is False,
}
