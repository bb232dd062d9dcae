"""Mappers from raw vSphere values to the inventory model, with fabricated pyVmomi data objects."""

from __future__ import annotations

import datetime

import pytest
from pyVmomi import vim

from scanner.collector import mappers
from scanner.collector.mappers import DeviceInventory, Lookups, PropertyValues

D = vim.vm.device
DS_REF = vim.Datastore("datastore-1")
NET_REF = vim.Network("network-7")


def scsi(key: int = 1000, cls: type = D.ParaVirtualSCSIController, sharing: str = "noSharing") -> object:
    return cls(key=key, busNumber=0, sharedBus=sharing, deviceInfo=vim.Description(label=f"SCSI {key}", summary=""))


def disk(backing: object, controller_key: int = 1000, capacity_kb: int = 10 * 1024 * 1024, key: int = 2000) -> object:
    return D.VirtualDisk(key=key, controllerKey=controller_key, unitNumber=0, capacityInKB=capacity_kb, backing=backing)


def flat(thin: bool = False, eager: bool = False, mode: str = "persistent", sharing: str | None = None) -> object:
    backing = D.VirtualDisk.FlatVer2BackingInfo(
        fileName="[ds1] vm/vm.vmdk", diskMode=mode, thinProvisioned=thin, eagerlyScrub=eager, datastore=DS_REF
    )
    if sharing:
        backing.sharing = sharing
    return backing


def inventory(*devices: object) -> DeviceInventory:
    return DeviceInventory(
        devices, {"datastore-1": "ds1"}, {"network-7": "VM Network"}, {"dvportgroup-13": "Prod-VLAN100"}
    )


# --- disks and controllers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("thin", "eager", "expected"),
    [(True, False, "thin"), (False, False, "thick_lazy"), (False, True, "thick_eager")],
)
def test_disk_provisioning(thin: bool, eager: bool, expected: str) -> None:
    result = inventory(scsi(), disk(flat(thin=thin, eager=eager))).disks[0]
    assert result.provisioning == expected
    assert result.backing == "flat"
    assert result.capacity_bytes == 10 * 1024**3
    assert result.datastore == "ds1"
    assert result.controller_type == "scsi_pvscsi"
    assert result.controller_bus_sharing == "none"
    assert result.sharing == "none"
    assert result.lun_uuid is None


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("physicalMode", "rdm_physical"), ("virtualMode", "rdm_virtual")],
)
def test_rdm_backings(mode: str, expected: str) -> None:
    backing = D.VirtualDisk.RawDiskMappingVer1BackingInfo(
        compatibilityMode=mode,
        diskMode="independent_persistent" if mode == "physicalMode" else "persistent",
        fileName="[ds1] db/db_1.vmdk",
        deviceName="vml.0200000000600508b1001c",
        lunUuid="0200000000600508b1001c",
        datastore=DS_REF,
    )
    result = inventory(scsi(), disk(backing)).disks[0]
    assert result.backing == expected
    assert result.provisioning is None
    assert result.lun_uuid == "0200000000600508b1001c"
    assert result.datastore == "ds1"


def test_multi_writer_independent_disk_on_shared_bus() -> None:
    devices = inventory(
        scsi(sharing="physicalSharing", cls=D.VirtualLsiLogicSASController),
        disk(flat(eager=True, mode="independent_persistent", sharing="sharingMultiWriter")),
    )
    result = devices.disks[0]
    assert result.sharing == "multi_writer"
    assert result.mode == "independent_persistent"
    assert result.controller_type == "scsi_lsilogic_sas"
    assert result.controller_bus_sharing == "physical"
    assert devices.controllers[0].bus_sharing == "physical"


@pytest.mark.parametrize(
    ("controller", "expected"),
    [
        (D.VirtualAHCIController(key=15000, busNumber=0), "sata"),
        (D.VirtualNVMEController(key=31000, busNumber=0), "nvme"),
        (D.VirtualIDEController(key=200, busNumber=0), "ide"),
        (D.VirtualLsiLogicController(key=1000, busNumber=0, sharedBus="virtualSharing"), "scsi_lsilogic"),
        (D.VirtualBusLogicController(key=1000, busNumber=0, sharedBus="noSharing"), "scsi_buslogic"),
    ],
)
def test_controller_kinds(controller: object, expected: str) -> None:
    result = inventory(controller, disk(flat(thin=True), controller_key=controller.key)).disks[0]  # type: ignore[attr-defined]
    assert result.controller_type == expected
    if expected == "scsi_lsilogic":
        assert result.controller_bus_sharing == "virtual"
    if expected in ("sata", "nvme", "ide"):
        assert result.controller_bus_sharing is None


def test_sparse_and_unknown_disk_backings() -> None:
    sparse = D.VirtualDisk.SeSparseBackingInfo(fileName="[ds1] clone/clone.vmdk", diskMode="persistent")
    result = inventory(scsi(), disk(sparse)).disks[0]
    assert (result.backing, result.provisioning, result.datastore) == ("sparse", "thin", "ds1")


# --- NICs ---------------------------------------------------------------------------------------


def test_nic_adapter_types_and_networks() -> None:
    std = D.VirtualEthernetCard.NetworkBackingInfo(deviceName="VM Network", network=NET_REF)
    dvs = D.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
        port=vim.dvs.PortConnection(switchUuid="50 1a", portgroupKey="dvportgroup-13")
    )
    opaque = D.VirtualEthernetCard.OpaqueNetworkBackingInfo(
        opaqueNetworkId="ls-1", opaqueNetworkType="nsx.LogicalSwitch"
    )
    connect = D.VirtualDevice.ConnectInfo(connected=True, startConnected=True)
    nics = inventory(
        D.VirtualE1000(
            key=4000, backing=std, connectable=connect, addressType="manual", macAddress="00:50:56:aa:bb:cc"
        ),
        D.VirtualVmxnet3(key=4001, backing=dvs, addressType="assigned", macAddress="00:50:56:01:02:03"),
        D.VirtualE1000e(key=4002, backing=opaque, addressType="generated"),
        D.VirtualVmxnet2(key=4003, backing=std),
        D.VirtualPCNet32(key=4004, backing=std),
    ).nics
    assert [n.adapter_type for n in nics] == ["e1000", "vmxnet3", "e1000e", "vmxnet2", "pcnet32"]
    assert [n.network_kind for n in nics] == ["standard", "distributed", "opaque", "standard", "standard"]
    assert nics[0].network == "VM Network"
    assert nics[1].network == "Prod-VLAN100"
    assert nics[2].network == "ls-1"
    assert (nics[0].connected, nics[0].start_connected, nics[0].mac_type) == (True, True, "manual")
    assert nics[1].connected is None  # no connectable info: unknown, not False
    assert nics[1].mac_type == "assigned"


# --- removable drives and ports -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("backing", "expected"),
    [
        (D.VirtualCdrom.IsoBackingInfo(fileName="[ds1] iso/win.iso"), "iso"),
        (D.VirtualCdrom.AtapiBackingInfo(deviceName="/dev/cdrom"), "host_device"),
        (D.VirtualCdrom.PassthroughBackingInfo(deviceName="/dev/sr0", exclusive=False), "host_device"),
        (D.VirtualCdrom.RemotePassthroughBackingInfo(deviceName="", exclusive=False), "client"),
        (D.VirtualCdrom.RemoteAtapiBackingInfo(deviceName=""), "client"),
        (None, "none"),
    ],
)
def test_cdrom_backings(backing: object, expected: str) -> None:
    drive = D.VirtualCdrom(
        key=3000, backing=backing, connectable=D.VirtualDevice.ConnectInfo(connected=False, startConnected=True)
    )
    result = inventory(drive).cdroms[0]
    assert result.backing == expected
    assert (result.connected, result.start_connected) == (False, True)
    if expected == "iso":
        assert result.backing_path == "[ds1] iso/win.iso"


@pytest.mark.parametrize(
    ("backing", "expected"),
    [
        (D.VirtualFloppy.ImageBackingInfo(fileName="[ds1] f.flp"), "image"),
        (D.VirtualFloppy.DeviceBackingInfo(deviceName="/dev/fd0"), "host_device"),
        (D.VirtualFloppy.RemoteDeviceBackingInfo(deviceName=""), "client"),
    ],
)
def test_floppy_backings(backing: object, expected: str) -> None:
    assert inventory(D.VirtualFloppy(key=8000, backing=backing)).floppies[0].backing == expected


@pytest.mark.parametrize(
    ("backing", "expected", "path"),
    [
        (D.VirtualSerialPort.FileBackingInfo(fileName="[ds1] vm/serial.log"), "file", "[ds1] vm/serial.log"),
        (
            D.VirtualSerialPort.URIBackingInfo(serviceURI="telnet://:7001", direction="server"),
            "network",
            "telnet://:7001",
        ),
        (D.VirtualSerialPort.PipeBackingInfo(pipeName=r"\\.\pipe\com1", endpoint="client"), "pipe", r"\\.\pipe\com1"),
        (D.VirtualSerialPort.DeviceBackingInfo(deviceName="/dev/ttyS0"), "device", "/dev/ttyS0"),
    ],
)
def test_serial_port_backings(backing: object, expected: str, path: str) -> None:
    port = inventory(D.VirtualSerialPort(key=9000, backing=backing, yieldOnPoll=True)).serial_ports[0]
    assert (port.backing, port.backing_path) == (expected, path)


def test_parallel_port_backings() -> None:
    ports = inventory(
        D.VirtualParallelPort(key=10000, backing=D.VirtualParallelPort.FileBackingInfo(fileName="[ds1] p.out")),
        D.VirtualParallelPort(key=10001, backing=D.VirtualParallelPort.DeviceBackingInfo(deviceName="/dev/lp0")),
    ).parallel_ports
    assert [p.backing for p in ports] == ["file", "device"]


# --- USB, passthrough, vTPM -------------------------------------------------------------------


def test_usb_controllers_and_devices() -> None:
    devices = inventory(
        D.VirtualUSBController(key=7000),
        D.VirtualUSBXHCIController(key=14000),
        D.VirtualUSB(
            key=7001, controllerKey=7000, connected=True, backing=D.VirtualUSB.USBBackingInfo(deviceName="path:1/0/3")
        ),
    )
    assert [c.type for c in devices.usb_controllers] == ["usb2", "usb3"]
    assert devices.usb_devices[0].backing_path == "path:1/0/3"
    assert devices.usb_devices[0].connected is True


def test_passthrough_vgpu_dynamic_and_vtpm() -> None:
    devices = inventory(
        D.VirtualPCIPassthrough(
            key=13000, backing=D.VirtualPCIPassthrough.DeviceBackingInfo(id="0000:3b:00.0", deviceName="Tesla T4")
        ),
        D.VirtualPCIPassthrough(key=13001, backing=D.VirtualPCIPassthrough.VmiopBackingInfo(vgpu="grid_t4-4q")),
        D.VirtualPCIPassthrough(
            key=13002,
            backing=D.VirtualPCIPassthrough.DynamicBackingInfo(
                allowedDevice=[D.VirtualPCIPassthrough.AllowedDevice(vendorId=0x10DE, deviceId=0x1EB8)]
            ),
        ),
        D.VirtualTPM(key=11000),
    )
    assert [(p.kind, p.detail) for p in devices.passthrough_devices] == [
        ("pci", "0000:3b:00.0 Tesla T4"),
        ("vgpu", "grid_t4-4q"),
        ("dynamic_direct_path", "10de:1eb8"),
    ]
    assert devices.vtpm is True
    assert inventory(scsi()).vtpm is False


# --- snapshots, guest, values -----------------------------------------------------------------


def test_snapshot_tree_is_flattened_depth_first() -> None:
    t0 = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)

    def node(name: str, minutes: int, children: list[object] = ()) -> object:  # type: ignore[assignment]
        return vim.vm.SnapshotTree(
            name=name,
            description="",
            createTime=t0 + datetime.timedelta(minutes=minutes),
            state="poweredOn",
            quiesced=False,
            childSnapshotList=list(children),
        )

    tree = [node("base", 0, [node("a", 1, [node("a1", 2)]), node("b", 3)])]
    snapshots = mappers.flatten_snapshots(tree)
    assert [s.name for s in snapshots] == ["base", "a", "a1", "b"]
    assert snapshots[0].created == "2024-01-02T03:04:05Z"
    assert snapshots[0].power_state == "powered_on"
    assert mappers.flatten_snapshots(None) == []


def test_guest_ip_addresses_split_v4_v6() -> None:
    nics = [
        vim.vm.GuestInfo.NicInfo(ipAddress=["10.0.0.5", "fe80::250:56ff:fe01:203", "not-an-ip"]),
        vim.vm.GuestInfo.NicInfo(ipAddress=["2001:db8::5", "10.0.0.5"]),
    ]
    v4, v6 = mappers.guest_ip_addresses(nics, "10.0.0.5")
    assert v4 == ["10.0.0.5"]
    assert v6 == ["fe80::250:56ff:fe01:203", "2001:db8::5"]


@pytest.mark.parametrize(
    ("value", "expected"), [("vmx-07", 7), ("vmx-19", 19), ("vmx-x", None), (None, None), ("", None)]
)
def test_hardware_version(value: str | None, expected: int | None) -> None:
    assert mappers.hardware_version(value) == expected


def test_custom_attributes_resolve_names() -> None:
    values = [
        vim.CustomFieldsManager.StringValue(key=101, value="team-a"),
        vim.CustomFieldsManager.StringValue(key=7, value="x"),
    ]
    assert mappers.custom_attributes(values, {101: "Owner"}) == {"Owner": "team-a", "field-7": "x"}


def test_portgroup_vlan_forms() -> None:
    spec = vim.dvs.VmwareDistributedVirtualSwitch
    assert mappers.portgroup_vlan(spec.VmwarePortConfigPolicy(vlan=spec.VlanIdSpec(vlanId=100))) == "100"
    trunk = spec.TrunkVlanSpec(vlanId=[vim.NumericRange(start=1, end=4094), vim.NumericRange(start=5, end=5)])
    assert mappers.portgroup_vlan(spec.VmwarePortConfigPolicy(vlan=trunk)) == "1-4094,5"
    assert mappers.portgroup_vlan(spec.VmwarePortConfigPolicy(vlan=spec.PvlanSpec(pvlanId=20))) == "pvlan:20"
    assert mappers.portgroup_vlan(None) is None


# --- whole VM ---------------------------------------------------------------------------------


def lookups() -> Lookups:
    result = Lookups(vcenter_name="vc1", vcenter_uuid="uuid-1")
    tree = {
        "group-d1": (None, "Folder", "Datacenters"),
        "datacenter-2": ("group-d1", "Datacenter", "DC1"),
        "group-v3": ("datacenter-2", "Folder", "vm"),
        "group-v10": ("group-v3", "Folder", "Prod"),
        "host-5": (None, "HostSystem", "esx01"),
        "resgroup-8": (None, "ResourcePool", "Resources"),
    }
    for moref, (parent, kind, name) in tree.items():
        result.types[moref] = kind
        result.names[moref] = name
        if parent:
            result.parents[moref] = parent
    result.parents["vm-42"] = "group-v10"
    result.host_clusters["host-5"] = "Cluster1"
    result.custom_field_names[101] = "Owner"
    result.datastore_names["datastore-1"] = "ds1"
    return result


def full_vm_values() -> dict[str, object]:
    return {
        "name": "db01",
        "parent": vim.Folder("group-v10"),
        "resourcePool": vim.ResourcePool("resgroup-8"),
        "runtime.host": vim.HostSystem("host-5"),
        "runtime.powerState": "poweredOn",
        "runtime.connectionState": "connected",
        "runtime.faultToleranceState": "running",
        "summary.runtime.bootTime": datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.UTC),
        "config.template": False,
        "config.version": "vmx-14",
        "config.guestId": "windows9Server64Guest",
        "config.guestFullName": "Microsoft Windows Server 2016 (64-bit)",
        "config.hardware.numCPU": 8,
        "config.hardware.numCoresPerSocket": 4,
        "config.hardware.memoryMB": 32768,
        "config.hardware.device": [scsi(), disk(flat(thin=True))],
        "config.cpuAllocation": vim.ResourceAllocationInfo(reservation=1000, limit=-1),
        "config.memoryAllocation": vim.ResourceAllocationInfo(reservation=4096, limit=8192),
        "config.firmware": "efi",
        "config.bootOptions": vim.vm.BootOptions(efiSecureBootEnabled=True),
        "config.annotation": '=HYPERLINK("http://example.invalid","x")',
        "config.changeTrackingEnabled": True,
        "config.cpuHotAddEnabled": True,
        "config.latencySensitivity": vim.LatencySensitivity(level="high"),
        "config.keyId": vim.encryption.CryptoKeyId(keyId="k1"),
        "guest.toolsStatus": "toolsOld",
        "guest.toolsRunningStatus": "guestToolsRunning",
        "guest.toolsVersion": "10346",
        "guest.guestId": "windows9Server64Guest",
        "guest.hostName": "db01.corp",
        "guest.ipAddress": "10.1.1.1",
        "guest.net": [vim.vm.GuestInfo.NicInfo(ipAddress=["10.1.1.1", "2001:db8::1"])],
        "customValue": [vim.CustomFieldsManager.StringValue(key=101, value="dba")],
        "summary.storage": vim.vm.Summary.StorageSummary(committed=10, uncommitted=20, unshared=5),
    }


def test_map_vm_full() -> None:
    vm = mappers.map_vm("vm-42", PropertyValues(full_vm_values()), lookups())
    assert vm.id == "uuid-1/vm-42"
    assert vm.folder_path == "/DC1/vm/Prod"
    assert (vm.datacenter, vm.cluster, vm.host, vm.resource_pool) == ("DC1", "Cluster1", "esx01", "Resources")
    assert (vm.power_state, vm.template, vm.hardware_version) == ("powered_on", False, 14)
    assert (vm.num_cpu, vm.cores_per_socket, vm.sockets, vm.memory_mib) == (8, 4, 2, 32768)
    assert (vm.cpu_reservation_mhz, vm.cpu_limit_mhz, vm.memory_reservation_mib, vm.memory_limit_mib) == (
        1000,
        -1,
        4096,
        8192,
    )
    assert (vm.firmware, vm.secure_boot) == ("efi", True)
    assert (vm.tools_status, vm.tools_running, vm.tools_version) == ("old", True, "10346")
    assert (vm.ipv4_addresses, vm.ipv6_addresses) == (["10.1.1.1"], ["2001:db8::1"])
    assert vm.custom_attributes == {"Owner": "dba"}
    assert (vm.encrypted, vm.cbt_enabled, vm.cpu_hot_add, vm.memory_hot_add) == (True, True, True, False)
    assert (vm.latency_sensitivity, vm.ft_state, vm.vtpm) == ("high", "running", False)
    assert vm.boot_time == "2024-05-01T12:00:00Z"
    assert (vm.storage_committed_bytes, vm.storage_uncommitted_bytes, vm.storage_unshared_bytes) == (10, 20, 5)
    assert vm.snapshots == [] and vm.snapshot_count == 0
    assert vm.disks is not None and vm.disks[0].provisioning == "thin"


def test_map_vm_missing_properties_stay_none() -> None:
    """NoPermission on device list and custom values: those fields are None, the rest is mapped."""
    values = full_vm_values()
    del values["config.hardware.device"]
    del values["customValue"]
    vm = mappers.map_vm("vm-42", PropertyValues(values, ["config.hardware.device", "customValue"]), lookups())
    assert vm.disks is None and vm.nics is None and vm.vtpm is None and vm.cdroms is None
    assert vm.custom_attributes is None
    assert vm.num_cpu == 8


def test_map_vm_without_config_does_not_guess() -> None:
    """An inaccessible VM has no config: booleans are unknown (None), not False."""
    values = {"name": "ghost", "runtime.powerState": "poweredOff", "runtime.connectionState": "inaccessible"}
    vm = mappers.map_vm("vm-9", PropertyValues(values), lookups())
    assert vm.connection_state == "inaccessible"
    for field in ("template", "cbt_enabled", "cpu_hot_add", "encrypted", "secure_boot", "vtpm", "disks", "annotation"):
        assert getattr(vm, field) is None, field


def test_map_host_and_cpu_vendor() -> None:
    values = {
        "name": "esx01",
        "parent": vim.ClusterComputeResource("domain-c7"),
        "summary.config.product": vim.AboutInfo(version="7.0.3", build="21930508", fullName="VMware ESXi 7.0.3"),
        "summary.hardware": vim.host.Summary.HardwareSummary(
            vendor="Dell Inc.",
            model="PowerEdge R650",
            cpuModel="AMD EPYC 7543",
            cpuMhz=2800,
            numCpuPkgs=2,
            numCpuCores=64,
            numCpuThreads=128,
            memorySize=512 * 1024**3,
        ),
        "runtime.connectionState": "notResponding",
        "runtime.inMaintenanceMode": True,
        "runtime.powerState": "poweredOn",
    }
    look = lookups()
    look.types["domain-c7"] = "ClusterComputeResource"
    look.names["domain-c7"] = "Cluster1"
    host = mappers.map_host("host-5", PropertyValues(values), look)
    assert (host.cluster, host.cpu_vendor, host.cpu_cores, host.cpu_threads) == ("Cluster1", "amd", 64, 128)
    assert (host.memory_mib, host.connection_state, host.maintenance_mode) == (512 * 1024, "not_responding", True)
    assert host.esxi_version == "7.0.3"


def test_standard_portgroup_vlans() -> None:
    pg = vim.host.PortGroup(spec=vim.host.PortGroup.Specification(name="VM Network", vlanId=20, vswitchName="vSwitch0"))
    vlans, switches = mappers.standard_portgroup_vlans([[pg], None])
    assert vlans == {"VM Network": "20"} and switches == {"VM Network": "vSwitch0"}


def ft_pair_member() -> object:
    return vim.vm.FaultToleranceConfigInfo(role=1, instanceUuids=["a", "b"], configPaths=["[ds] a/a.vmx"])


def test_ft_state_absent_and_no_ft_info_means_not_configured() -> None:
    """Some endpoints (the govmomi simulator) omit runtime.faultToleranceState; an unset ftInfo says no FT."""
    values = full_vm_values()
    del values["runtime.faultToleranceState"]
    vm = mappers.map_vm("vm-42", PropertyValues(values), lookups())
    assert vm.ft_state == "not_configured"


def test_ft_state_absent_with_ft_info_stays_unknown() -> None:
    """A member of an FT pair whose state was not reported: FT is configured, its state is not known."""
    values = full_vm_values()
    del values["runtime.faultToleranceState"]
    values["config.ftInfo"] = ft_pair_member()
    vm = mappers.map_vm("vm-42", PropertyValues(values), lookups())
    assert vm.ft_state is None


def test_ft_state_reported_wins_over_ft_info() -> None:
    values = full_vm_values()
    values["runtime.faultToleranceState"] = "notConfigured"
    assert mappers.map_vm("vm-42", PropertyValues(values), lookups()).ft_state == "not_configured"
    values["runtime.faultToleranceState"] = "running"
    values["config.ftInfo"] = ft_pair_member()
    assert mappers.map_vm("vm-42", PropertyValues(values), lookups()).ft_state == "running"


def test_ft_state_unknown_when_neither_can_be_read() -> None:
    # Neither property read (refused): honest unknown.
    values = full_vm_values()
    del values["runtime.faultToleranceState"]
    refused = PropertyValues(values, ["runtime.faultToleranceState", "config.ftInfo"])
    assert mappers.map_vm("vm-42", refused, lookups()).ft_state is None
    # The VM's configuration could not be read at all (inaccessible VM): unknown, not "no FT".
    bare = {"name": "ghost", "runtime.powerState": "poweredOff", "runtime.connectionState": "inaccessible"}
    assert mappers.map_vm("vm-9", PropertyValues(bare), lookups()).ft_state is None


Device = vim.vm.device


def _pyvmomi_device_classes() -> list[type]:
    """Every VirtualDevice class this pyVmomi knows (loading its lazy types)."""
    from pyVmomi import VmomiSupport

    classes = []
    for namespace, name in list(VmomiSupport._wsdlDefMap):
        tp = VmomiSupport.GetWsdlType(namespace, name)
        if isinstance(tp, type) and issubclass(tp, Device.VirtualDevice) and not issubclass(tp, list):
            classes.append(tp)
    return classes


def _families(found: DeviceInventory) -> list[object]:
    return [
        found.controllers, found.disks, found.nics, found.cdroms, found.floppies, found.serial_ports,
        found.parallel_ports, found.usb_controllers, found.usb_devices, found.passthrough_devices,
    ]  # fmt: skip


def test_devices_of_no_mapped_class_map_to_nothing() -> None:
    # The streaming parser leaves such devices out of config.hardware.device (collect.py): that is
    # only the same VM if no family reads them. Checked for every device class of this pyVmomi.
    classes = _pyvmomi_device_classes()
    unmapped = [cls for cls in classes if not issubclass(cls, mappers.MAPPED_DEVICE_TYPES)]
    assert {Device.VirtualKeyboard, Device.VirtualVideoCard, Device.VirtualPCIController,
            Device.VirtualVMCIDevice, Device.VirtualDevice} <= set(unmapped)  # fmt: skip
    for cls in unmapped:
        found = inventory(cls(key=1))
        assert not any(_families(found)) and found.vtpm is False, cls.__name__
    # Near miss: a device of each mapped class does land in a family (or is the vTPM).
    mapped = [cls for cls in classes if issubclass(cls, mappers.MAPPED_DEVICE_TYPES)]
    assert len(mapped) > 20
    for cls in mapped:
        found = inventory(cls(key=1, backing=None))
        assert any(_families(found)) or found.vtpm, cls.__name__


def test_a_negative_count_or_size_from_vcenter_is_unknown() -> None:
    """No count or size can be negative; a snapshot carrying one is refused when loaded, so the
    collector writes None (unknown) instead. The limits keep vSphere's -1 (unlimited)."""
    values = full_vm_values()
    values["config.hardware.numCPU"] = -1
    values["config.hardware.memoryMB"] = -4096
    values["summary.storage"] = vim.vm.Summary.StorageSummary(committed=10, uncommitted=-20, unshared=-5)
    values["config.hardware.device"] = [scsi(), disk(flat(thin=True), capacity_kb=-1)]
    vm = mappers.map_vm("vm-42", PropertyValues(values), lookups())
    assert (vm.num_cpu, vm.cores_per_socket, vm.memory_mib) == (None, 4, None)
    assert (vm.storage_committed_bytes, vm.storage_uncommitted_bytes, vm.storage_unshared_bytes) == (10, None, None)
    assert vm.disks is not None and vm.disks[0].capacity_bytes is None
    assert vm.cpu_limit_mhz == -1
