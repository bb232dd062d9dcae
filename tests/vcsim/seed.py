"""Turn the simulator's identical default VMs into a varied estate, for tests and fixtures.

``seed_estate(service_instance)`` changes the simulator through pyVmomi (this is test code: it
may change vCenter state; ``scanner/`` never does) and returns a ``SeedManifest`` naming the VM
that carries each condition, so tests can assert that the condition shows up on exactly that VM.

Every VM first gets a realistic baseline (VMXNET3 NIC instead of the simulator's default E1000,
a guest OS from a current mix, VMware Tools running, a hostname and an IPv4 address, a CD/DVD
drive set to "Client Device" and not connected, disks of 40-500 GiB), so that each seeded
condition is unique to the VM it was put on.

Simulator limits found with govmomi 0.24 (probed; the seeding logs and records rejections in
``SeedManifest.unsupported`` instead of failing):
- A physical-compatibility RDM backing in ReconfigVM crashes the simulator's handler, so no RDM
  is seeded; RDM mapping is covered by unit tests of the mappers with fabricated data objects.
- ReconfigVM accepts only older guest OS ids (the list in simulator/guest_id.go, up to Windows
  2016 / RHEL 7 / SLES 12, plus the generic ubuntu64Guest) and ``guestFullName`` echoes
  ``guestId``; the baseline's current guests (Windows Server 2019/2022, RHEL 8/9) are therefore
  set through the ``SET.config.*`` test hook, with the full names vCenter would show.
- Every default VM has a CD-ROM backed by a host device and connected, which real VMs rarely
  have; the baseline switches it to a disconnected client device.
- Default disks are 1 MiB; ReconfigVM accepts a capacity edit, so the baseline resizes them.
- Guest information (Tools state, IP, hostname) can only be set through the simulator's
  ``SET.guest.*`` extraConfig hook, and ``guest.ipAddress`` only fills the first NIC, so a VM
  cannot show IPv4 and IPv6 together; mixed addresses are covered by mapper unit tests.
- Editing a device needs its full ``deviceInfo`` (the handler dereferences it), so edits start
  from the device object read back from the simulator.
- Storage committed/uncommitted figures stay 0 (or cover one disk): the simulator derives them
  from the size of its empty backing files.
- The simulator announces API 6.5, so a VirtualTPM (API 6.7) cannot be added: it arrives as an
  anonymous VirtualDevice. vTPM mapping is unit-tested instead.
- Reading an unset property one at a time (e.g. ``resourcePool`` of a template through pyVmomi's
  attribute access, which uses the ``Fetch`` method) panics the handler and drops the connection;
  RetrievePropertiesEx simply omits the property.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from typing import Any

from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

log = logging.getLogger(__name__)

# (guest id, full name as vCenter shows it): mostly current releases; RHEL 7 and CentOS 7 (past
# end of support since 2024-06-30) are the legacy share a real estate still has.
BASELINE_GUESTS = (
    ("windows2019srv_64Guest", "Microsoft Windows Server 2019 (64-bit)"),
    ("rhel8_64Guest", "Red Hat Enterprise Linux 8 (64-bit)"),
    ("windows2019srvNext_64Guest", "Microsoft Windows Server 2022 (64-bit)"),
    ("ubuntu64Guest", "Ubuntu Linux (64-bit)"),
    ("windows9Server64Guest", "Microsoft Windows Server 2016 or later (64-bit)"),
    ("rhel9_64Guest", "Red Hat Enterprise Linux 9 (64-bit)"),
    ("windows2019srv_64Guest", "Microsoft Windows Server 2019 (64-bit)"),
    ("rhel7_64Guest", "Red Hat Enterprise Linux 7 (64-bit)"),
    ("windows2019srvNext_64Guest", "Microsoft Windows Server 2022 (64-bit)"),
    ("centos7_64Guest", "CentOS 7 (64-bit)"),
)
TOOLS_VERSION = "11269"
# (vCPU, cores per socket, memory MiB): a spread of typical VM sizes for sizing and reports.
BASELINE_SIZES = ((2, 1, 4096), (4, 2, 8192), (2, 2, 4096), (8, 4, 32768), (4, 4, 16384), (1, 1, 2048), (16, 8, 65536))
# Disk capacities in GiB, picked by VM index: a boot disk, then none to two data disks.
BASELINE_BOOT_DISKS_GIB = (40, 60, 80, 100, 50, 120, 60, 40)
BASELINE_DATA_DISKS_GIB = ((), (200,), (), (100, 250), (), (500,), (150,), (), (300, 80))

HOSTILE_ANNOTATIONS = {
    "annotation_script": "<script>alert(1)</script>",
    "annotation_formula": '=HYPERLINK("http://example.invalid","x")',
    "annotation_at_formula": "@SUM(1)",
    "annotation_password": "db admin login: password=Secr3t!",
}

CUSTOM_ATTRIBUTES = {"Owner": "team-payments", "CostCenter": "CC-4711"}

# The simulator's standard vSwitch port group on every host (baseline VMs are on a distributed one).
STANDARD_PORTGROUP = "VM Network"


@dataclasses.dataclass
class SeedManifest:
    """Which VM (by name) got which condition; what the simulator refused."""

    conditions: dict[str, str] = dataclasses.field(default_factory=dict)
    unsupported: dict[str, str] = dataclasses.field(default_factory=dict)
    # Expected values of a few seeded settings, for assertions (condition -> detail).
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def vm_for(self, condition: str) -> str:
        return self.conditions[condition]

    def conditions_of(self, vm_name: str) -> list[str]:
        return sorted(c for c, name in self.conditions.items() if name == vm_name)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class SimulatorRejected(Exception):
    """The simulator answered a seeding call with a fault."""


def _wait(task: Any) -> Any:
    try:
        WaitForTask(task)
    except vmodl.MethodFault as fault:
        raise SimulatorRejected(f"{type(fault).__name__}: {fault.msg or ''}".strip()) from fault
    return task.info.result


def _reconfigure(vm: vim.VirtualMachine, spec: vim.vm.ConfigSpec) -> None:
    try:
        task = vm.ReconfigVM_Task(spec=spec)
    except vmodl.MethodFault as fault:
        raise SimulatorRejected(f"{type(fault).__name__}: {fault.msg or ''}".strip()) from fault
    _wait(task)


def _devices(vm: vim.VirtualMachine) -> list[Any]:
    return list(vm.config.hardware.device)


def _first(vm: vim.VirtualMachine, kind: type) -> Any:
    for device in _devices(vm):
        if isinstance(device, kind):
            return device
    raise LookupError(f"{vm.name} has no {kind.__name__}")


def _free_unit(vm: vim.VirtualMachine, controller_key: int, reserved: Sequence[int] = (7,)) -> int:
    used = {d.unitNumber for d in _devices(vm) if d.controllerKey == controller_key}
    unit = 1
    while unit in used or unit in reserved:
        unit += 1
    return unit


def _add(device: Any, create_file: bool = False) -> vim.vm.device.VirtualDeviceSpec:
    spec = vim.vm.device.VirtualDeviceSpec(operation="add", device=device)
    if create_file:
        spec.fileOperation = "create"
    return spec


def _new_disk(
    controller_key: int,
    unit: int,
    capacity_kb: int,
    *,
    thin: bool = True,
    eager: bool = False,
    mode: str = "persistent",
    sharing: str | None = None,
    key: int = -101,
) -> vim.vm.device.VirtualDisk:
    backing = vim.vm.device.VirtualDisk.FlatVer2BackingInfo(
        fileName="", diskMode=mode, thinProvisioned=thin, eagerlyScrub=eager
    )
    if sharing is not None:
        backing.sharing = sharing
    return vim.vm.device.VirtualDisk(
        key=key,
        controllerKey=controller_key,
        unitNumber=unit,
        capacityInKB=capacity_kb,
        backing=backing,
    )


def _datastore_name(vm: vim.VirtualMachine) -> str:
    return str(vm.config.files.vmPathName).split("]")[0].lstrip("[")


def _set_guest(vm: vim.VirtualMachine, values: dict[str, str]) -> None:
    # The simulator applies "SET.<property path>" extraConfig keys to the VM object (a test hook).
    spec = vim.vm.ConfigSpec(
        extraConfig=[vim.option.OptionValue(key=f"SET.guest.{k}", value=v) for k, v in values.items()]
    )
    _reconfigure(vm, spec)


# --- baseline -------------------------------------------------------------------------------


def _set_config_guest(vm: vim.VirtualMachine, guest_id: str, full_name: str) -> None:
    # ReconfigVM refuses guest ids newer than the simulator's list, so the configured guest is set
    # through the SET hook on every property vCenter would change with it.
    values = {
        "config.guestId": guest_id,
        "config.guestFullName": full_name,
        "summary.config.guestId": guest_id,
        "summary.config.guestFullName": full_name,
    }
    spec = vim.vm.ConfigSpec(extraConfig=[vim.option.OptionValue(key=f"SET.{k}", value=v) for k, v in values.items()])
    _reconfigure(vm, spec)


def _baseline_cdrom(vm: vim.VirtualMachine) -> None:
    """The usual state of a CD/DVD drive: "Client Device", not connected, not connected at power on."""
    backing = vim.vm.device.VirtualCdrom.RemotePassthroughBackingInfo(deviceName="", exclusive=False)
    _edit_cdrom(vm, backing, connected=False)


def _baseline_disks(vm: vim.VirtualMachine, index: int) -> None:
    """Resize the simulator's 1 MiB boot disk and add the data disks of this VM's index."""
    boot = _first(vm, vim.vm.device.VirtualDisk)
    boot_gib = BASELINE_BOOT_DISKS_GIB[index % len(BASELINE_BOOT_DISKS_GIB)]
    boot.capacityInKB = boot_gib * 1024 * 1024
    boot.capacityInBytes = boot_gib * 1024**3
    changes = [vim.vm.device.VirtualDeviceSpec(operation="edit", device=boot)]
    scsi = _scsi_controller(vm)
    unit = _free_unit(vm, scsi.key)
    for offset, data_gib in enumerate(BASELINE_DATA_DISKS_GIB[index % len(BASELINE_DATA_DISKS_GIB)]):
        disk = _new_disk(scsi.key, unit + offset, data_gib * 1024 * 1024, key=-201 - offset)
        disk.capacityInBytes = data_gib * 1024**3
        changes.append(_add(disk, create_file=True))
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=changes))


def _baseline(vm: vim.VirtualMachine, index: int) -> None:
    """VMXNET3 instead of E1000, a guest OS from the mix, a size, disks, a client-device CD-ROM,
    Tools running, hostname and IPv4."""
    e1000 = _first(vm, vim.vm.device.VirtualE1000)
    vmxnet3 = vim.vm.device.VirtualVmxnet3(
        key=-1,
        backing=e1000.backing,
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(
            startConnected=True, connected=True, allowGuestControl=True
        ),
        addressType="generated",
    )
    guest_id, guest_name = BASELINE_GUESTS[index % len(BASELINE_GUESTS)]
    num_cpu, cores_per_socket, memory_mb = BASELINE_SIZES[index % len(BASELINE_SIZES)]
    spec = vim.vm.ConfigSpec(
        numCPUs=num_cpu,
        numCoresPerSocket=cores_per_socket,
        memoryMB=memory_mb,
        annotation=f"baseline VM {index}",
        deviceChange=[
            vim.vm.device.VirtualDeviceSpec(operation="remove", device=e1000),
            _add(vmxnet3),
        ],
    )
    _reconfigure(vm, spec)
    _set_config_guest(vm, guest_id, guest_name)
    _baseline_cdrom(vm)
    _baseline_disks(vm, index)
    _set_guest(
        vm,
        {
            "toolsStatus": "toolsOk",
            "toolsRunningStatus": "guestToolsRunning",
            "toolsVersion": TOOLS_VERSION,
            # vCenter reports it on every VM with Tools; the simulator only when set.
            "toolsVersionStatus2": "guestToolsCurrent",
            "guestId": guest_id,
            "guestFullName": guest_name,
            "hostName": f"{vm.name.lower().replace('_', '-')}.corp.example",
            "ipAddress": f"10.{index // 250}.{index % 250}.{10 + index % 200}",
        },
    )


# --- conditions -----------------------------------------------------------------------------
# Each function puts one condition on one VM and may return a detail stored in the manifest.

Seeder = Callable[[vim.VirtualMachine, Any], Any]


def _snapshot(vm: vim.VirtualMachine, _si: Any) -> Any:
    _wait(vm.CreateSnapshot_Task(name="before-patch", description="", memory=False, quiesce=False))
    return ["before-patch"]


def _snapshots_multiple(vm: vim.VirtualMachine, _si: Any) -> Any:
    names = ["base", "after-upgrade", "pre-release"]
    for name in names:
        _wait(vm.CreateSnapshot_Task(name=name, description="", memory=False, quiesce=False))
    return names


def _serial_file(vm: vim.VirtualMachine, _si: Any) -> Any:
    port = vim.vm.device.VirtualSerialPort(
        key=-1,
        yieldOnPoll=True,
        backing=vim.vm.device.VirtualSerialPort.FileBackingInfo(
            fileName=f"[{_datastore_name(vm)}] {vm.name}/serial0.log"
        ),
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True),
    )
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(port)]))


def _serial_network(vm: vim.VirtualMachine, _si: Any) -> Any:
    port = vim.vm.device.VirtualSerialPort(
        key=-1,
        yieldOnPoll=True,
        backing=vim.vm.device.VirtualSerialPort.URIBackingInfo(direction="server", serviceURI="telnet://:7001"),
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True),
    )
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(port)]))


def _parallel_port(vm: vim.VirtualMachine, _si: Any) -> Any:
    port = vim.vm.device.VirtualParallelPort(
        key=-1,
        backing=vim.vm.device.VirtualParallelPort.FileBackingInfo(
            fileName=f"[{_datastore_name(vm)}] {vm.name}/parallel0.out"
        ),
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True),
    )
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(port)]))


def _usb(vm: vim.VirtualMachine, _si: Any) -> Any:
    controller = vim.vm.device.VirtualUSBController(key=-10, autoConnectDevices=True, ehciEnabled=True)
    device = vim.vm.device.VirtualUSB(
        key=-11,
        controllerKey=-10,
        backing=vim.vm.device.VirtualUSB.USBBackingInfo(deviceName="path:1/0/3 version:2"),
        connected=True,
    )
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(controller), _add(device)]))


def _iso_backing(vm: vim.VirtualMachine) -> Any:
    return vim.vm.device.VirtualCdrom.IsoBackingInfo(
        fileName=f"[{_datastore_name(vm)}] iso/rhel-server-7.9-x86_64-dvd.iso"
    )


def _edit_cdrom(vm: vim.VirtualMachine, backing: Any, connected: bool) -> None:
    cdrom = _first(vm, vim.vm.device.VirtualCdrom)
    cdrom.backing = backing
    cdrom.connectable = vim.vm.device.VirtualDevice.ConnectInfo(
        startConnected=connected, connected=connected, allowGuestControl=True
    )
    spec = vim.vm.device.VirtualDeviceSpec(operation="edit", device=cdrom)
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[spec]))


def _cdrom_iso_connected(vm: vim.VirtualMachine, _si: Any) -> Any:
    backing = _iso_backing(vm)
    _edit_cdrom(vm, backing, connected=True)
    return backing.fileName


def _cdrom_iso_disconnected(vm: vim.VirtualMachine, _si: Any) -> Any:
    backing = _iso_backing(vm)
    _edit_cdrom(vm, backing, connected=False)
    return backing.fileName


def _cdrom_client_device(vm: vim.VirtualMachine, _si: Any) -> Any:
    # Connected to the client's drive (every baseline CD-ROM is a disconnected client device).
    backing = vim.vm.device.VirtualCdrom.RemotePassthroughBackingInfo(deviceName="", exclusive=False)
    _edit_cdrom(vm, backing, connected=True)


def _cdrom_host_device(vm: vim.VirtualMachine, _si: Any) -> Any:
    # The ESXi host's own optical drive, connected: blocks vMotion like an ISO does.
    backing = vim.vm.device.VirtualCdrom.AtapiBackingInfo(deviceName="/vmfs/devices/cdrom/mpx.vmhba0:C0:T0:L0")
    _edit_cdrom(vm, backing, connected=True)
    return backing.deviceName


def _floppy_connected(vm: vim.VirtualMachine, _si: Any) -> Any:
    sio = _first(vm, vim.vm.device.VirtualSIOController)
    floppy = vim.vm.device.VirtualFloppy(
        key=-1,
        controllerKey=sio.key,
        unitNumber=0,
        backing=vim.vm.device.VirtualFloppy.ImageBackingInfo(fileName=f"[{_datastore_name(vm)}] {vm.name}/drivers.flp"),
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True),
    )
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(floppy)]))


def _scsi_controller(vm: vim.VirtualMachine) -> Any:
    return _first(vm, vim.vm.device.VirtualSCSIController)


def _add_disk_on_scsi(vm: vim.VirtualMachine, **disk_options: Any) -> int:
    scsi = _scsi_controller(vm)
    unit = _free_unit(vm, scsi.key)
    capacity_kb = 2 * 1024 * 1024
    disk = _new_disk(scsi.key, unit, capacity_kb, **disk_options)
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(disk, create_file=True)]))
    return capacity_kb


def _multiwriter_disk(vm: vim.VirtualMachine, _si: Any) -> Any:
    return _add_disk_on_scsi(vm, thin=False, eager=True, sharing="sharingMultiWriter")


def _independent_disk(vm: vim.VirtualMachine, _si: Any) -> Any:
    return _add_disk_on_scsi(vm, mode="independent_persistent")


def _eager_zeroed_disk(vm: vim.VirtualMachine, _si: Any) -> Any:
    return _add_disk_on_scsi(vm, thin=False, eager=True)


def _thick_lazy_disk(vm: vim.VirtualMachine, _si: Any) -> Any:
    return _add_disk_on_scsi(vm, thin=False, eager=False)


def _bus_sharing(mode: str) -> Seeder:
    def seed(vm: vim.VirtualMachine, _si: Any) -> Any:
        controller = vim.vm.device.VirtualLsiLogicSASController(
            key=-20, busNumber=1, sharedBus=mode, scsiCtlrUnitNumber=7
        )
        disk = _new_disk(-20, 0, 1024 * 1024, thin=False, eager=True, key=-21)
        _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(controller), _add(disk, create_file=True)]))
        return mode

    return seed


def _sata_disk(vm: vim.VirtualMachine, _si: Any) -> Any:
    controller = vim.vm.device.VirtualAHCIController(key=-30, busNumber=0)
    disk = _new_disk(-30, 0, 512 * 1024, key=-31)
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(controller), _add(disk, create_file=True)]))


def _nvme_disk(vm: vim.VirtualMachine, _si: Any) -> Any:
    controller = vim.vm.device.VirtualNVMEController(key=-40, busNumber=0)
    disk = _new_disk(-40, 0, 512 * 1024, key=-41)
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(controller), _add(disk, create_file=True)]))


def _vtpm(vm: vim.VirtualMachine, _si: Any) -> Any:
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(vim.vm.device.VirtualTPM(key=-50))]))
    # The simulator speaks API 6.5, which has no VirtualTPM type: pyVmomi serialises the device
    # as a plain VirtualDevice, so the VM ends up with an anonymous device and no vTPM.
    if not any(isinstance(d, vim.vm.device.VirtualTPM) for d in _devices(vm)):
        raise SimulatorRejected("VirtualTPM is not representable in the simulator's API 6.5")


def _pci_passthrough(vm: vim.VirtualMachine, _si: Any) -> Any:
    device = vim.vm.device.VirtualPCIPassthrough(
        key=-60,
        backing=vim.vm.device.VirtualPCIPassthrough.DeviceBackingInfo(
            id="0000:3b:00.0",
            deviceId="1eb8",
            systemId="5e1f2c3a-0000-0000-0000-000000000000",
            vendorId=0x10DE,
            deviceName="NVIDIA Tesla T4",
        ),
    )
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(device)]))


def _vgpu(vm: vim.VirtualMachine, _si: Any) -> Any:
    device = vim.vm.device.VirtualPCIPassthrough(
        key=-61,
        backing=vim.vm.device.VirtualPCIPassthrough.VmiopBackingInfo(vgpu="grid_t4-4q"),
    )
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[_add(device)]))
    return "grid_t4-4q"


def _config(**values: Any) -> Seeder:
    def seed(vm: vim.VirtualMachine, _si: Any) -> Any:
        _reconfigure(vm, vim.vm.ConfigSpec(**values))
        return {k: v for k, v in values.items() if isinstance(v, (str, int, bool))} or None

    return seed


def _old_guest(guest_id: str) -> Seeder:
    def seed(vm: vim.VirtualMachine, _si: Any) -> Any:
        _reconfigure(vm, vim.vm.ConfigSpec(guestId=guest_id))
        _set_guest(vm, {"guestId": guest_id, "guestFullName": guest_id})
        return guest_id

    return seed


def _e1000(vm: vim.VirtualMachine, _si: Any) -> Any:
    nic = _first(vm, vim.vm.device.VirtualEthernetCard)
    e1000 = vim.vm.device.VirtualE1000(
        key=-1,
        backing=nic.backing,
        connectable=vim.vm.device.VirtualDevice.ConnectInfo(startConnected=True, connected=True),
        addressType="manual",
        macAddress="00:50:56:00:00:01",
    )
    spec = vim.vm.ConfigSpec(
        deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="remove", device=nic), _add(e1000)]
    )
    _reconfigure(vm, spec)
    return "00:50:56:00:00:01"


def _power(state: str) -> Seeder:
    def seed(vm: vim.VirtualMachine, _si: Any) -> Any:
        if state == "suspended":
            _wait(vm.SuspendVM_Task())
        else:
            _wait(vm.PowerOffVM_Task())
        return state

    return seed


# govmomi 0.24's simulator keeps only its latest 1000 events (simulator/event_manager.go,
# maxPageSize), where a vCenter drops events older than event.maxAge days.
SIMULATOR_EVENT_HISTORY = 1000


def _powered_off_before_history(vm: vim.VirtualMachine, si: Any) -> Any:
    """Power the VM off, then age its power-off out of the event history.

    Posting as many user events as the simulator keeps pushes the power-off out, as retention
    does on a vCenter after event.maxAge days: the VM is then off "since before the history".
    Seeded before ``powered_off``, whose power-off must stay in the history.
    """
    _wait(vm.PowerOffVM_Task())
    manager = si.content.eventManager
    now = si.CurrentTime()
    for index in range(SIMULATOR_EVENT_HISTORY):
        manager.PostEvent(eventToPost=vim.event.GeneralUserEvent(
            key=0, chainId=0, createdTime=now, userName="seed", message=f"history filler {index}",
        ))
    return SIMULATOR_EVENT_HISTORY


def _standard_portgroup(vm: vim.VirtualMachine, _si: Any) -> Any:
    """Move the VM's NIC to the standard vSwitch port group "VM Network" of its host."""
    network = next(n for n in vm.runtime.host.network
                   if n.name == STANDARD_PORTGROUP and not isinstance(n, vim.dvs.DistributedVirtualPortgroup))
    nic = _first(vm, vim.vm.device.VirtualEthernetCard)
    nic.backing = vim.vm.device.VirtualEthernetCard.NetworkBackingInfo(deviceName=STANDARD_PORTGROUP,
                                                                        network=network)
    _reconfigure(vm, vim.vm.ConfigSpec(deviceChange=[vim.vm.device.VirtualDeviceSpec(operation="edit", device=nic)]))
    return STANDARD_PORTGROUP


def _template(vm: vim.VirtualMachine, _si: Any) -> Any:
    _wait(vm.PowerOffVM_Task())
    try:
        vm.MarkAsTemplate()
    except vmodl.MethodFault as fault:
        raise SimulatorRejected(type(fault).__name__) from fault


def _annotation(text: str) -> Seeder:
    def seed(vm: vim.VirtualMachine, _si: Any) -> Any:
        _reconfigure(vm, vim.vm.ConfigSpec(annotation=text))
        return text

    return seed


def _custom_attributes(vm: vim.VirtualMachine, si: Any) -> Any:
    manager = si.content.customFieldsManager
    existing = {f.name: f.key for f in manager.field or []}
    for name, value in CUSTOM_ATTRIBUTES.items():
        key = existing.get(name)
        if key is None:
            key = manager.AddCustomFieldDef(name=name, moType=vim.VirtualMachine).key
        manager.SetField(entity=vm, key=key, value=value)
    return dict(CUSTOM_ATTRIBUTES)


def _ipv6_only(vm: vim.VirtualMachine, _si: Any) -> Any:
    _set_guest(vm, {"ipAddress": "fd00:10::25"})
    return "fd00:10::25"


def _tools_not_running(vm: vim.VirtualMachine, _si: Any) -> Any:
    _set_guest(vm, {"toolsStatus": "toolsNotRunning", "toolsRunningStatus": "guestToolsNotRunning"})


def _efi_secure_boot(vm: vim.VirtualMachine, _si: Any) -> Any:
    _reconfigure(vm, vim.vm.ConfigSpec(firmware="efi"))
    _reconfigure(vm, vim.vm.ConfigSpec(bootOptions=vim.vm.BootOptions(efiSecureBootEnabled=True)))


# Ordered: condition name -> seeder. Each condition lands on its own VM (sorted by name).
CONDITIONS: dict[str, Seeder] = {
    "snapshot": _snapshot,
    "snapshots_multiple": _snapshots_multiple,
    "serial_file": _serial_file,
    "serial_network": _serial_network,
    "parallel_port": _parallel_port,
    "usb": _usb,
    "cdrom_iso_connected": _cdrom_iso_connected,
    "cdrom_iso_disconnected": _cdrom_iso_disconnected,
    "cdrom_client_device": _cdrom_client_device,
    "cdrom_host_device": _cdrom_host_device,
    "floppy_connected": _floppy_connected,
    "multiwriter_disk": _multiwriter_disk,
    "bus_sharing_virtual": _bus_sharing("virtualSharing"),
    "bus_sharing_physical": _bus_sharing("physicalSharing"),
    "independent_disk": _independent_disk,
    "eager_zeroed_disk": _eager_zeroed_disk,
    "thick_lazy_disk": _thick_lazy_disk,
    "sata_disk": _sata_disk,
    "nvme_disk": _nvme_disk,
    "hw_version_vmx07": _config(version="vmx-07"),
    "hw_version_vmx08": _config(version="vmx-08"),
    "guest_os_win2003": _old_guest("winNetStandardGuest"),
    "guest_os_rhel5": _old_guest("rhel5Guest"),
    "template": _template,
    "suspended": _power("suspended"),
    "powered_off_before_history": _powered_off_before_history,
    "powered_off": _power("poweredOff"),
    "standard_portgroup": _standard_portgroup,
    "nic_e1000": _e1000,
    "vtpm": _vtpm,
    "pci_passthrough": _pci_passthrough,
    "vgpu": _vgpu,
    "hot_add": _config(cpuHotAddEnabled=True, memoryHotAddEnabled=True),
    "cbt": _config(changeTrackingEnabled=True),
    "latency_high": _config(latencySensitivity=vim.LatencySensitivity(level="high")),
    "reservations_limits": _config(
        cpuAllocation=vim.ResourceAllocationInfo(reservation=2000, limit=4000),
        memoryAllocation=vim.ResourceAllocationInfo(reservation=1024, limit=2048),
    ),
    "oversized": _config(numCPUs=128, numCoresPerSocket=16, memoryMB=4 * 1024 * 1024),
    "efi_secure_boot": _efi_secure_boot,
    "custom_attributes": _custom_attributes,
    "annotation_script": _annotation(HOSTILE_ANNOTATIONS["annotation_script"]),
    "annotation_formula": _annotation(HOSTILE_ANNOTATIONS["annotation_formula"]),
    "annotation_at_formula": _annotation(HOSTILE_ANNOTATIONS["annotation_at_formula"]),
    "annotation_password": _annotation(HOSTILE_ANNOTATIONS["annotation_password"]),
    "ipv6_only": _ipv6_only,
    "tools_not_running": _tools_not_running,
}


def all_vms(si: Any) -> list[vim.VirtualMachine]:
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return sorted(view.view, key=lambda vm: vm.name)
    finally:
        view.DestroyView()


def _spread(vms: list[vim.VirtualMachine], count: int) -> list[vim.VirtualMachine]:
    """Pick ``count`` VMs spread over the sorted list, so conditions land on every host/cluster."""
    if count > len(vms):
        raise ValueError(f"need at least {count} VMs to seed every condition, simulator has {len(vms)}")
    step = len(vms) / count
    return [vms[int(i * step)] for i in range(count)]


def seed_estate(si: Any, conditions: dict[str, Seeder] | None = None) -> SeedManifest:
    """Seed the simulator behind ``si``; return which VM got which condition."""
    chosen = CONDITIONS if conditions is None else conditions
    vms = all_vms(si)
    manifest = SeedManifest()
    for index, vm in enumerate(vms):
        _baseline(vm, index)
    for (condition, seeder), vm in zip(chosen.items(), _spread(vms, len(chosen)), strict=True):
        try:
            detail = seeder(vm, si)
        except SimulatorRejected as rejected:
            log.warning("simulator rejected %s on %s: %s", condition, vm.name, rejected)
            manifest.unsupported[condition] = str(rejected)
            continue
        manifest.conditions[condition] = vm.name
        if detail is not None:
            manifest.details[condition] = detail
    return manifest
