"""Virtual disks and storage controllers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from scanner.inventory.model import VM, Controller, Disk, VCenter
from scanner.rules import refs
from scanner.rules.base import Results, RuleContext, RuleResult, all_methods, fail, gap, rule, unknown

# Raw device mappings: LUNs, not VMDK files (no thin/thick format, no file of their own to share).
RDM_BACKINGS = frozenset({"rdm_physical", "rdm_virtual"})
BACKING = attrgetter("backing")
CONTROLLER_TYPE = attrgetter("type")
# A getter per disk field that check_disks reads, made once.
FIELD_GETTERS: dict[str, Callable[[Disk], Any]] = {}


def disk_label(disk: Disk) -> str:
    return disk.label or (f"disk key {disk.key}" if disk.key is not None else "unnamed disk")


def check_disks(ctx: RuleContext, field_name: str, present: Callable[[Any], bool] | frozenset[str],
                message: Callable[[Disk], str], skip_rdm: bool = False) -> Results:
    """Fail for each disk (RDMs left out when ``skip_rdm``) whose ``field_name`` satisfies ``present``
    (a test, or the set of values that fail); unknown if None."""
    disks = ctx.vm.disks
    if disks is None:
        return gap("the input carries no virtual disk details", "disks")
    # The usual VM - every disk's value known, none present - is told from the distinct values alone
    # (against a set of failing values in C, without a call per value).
    if not skip_rdm or RDM_BACKINGS.isdisjoint(map(BACKING, disks)):
        getter = FIELD_GETTERS.get(field_name)
        if getter is None:
            getter = FIELD_GETTERS[field_name] = attrgetter(field_name)
        values = set(map(getter, disks))
        if None not in values and (values.isdisjoint(present) if isinstance(present, frozenset)
                                   else not any(map(present, values))):
            return ()
    test = present.__contains__ if isinstance(present, frozenset) else present
    results: list[RuleResult] = []
    missing = []
    for disk in disks:
        if skip_rdm and disk.backing in RDM_BACKINGS:
            continue
        value = getattr(disk, field_name)
        if value is None:
            missing.append(disk_label(disk))
        elif test(value):
            results.append(fail(message(disk), disk=disk_label(disk), datastore=disk.datastore, file=disk.file_name,
                                **{field_name: value}))
    if missing:
        results.append(unknown(f"{field_name} not known for {', '.join(missing)}", missing=f"disk.{field_name}",
                               disks=missing))
    return results


RDM_PHYSICAL = frozenset({"rdm_physical"})  # the value that fails (check_disks)


def rdm_physical_message(disk: Disk) -> str:
    return f"{disk_label(disk)} is a physical-mode RDM ({disk.lun_uuid or 'LUN unknown'})"


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
def rdm_physical(ctx: RuleContext) -> Results:
    return check_disks(ctx, "backing", RDM_PHYSICAL, rdm_physical_message)


RDM_VIRTUAL = frozenset({"rdm_virtual"})  # the value that fails (check_disks)


def rdm_virtual_message(disk: Disk) -> str:
    return f"{disk_label(disk)} is a virtual-mode RDM; HCX converts it to a VMDK"


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
def rdm_virtual(ctx: RuleContext) -> Results:
    return check_disks(ctx, "backing", RDM_VIRTUAL, rdm_virtual_message)


def is_independent(mode: str) -> bool:
    return str(mode).startswith("independent") or mode == "nonpersistent"


def independent_message(disk: Disk) -> str:
    return f"{disk_label(disk)} is in mode {disk.mode}"


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
def independent(ctx: RuleContext) -> Results:
    return check_disks(ctx, "mode", is_independent, independent_message)


MULTI_WRITER = frozenset({"multi_writer"})  # the value that fails (check_disks)


def multi_writer_message(disk: Disk) -> str:
    return f"{disk_label(disk)} has the multi-writer sharing flag"


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
def shared_multiwriter(ctx: RuleContext) -> Results:
    return check_disks(ctx, "sharing", MULTI_WRITER, multi_writer_message)


@dataclass
class VmdkFiles:
    """The disk files of one vCenter's VMs."""

    # Disk file path -> (VM id, VM name) of every VM of the vCenter whose disk uses that file.
    users: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # The vCenter's VMs, by id(), that have disk details, no disk without a file and no file in use by
    # another VM (entry): disk.shared-vmdk-path passes them at once. The VM is kept with its id, so an
    # id is never taken for another VM's.
    unshared: dict[int, VM] = field(default_factory=dict)


NO_FILES = VmdkFiles()


def vmdk_files(ctx: RuleContext) -> VmdkFiles:
    """The disk files of this VM's vCenter, built once per vCenter and analysis: kept in the analysis'
    memo (ctx.shared), never across analyses, so a later analysis of changed disks sees the change."""
    vcenter = ctx.vcenter
    if vcenter is None:
        return NO_FILES
    memo: dict[int, tuple[VCenter, VmdkFiles]] = (ctx.shared.get("disk.vmdk_files")
                                                  or ctx.derived("disk.vmdk_files", dict))
    # The vCenter is kept with its files, so its id is never taken for another's.
    entry = memo.get(id(vcenter))
    if entry is None or entry[0] is not vcenter:
        entry = memo[id(vcenter)] = (vcenter, vcenter_vmdk_files(vcenter))
    return entry[1]


def vmdk_users(ctx: RuleContext) -> dict[str, list[tuple[str, str]]]:
    """Disk file path -> (VM id, VM name) of every VM of this VM's vCenter whose disk uses that file."""
    return vmdk_files(ctx).users


def vcenter_vmdk_files(vcenter: VCenter) -> VmdkFiles:
    files = VmdkFiles()
    users = files.users
    vms = vcenter.vms
    # Each VM's disk paths, stripped once ("" for a disk without one; None: no disk details).
    paths_of: list[list[str] | None] = []
    for vm in vms:
        disks = vm.disks
        if not disks:
            paths_of.append(None if disks is None else [])
            continue
        paths = [(d.file_name or "").strip() for d in disks]
        paths_of.append(paths)
        user = (vm.id, vm.name or vm.id)
        for path in set(paths):
            if path:
                users.setdefault(path, []).append(user)
    # A VM passes at once when every disk has a path and no path is another VM's too.
    shared = {path for path, using in users.items() if len(using) > 1}
    unshared = files.unshared
    for vm, vm_paths in zip(vms, paths_of, strict=True):
        if vm_paths is not None and "" not in vm_paths and shared.isdisjoint(vm_paths):
            unshared[id(vm)] = vm
    return files


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
def shared_vmdk_path(ctx: RuleContext) -> Results:
    vm = ctx.vm
    if vm.disks is None:
        return gap("the input carries no virtual disk details", "disks")
    files = vmdk_files(ctx)
    if files.unshared.get(id(vm)) is vm:
        return ()
    users = files.users
    results: list[RuleResult] = []
    unknown_disks = []
    for disk in vm.disks:
        path = (disk.file_name or "").strip()
        if not path:
            # Without a file path the sharing flag alone decides (disk.shared-multiwriter).
            if disk.sharing is None and disk.backing not in RDM_BACKINGS:
                unknown_disks.append(disk_label(disk))
            continue
        attached = users.get(path)
        # Only this VM's own entry (the usual case): nothing shared.
        if attached is None or (len(attached) == 1 and attached[0][0] == vm.id):
            continue
        others = [name for vm_id, name in attached if vm_id != vm.id]
        if others and disk.sharing != "multi_writer":
            flag = "no sharing flag in the input" if disk.sharing is None else f"sharing flag {disk.sharing}"
            results.append(fail(f"{disk_label(disk)} ({path}) is also attached to {', '.join(sorted(others))}; {flag}",
                                disk=disk_label(disk), file=path, other_vms=sorted(others), sharing=disk.sharing))
    if unknown_disks:
        results.append(unknown(f"file path and sharing flag not known for {', '.join(unknown_disks)}",
                               missing="disk.file_name", disks=unknown_disks))
    return results


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
def bus_sharing(ctx: RuleContext) -> Results:
    vm = ctx.vm
    results: list[RuleResult] = []
    if vm.controllers is not None and vm.controllers:
        missing = []
        for controller in vm.controllers:
            if controller.type is not None and not controller.type.startswith("scsi"):
                continue
            if controller.bus_sharing is None:
                missing.append(controller_label(controller))
            elif controller.bus_sharing != "none":
                results.append(fail(f"{controller_label(controller)} has {controller.bus_sharing} bus sharing",
                                    controller=controller_label(controller), bus_sharing=controller.bus_sharing))
        if missing:
            results.append(unknown(f"bus sharing not known for {', '.join(missing)}",
                                   missing="controller.bus_sharing"))
        return results
    # Without controller details, fall back on what each disk says about its controller.
    if vm.disks is None:
        return gap("the input carries no controller or disk details", "controllers")
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
                results.append(fail(f"the SCSI controller of {disk_label(disk)} has {sharing} bus sharing",
                                    disk=disk_label(disk), controller_key=disk.controller_key, bus_sharing=sharing))
    if missing_disks:
        results.append(unknown(f"controller bus sharing not known for {', '.join(missing_disks)}",
                               missing="disk.controller_bus_sharing"))
    return results


THICK_EAGER = frozenset({"thick_eager"})  # the value that fails (check_disks)


def thick_eager_message(disk: Disk) -> str:
    return f"{disk_label(disk)} is thick provisioned, eager zeroed"


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
def thick_eager(ctx: RuleContext) -> Results:
    # A raw device mapping is a LUN, not a VMDK: it has no thin/thick format (readers leave it None).
    return check_disks(ctx, "provisioning", THICK_EAGER, thick_eager_message, True)  # skip_rdm


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
def nvme_controller(ctx: RuleContext) -> Results:
    vm = ctx.vm
    controllers = vm.controllers
    if controllers:
        types = set(map(CONTROLLER_TYPE, controllers))
        if "nvme" not in types:
            return gap("controller type not known", "controller.type") if None in types else ()
        return [fail(f"{controller_label(controller)} is a virtual NVMe controller",
                     controller=controller_label(controller), type="nvme")
                for controller in controllers if controller.type == "nvme"]
    if vm.disks is None:
        return gap("the input carries no controller or disk details", "controllers")
    nvme_disks = [disk_label(d) for d in vm.disks if d.controller_type == "nvme"]
    if nvme_disks:
        return (fail(f"{', '.join(nvme_disks)} attached to a virtual NVMe controller", disks=nvme_disks, type="nvme"),)
    if any(d.controller_type is None for d in vm.disks):
        return gap("controller type of the disks not known", "disk.controller_type")
    return ()
