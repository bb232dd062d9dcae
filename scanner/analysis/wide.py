"""Results the same on every VM of a vCenter, held once (assessment schema 3, ``vcenter_findings``).

An RVTools export without the vDisk tab makes "the input carries no virtual disk details" on each
of its VMs: a fact about the input, not 100,000 findings. The engine hands every VM's findings to a
``VcenterGrouping`` as the VM is assessed; a result of the vCenter's first VM stays a candidate while
every later VM has an equal one (same rule, status, message, methods, evidence, targets). At the end
of the vCenter the candidates still standing become VcenterFindings and the VMs keep the rest, in
their own order; a candidate that fell is given back to the VMs that had it, where they had it.

Equal is decided by identity for methods, evidence and targets: the engine shares those objects
between VMs when they are equal (rule methods, pooled unknown evidence, shared target lists), and a
result the pool did not share is simply kept per VM. Failing results are never grouped: a finding
found on a VM is about that VM.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scanner.analysis.model import Finding, VcenterFinding

# (rule id, status, message, id(methods), id(evidence), id(targets)); a rule's severity and
# remediation are the same on every VM of one analysis.
Key = tuple[Any, ...]
# A VM's grouped results: (position in its findings, candidate number), interned per layout.
Layout = tuple[tuple[int, int], ...]


class VcenterGrouping:
    """The findings of one vCenter's VMs, taken VM by VM; see the module's docstring."""

    def __init__(self, vcenter: str) -> None:
        self.vcenter = vcenter
        self.candidates: dict[Key, int] = {}
        self.models: list[Finding] = []  # one per candidate: the first VM's (keeps the ids alive)
        self.standing: list[bool] = []
        self.standing_count = 0
        self.vms: list[tuple[str, list[Finding], Layout]] = []
        self.layouts: dict[Layout, Layout] = {}

    def add(self, vm_id: str, findings: list[Finding]) -> None:
        """One VM's findings (its site findings left out), in the order the rules gave them."""
        first = not self.vms
        candidates = self.candidates
        standing = self.standing
        own: list[Finding] = []
        slots: list[tuple[int, int]] = []
        taken: set[int] = set()
        for position, finding in enumerate(findings):
            status = finding.status
            if status == "fail":
                own.append(finding)
                continue
            key = (finding.rule_id, status, finding.message, id(finding.methods), id(finding.evidence),
                   id(finding.targets))  # a Key
            number = candidates.get(key)
            if number is None and first:
                number = candidates[key] = len(self.models)
                self.models.append(finding)
                standing.append(True)
                self.standing_count += 1
            if number is None or number in taken:
                own.append(finding)  # not a candidate, or a second equal result on the same VM
            else:
                taken.add(number)
                slots.append((position, number))
        if not first and sum(1 for number in taken if standing[number]) != self.standing_count:
            for number, up in enumerate(standing):
                if up and number not in taken:
                    standing[number] = False
                    self.standing_count -= 1
        layout = tuple(slots)
        self.vms.append((vm_id, own, self.layouts.setdefault(layout, layout)))

    def finish(self) -> tuple[list[Finding], list[VcenterFinding]]:
        """Every VM's own findings in VM order, and the vCenter-wide results (none for a single VM)."""
        count = len(self.vms)
        standing = self.standing if count > 1 else [False] * len(self.standing)
        wide = [VcenterFinding(m.rule_id, m.severity, m.targets, self.vcenter, count, m.status, m.message,
                               m.methods, m.evidence, m.remediation)
                for m, kept in zip(self.models, standing, strict=True) if kept]
        return list(self._own_findings(standing)), wide

    def _own_findings(self, standing: list[bool]) -> Iterator[Finding]:
        models = self.models
        for vm_id, own, layout in self.vms:
            given_back = [(position, number) for position, number in layout if not standing[number]]
            if not given_back:
                yield from own
                continue
            # The VM's own findings fill the positions its grouped results did not take.
            rest = iter(own)
            back = dict(given_back)
            grouped = {position for position, _ in layout}
            for position in range(len(own) + len(layout)):
                number = back.get(position)
                if number is not None:
                    model = models[number]
                    yield model if model.vm_id == vm_id else Finding(
                        model.rule_id, model.severity, model.targets, vm_id, model.status, model.message,
                        model.methods, model.evidence, model.remediation)
                elif position not in grouped:
                    yield next(rest)
