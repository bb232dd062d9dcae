"""Compare consecutive scans: match VMs, list what changed, count findings cleared and new per rule."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import pairwise
from typing import Any

from scanner.diff.model import DiffResult, FieldChange, PairDiff, RuleDelta, VmChange, VmFacts
from scanner.diff.scans import Scan

# (label shown, attribute of VmFacts); compared only when both scans know the value.
COMPARED_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "name"),
    ("power state", "power_state"),
    ("vCPU", "num_cpu"),
    ("memory GiB", "memory_gib"),
    ("storage GiB", "storage_gib"),
    ("disks", "disk_count"),
    ("snapshots", "snapshot_count"),
    ("host", "host"),
    ("cluster", "cluster"),
    ("vCenter", "vcenter"),
)


def diff_scans(scans: Sequence[Scan]) -> DiffResult:
    targets = sorted({t for scan in scans for t in scan.point.readiness})
    return DiffResult(scans=[s.point for s in scans], targets=targets,
                      pairs=[diff_pair(old, new) for old, new in pairwise(scans)])


def match_vms(old: list[VmFacts], new: list[VmFacts]) -> list[tuple[VmFacts, VmFacts, str]]:
    """Pairs (old, new, how): by stable id, then instance UUID, then a name unique in its vCenter on both sides."""
    pairs: list[tuple[VmFacts, VmFacts, str]] = []
    old_left = {vm.key: vm for vm in old}
    new_left = {vm.key: vm for vm in new}
    for key in [k for k in new_left if k in old_left]:
        pairs.append((old_left.pop(key), new_left.pop(key), "id"))

    def by(how: str, key_of: Callable[[VmFacts], Any]) -> None:
        old_index = unique_index(old_left.values(), key_of)
        new_index = unique_index(new_left.values(), key_of)
        for key, new_vm in new_index.items():
            old_vm = old_index.get(key)
            if old_vm is not None:
                pairs.append((old_left.pop(old_vm.key), new_left.pop(new_vm.key), how))

    by("instance_uuid", lambda vm: vm.instance_uuid.lower() if vm.instance_uuid else None)
    by("name", lambda vm: ((vm.vcenter or "").lower(), vm.name.lower()) if vm.name else None)
    return pairs


def unique_index(vms: Iterable[VmFacts], key_of: Callable[[VmFacts], Any]) -> dict[Any, VmFacts]:
    """key -> VM for keys that exactly one VM has (an ambiguous name matches nothing)."""
    seen: dict[Any, VmFacts | None] = {}
    for vm in vms:
        key = key_of(vm)
        if key is not None:
            seen[key] = None if key in seen else vm
    return {k: v for k, v in seen.items() if v is not None}


def compare_vm(old: VmFacts, new: VmFacts, how: str, targets: Sequence[str]) -> VmChange:
    change = VmChange(key=new.key, name=new.name, old_name=old.name, vcenter=new.vcenter, matched_by=how)
    for label, attribute in COMPARED_FIELDS:
        before, after = getattr(old, attribute), getattr(new, attribute)
        if before is None and after is None:
            continue
        if before is None or after is None:
            change.not_comparable.append(label)
        elif before != after:
            change.changes.append(FieldChange(label, before, after))
    new_fails, new_unknown = set(new.fails), set(new.unknown)
    old_fails = set(old.fails)
    change.findings_cleared = sorted(old_fails - new_fails - new_unknown)
    change.no_longer_checked = sorted((old_fails - new_fails) & new_unknown)
    change.findings_new = sorted(new_fails - old_fails)
    change.blockers_new = sorted(set(new.blockers) - set(old.blockers))
    for target in targets:
        if target in old.readiness and target in new.readiness and old.readiness[target] != new.readiness[target]:
            change.readiness[target] = [old.readiness[target], new.readiness[target]]
        if (target in old.recommended_method and target in new.recommended_method
                and old.recommended_method[target] != new.recommended_method[target]):
            change.recommended_method[target] = [old.recommended_method[target], new.recommended_method[target]]
    return change


def diff_pair(old: Scan, new: Scan) -> PairDiff:
    targets = sorted(set(old.point.readiness) & set(new.point.readiness))
    pairs = match_vms(old.vms, new.vms)
    matched_old = {o.key for o, _, _ in pairs}
    matched_new = {n.key for _, n, _ in pairs}
    result = PairDiff(old=old.point.label, new=new.point.label,
                      added=[vm for vm in new.vms if vm.key not in matched_new],
                      removed=[vm for vm in old.vms if vm.key not in matched_old])
    not_comparable: set[str] = set()
    for old_vm, new_vm, how in pairs:
        change = compare_vm(old_vm, new_vm, how, targets)
        not_comparable.update(change.not_comparable)
        if how == "name":
            result.matched_by_name += 1
        if change.changed:
            result.changed.append(change)
        else:
            result.unchanged += 1
    result.not_comparable = sorted(not_comparable)
    result.rules = rule_deltas(old, new, pairs, result.added)
    for target in sorted(set(old.point.sizing) | set(new.point.sizing)):
        before, after = old.point.sizing.get(target), new.point.sizing.get(target)
        if before != after:
            result.sizing[target] = [before, after]
    return result


def rule_deltas(old: Scan, new: Scan, pairs: list[tuple[VmFacts, VmFacts, str]],
                added: list[VmFacts]) -> list[RuleDelta]:
    titles = {**old.rule_titles, **new.rule_titles}
    counts: dict[str, RuleDelta] = {}

    def delta(rule_id: str) -> RuleDelta:
        if rule_id not in counts:
            title, severity = titles.get(rule_id, (rule_id, "info"))
            counts[rule_id] = RuleDelta(rule_id, title, severity, 0, 0, 0, 0)
        return counts[rule_id]

    for vm in old.vms:
        for rid in vm.fails:
            delta(rid).vms_old += 1
    for vm in new.vms:
        for rid in vm.fails:
            delta(rid).vms_new += 1
    for old_vm, new_vm, _ in pairs:
        old_fails, new_fails = set(old_vm.fails), set(new_vm.fails)
        for rid in old_fails - new_fails:
            if rid in new_vm.unknown:
                delta(rid).no_longer_checked += 1
            else:
                delta(rid).cleared += 1
        for rid in new_fails - old_fails:
            delta(rid).appeared += 1
    for vm in added:
        for rid in vm.fails:
            delta(rid).appeared += 1
    order = {"blocker": 0, "warning": 1, "info": 2}
    return sorted(counts.values(), key=lambda d: (order.get(d.severity, 3), -abs(d.vms_new - d.vms_old), d.rule_id))
