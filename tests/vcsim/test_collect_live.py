"""The collector against the seeded simulator, checked against pyVmomi's own object-by-object reads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from scanner.collector.collect import collect_estate
from scanner.inventory.model import VM, Estate
from tests.vcsim.conditions import CONDITION_CHECKS
from tests.vcsim.harness import Simulator

pytestmark = pytest.mark.vcsim


@pytest.fixture(scope="session")
def estate(vcsim: Simulator, seeded_manifest: Any) -> Estate:
    return collect_estate(vcsim.sdk_url, vcsim.user, vcsim.password, page_size=7)


@pytest.fixture(scope="session")
def reference(vcsim: Simulator, seeded_manifest: Any) -> Iterator[dict[str, Any]]:
    """pyVmomi's view of the simulator, read object by object (the slow, obvious way)."""
    from pyVim.connect import Disconnect

    si = vcsim.connect()
    try:
        content = si.RetrieveContent()

        def objects(vim_type: type) -> list[Any]:
            view = content.viewManager.CreateContainerView(content.rootFolder, [vim_type], True)
            try:
                return list(view.view)
            finally:
                view.DestroyView()

        def optional(obj: Any, path: str) -> Any:
            # Attribute access on an unset property panics govmomi 0.24's Fetch handler, so
            # optional properties are read with a one-object PropertyCollector call instead.
            spec = vmodl.query.PropertyCollector.FilterSpec(
                objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=obj)],
                propSet=[vmodl.query.PropertyCollector.PropertySpec(type=type(obj), pathSet=[path])],
            )
            for item in content.propertyCollector.RetrieveContents([spec]):
                for prop in item.propSet:
                    return prop.val
            return None

        vms = {}
        for vm in objects(vim.VirtualMachine):
            vms[vm.name] = {
                "moref": vm._moId,
                "config": vm.config,
                "runtime": vm.runtime,
                "guest": vm.guest,
                "snapshot": optional(vm, "snapshot"),
                "customValue": optional(vm, "customValue") or [],
            }
        yield {
            "about": content.about,
            "vms": vms,
            "hosts": [h.name for h in objects(vim.HostSystem)],
            "clusters": [c.name for c in objects(vim.ClusterComputeResource)],
            "datastores": [d.name for d in objects(vim.Datastore)],
            "networks": [n.name for n in objects(vim.Network)],
        }
    finally:
        Disconnect(si)


def by_name(estate: Estate) -> dict[str, VM]:
    return {vm.name: vm for vm in estate.all_vms() if vm.name}


def test_counts_match(estate: Estate, reference: dict[str, Any], vcsim: Simulator) -> None:
    assert len(estate.all_vms()) == len(reference["vms"]) == vcsim.topology.vm_count
    assert sorted(h.name or "" for h in estate.all_hosts()) == sorted(reference["hosts"])
    assert sorted(c.name or "" for c in estate.all_clusters()) == sorted(reference["clusters"])
    assert sorted(d.name or "" for d in estate.all_datastores()) == sorted(reference["datastores"])
    assert sorted(n.name or "" for n in estate.all_networks()) == sorted(reference["networks"])
    assert estate.collection_issues == []


def test_vcenter_identity_and_stable_ids(estate: Estate, reference: dict[str, Any]) -> None:
    about = reference["about"]
    vcenter = estate.vcenters[0]
    assert (vcenter.instance_uuid, vcenter.version, vcenter.build) == (about.instanceUuid, about.version, about.build)
    for vm in estate.all_vms():
        assert vm.id == f"{about.instanceUuid}/{reference['vms'][vm.name]['moref']}"
    assert len({vm.id for vm in estate.all_vms()}) == len(estate.all_vms())


ADAPTERS = {
    vim.vm.device.VirtualVmxnet3: "vmxnet3",
    vim.vm.device.VirtualE1000: "e1000",
    vim.vm.device.VirtualE1000e: "e1000e",
}
CDROM_BACKINGS = {
    vim.vm.device.VirtualCdrom.IsoBackingInfo: "iso",
    vim.vm.device.VirtualCdrom.AtapiBackingInfo: "host_device",
    vim.vm.device.VirtualCdrom.RemotePassthroughBackingInfo: "client",
}


def test_every_vm_matches_pyvmomi(estate: Estate, reference: dict[str, Any]) -> None:
    collected = by_name(estate)
    for name, ref in reference["vms"].items():
        vm = collected[name]
        config, runtime, guest = ref["config"], ref["runtime"], ref["guest"]
        devices = list(config.hardware.device)
        assert vm.power_state == {"poweredOn": "powered_on", "poweredOff": "powered_off"}.get(
            runtime.powerState, runtime.powerState
        ), name
        assert (vm.num_cpu, vm.cores_per_socket, vm.memory_mib) == (
            config.hardware.numCPU,
            config.hardware.numCoresPerSocket,
            config.hardware.memoryMB,
        ), name
        assert vm.hardware_version == int(config.version.split("-")[1]), name
        assert (vm.template, vm.guest_id, vm.annotation) == (config.template, config.guestId, config.annotation), name
        assert (vm.bios_uuid, vm.instance_uuid, vm.firmware) == (config.uuid, config.instanceUuid, config.firmware)
        assert (vm.tools_version, vm.hostname) == (guest.toolsVersion, guest.hostName), name
        # The simulator leaves runtime.faultToleranceState unset; no ftInfo means no FT pair.
        assert (runtime.faultToleranceState, config.ftInfo) == (None, None), name
        assert vm.ft_state == "not_configured", name

        disks = [d for d in devices if isinstance(d, vim.vm.device.VirtualDisk)]
        assert vm.disks is not None
        assert sorted(d.capacity_bytes or 0 for d in vm.disks) == sorted(d.capacityInKB * 1024 for d in disks), name
        assert sorted(d.file_name or "" for d in vm.disks) == sorted(d.backing.fileName for d in disks), name
        assert {d.key: d.mode for d in vm.disks} == {d.key: d.backing.diskMode for d in disks}, name

        nics = [d for d in devices if isinstance(d, vim.vm.device.VirtualEthernetCard)]
        assert vm.nics is not None
        assert sorted(n.adapter_type or "" for n in vm.nics) == sorted(ADAPTERS[type(n)] for n in nics), name
        assert sorted(n.mac_address or "" for n in vm.nics) == sorted(n.macAddress for n in nics), name

        cdroms = [d for d in devices if isinstance(d, vim.vm.device.VirtualCdrom)]
        assert [c.backing for c in vm.cdroms or []] == [CDROM_BACKINGS[type(c.backing)] for c in cdroms], name
        for family, cls in (
            ("floppies", vim.vm.device.VirtualFloppy),
            ("serial_ports", vim.vm.device.VirtualSerialPort),
            ("parallel_ports", vim.vm.device.VirtualParallelPort),
            ("usb_devices", vim.vm.device.VirtualUSB),
            ("passthrough_devices", vim.vm.device.VirtualPCIPassthrough),
        ):
            assert len(getattr(vm, family)) == sum(isinstance(d, cls) for d in devices), (name, family)

        snapshot = ref["snapshot"]
        expected_snapshots = 0
        stack = list(snapshot.rootSnapshotList) if snapshot else []
        while stack:
            node = stack.pop()
            expected_snapshots += 1
            stack.extend(node.childSnapshotList)
        assert vm.snapshot_count == expected_snapshots, name
        assert len(vm.custom_attributes or {}) == len(ref["customValue"]), name


def test_every_seeded_condition_is_checked() -> None:
    from tests.vcsim.seed import CONDITIONS

    assert set(CONDITION_CHECKS) == set(CONDITIONS) - {"vtpm"}


@pytest.mark.parametrize("condition", sorted(CONDITION_CHECKS))
def test_condition_visible_on_exactly_the_seeded_vm(condition: str, estate: Estate, seeded_manifest: Any) -> None:
    expected = seeded_manifest.vm_for(condition)
    matching = sorted(vm.name or "" for vm in estate.all_vms() if CONDITION_CHECKS[condition](vm))
    assert matching == [expected]


def test_baseline_guest_information(estate: Estate) -> None:
    running = [vm for vm in estate.all_vms() if vm.tools_status == "ok"]
    assert len(running) == len(estate.all_vms()) - 1
    assert all(vm.ipv4_addresses or vm.ipv6_addresses for vm in estate.all_vms())
    assert all(vm.folder_path == "/DC0/vm" and vm.datacenter == "DC0" for vm in estate.all_vms())
    clustered = [vm for vm in estate.all_vms() if vm.cluster]
    assert {vm.cluster for vm in clustered} == {"DC0_C0", "DC0_C1"}
    assert all(vm.host for vm in estate.all_vms())
