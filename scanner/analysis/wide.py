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

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.analysis.coverage import VM_DEPENDENT_KEYS, Cause, cause_depends_on_vm
from scanner.analysis.model import NOT_IN_SOURCE, Finding, VcenterFinding
from scanner.inventory.model import VM, VCenter
from scanner.serde import TEXT_OR_NONE

# (rule id, status, message, id(methods), id(evidence), id(targets)); a rule's severity and
# remediation are the same on every VM of one analysis.
Key = tuple[Any, ...]
# A VM's grouped results: (position in its findings, candidate number), interned per layout.
Layout = tuple[tuple[int, int], ...]


class VcenterGrouping:
    """The findings of one vCenter's VMs, taken VM by VM; see the module's docstring."""

    def __init__(self, vcenter: str, per_vm: Mapping[int, object] | None = None) -> None:
        """``per_vm``: the ids of evidence dicts that rules share between VMs while each result is
        about its own VM (rules.base.held_per_vm): results holding one stay with their VMs."""
        self.vcenter = vcenter
        self.per_vm: Mapping[int, object] = per_vm if per_vm is not None else {}
        self.candidates: dict[Key, int] = {}
        self.models: list[Finding] = []  # one per candidate: the first VM's (keeps the ids alive)
        # id(model) -> its candidate number: a later VM may hold the model itself (RepeatedNote).
        self.numbers: dict[int, int] = {}
        self.standing: list[bool] = []
        self.standing_count = 0
        self.vms: list[tuple[str, list[Finding], Layout]] = []
        self.layouts: dict[Layout, Layout] = {}

    def add(self, vm_id: str, findings: list[Finding]) -> None:
        """One VM's findings (its site findings left out), in the order the rules gave them."""
        first = not self.vms
        if first:
            self._add_first(vm_id, findings)
            return
        candidates = self.candidates
        numbers_get = self.numbers.get
        standing = self.standing
        per_vm = self.per_vm
        own: list[Finding] = []
        own_append = own.append
        slots: list[tuple[int, int]] = []
        taken: set[int] = set()
        for position, finding in enumerate(findings):
            status = finding.status
            if status == "fail":
                own_append(finding)
                continue
            number = numbers_get(id(finding))
            if number is None:
                evidence = id(finding.evidence)
                # Evidence held per VM is no candidate's (_add_first): no key made for it.
                number = None if evidence in per_vm else candidates.get(
                    (finding.rule_id, status, finding.message, id(finding.methods), evidence,
                     id(finding.targets)))  # a Key
            if number is None or number in taken:
                own_append(finding)  # not a candidate, or a second equal result on the same VM
            else:
                taken.add(number)
                slots.append((position, number))
        if sum(map(standing.__getitem__, taken)) != self.standing_count:
            for number, up in enumerate(standing):
                if up and number not in taken:
                    standing[number] = False
                    self.standing_count -= 1
        layout = tuple(slots)
        self.vms.append((vm_id, own, self.layouts.setdefault(layout, layout)))

    def _add_first(self, vm_id: str, findings: list[Finding]) -> None:
        """The vCenter's first VM: each of its results that is not a failure becomes a candidate."""
        candidates = self.candidates
        numbers = self.numbers
        standing = self.standing
        per_vm = self.per_vm
        own: list[Finding] = []
        slots: list[tuple[int, int]] = []
        taken: set[int] = set()
        for position, finding in enumerate(findings):
            status = finding.status
            # No candidate, so no later VM's result matches it: each VM keeps its own.
            if status == "fail" or id(finding.evidence) in per_vm:
                own.append(finding)
                continue
            number = numbers.get(id(finding))
            if number is None:
                key = (finding.rule_id, status, finding.message, id(finding.methods), id(finding.evidence),
                       id(finding.targets))  # a Key
                number = candidates.get(key)
            if number is None:
                number = candidates[key] = numbers[id(finding)] = len(self.models)
                self.models.append(finding)
                standing.append(True)
                self.standing_count += 1
            if number in taken:
                own.append(finding)  # a second equal result on the same VM
            else:
                taken.add(number)
                slots.append((position, number))
        layout = tuple(slots)
        self.vms.append((vm_id, own, self.layouts.setdefault(layout, layout)))

    def finish(self) -> tuple[list[Finding], list[VcenterFinding]]:
        """Every VM's own findings in VM order, and the vCenter-wide results (none for a single VM)."""
        count = len(self.vms)
        standing = self.standing if count > 1 else [False] * len(self.standing)
        wide = [VcenterFinding(m.rule_id, m.severity, m.targets, self.vcenter, count, m.status, m.message,
                               m.methods, m.evidence, m.remediation)
                for m, kept in zip(self.models, standing, strict=True) if kept]
        return self._own_findings(standing), wide

    def _own_findings(self, standing: list[bool]) -> list[Finding]:
        result: list[Finding] = []
        extend = result.extend
        # Each layout's results given back, found once per layout (interned in ``layouts``, which
        # keeps it alive: its id is its own), not once per VM.
        given_back_of: dict[int, list[tuple[int, int]]] = {}
        for vm_id, own, layout in self.vms:
            given_back = given_back_of.get(id(layout))
            if given_back is None:
                given_back = given_back_of[id(layout)] = [(position, number) for position, number in layout
                                                          if not standing[number]]
            if not given_back:
                extend(own)
                continue
            extend(self._with_given_back(vm_id, own, layout, given_back))
        return result

    def _with_given_back(self, vm_id: str, own: list[Finding], layout: Layout,
                         given_back: list[tuple[int, int]]) -> Iterator[Finding]:
        models = self.models
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


@dataclass(slots=True)
class RepeatedNote:
    """A result of a vCenter's first VM that the policy leaves out of readiness ("note": data the
    input format never carries, such as vTPM in an RVTools export), for the rule's later VMs.

    A later VM whose rule gives exactly this result again takes ``model`` itself - the first VM's
    Finding, every field the one its own would have (the pool's message and evidence, the rule's
    methods and targets) but ``vm_id``, which the grouping gives back where the result stays per VM
    - instead of a new Finding with its pooling, cause and coverage entry: its cause is the first
    VM's, and the coverage tally counts the ``repeats`` once at the end of the vCenter.
    """

    model: Finding
    cause: Cause
    # The model's evidence items, in order: what the unknowns' pool compares (engine.pooled).
    items: tuple[tuple[str, Any], ...] = ()
    # The rule's gap_field (RuleSpec) when the first VM lacked it: a later VM lacking it too has the
    # model's result without the rule being run.
    gap_field: str | None = None
    repeats: int = 0

    def matches(self, status: str, message: str, evidence: dict[str, Any], methods: object) -> bool:
        """Whether a rule's result is the model's as the engine would store it: the status the rule gave
        the model, the rule's methods, and the message and text evidence the pool holds as the model's."""
        return (status == "unknown" and methods is None and message == self.model.message
                and tuple(evidence.items()) == self.items and TEXT_OR_NONE.issuperset(map(type, evidence.values())))


def repeated_notes(vcenter: VCenter, vm: VM, findings: list[Finding], gaps: list[tuple[Finding, Cause]],
                   grouping: VcenterGrouping, repeatable: Mapping[str, dict[str, str]],
                   ignored: Callable[[Finding], bool], gap_fields: Mapping[str, str]) -> dict[str, RepeatedNote]:
    """The first VM's results that later VMs may take as they are (see RepeatedNote), by rule id.

    ``vm``: the vCenter's first VM, ``findings`` its findings, ``gaps`` its unknowns with their
    causes; ``gap_fields``: the rules' gap_field (RuleSpec) by rule id; ``repeatable``:
    the rules run once for every target, not site rules, with their methods; ``ignored``: whether
    the policy leaves a finding out of readiness. Only a rule's one result on the VM, held by the
    grouping as a candidate, with text evidence (what the pool holds) and a cause that is a fact of
    the vCenter.
    """
    per_rule = Counter(f.rule_id for f in findings)
    causes = {id(finding): cause for finding, cause in gaps}
    notes: dict[str, RepeatedNote] = {}
    for model in grouping.models:
        cause = causes.get(id(model))
        if (cause is not None and model.status == NOT_IN_SOURCE and model.methods is repeatable.get(model.rule_id)
                and not (cause.key in VM_DEPENDENT_KEYS and cause_depends_on_vm(cause.key, vcenter))
                and per_rule[model.rule_id] == 1 and ignored(model)
                and TEXT_OR_NONE.issuperset(map(type, model.evidence.values()))):
            gap_field = gap_fields.get(model.rule_id)
            notes[model.rule_id] = RepeatedNote(model, cause, tuple(model.evidence.items()),
                                                gap_field if gap_field and getattr(vm, gap_field) is None else None)
    return notes
