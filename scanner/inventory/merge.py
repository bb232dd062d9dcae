"""Merge several inventories (one per vCenter or export) into one estate."""

from __future__ import annotations

from scanner.inventory.model import CollectionIssue, Estate, Source


def merge_estates(estates: list[Estate], origins: list[str]) -> Estate:
    """Concatenate vCenters; a VM id seen before is dropped and reported as a duplicate.

    The same vCenter given twice (same instance UUID, or same name without one) whose second copy
    brings no new VM is left out entirely, so its hosts, clusters and datastores are not counted
    twice; the per-VM duplicate issues say where the copies were. A second copy that does bring
    new VMs stays a separate VCenter entry with only those VMs (its hosts are needed to assess
    them).
    """
    if len(estates) == 1:
        return estates[0]
    seen: dict[str, str] = {}
    seen_vcenters: set[str] = set()
    merged = Estate(
        collected_at=max(e.collected_at for e in estates),
        source=Source(kind="merged", detail={f"input{i + 1}": o for i, o in enumerate(origins)}),
    )
    for estate, origin in zip(estates, origins, strict=True):
        merged.collection_issues.extend(estate.collection_issues)
        for vcenter in estate.vcenters:
            kept = []
            for vm in vcenter.vms:
                first = seen.get(vm.id)
                if first is not None:
                    merged.collection_issues.append(
                        CollectionIssue(
                            vcenter=vcenter.name,
                            object_id=vm.id,
                            object_name=vm.name,
                            property=None,
                            message=f"duplicate VM: also in {first}; counted once (kept the first)",
                        )
                    )
                    continue
                seen[vm.id] = origin
                kept.append(vm)
            vcenter.vms = kept
            identity = vcenter.instance_uuid or vcenter.name
            if not kept and identity in seen_vcenters:
                continue
            seen_vcenters.add(identity)
            merged.vcenters.append(vcenter)
    return merged

