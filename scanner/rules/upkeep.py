"""Housekeeping a consultant checks before a migration wave: VMware Tools currency, disks left to consolidate."""

from __future__ import annotations

from typing import Any

from scanner.inventory.model import VM
from scanner.rules import refs
from scanner.rules.base import Results, RuleContext, RuleResult, all_methods, fail, gap, rule, unknown

# vCenter toolsVersionStatus2 values that mean a newer VMware Tools should be installed.
TOOLS_OUTDATED = ("need_upgrade", "supported_old", "too_old", "blacklisted")
TOOLS_WORDS = {"need_upgrade": "not current", "supported_old": "supported, a newer version is available",
               "too_old": "too old (unsupported)", "blacklisted": "a version with a known grave bug"}


@rule(
    id="vm.tools-outdated",
    title="VMware Tools out of date",
    severity="info",
    remediation="Upgrade VMware Tools (or the open-vm-tools package) during a maintenance window before the "
                "migration wave; the target's ESXi ships a newer Tools version.",
    rationale="Current Tools give HCX a clean guest shutdown and guest details at switchover and avoid a "
              "Tools upgrade prompt after the move; an out-of-date Tools version does not stop a migration, so "
              "this is information and changes no readiness.",
    references=(refs.VSPHERE_TOOLS_VERSION_STATUS, refs.HCX_BULK),
    family="vm",
)
def tools_outdated(ctx: RuleContext) -> Results:
    vm = ctx.vm
    status = vm.tools_version_status
    if status is not None:
        if status not in TOOLS_OUTDATED:
            return ()
        state = f"is {TOOLS_WORDS[status]} (version status {status})"
    elif vm.tools_upgradeable is not None:
        if not vm.tools_upgradeable:
            return ()
        state = "can be upgraded (a newer version is available)"
    elif vm.tools_status == "old":
        state = "is running but not the current version"
    elif vm.tools_status in (None, "not_running"):
        return (unknown("VMware Tools version status not known", missing="tools_version_status",
                        **tools_evidence(vm)),)
    else:
        return ()
    # The failure reads the four Tools fields alone: VMs alike share one (read-only; a failure is never
    # held vCenter-wide, see analysis/wide.py). The flag's type too: True and 1 are equal keys, not JSON.
    key = (vm.tools_version, status, vm.tools_upgradeable, vm.tools_status, type(vm.tools_upgradeable))
    memo: dict[tuple[Any, ...], tuple[RuleResult]] = (ctx.shared.get("vm.tools_outdated_results")
                                                      or ctx.derived("vm.tools_outdated_results", dict))
    results = memo.get(key)
    if results is None:
        version = f"VMware Tools {vm.tools_version}" if vm.tools_version else "VMware Tools"
        results = memo[key] = (fail(f"{version} {state}", **tools_evidence(vm)),)
    return results


def tools_evidence(vm: VM) -> dict[str, Any]:
    return {"tools_version": vm.tools_version, "tools_version_status": vm.tools_version_status,
            "tools_upgradeable": vm.tools_upgradeable, "tools_status": vm.tools_status}


@rule(
    id="disk.consolidation-needed",
    title="Virtual disks need consolidation",
    severity="warning",
    methods=all_methods("conditions"),
    remediation="Run Snapshots > Consolidate on the VM (check free space on its datastore first) and confirm "
                "the warning clears before migrating.",
    rationale="vCenter flags a VM whose deleted snapshot left delta disks not committed back to the base disk; "
              "replication and the HCX snapshot handling work on a disk chain vCenter itself reports as "
              "inconsistent, and the deltas keep growing.",
    references=(refs.VSPHERE_VM_RUNTIME, refs.KB_SNAPSHOTS, refs.HCX_OPTIONS),
    family="disk",
)
def consolidation_needed(ctx: RuleContext) -> Results:
    needed = ctx.vm.consolidation_needed
    if needed is None:
        return gap("disk consolidation state not known", "consolidation_needed")
    elif needed:
        return (fail("vCenter reports that the VM's disks need consolidation", consolidation_needed=True),)
    return ()
