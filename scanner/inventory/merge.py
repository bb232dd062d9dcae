"""Merge several inventories (one per vCenter or export) into one estate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TypeVar

from scanner.inventory.model import CollectionIssue, Estate, Source, VCenter

T = TypeVar("T")


@dataclass
class _Kept:
    vcenter: VCenter
    origin: str  # file name of the input the vCenter came from first
    when: str  # its export / collection time (ISO 8601)
    vm_origin: dict[str, tuple[str, str]]  # VM id -> (file name, time) of the row kept


def merge_estates(estates: list[Estate], origins: list[str]) -> Estate:
    """Concatenate vCenters; the same vCenter given twice becomes one vCenter.

    Two inputs describing the same vCenter (same instance UUID, or same name without one) - e.g. two
    RVTools exports taken weeks apart, or filtered to different clusters - merge into one VCenter:
    VMs, hosts, clusters, datastores, networks and datacenters are counted once, and where both
    inputs carry the same object the row of the newer input (by its export or collection time)
    wins. Equal or unknown times keep the first input's row. Every VM present twice gets a
    "duplicate VM" collection issue naming the copy kept, and each merged pair of inputs one
    summary issue.
    """
    if len(estates) == 1:
        return estates[0]
    merged = Estate(
        collected_at=max(e.collected_at for e in estates),
        source=Source(kind="merged", detail={f"input{i + 1}": o for i, o in enumerate(origins)}),
    )
    kept_by_identity: dict[str, _Kept] = {}
    for estate, origin in zip(estates, origins, strict=True):
        merged.collection_issues.extend(estate.collection_issues)
        name = PurePath(origin).name
        for vcenter in estate.vcenters:
            when = vcenter.source_detail.get("exported_at") or estate.collected_at
            identity = vcenter.instance_uuid or vcenter.name
            kept = kept_by_identity.get(identity)
            if kept is None:
                kept_by_identity[identity] = _Kept(vcenter, name, when, {vm.id: (name, when) for vm in vcenter.vms})
                merged.vcenters.append(vcenter)
                continue
            merged.collection_issues.extend(_merge_vcenter(kept, vcenter, name, when))
    return merged


def _merge_vcenter(kept: _Kept, other: VCenter, origin: str, when: str) -> list[CollectionIssue]:
    target = kept.vcenter
    newer = when > kept.when
    issues: list[CollectionIssue] = []
    index = {vm.id: position for position, vm in enumerate(target.vms)}
    both = 0
    for vm in other.vms:
        position = index.get(vm.id)
        if position is None:
            index[vm.id] = len(target.vms)
            target.vms.append(vm)
            kept.vm_origin[vm.id] = (origin, when)
            continue
        both += 1
        first_origin, first_when = kept.vm_origin[vm.id]
        if when > first_when:
            target.vms[position] = vm
            kept.vm_origin[vm.id] = (origin, when)
            choice = f"kept the newer copy from {origin} ({when}) over {first_origin} ({first_when})"
        elif when < first_when:
            choice = f"kept the newer copy from {first_origin} ({first_when}) over {origin} ({when})"
        else:
            choice = f"kept the first copy, from {first_origin} (same or unknown export time)"
        issues.append(CollectionIssue(
            vcenter=target.name, object_id=vm.id, object_name=vm.name, property=None,
            message=f"duplicate VM: also in {first_origin}; counted once ({choice})",
        ))
    target.hosts = _union(target.hosts, other.hosts, lambda h: h.name or h.id, newer)
    target.clusters = _union(target.clusters, other.clusters, lambda c: c.name or c.id, newer)
    target.datastores = _union(target.datastores, other.datastores, lambda d: d.name or d.id, newer)
    target.networks = _union(target.networks, other.networks, lambda n: n.name or n.id, newer)
    target.datacenters = _union(target.datacenters, other.datacenters, lambda d: d.name, newer)
    target.missing_tabs = [tab for tab in dict.fromkeys([*target.missing_tabs, *other.missing_tabs])]
    if newer:
        for attribute in ("version", "build", "full_name", "api_version"):
            value = getattr(other, attribute)
            if value is not None:
                setattr(target, attribute, value)
    winner = f"{origin} ({when})" if newer else f"{kept.origin} ({kept.when})"
    issues.append(CollectionIssue(
        vcenter=target.name, object_name=target.name, property="vcenter",
        message=f"vCenter {target.name} is in {kept.origin} ({kept.when}) and {origin} ({when}): merged into one "
        f"vCenter; {both} VM(s) in both, hosts, clusters and datastores counted once; where both carry the "
        f"same object the newer input's row is kept ({winner})",
    ))
    if newer:
        kept.origin, kept.when = origin, when
    return issues


def _union(first: list[T], second: list[T], key: Callable[[T], str | None], second_wins: bool) -> list[T]:
    """Objects of both lists once, keyed by name; on a clash the second list's object if it is newer."""
    result = list(first)
    position = {key(item): i for i, item in enumerate(result)}
    for item in second:
        found = position.get(key(item))
        if found is None:
            position[key(item)] = len(result)
            result.append(item)
        elif second_wins:
            result[found] = item
    return result
