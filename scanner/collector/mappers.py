"""Pure functions: raw vSphere property values -> inventory model objects.

Inputs are pyVmomi data objects (as the PropertyCollector returns them) or, for plain values,
strings/ints/bools. Nothing here talks to a server, so every mapping is unit-testable with
fabricated data objects.

vSphere's vocabulary is translated to vmscan's (see scanner/inventory/model.py). An unknown
value maps to "other" rather than being dropped, so a rule can still see that something is there.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pyVmomi import vim

from scanner.inventory.model import (
    VM,
    Cluster,
    Controller,
    Datastore,
    Disk,
    GuestDisk,
    Host,
    Network,
    Nic,
    PassthroughDevice,
    PortDevice,
    RemovableDrive,
    Snapshot,
    UsbController,
    UsbDevice,
)

KIB = 1024

Device = vim.vm.device

POWER_STATES = {"poweredOn": "powered_on", "poweredOff": "powered_off", "suspended": "suspended"}
HOST_POWER_STATES = {"poweredOn": "powered_on", "poweredOff": "powered_off", "standBy": "standby", "unknown": "unknown"}
HOST_CONNECTION_STATES = {"connected": "connected", "disconnected": "disconnected", "notResponding": "not_responding"}
TOOLS_STATUS = {
    "toolsOk": "ok",
    "toolsOld": "old",
    "toolsNotRunning": "not_running",
    "toolsNotInstalled": "not_installed",
}
FT_STATES = {
    "notConfigured": "not_configured",
    "disabled": "disabled",
    "enabled": "enabled",
    "needSecondary": "needs_secondary",
    "starting": "starting",
    "running": "running",
}
BUS_SHARING = {"noSharing": "none", "virtualSharing": "virtual", "physicalSharing": "physical"}
DISK_SHARING = {"sharingNone": "none", "sharingMultiWriter": "multi_writer"}
SNAPSHOT_POWER_STATES = POWER_STATES

# Order matters: subclasses before their base classes (Vmxnet3 and Vmxnet2 derive from Vmxnet).
NIC_TYPES: tuple[tuple[type, str], ...] = (
    (Device.VirtualVmxnet3, "vmxnet3"),
    (Device.VirtualVmxnet2, "vmxnet2"),
    (Device.VirtualVmxnet, "vmxnet"),
    (Device.VirtualE1000e, "e1000e"),
    (Device.VirtualE1000, "e1000"),
    (Device.VirtualPCNet32, "pcnet32"),
    (Device.VirtualSriovEthernetCard, "sriov"),
)

CONTROLLER_TYPES: tuple[tuple[type, str], ...] = (
    (Device.ParaVirtualSCSIController, "scsi_pvscsi"),
    (Device.VirtualLsiLogicSASController, "scsi_lsilogic_sas"),
    (Device.VirtualLsiLogicController, "scsi_lsilogic"),
    (Device.VirtualBusLogicController, "scsi_buslogic"),
    (Device.VirtualSATAController, "sata"),  # VirtualAHCIController derives from it
    (Device.VirtualNVMEController, "nvme"),
    (Device.VirtualIDEController, "ide"),
)

DISK_CONTROLLER_BASES = (
    Device.VirtualSCSIController,
    Device.VirtualSATAController,
    Device.VirtualNVMEController,
    Device.VirtualIDEController,
)

# Nested vSphere types resolved once: each ``Device.VirtualDisk.X`` goes through pyVmomi's
# lazy-type lookup (under a lock), ~12 times per VM (~2.5% of a 10,000-VM collection's CPU).
RDM_V1_BACKING = Device.VirtualDisk.RawDiskMappingVer1BackingInfo
FLAT_V2_BACKING = Device.VirtualDisk.FlatVer2BackingInfo
FLAT_BACKINGS = FLAT_V2_BACKING | Device.VirtualDisk.FlatVer1BackingInfo
SPARSE_BACKINGS = (
    Device.VirtualDisk.SparseVer2BackingInfo
    | Device.VirtualDisk.SparseVer1BackingInfo
    | Device.VirtualDisk.SeSparseBackingInfo
)
NIC_NETWORK_BACKING = Device.VirtualEthernetCard.NetworkBackingInfo
NIC_DVPORT_BACKING = Device.VirtualEthernetCard.DistributedVirtualPortBackingInfo
NIC_OPAQUE_BACKING = Device.VirtualEthernetCard.OpaqueNetworkBackingInfo
ISO_BACKING = Device.VirtualCdrom.IsoBackingInfo
FLOPPY_IMAGE_BACKING = Device.VirtualFloppy.ImageBackingInfo
CLIENT_DRIVE_BACKINGS = (
    Device.VirtualCdrom.RemotePassthroughBackingInfo
    | Device.VirtualCdrom.RemoteAtapiBackingInfo
    | Device.VirtualFloppy.RemoteDeviceBackingInfo
)
HOST_DRIVE_BACKINGS = (
    Device.VirtualCdrom.AtapiBackingInfo
    | Device.VirtualCdrom.PassthroughBackingInfo
    | Device.VirtualFloppy.DeviceBackingInfo
)
REMOTE_DEVICE_BACKING = Device.VirtualDevice.RemoteDeviceBackingInfo


# --- small value helpers ----------------------------------------------------------------------


def iso_utc(value: Any) -> str | None:
    """A datetime as ISO 8601 in UTC (naive datetimes are taken as UTC, as pyVmomi returns them)."""
    if not isinstance(value, datetime.datetime):
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def hardware_version(version: str | None) -> int | None:
    """``"vmx-19"`` -> 19; None when absent or not in that form."""
    if not version or not version.startswith("vmx-"):
        return None
    try:
        return int(version[4:])
    except ValueError:
        return None


def lower_or_none(value: Any) -> str | None:
    return str(value).lower() if value not in (None, "") else None


def size_or_none(value: Any) -> Any:
    """A count or size as vCenter gives it, or None (unknown) when it is negative: no count or size
    can be, and a snapshot carrying one is refused when it is loaded (inventory.io)."""
    return None if isinstance(value, int | float) and value < 0 else value


def mapped(table: Mapping[str, str], value: Any) -> str | None:
    if value in (None, ""):
        return None
    return table.get(str(value), "other")


def split_ip_addresses(addresses: Iterable[str]) -> tuple[list[str], list[str]]:
    """Split into (IPv4, IPv6), keeping first-seen order, dropping duplicates and non-addresses."""
    v4: list[str] = []
    v6: list[str] = []
    for raw in addresses:
        text = str(raw).strip()
        try:
            address = ipaddress.ip_address(text.split("%", 1)[0])
        except ValueError:
            continue
        target = v4 if address.version == 4 else v6
        if text not in target:
            target.append(text)
    return v4, v6


def guest_ip_addresses(guest_net: Iterable[Any] | None, primary_ip: str | None) -> tuple[list[str], list[str]]:
    """All addresses VMware Tools reports on any NIC, plus the primary address."""
    addresses: list[str] = []
    if primary_ip:
        addresses.append(primary_ip)
    for nic in guest_net or []:
        addresses.extend(getattr(nic, "ipAddress", None) or [])
    return split_ip_addresses(addresses)


def datastore_from_path(file_name: str | None) -> str | None:
    """``"[ds1] vm/vm.vmdk"`` -> ``"ds1"``."""
    if file_name and file_name.startswith("[") and "]" in file_name:
        return file_name[1 : file_name.index("]")]
    return None


def cpu_vendor(vendor: str | None, model: str | None) -> str | None:
    text = f"{vendor or ''} {model or ''}".lower()
    if not text.strip():
        return None
    if "intel" in text:
        return "intel"
    if "amd" in text:
        return "amd"
    return "other"


def tools_version_status(status: str | None) -> str | None:
    """``guestToolsSupportedOld`` -> ``supported_old`` (vCenter's toolsVersionStatus2)."""
    if not status or not status.startswith("guestTools"):
        return None
    return re.sub(r"(?<=[a-z])([A-Z])", r"_\1", status.removeprefix("guestTools")).lower()


def tools_running(running_status: str | None) -> bool | None:
    if not running_status:
        return None
    return running_status in ("guestToolsRunning", "guestToolsExecutingScripts")


def custom_attributes(values: Iterable[Any] | None, field_names: Mapping[int, str]) -> dict[str, str]:
    """``customValue`` entries -> {attribute name: value}; unknown keys keep their number."""
    result: dict[str, str] = {}
    for item in values or []:
        key = getattr(item, "key", None)
        if key is None:
            continue
        name = field_names.get(int(key), f"field-{key}")
        result[name] = str(getattr(item, "value", "") or "")
    return result


# --- devices ----------------------------------------------------------------------------------


def _type_name(table: tuple[tuple[type, str], ...], device: Any) -> str:
    for cls, name in table:
        if isinstance(device, cls):
            return name
    return "other"


def _label(device: Any) -> str | None:
    info = getattr(device, "deviceInfo", None)
    return getattr(info, "label", None) if info is not None else None


def _connect_state(device: Any) -> tuple[bool | None, bool | None]:
    connectable = getattr(device, "connectable", None)
    if connectable is None:
        return None, None
    return getattr(connectable, "connected", None), getattr(connectable, "startConnected", None)


def map_controller(device: Any) -> Controller:
    is_scsi = isinstance(device, Device.VirtualSCSIController)
    return Controller(
        key=device.key,
        label=_label(device),
        type=_type_name(CONTROLLER_TYPES, device),
        bus_sharing=mapped(BUS_SHARING, getattr(device, "sharedBus", None)) if is_scsi else None,
        bus_number=getattr(device, "busNumber", None),
    )


def _disk_backing_kind(backing: Any) -> str:
    if isinstance(backing, RDM_V1_BACKING):
        mode = getattr(backing, "compatibilityMode", None)
        if mode == "physicalMode":
            return "rdm_physical"
        if mode == "virtualMode":
            return "rdm_virtual"
        return "other"
    if isinstance(backing, FLAT_BACKINGS):
        return "flat"
    if isinstance(
        backing,
        SPARSE_BACKINGS,
    ):
        return "sparse"
    return "other"


def _disk_provisioning(backing: Any, kind: str) -> str | None:
    if kind == "sparse":
        return "thin"
    if not isinstance(backing, FLAT_V2_BACKING):
        return None  # RDMs and exotic backings have no thin/thick notion
    if backing.thinProvisioned:
        return "thin"
    return "thick_eager" if backing.eagerlyScrub else "thick_lazy"


def map_disk(
    device: Any,
    controllers: Mapping[int, Controller],
    datastore_names: Mapping[str, str],
) -> Disk:
    backing = device.backing
    kind = _disk_backing_kind(backing)
    file_name = getattr(backing, "fileName", None) or None
    datastore_ref = getattr(backing, "datastore", None)
    datastore = datastore_names.get(datastore_ref._moId) if datastore_ref is not None else None
    sharing_raw = getattr(backing, "sharing", None)
    capacity = getattr(device, "capacityInBytes", None)
    if not capacity:
        capacity_kb = getattr(device, "capacityInKB", None)
        capacity = capacity_kb * KIB if capacity_kb is not None else None
    controller = controllers.get(device.controllerKey) if device.controllerKey is not None else None
    is_rdm = kind.startswith("rdm_")
    return Disk(
        key=device.key,
        label=_label(device),
        capacity_bytes=size_or_none(capacity),
        provisioning=_disk_provisioning(backing, kind),
        mode=getattr(backing, "diskMode", None),
        # An unset sharing flag means the vSphere default, no sharing.
        sharing=mapped(DISK_SHARING, sharing_raw) if sharing_raw else "none",
        backing=kind,
        datastore=datastore or datastore_from_path(file_name),
        file_name=file_name,
        controller_type=controller.type if controller else None,
        controller_bus_sharing=controller.bus_sharing if controller else None,
        controller_key=device.controllerKey,
        unit_number=device.unitNumber,
        lun_uuid=(getattr(backing, "lunUuid", None) or getattr(backing, "deviceName", None)) if is_rdm else None,
    )


def map_nic(device: Any, network_names: Mapping[str, str], portgroup_names: Mapping[str, str]) -> Nic:
    backing = device.backing
    network: str | None = None
    kind: str | None = None
    if isinstance(backing, NIC_NETWORK_BACKING):
        kind = "standard"
        ref = getattr(backing, "network", None)
        network = (network_names.get(ref._moId) if ref is not None else None) or backing.deviceName or None
    elif isinstance(backing, NIC_DVPORT_BACKING):
        kind = "distributed"
        port = backing.port
        key = getattr(port, "portgroupKey", None) if port is not None else None
        network = portgroup_names.get(key, key) if key else None
    elif isinstance(backing, NIC_OPAQUE_BACKING):
        kind = "opaque"
        network = network_names.get(f"opaque:{backing.opaqueNetworkId}", backing.opaqueNetworkId)
    connected, start_connected = _connect_state(device)
    return Nic(
        key=device.key,
        label=_label(device),
        adapter_type=_type_name(NIC_TYPES, device),
        network=network,
        network_kind=kind,
        connected=connected,
        start_connected=start_connected,
        mac_address=getattr(device, "macAddress", None) or None,
        mac_type=lower_or_none(getattr(device, "addressType", None)),
    )


def _drive_backing(backing: Any) -> tuple[str, str | None]:
    if backing is None:
        return "none", None
    path = getattr(backing, "fileName", None) or getattr(backing, "deviceName", None) or None
    if isinstance(backing, ISO_BACKING):
        return "iso", path
    if isinstance(backing, FLOPPY_IMAGE_BACKING):
        return "image", path
    # "Client device": the drive of the machine running the remote console.
    if isinstance(
        backing,
        CLIENT_DRIVE_BACKINGS,
    ):
        return "client", path
    if isinstance(
        backing,
        HOST_DRIVE_BACKINGS,
    ):
        return "host_device", path
    if isinstance(backing, REMOTE_DEVICE_BACKING):
        return "remote", path
    return "other", path


def map_removable_drive(device: Any) -> RemovableDrive:
    backing, path = _drive_backing(device.backing)
    connected, start_connected = _connect_state(device)
    return RemovableDrive(
        key=device.key,
        label=_label(device),
        backing=backing,
        backing_path=path,
        connected=connected,
        start_connected=start_connected,
    )


def _port_backing(backing: Any) -> tuple[str, str | None]:
    if backing is None:
        return "none", None
    if isinstance(backing, Device.VirtualSerialPort.URIBackingInfo):
        return "network", getattr(backing, "serviceURI", None)
    if isinstance(backing, Device.VirtualSerialPort.PipeBackingInfo):
        return "pipe", getattr(backing, "pipeName", None)
    if isinstance(backing, Device.VirtualDevice.FileBackingInfo):
        return "file", getattr(backing, "fileName", None)
    if isinstance(backing, Device.VirtualDevice.DeviceBackingInfo):
        return "device", getattr(backing, "deviceName", None)
    return "other", None


def map_port(device: Any) -> PortDevice:
    backing, path = _port_backing(device.backing)
    connected, start_connected = _connect_state(device)
    return PortDevice(
        key=device.key,
        label=_label(device),
        backing=backing,
        backing_path=path or None,
        connected=connected,
        start_connected=start_connected,
    )


def map_usb_controller(device: Any) -> UsbController:
    return UsbController(
        key=device.key,
        label=_label(device),
        type="usb3" if isinstance(device, Device.VirtualUSBXHCIController) else "usb2",
    )


def map_usb_device(device: Any) -> UsbDevice:
    backing = device.backing
    return UsbDevice(
        key=device.key,
        label=_label(device),
        backing_path=getattr(backing, "deviceName", None) if backing is not None else None,
        connected=getattr(device, "connected", None),
    )


def map_passthrough(device: Any) -> PassthroughDevice:
    backing = getattr(device, "backing", None)
    kind = "other"
    detail: str | None = None
    if isinstance(device, Device.VirtualSriovEthernetCard):
        kind = "sriov_nic"
        info = getattr(device, "sriovBacking", None)
        physical = getattr(info, "physicalFunctionBacking", None) if info is not None else None
        detail = getattr(physical, "id", None) if physical is not None else None
    elif isinstance(backing, Device.VirtualPCIPassthrough.VmiopBackingInfo):
        kind = "vgpu"
        detail = backing.vgpu
    elif isinstance(backing, Device.VirtualPCIPassthrough.DynamicBackingInfo):
        kind = "dynamic_direct_path"
        ids = [f"{d.vendorId:04x}:{d.deviceId:04x}" for d in backing.allowedDevice or [] if d.vendorId is not None]
        detail = ", ".join(ids) or getattr(backing, "customLabel", None)
    elif isinstance(backing, Device.VirtualPCIPassthrough.DeviceBackingInfo):
        kind = "pci"
        detail = " ".join(part for part in (backing.id, backing.deviceName) if part) or None
    return PassthroughDevice(key=device.key, label=_label(device), kind=kind, detail=detail)


# Every device class a DeviceInventory family picks by isinstance. A device of no such class maps
# to nothing, so the streaming parser need not build it (collect.py; proven per pyVmomi device
# class in tests/unit/test_mappers.py): add a class here when a family starts reading it.
MAPPED_DEVICE_TYPES: tuple[type, ...] = (
    *DISK_CONTROLLER_BASES,
    Device.VirtualDisk,
    Device.VirtualEthernetCard,
    Device.VirtualCdrom,
    Device.VirtualFloppy,
    Device.VirtualSerialPort,
    Device.VirtualParallelPort,
    Device.VirtualUSBController,
    Device.VirtualUSBXHCIController,
    Device.VirtualUSB,
    Device.VirtualPCIPassthrough,
    Device.VirtualSriovEthernetCard,
    Device.VirtualTPM,
)


class DeviceInventory:
    """All device families of one VM, mapped from ``config.hardware.device``."""

    def __init__(
        self,
        devices: Iterable[Any],
        datastore_names: Mapping[str, str],
        network_names: Mapping[str, str],
        portgroup_names: Mapping[str, str],
    ) -> None:
        # One pass: each device goes to the families its class belongs to (a class may be in
        # two, e.g. an SR-IOV card is a NIC and a passthrough device), in the device order.
        families: dict[str, list[Any]] = {name: [] for name, _ in _DEVICE_FAMILIES}
        for device in devices or []:
            cls = type(device)
            if cls is device.__class__:
                names = _families_of(cls)
            else:  # e.g. a test double posing as a device: isinstance sees its __class__
                names = tuple(name for name, bases in _DEVICE_FAMILIES if isinstance(device, bases))
            for name in names:
                families[name].append(device)
        self.controllers = [map_controller(d) for d in families["controllers"]]
        by_key = {c.key: c for c in self.controllers if c.key is not None}
        self.disks = [map_disk(d, by_key, datastore_names) for d in families["disks"]]
        self.nics = [map_nic(d, network_names, portgroup_names) for d in families["nics"]]
        self.cdroms = [map_removable_drive(d) for d in families["cdroms"]]
        self.floppies = [map_removable_drive(d) for d in families["floppies"]]
        self.serial_ports = [map_port(d) for d in families["serial_ports"]]
        self.parallel_ports = [map_port(d) for d in families["parallel_ports"]]
        self.usb_controllers = [map_usb_controller(d) for d in families["usb_controllers"]]
        self.usb_devices = [map_usb_device(d) for d in families["usb_devices"]]
        self.passthrough_devices = [map_passthrough(d) for d in families["passthrough_devices"]]
        self.vtpm = bool(families["vtpm"])


# Device family -> the classes whose instances it maps (isinstance: subclasses count).
_DEVICE_FAMILIES: tuple[tuple[str, Any], ...] = (
    ("controllers", DISK_CONTROLLER_BASES),
    ("disks", Device.VirtualDisk),
    ("nics", Device.VirtualEthernetCard),
    ("cdroms", Device.VirtualCdrom),
    ("floppies", Device.VirtualFloppy),
    ("serial_ports", Device.VirtualSerialPort),
    ("parallel_ports", Device.VirtualParallelPort),
    ("usb_controllers", (Device.VirtualUSBController, Device.VirtualUSBXHCIController)),
    ("usb_devices", Device.VirtualUSB),
    ("passthrough_devices", (Device.VirtualPCIPassthrough, Device.VirtualSriovEthernetCard)),
    ("vtpm", Device.VirtualTPM),
)
_FAMILIES_BY_CLASS: dict[type, tuple[str, ...]] = {}


def _families_of(cls: type) -> tuple[str, ...]:
    """The device families instances of ``cls`` belong to (cached per class)."""
    names = _FAMILIES_BY_CLASS.get(cls)
    if names is None:
        names = tuple(name for name, bases in _DEVICE_FAMILIES if issubclass(cls, bases))
        _FAMILIES_BY_CLASS[cls] = names
    return names


# --- snapshots --------------------------------------------------------------------------------


def flatten_snapshots(root_list: Iterable[Any] | None) -> list[Snapshot]:
    """The snapshot tree, depth-first, oldest branch first."""
    result: list[Snapshot] = []
    stack = list(reversed(list(root_list or [])))
    while stack:
        node = stack.pop()
        result.append(
            Snapshot(
                name=getattr(node, "name", None),
                description=getattr(node, "description", None) or None,
                created=iso_utc(getattr(node, "createTime", None)),
                power_state=mapped(SNAPSHOT_POWER_STATES, getattr(node, "state", None)),
                quiesced=getattr(node, "quiesced", None),
            )
        )
        stack.extend(reversed(list(getattr(node, "childSnapshotList", None) or [])))
    return result


# --- host / cluster / datastore / network helpers ---------------------------------------------


def datastore_type(summary_type: str | None) -> str | None:
    if not summary_type:
        return None
    table = {"VMFS": "vmfs", "NFS": "nfs", "NFS41": "nfs41", "vsan": "vsan", "VVOL": "vvol"}
    return table.get(summary_type, "other")


def portgroup_vlan(default_port_config: Any) -> str | None:
    """VLAN of a distributed port group as text: "0", "100", "1-4094", "pvlan:20"."""
    vlan = getattr(default_port_config, "vlan", None) if default_port_config is not None else None
    if vlan is None:
        return None
    if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.TrunkVlanSpec):
        ranges = [f"{r.start}-{r.end}" if r.start != r.end else str(r.start) for r in vlan.vlanId or []]
        return ",".join(ranges) or None
    if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.PvlanSpec):
        return f"pvlan:{vlan.pvlanId}"
    if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec):
        return str(vlan.vlanId)
    return None


# --- whole objects ----------------------------------------------------------------------------


@dataclasses.dataclass
class Lookups:
    """Names of related objects, resolved once per collection (moref -> name/path)."""

    vcenter_name: str
    vcenter_uuid: str
    names: dict[str, str] = dataclasses.field(default_factory=dict)  # any entity moref -> name
    parents: dict[str, str] = dataclasses.field(default_factory=dict)  # moref -> parent moref
    types: dict[str, str] = dataclasses.field(default_factory=dict)  # moref -> "Folder", "Datacenter" ...
    datastore_names: dict[str, str] = dataclasses.field(default_factory=dict)
    network_names: dict[str, str] = dataclasses.field(default_factory=dict)
    portgroup_names: dict[str, str] = dataclasses.field(default_factory=dict)  # DVPG key -> name
    custom_field_names: dict[int, str] = dataclasses.field(default_factory=dict)
    host_clusters: dict[str, str] = dataclasses.field(default_factory=dict)  # host moref -> cluster name

    def object_id(self, moref: str) -> str:
        return f"{self.vcenter_uuid}/{moref}"

    def ancestor(self, moref: str | None, kind: str) -> str | None:
        """Nearest ancestor of type ``kind`` (e.g. "Datacenter"), as a moref."""
        seen = 0
        current = self.parents.get(moref) if moref else None
        while current is not None and seen < 1000:
            if self.types.get(current) == kind:
                return current
            current = self.parents.get(current)
            seen += 1
        return None

    def datacenter_name(self, moref: str | None) -> str | None:
        dc = self.ancestor(moref, "Datacenter")
        return self.names.get(dc) if dc else None

    def folder_path(self, moref: str | None) -> str | None:
        """``/DC/vm/Prod/Web`` for an entity inside DC's VM folder (the root folder is left out)."""
        if moref is None:
            return None
        parts: list[str] = []
        current = self.parents.get(moref)
        while current is not None and len(parts) < 1000:
            if self.parents.get(current) is None:  # the root folder, "Datacenters"
                break
            name = self.names.get(current)
            if name is None:
                return None  # a parent we could not read: unknown, not a shorter path
            parts.append(name)
            current = self.parents.get(current)
        return "/" + "/".join(reversed(parts))


def _ref(value: Any) -> str | None:
    return value._moId if value is not None and hasattr(value, "_moId") else None


class PropertyValues:
    """Read access to one object's properties, aware of those the server refused."""

    def __init__(self, values: Mapping[str, Any], missing_paths: Iterable[str] = ()) -> None:
        self.values = values
        self.missing = tuple(missing_paths)

    def known(self, path: str) -> bool:
        if not self.missing:
            return True  # the usual case: ~50 reads per VM
        return not any(path == m or path.startswith(m + ".") or m.startswith(path + ".") for m in self.missing)

    def get(self, path: str) -> Any:
        return self.values.get(path) if self.known(path) else None

    def flag(self, path: str, present: str | None = None) -> bool | None:
        """A boolean whose unset value means False, provided the object (``present``) was read."""
        if not self.known(path):
            return None
        if present is not None and present not in self.values:
            return None
        return bool(self.values.get(path))


# Properties read for every VM. All exist since vSphere 6.5, the oldest release vmscan targets
# (an unknown path would make the PropertyCollector fault the whole request).
VM_PROPERTIES = (
    "name",
    "parent",
    "parentVApp",
    "resourcePool",
    "runtime.host",
    "runtime.powerState",
    "runtime.connectionState",
    "runtime.faultToleranceState",
    "runtime.consolidationNeeded",
    "summary.runtime.bootTime",
    "config.template",
    "config.uuid",
    "config.instanceUuid",
    "config.version",
    "config.guestId",
    "config.guestFullName",
    "config.hardware.numCPU",
    "config.hardware.numCoresPerSocket",
    "config.hardware.memoryMB",
    "config.hardware.device",
    "config.cpuAllocation",
    "config.memoryAllocation",
    "config.firmware",
    "config.bootOptions",
    "config.annotation",
    "config.changeTrackingEnabled",
    "config.cpuHotAddEnabled",
    "config.memoryHotAddEnabled",
    "config.latencySensitivity",
    "config.keyId",
    # Set only on members of an FT pair; tells "not configured" when faultToleranceState is absent.
    "config.ftInfo",
    "guest.toolsStatus",
    "guest.toolsRunningStatus",
    "guest.toolsVersion",
    "guest.toolsVersionStatus2",
    "guest.guestId",
    "guest.guestFullName",
    "guest.hostName",
    "guest.ipAddress",
    "guest.net",
    "guest.disk",
    "snapshot",
    "customValue",
    "summary.storage",
    "summary.quickStats",
)

# Present whenever the VM's configuration could be read (absent for inaccessible/orphaned VMs).
CONFIG_PRESENT = "config.hardware.numCPU"


def map_vm(moref: str, raw: PropertyValues, lookups: Lookups) -> VM:
    device_list = raw.get("config.hardware.device")
    devices_known = raw.known("config.hardware.device") and CONFIG_PRESENT in raw.values
    inventory = (
        DeviceInventory(device_list or [], lookups.datastore_names, lookups.network_names, lookups.portgroup_names)
        if devices_known
        else None
    )
    host_ref = _ref(raw.get("runtime.host"))
    pool_ref = _ref(raw.get("resourcePool"))
    vapp_ref = _ref(raw.get("parentVApp"))
    cpu = raw.get("config.cpuAllocation")
    memory = raw.get("config.memoryAllocation")
    boot = raw.get("config.bootOptions")
    latency = raw.get("config.latencySensitivity")
    storage = raw.get("summary.storage")
    quick = raw.get("summary.quickStats")
    snapshot_info = raw.get("snapshot")
    snapshots = flatten_snapshots(getattr(snapshot_info, "rootSnapshotList", None)) if raw.known("snapshot") else None
    ipv4: list[str] | None
    ipv6: list[str] | None
    if raw.known("guest.net") and raw.known("guest.ipAddress"):
        ipv4, ipv6 = guest_ip_addresses(raw.get("guest.net"), raw.get("guest.ipAddress"))
    else:
        ipv4 = ipv6 = None
    config_read = CONFIG_PRESENT in raw.values
    firmware = raw.get("config.firmware")
    secure_boot: bool | None = None
    if raw.known("config.bootOptions") and config_read:
        secure_boot = bool(getattr(boot, "efiSecureBootEnabled", False)) if boot is not None else False

    def inv(attr: str) -> Any:
        return getattr(inventory, attr) if inventory is not None else None

    def alloc(info: Any, attr: str) -> int | None:
        value = getattr(info, attr, None) if info is not None else None
        return int(value) if value is not None else None

    return VM(
        id=lookups.object_id(moref),
        moref=moref,
        name=raw.get("name"),
        vcenter=lookups.vcenter_name,
        bios_uuid=raw.get("config.uuid"),
        instance_uuid=raw.get("config.instanceUuid"),
        folder_path=lookups.folder_path(moref) if raw.known("parent") else None,
        datacenter=lookups.datacenter_name(moref),
        cluster=lookups.host_clusters.get(host_ref) if host_ref else None,
        host=lookups.names.get(host_ref) if host_ref else None,
        resource_pool=lookups.names.get(pool_ref) if pool_ref else None,
        vapp=lookups.names.get(vapp_ref) if vapp_ref else None,
        power_state=mapped(POWER_STATES, raw.get("runtime.powerState")),
        connection_state=lower_or_none(raw.get("runtime.connectionState")),
        template=raw.flag("config.template", present=CONFIG_PRESENT),
        num_cpu=size_or_none(raw.get("config.hardware.numCPU")),
        cores_per_socket=size_or_none(raw.get("config.hardware.numCoresPerSocket")),
        memory_mib=size_or_none(raw.get("config.hardware.memoryMB")),
        cpu_reservation_mhz=alloc(cpu, "reservation"),
        cpu_limit_mhz=alloc(cpu, "limit"),
        memory_reservation_mib=alloc(memory, "reservation"),
        memory_limit_mib=alloc(memory, "limit"),
        hardware_version=hardware_version(raw.get("config.version")),
        firmware=lower_or_none(firmware),
        secure_boot=secure_boot,
        guest_id=raw.get("config.guestId"),
        guest_full_name=raw.get("config.guestFullName"),
        guest_id_tools=raw.get("guest.guestId"),
        guest_full_name_tools=raw.get("guest.guestFullName"),
        tools_status=mapped(TOOLS_STATUS, raw.get("guest.toolsStatus")),
        tools_running=tools_running(raw.get("guest.toolsRunningStatus")),
        tools_version=raw.get("guest.toolsVersion") or None,
        tools_version_status=tools_version_status(raw.get("guest.toolsVersionStatus2")),
        ipv4_addresses=ipv4,
        ipv6_addresses=ipv6,
        hostname=raw.get("guest.hostName") or None,
        annotation=raw.get("config.annotation") if config_read else None,
        custom_attributes=(
            custom_attributes(raw.get("customValue"), lookups.custom_field_names) if raw.known("customValue") else None
        ),
        controllers=inv("controllers"),
        disks=inv("disks"),
        nics=inv("nics"),
        cdroms=inv("cdroms"),
        floppies=inv("floppies"),
        serial_ports=inv("serial_ports"),
        parallel_ports=inv("parallel_ports"),
        usb_controllers=inv("usb_controllers"),
        usb_devices=inv("usb_devices"),
        passthrough_devices=inv("passthrough_devices"),
        snapshots=snapshots,
        snapshot_count=len(snapshots) if snapshots is not None else None,
        ft_state=fault_tolerance_state(raw, config_read),
        latency_sensitivity=lower_or_none(getattr(latency, "level", None)) if latency is not None else None,
        vtpm=inventory.vtpm if inventory is not None else None,
        # config.keyId is set only on encrypted VMs.
        encrypted=(raw.get("config.keyId") is not None) if raw.known("config.keyId") and config_read else None,
        cbt_enabled=raw.flag("config.changeTrackingEnabled", present=CONFIG_PRESENT),
        # Always set by vCenter 5.0+; the simulator leaves it unset, which means no consolidation pending.
        consolidation_needed=raw.flag("runtime.consolidationNeeded", present="runtime.powerState"),
        cpu_hot_add=raw.flag("config.cpuHotAddEnabled", present=CONFIG_PRESENT),
        memory_hot_add=raw.flag("config.memoryHotAddEnabled", present=CONFIG_PRESENT),
        boot_time=iso_utc(raw.get("summary.runtime.bootTime")),
        storage_committed_bytes=size_or_none(getattr(storage, "committed", None)) if storage is not None else None,
        storage_uncommitted_bytes=size_or_none(getattr(storage, "uncommitted", None)) if storage is not None else None,
        storage_unshared_bytes=size_or_none(getattr(storage, "unshared", None)) if storage is not None else None,
        guest_disks=map_guest_disks(raw.get("guest.disk")) if raw.known("guest.disk") else None,
        cpu_usage_mhz=getattr(quick, "overallCpuUsage", None) if quick is not None else None,
        memory_consumed_mib=getattr(quick, "hostMemoryUsage", None) if quick is not None else None,
        memory_active_mib=getattr(quick, "guestMemoryUsage", None) if quick is not None else None,
    )


def fault_tolerance_state(raw: PropertyValues, config_read: bool) -> str | None:
    """``runtime.faultToleranceState`` mapped; when vCenter leaves it out, derived from ``config.ftInfo``.

    vCenter always sets the state (``notConfigured`` on ordinary VMs), but some endpoints (the
    govmomi simulator) omit it. ``config.ftInfo`` is set on every member of an FT pair, so a VM
    whose configuration was read without it is not protected by FT. Anything else stays unknown.
    """
    state = mapped(FT_STATES, raw.get("runtime.faultToleranceState"))
    if state is not None:
        return state
    if config_read and raw.known("config.ftInfo") and raw.get("config.ftInfo") is None:
        return "not_configured"
    return None


def map_guest_disks(disks: Iterable[Any] | None) -> list[GuestDisk]:
    return [
        GuestDisk(
            path=getattr(d, "diskPath", None),
            capacity_bytes=getattr(d, "capacity", None),
            free_bytes=getattr(d, "freeSpace", None),
        )
        for d in disks or []
    ]


HOST_PROPERTIES = (
    "name",
    "parent",
    "summary.config.product",
    "summary.hardware",
    "hardware.cpuPkg",
    "runtime.connectionState",
    "runtime.inMaintenanceMode",
    "runtime.powerState",
    "summary.quickStats",
)


def map_host(moref: str, raw: PropertyValues, lookups: Lookups) -> Host:
    product = raw.get("summary.config.product")
    hardware = raw.get("summary.hardware")
    packages = raw.get("hardware.cpuPkg") or []
    quick = raw.get("summary.quickStats")
    memory_bytes = getattr(hardware, "memorySize", None) if hardware is not None else None
    parent = _ref(raw.get("parent"))
    vendor = getattr(packages[0], "vendor", None) if packages else None
    cpu_model = getattr(hardware, "cpuModel", None) if hardware is not None else None
    return Host(
        id=lookups.object_id(moref),
        moref=moref,
        name=raw.get("name"),
        datacenter=lookups.datacenter_name(moref),
        cluster=lookups.names.get(parent) if parent and lookups.types.get(parent) == "ClusterComputeResource" else None,
        esxi_version=getattr(product, "version", None) if product is not None else None,
        esxi_build=getattr(product, "build", None) if product is not None else None,
        product_full_name=getattr(product, "fullName", None) if product is not None else None,
        vendor=getattr(hardware, "vendor", None) if hardware is not None else None,
        model=getattr(hardware, "model", None) if hardware is not None else None,
        cpu_vendor=cpu_vendor(vendor, cpu_model) if (vendor or cpu_model) else None,
        cpu_model=cpu_model,
        cpu_sockets=getattr(hardware, "numCpuPkgs", None) if hardware is not None else None,
        cpu_cores=getattr(hardware, "numCpuCores", None) if hardware is not None else None,
        cpu_threads=getattr(hardware, "numCpuThreads", None) if hardware is not None else None,
        cpu_mhz=getattr(hardware, "cpuMhz", None) if hardware is not None else None,
        memory_mib=memory_bytes // (1024 * 1024) if memory_bytes is not None else None,
        connection_state=mapped(HOST_CONNECTION_STATES, raw.get("runtime.connectionState")),
        maintenance_mode=raw.get("runtime.inMaintenanceMode"),
        power_state=mapped(HOST_POWER_STATES, raw.get("runtime.powerState")),
        cpu_usage_mhz=getattr(quick, "overallCpuUsage", None) if quick is not None else None,
        memory_usage_mib=getattr(quick, "overallMemoryUsage", None) if quick is not None else None,
    )


CLUSTER_PROPERTIES = ("name", "parent", "host", "configurationEx", "summary")


def map_cluster(moref: str, raw: PropertyValues, lookups: Lookups) -> Cluster:
    config = raw.get("configurationEx")
    summary = raw.get("summary")
    das = getattr(config, "dasConfig", None) if config is not None else None
    drs = getattr(config, "drsConfig", None) if config is not None else None
    vsan = getattr(config, "vsanConfigInfo", None) if config is not None else None
    hosts = [lookups.names.get(_ref(h) or "", _ref(h) or "") for h in raw.get("host") or []]
    return Cluster(
        id=lookups.object_id(moref),
        moref=moref,
        name=raw.get("name"),
        datacenter=lookups.datacenter_name(moref),
        ha_enabled=getattr(das, "enabled", None) if das is not None else None,
        drs_enabled=getattr(drs, "enabled", None) if drs is not None else None,
        drs_behavior=str(drs.defaultVmBehavior) if drs is not None and drs.defaultVmBehavior else None,
        evc_mode=(getattr(summary, "currentEVCModeKey", None) or None) if summary is not None else None,
        vsan_enabled=getattr(vsan, "enabled", None) if vsan is not None else None,
        hosts=sorted(hosts),
    )


DATASTORE_PROPERTIES = ("name", "parent", "summary", "host")


def map_datastore(moref: str, raw: PropertyValues, lookups: Lookups) -> Datastore:
    summary = raw.get("summary")
    mounts = raw.get("host") or []
    hosts = [lookups.names.get(_ref(m.key) or "", _ref(m.key) or "") for m in mounts if getattr(m, "key", None)]
    return Datastore(
        id=lookups.object_id(moref),
        moref=moref,
        name=raw.get("name"),
        datacenter=lookups.datacenter_name(moref),
        type=datastore_type(getattr(summary, "type", None)) if summary is not None else None,
        capacity_bytes=getattr(summary, "capacity", None) if summary is not None else None,
        free_bytes=getattr(summary, "freeSpace", None) if summary is not None else None,
        accessible=getattr(summary, "accessible", None) if summary is not None else None,
        hosts=sorted(hosts),
    )


NETWORK_PROPERTIES = ("name", "parent")
PORTGROUP_PROPERTIES = (
    "name",
    "parent",
    "key",
    "config.distributedVirtualSwitch",
    "config.defaultPortConfig",
    "config.uplink",
)
OPAQUE_NETWORK_PROPERTIES = ("name", "parent", "summary")
SWITCH_PROPERTIES = ("name", "uuid")
HOST_PORTGROUP_PROPERTIES = ("config.network.portgroup",)


def map_network(
    moref: str,
    raw: PropertyValues,
    lookups: Lookups,
    kind: str,
    standard_vlans: Mapping[str, str] | None = None,
    switch_names: Mapping[str, str] | None = None,
) -> Network:
    name = raw.get("name")
    vlan: str | None = None
    switch: str | None = None
    uplink: bool | None = None
    if kind == "distributed":
        vlan = portgroup_vlan(raw.get("config.defaultPortConfig"))
        switch_ref = _ref(raw.get("config.distributedVirtualSwitch"))
        switch = (switch_names or {}).get(switch_ref or "", switch_ref)
        uplink = raw.flag("config.uplink", present="name")
    elif kind == "standard" and name is not None:
        vlan = (standard_vlans or {}).get(name)
        switch = (switch_names or {}).get(name)
    return Network(
        id=lookups.object_id(moref),
        moref=moref,
        name=name,
        datacenter=lookups.datacenter_name(moref),
        kind=kind,
        vlan=vlan,
        switch=switch,
        uplink=uplink,
    )


def standard_portgroup_vlans(host_portgroups: Iterable[Iterable[Any] | None]) -> tuple[dict[str, str], dict[str, str]]:
    """From each host's ``config.network.portgroup``: port group name -> VLAN and -> vSwitch."""
    vlans: dict[str, str] = {}
    switches: dict[str, str] = {}
    for portgroups in host_portgroups:
        for pg in portgroups or []:
            spec = getattr(pg, "spec", None)
            if spec is None or not spec.name:
                continue
            if spec.vlanId is not None:
                vlans.setdefault(spec.name, str(spec.vlanId))
            if spec.vswitchName:
                switches.setdefault(spec.name, spec.vswitchName)
    return vlans, switches
