"""Counts and totals of an inventory, for `vmscan inventory` and report headers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from scanner.inventory.model import Estate

# Collection issues listed under `vmscan inventory` (all of them are in the reports and the JSON).
ISSUES_LISTED = 15

GIB = 1024**3
TIB = 1024**4


@dataclass
class InventorySummary:
    vcenters: int
    datacenters: int
    clusters: int
    hosts: int
    datastores: int
    networks: int
    vms: int
    templates: int
    power_states: dict[str, int] = field(default_factory=dict)
    total_vcpu: int = 0
    total_memory_gib: float = 0.0
    total_provisioned_tib: float = 0.0
    vms_missing_size: int = 0
    vms_missing_vcpu: int = 0
    vms_missing_memory: int = 0
    collection_issues: int = 0


def summarize(estate: Estate) -> InventorySummary:
    vms = estate.all_vms()
    power = Counter((vm.power_state or "unknown") for vm in vms if not vm.template)
    provisioned = [vm.provisioned_bytes for vm in vms]
    return InventorySummary(
        vcenters=len(estate.vcenters),
        datacenters=sum(len(vc.datacenters) for vc in estate.vcenters),
        clusters=len(estate.all_clusters()),
        hosts=len(estate.all_hosts()),
        datastores=len(estate.all_datastores()),
        networks=len(estate.all_networks()),
        vms=len(vms),
        templates=sum(1 for vm in vms if vm.template),
        power_states=dict(sorted(power.items())),
        total_vcpu=sum(vm.num_cpu or 0 for vm in vms),
        total_memory_gib=sum(vm.memory_mib or 0 for vm in vms) / 1024,
        total_provisioned_tib=sum(p for p in provisioned if p is not None) / TIB,
        vms_missing_size=sum(1 for p in provisioned if p is None),
        vms_missing_vcpu=sum(1 for vm in vms if vm.num_cpu is None),
        vms_missing_memory=sum(1 for vm in vms if vm.memory_mib is None),
        collection_issues=len(estate.collection_issues),
    )


def format_summary(summary: InventorySummary) -> str:
    lines = [
        f"vCenters     {summary.vcenters}",
        f"Datacenters  {summary.datacenters}",
        f"Clusters     {summary.clusters}",
        f"Hosts        {summary.hosts}",
        f"Datastores   {summary.datastores}",
        f"Networks     {summary.networks}",
        f"VMs          {summary.vms} (of which templates: {summary.templates})",
        "Power states " + (", ".join(f"{k}: {v}" for k, v in summary.power_states.items()) or "none"),
        f"vCPU total   {summary.total_vcpu}"
        + (f" ({summary.vms_missing_vcpu} VMs without a vCPU count)" if summary.vms_missing_vcpu else ""),
        f"Memory total {summary.total_memory_gib:,.1f} GiB"
        + (f" ({summary.vms_missing_memory} VMs without a memory size)" if summary.vms_missing_memory else ""),
        f"Provisioned  {summary.total_provisioned_tib:,.2f} TiB"
        + (f" ({summary.vms_missing_size} VMs without size data)" if summary.vms_missing_size else ""),
    ]
    if summary.collection_issues:
        lines.append(f"Collection issues {summary.collection_issues}")
    return "\n".join(lines)


def format_issues(estate: Estate, limit: int = ISSUES_LISTED) -> str:
    """The input's collection issues, one per line: what was filled, skipped or left unknown."""
    issues = estate.collection_issues
    lines = [f"  - {issue.object_name + ': ' if issue.object_name else ''}{issue.message}" for issue in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"  ... and {len(issues) - limit} more (listed in the report)")
    return "\n".join(lines)
