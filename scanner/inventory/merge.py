"""Merge several inventories (one per vCenter or export) into one estate."""

from __future__ import annotations

from scanner.inventory.model import CollectionIssue, Estate, Source


def merge_estates(estates: list[Estate], origins: list[str]) -> Estate:
    """Concatenate vCenters; a VM id seen before is dropped and reported as a duplicate.

    The same vCenter exported twice (same instance UUID) shows up as two VCenter entries whose
    second copy has its already-seen VMs removed, so counts stay right and provenance stays
    visible.
    """
    if len(estates) == 1:
        return estates[0]
    seen: dict[str, str] = {}
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
            merged.vcenters.append(vcenter)
    return merged

