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


POWER_WORDS = {"powered_on": "powered on", "powered_off": "powered off", "suspended": "suspended",
               "unknown": "power state unknown"}


def _plural(count: int, noun: str, many: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"


def format_summary(summary: InventorySummary) -> str:
    """The inventory in words, e.g. "120 VMs (116 powered on, 2 powered off, 1 template)"."""
    order = list(POWER_WORDS)
    states = sorted(summary.power_states.items(), key=lambda item: (order.index(item[0]) if item[0] in order
                                                                    else len(order), item[0]))
    power = ", ".join(f"{n:,} {POWER_WORDS.get(state, state.replace('_', ' '))}" for state, n in states)
    vm_parts = [p for p in (power, _plural(summary.templates, "template") if summary.templates else "") if p]
    lines = [
        f"{_plural(summary.vms, 'VM')}" + (f" ({', '.join(vm_parts)})" if vm_parts else ""),
        f"on {_plural(summary.hosts, 'host')} in {_plural(summary.clusters, 'cluster')}, "
        f"{_plural(summary.datacenters, 'datacenter')}, {_plural(summary.vcenters, 'vCenter')}",
        f"{_plural(summary.datastores, 'datastore')}, {_plural(summary.networks, 'network')}",
        f"{summary.total_vcpu:,} vCPU, {summary.total_memory_gib:,.1f} GiB memory, "
        f"{summary.total_provisioned_tib:,.2f} TiB provisioned",
    ]
    # A total that leaves VMs out says so (a hand-trimmed RVTools export).
    missing = [f"{_plural(n, 'VM')} {what}" for n, what in (
        (summary.vms_missing_vcpu, "without a vCPU count"), (summary.vms_missing_memory, "without a memory size"),
        (summary.vms_missing_size, "without size data")) if n]
    if missing:
        lines[-1] += f" ({'; '.join(missing)})"
    if summary.collection_issues:
        # The issues themselves follow (format_issues): what was filled, skipped or left unknown.
        lines.append(f"{_plural(summary.collection_issues, 'collection issue')}:")
    else:
        lines.append("every property was read (no collection issues)")
    return "\n".join(lines)


def format_issues(estate: Estate, limit: int = ISSUES_LISTED) -> str:
    """The input's collection issues, one per line: what was filled, skipped or left unknown."""
    issues = estate.collection_issues
    lines = [f"  - {issue.object_name + ': ' if issue.object_name else ''}{issue.message}" for issue in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"  ... and {len(issues) - limit} more (listed in the report)")
    return "\n".join(lines)
