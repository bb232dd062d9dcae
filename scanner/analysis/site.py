"""Site tasks: results of site rules grouped once per object, apart from per-VM readiness.

A source host below HCX's minimum ESXi version, a vCenter below its minimum, a port group on a
standard vSwitch (which HCX Network Extension cannot extend): each is one thing to do for the
estate, not a condition of each VM on it. Site rules (``RuleInfo.site``) still run per VM; the
engine hands their results here instead of to the VM's readiness, so every VM is assessed as it
will be once the site tasks are done, and names the tasks that concern it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scanner.analysis.model import Finding, SiteTask
from scanner.inventory.model import VM, VCenter
from scanner.rules.base import RuleSpec

KIND_ORDER = {"prerequisite": 0, "network": 1}
STATUS_ORDER = {"fail": 0, "unknown": 1, "not_in_source": 2}
OBJECT_TYPES = {"host": "host", "network": "port group", "vcenter": "vCenter"}


@dataclass
class _Group:
    spec: RuleSpec
    status: str
    severity: str
    vcenter: str | None
    obj: str | None
    first: Finding
    vm_ids: dict[str, None] = field(default_factory=dict)
    targets: set[str] = field(default_factory=set)
    # task_id of the group's key, made once.
    task: str = ""
    # The (shared, read-only) targets list last added to ``targets``: the same list again adds nothing.
    last_targets: list[str] | None = None


def task_id(rule_id: str, status: str, vcenter: str | None, obj: str | None) -> str:
    suffix = "" if status == "fail" else f"#{status}"
    return f"{rule_id}:{vcenter or '?'}/{obj or '?'}{suffix}"


def task_message(spec: RuleSpec, status: str, obj: str | None, first: Finding) -> str:
    """One line for the object: the network rule's messages name a VM's NIC, the task names the port group."""
    if spec.site_object == "network" and status == "fail":
        switch = first.evidence.get("switch")
        return f"port group {obj} is on standard vSwitch {switch}" if switch else \
            f"port group {obj} is on a standard vSwitch"
    if spec.site_object == "network" and obj:
        return f"switch type of port group {obj} not known"
    if status != "fail" and obj and obj not in first.message:
        return f"{OBJECT_TYPES.get(spec.site_object or '', '')} {obj}: {first.message}".strip()
    return first.message


class SiteTally:
    """Groups site-rule findings while the engine walks the VMs; ``tasks`` builds the result."""

    def __init__(self, specs: Mapping[str, RuleSpec]) -> None:
        self.specs = specs
        self.groups: dict[tuple[str, str, str | None, str | None], _Group] = {}

    def is_site(self, finding: Finding) -> bool:
        return finding.rule_id in self.specs

    def add(self, vm: VM, vcenter: VCenter, findings: Iterable[Finding]) -> list[str]:
        """Record the VM's site-rule findings; return the ids of the tasks that concern it."""
        ids: dict[str, None] = {}
        for finding in findings:
            spec = self.specs[finding.rule_id]
            value: Any = finding.evidence.get(spec.site_object or "")
            obj = str(value) if value not in (None, "") else None
            key = (finding.rule_id, finding.status, vcenter.name, obj)
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = _Group(spec, finding.status, finding.severity, vcenter.name, obj, finding,
                                                  task=task_id(*key))
            group.vm_ids[vm.id] = None
            targets = finding.targets
            if targets is not group.last_targets:
                group.targets.update(targets)
                group.last_targets = targets
            ids[group.task] = None
        return list(ids)

    def tasks(self) -> list[SiteTask]:
        result = [
            SiteTask(
                id=task_id(g.spec.id, g.status, g.vcenter, g.obj), rule_id=g.spec.id, kind=g.spec.site or "",
                status=g.status, severity=g.severity, vcenter=g.vcenter,
                object_type=OBJECT_TYPES.get(g.spec.site_object or "", g.spec.site_object or ""), object=g.obj,
                message=task_message(g.spec, g.status, g.obj, g.first), action=g.spec.remediation,
                vm_ids=list(g.vm_ids), targets=sorted(g.targets),
                evidence={k: v for k, v in g.first.evidence.items() if k not in ("nic",)},
            )
            for g in self.groups.values()
        ]
        result.sort(key=lambda t: (KIND_ORDER.get(t.kind, 9), STATUS_ORDER.get(t.status, 9), -len(t.vm_ids),
                                   t.rule_id, t.object or ""))
        return result
