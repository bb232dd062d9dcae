"""Virtual disks and storage controllers."""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from typing import Any

from scanner.inventory.model import Controller, Disk, VCenter
from scanner.rules import refs
from scanner.rules.base import RuleContext, RuleResult, all_methods, fail, rule, unknown


def disk_label(disk: Disk) -> str:
    return disk.label or (f"disk key {disk.key}" if disk.key is not None else "unnamed disk")


def check_disks(ctx: RuleContext, field_name: str, present: Callable[[Any], bool],
                message: Callable[[Disk], str],
                applies: Callable[[Disk], bool] | None = None) -> Iterator[RuleResult]:
    """Fail for each disk (that ``applies``; None: every disk) whose ``field_name`` satisfies ``present``;
    unknown if None."""
    disks = ctx.vm.disks
    if disks is None:
        yield unknown("the input carries no virtual disk details", missing="disks")
        return
    missing = []
    for disk in disks:
        if applies is not None and not applies(disk):
            continue
        value = getattr(disk, field_name)
        if value is None:
            missing.append(disk_label(disk))
        elif present(value):
            yield fail(message(disk), disk=disk_label(disk), datastore=disk.datastore, file=disk.file_name,
                       **{field_name: value})
    if missing:
        yield unknown(f"{field_name} not known for {', '.join(missing)}", missing=f"disk.{field_name}",
                      disks=missing)


@rule(
    id="disk.rdm-physical",
    title="Raw device mapping in physical compatibility mode",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Move the data onto a virtual disk before migrating (in-guest copy to a new VMDK, or switch the "
                "RDM to virtual compatibility mode and Storage vMotion it to a VMDK), or keep the workload "
                "on premises / re-platform it. The cloud SDDC has no SAN LUNs to map.",
    rationale="AVS and VMC run on vSAN without access to on-premises SAN LUNs; HCX vMotion, RAV, Bulk and cold "
              "migration cannot move a physical-mode RDM.",
    references=(refs.HCX_BULK, refs.HCX_VMOTION, refs.AVS_MIGRATE),
)
def rdm_physical(ctx: RuleContext) -> Iterator[RuleResult]:
    yield from check_disks(ctx, "backing", lambda b: b == "rdm_physical",
                           lambda d: f"{disk_label(d)} is a physical-mode RDM ({d.lun_uuid or 'LUN unknown'})")


@rule(
    id="disk.rdm-virtual",
    title="Raw device mapping in virtual compatibility mode (converted to VMDK)",
    severity="warning",
    methods=all_methods("conditions"),
    remediation="Plan for the RDM to become a VMDK on vSAN: check capacity on the target datastore and that the "
                "application does not rely on SAN features (array snapshots, shared LUN).",
    rationale="HCX migrates virtual-mode RDMs by converting them to virtual disks; the LUN itself is not moved.",
    references=(refs.HCX_VMOTION, refs.AVS_MIGRATE),
    remediable=False,
)
def rdm_virtual(ctx: RuleContext) -> Iterator[RuleResult]:
    yield from check_disks(ctx, "backing", lambda b: b == "rdm_virtual",
                           lambda d: f"{disk_label(d)} is a virtual-mode RDM; HCX converts it to a VMDK")


@rule(
    id="disk.independent",
    title="Independent disk (excluded from snapshots)",
    severity="warning",
    methods={"hcx_bulk": "blocks", "hcx_rav": "blocks", "hcx_vmotion": "conditions", "hcx_cold": "conditions"},
    remediation="Change the disk mode to Dependent (power-off needed) before migrating, or use HCX vMotion / cold "
                "migration; note that non-persistent disks lose their changes at power-off.",
    rationale="Replication-based HCX methods (Bulk, RAV) rely on snapshot/replication of every disk; independent "
              "disks are skipped by snapshots and need a planned migration path.",
    references=(refs.HCX_BULK, refs.HCX_OPTIONS),
)
def independent(ctx: RuleContext) -> Iterator[RuleResult]:
    yield from check_disks(ctx, "mode", lambda m: str(m).startswith("independent") or m == "nonpersistent",
                           lambda d: f"{disk_label(d)} is in mode {d.mode}")


@rule(
    id="disk.shared-multiwriter",
    title="Shared multi-writer virtual disk",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Shared VMDKs (Oracle RAC, WSFC, FT) cannot be migrated by HCX: stop the cluster, remove the "
                "multi-writer flag and sharing VMs, migrate one node, then re-create the cluster on the target "
                "with its supported shared-disk design.",
    rationale="HCX lists shared VMDK files as unsupported for vMotion, and replication-based methods cannot keep "
              "two writers consistent.",
    references=(refs.HCX_VMOTION, refs.KB_MULTI_WRITER, refs.AVS_WSFC),
)
def shared_multiwriter(ctx: RuleContext) -> Iterator[RuleResult]:
    yield from check_disks(ctx, "sharing", lambda s: s == "multi_writer",
                           lambda d: f"{disk_label(d)} has the multi-writer sharing flag")


def vmdk_users(ctx: RuleContext) -> dict[str, list[tuple[str, str]]]:
    """Disk file path -> (VM id, VM name) of every VM of this VM's vCenter whose disk uses that file.

    Built once per vCenter and analysis (kept in the policy's cache, keyed by the vCenter object).
    """
    vcenter = ctx.vcenter
    if vcenter is None:
        return {}
    # The last vCenter's map, kept for the analysis: the VMs of a vCenter are assessed one after another.
    last: tuple[VCenter, dict[str, list[tuple[str, str]]]] | None = ctx.shared.get("disk.vmdk_users:last")
    if last is not None and last[0] is vcenter:
        return last[1]
    users = vcenter_vmdk_users(ctx, vcenter)
    ctx.shared["disk.vmdk_users:last"] = (vcenter, users)
    return users


def vcenter_vmdk_users(ctx: RuleContext, vcenter: VCenter) -> dict[str, list[tuple[str, str]]]:
    cache: dict[int, tuple[weakref.ref[VCenter], dict[str, list[tuple[str, str]]]]] = ctx.policy.cached(
        "disk.vmdk_users", dict)
    cached = cache.get(id(vcenter))
    if cached is not None and cached[0]() is vcenter:
        return cached[1]
    users: dict[str, list[tuple[str, str]]] = {}
    for vm in vcenter.vms:
        for path in {d.file_name.strip() for d in vm.disks or [] if d.file_name and d.file_name.strip()}:
            users.setdefault(path, []).append((vm.id, vm.name or vm.id))
    cache[id(vcenter)] = (weakref.ref(vcenter), users)
    return users


@rule(
    id="disk.shared-vmdk-path",
    title="Same VMDK file attached to several VMs (shared disk)",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Find out which cluster (Oracle RAC, WSFC) or leftover registration shares the disk: stop the "
                "cluster, detach the disk from all but one VM (or remove the stale VM), migrate, and re-create "
                "the shared-disk design on the target.",
    rationale="HCX does not migrate shared VMDK files. The export carries the file of every disk, so a file "
              "attached to two VMs is a shared disk even where the sharing column is absent or says none.",
    references=(refs.HCX_VMOTION, refs.KB_MULTI_WRITER, refs.AVS_WSFC),
)
def shared_vmdk_path(ctx: RuleContext) -> Iterator[RuleResult]:
    vm = ctx.vm
    if vm.disks is None:
        yield unknown("the input carries no virtual disk details", missing="disks")
        return
    users = vmdk_users(ctx)
    unknown_disks = []
    for disk in vm.disks:
        path = (disk.file_name or "").strip()
        if not path:
            # Without a file path the sharing flag alone decides (disk.shared-multiwriter).
            if disk.sharing is None and disk.backing not in ("rdm_physical", "rdm_virtual"):
                unknown_disks.append(disk_label(disk))
            continue
        attached = users.get(path)
        # Only this VM's own entry (the usual case): nothing shared.
        if attached is None or (len(attached) == 1 and attached[0][0] == vm.id):
            continue
        others = [name for vm_id, name in attached if vm_id != vm.id]
        if others and disk.sharing != "multi_writer":
            flag = "no sharing flag in the input" if disk.sharing is None else f"sharing flag {disk.sharing}"
            yield fail(f"{disk_label(disk)} ({path}) is also attached to {', '.join(sorted(others))}; {flag}",
                       disk=disk_label(disk), file=path, other_vms=sorted(others), sharing=disk.sharing)
    if unknown_disks:
        yield unknown(f"file path and sharing flag not known for {', '.join(unknown_disks)}",
                      missing="disk.file_name", disks=unknown_disks)


def controller_label(controller: Controller) -> str:
    return controller.label or f"controller key {controller.key}"


@rule(
    id="disk.bus-sharing",
    title="SCSI controller with bus sharing (guest cluster)",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Guest clusters with SCSI bus sharing (WSFC, Veritas) cannot be migrated as they are: migrate the "
                "nodes without the shared bus and rebuild the cluster per the target's WSFC guidance "
                "(physical bus sharing needs hardware version 11 or later on the target).",
    rationale="HCX Bulk and vMotion refuse VMs with SCSI bus sharing; virtual-mode bus sharing is unsupported "
              "on the target.",
    references=(refs.HCX_BULK, refs.AVS_WSFC),
)
def bus_sharing(ctx: RuleContext) -> Iterator[RuleResult]:
    vm = ctx.vm
    if vm.controllers is not None and vm.controllers:
        missing = []
        for controller in vm.controllers:
            if controller.type is not None and not controller.type.startswith("scsi"):
                continue
            if controller.bus_sharing is None:
                missing.append(controller_label(controller))
            elif controller.bus_sharing != "none":
                yield fail(f"{controller_label(controller)} has {controller.bus_sharing} bus sharing",
                           controller=controller_label(controller), bus_sharing=controller.bus_sharing)
        if missing:
            yield unknown(f"bus sharing not known for {', '.join(missing)}", missing="controller.bus_sharing")
        return
    # Without controller details, fall back on what each disk says about its controller.
    if vm.disks is None:
        yield unknown("the input carries no controller or disk details", missing="controllers")
        return
    seen: set[str] = set()
    missing_disks = []
    for disk in vm.disks:
        if disk.controller_type is not None and not disk.controller_type.startswith("scsi"):
            continue
        sharing = disk.controller_bus_sharing
        if sharing is None:
            missing_disks.append(disk_label(disk))
        elif sharing != "none":
            key = str(disk.controller_key)
            if key not in seen:
                seen.add(key)
                yield fail(f"the SCSI controller of {disk_label(disk)} has {sharing} bus sharing",
                           disk=disk_label(disk), controller_key=disk.controller_key, bus_sharing=sharing)
    if missing_disks:
        yield unknown(f"controller bus sharing not known for {', '.join(missing_disks)}",
                      missing="disk.controller_bus_sharing")


@rule(
    id="disk.thick-eager-zeroed",
    title="Thick eager-zeroed disk (format changes on vSAN)",
    severity="info",
    methods=all_methods("conditions"),
    remediation="Choose the target disk format/storage policy in the HCX migration (thin on vSAN); if the "
                "application needs eager-zeroed disks (FT, some clusters), size the vSAN capacity for it.",
    rationale="AVS and VMC use vSAN storage policies; eager-zeroed thick disks are converted and reserve full "
              "capacity, which affects storage sizing.",
    references=(refs.HCX_OPTIONS, refs.AVS_MIGRATE),
    remediable=False,
)
def thick_eager(ctx: RuleContext) -> Iterator[RuleResult]:
    # A raw device mapping is a LUN, not a VMDK: it has no thin/thick format (readers leave it None).
    yield from check_disks(ctx, "provisioning", lambda p: p == "thick_eager",
                           lambda d: f"{disk_label(d)} is thick provisioned, eager zeroed",
                           applies=lambda d: d.backing not in ("rdm_physical", "rdm_virtual"))


@rule(
    id="disk.nvme-controller",
    title="Virtual NVMe controller",
    severity="warning",
    methods={"hcx_bulk": "blocks", "hcx_rav": "blocks"},
    remediation="Use HCX vMotion or cold migration for this VM, or move its disks to a SCSI (PVSCSI) controller "
                "before a Bulk/RAV migration.",
    rationale="HCX Bulk Migration (and RAV, which replicates like Bulk) does not support vNVMe controllers.",
    references=(refs.HCX_BULK, refs.HCX_HARDWARE),
)
def nvme_controller(ctx: RuleContext) -> Iterator[RuleResult]:
    vm = ctx.vm
    if vm.controllers:
        nvme = [c for c in vm.controllers if c.type == "nvme"]
        for controller in nvme:
            yield fail(f"{controller_label(controller)} is a virtual NVMe controller",
                       controller=controller_label(controller), type="nvme")
        if not nvme and any(c.type is None for c in vm.controllers):
            yield unknown("controller type not known", missing="controller.type")
        return
    if vm.disks is None:
        yield unknown("the input carries no controller or disk details", missing="controllers")
        return
    nvme_disks = [disk_label(d) for d in vm.disks if d.controller_type == "nvme"]
    if nvme_disks:
        yield fail(f"{', '.join(nvme_disks)} attached to a virtual NVMe controller", disks=nvme_disks, type="nvme")
    elif any(d.controller_type is None for d in vm.disks):
        yield unknown("controller type of the disks not known", missing="disk.controller_type")
