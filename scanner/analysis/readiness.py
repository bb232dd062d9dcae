"""Readiness per target, HCX method eligibility and the recommended method for one VM."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from scanner.analysis.model import METHODS, NOT_IN_SOURCE, Finding
from scanner.inventory.model import VM
from scanner.policy import UNAVAILABLE_IN_SOURCE_AS_VALUES, UNKNOWN_AS_VALUES, Policy


@dataclass
class TargetOutcome:
    readiness: str
    reasons: list[str] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)
    recommended: str | None = None
    # Rule ids among ``reasons`` that could not be evaluated (unknown findings): conditions to
    # verify when readiness is ready_with_conditions, otherwise they made readiness unknown.
    unverified: list[str] = field(default_factory=list)
    # When readiness is unknown for an open gap: rules that already count as conditions to verify
    # (data the input format never carries) - what stays to verify once the gap is filled.
    pending: list[str] = field(default_factory=list)


def unknown_as(policy: Policy) -> str:
    """Policy [analysis] unknown_as: how an unevaluated blocker rule counts (default "unknown")."""
    value = policy.data.get("analysis", {}).get("unknown_as", "unknown")
    return str(value) if value in UNKNOWN_AS_VALUES else "unknown"


def unavailable_in_source_as(policy: Policy) -> str:
    """Policy [analysis] unavailable_in_source_as: how a rule counts whose data the input format never
    carries (vTPM in an RVTools export) - default "note": stated once for the estate, changing no VM."""
    value = policy.data.get("analysis", {}).get("unavailable_in_source_as", "note")
    return str(value) if value in UNAVAILABLE_IN_SOURCE_AS_VALUES else "note"


def gap_treatment(policy: Policy) -> Callable[[Finding], str]:
    """How a finding that could not be evaluated counts in readiness: "unknown", "condition" or "ignored".

    ``unknown`` findings (the input should have had the data) follow ``unknown_as``;
    ``not_in_source`` findings (the input format never carries it) follow ``unavailable_in_source_as``,
    whose default "note" leaves them out of readiness and methods altogether.
    """
    for_unknown, for_source = gap_treatments(policy)
    return lambda finding: for_source if finding.status == NOT_IN_SOURCE else for_unknown


def gap_treatments(policy: Policy) -> tuple[str, str]:
    """gap_treatment's two answers: (for an ``unknown`` finding, for a ``not_in_source`` one)."""
    for_source = {"note": "ignored", "condition": "condition", "unknown": "unknown"}[unavailable_in_source_as(policy)]
    return unknown_as(policy), for_source


def condition_test(policy: Policy) -> Callable[[Finding], bool]:
    """Whether a finding that could not be evaluated counts as a condition to verify rather than as unknown."""
    treatment = gap_treatment(policy)
    return lambda finding: finding.status != "fail" and treatment(finding) == "condition"


def considered(findings: Iterable[Finding], policy: Policy,
               treatment: Callable[[Finding], str] | None = None) -> list[Finding]:
    """The findings that take part in readiness: all but those the policy leaves out ("note").
    ``treatment``: gap_treatment(policy) when the caller has it."""
    treatment = treatment if treatment is not None else gap_treatment(policy)
    return [f for f in findings if f.status == "fail" or treatment(f) != "ignored"]


def applicable_methods(vm: VM, policy: Policy, target: str | None = None) -> list[str]:
    """HCX methods that move a VM in its current power state (all of them when the state is unclear)
    and that the target offers (targets.<id>.migration_methods; every method when it lists none)."""
    preference = policy.data["hcx"]["preference"]
    if vm.power_state in ("powered_on", "powered_off") and not vm.template:
        methods = [str(m) for m in preference[vm.power_state]]
    elif vm.template:
        methods = [str(m) for m in preference["powered_off"]]
    else:
        methods = list(METHODS)
    offered = policy.data.get("targets", {}).get(target, {}).get("migration_methods") if target else None
    return [m for m in methods if m in offered] if offered else methods


ELIGIBILITY_RANK = {"eligible": 0, "conditional": 1, "unknown": 2, "blocked": 3}


class PolicyAnswers:
    """What evaluate_target (and the engine's other per-VM steps) read of the policy, derived once
    for an analysis rather than per call: the gap treatment, the condition test and the methods
    usable per target, power state and template flag (the only things of the VM applicable_methods
    reads)."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.treatment = gap_treatment(policy)
        # The treatment's two answers, for readers that ask per finding inline (gap_treatments).
        self.treatments = gap_treatments(policy)
        self.as_condition = condition_test(policy)
        self._usable: dict[tuple[str | None, str | None, bool | None], list[str]] = {}

    def usable(self, vm: VM, target: str | None) -> list[str]:
        """applicable_methods(vm, policy, target): one list per distinct key, read-only."""
        key = (target, vm.power_state, vm.template)
        known = self._usable.get(key)
        if known is None:
            known = self._usable[key] = applicable_methods(vm, self.policy, target)
        return known


def method_eligibility(findings: Iterable[Finding],
                       as_condition: Callable[[Finding], bool] = lambda finding: False) -> dict[str, str]:
    """blocked > unknown (a rule that could block lacked data) > conditional > eligible.

    A failing blocker that names no method blocks them all.

    An unknown finding for which ``as_condition`` holds makes the methods it could block conditional.
    """
    state = dict.fromkeys(METHODS, "eligible")
    rank = ELIGIBILITY_RANK
    for finding in findings:
        failed = finding.status == "fail"
        effects = finding.methods
        if failed and finding.severity == "blocker" and not effects:
            # A target-level blocker (VM larger than any node, unsupported guest OS): the VM cannot
            # run on the target at all, so no HCX method can move it there.
            state = dict.fromkeys(METHODS, "blocked")
            continue
        # What an unknown finding makes of a method it could block (asked once per finding).
        unknown_blocks: str | None = None
        for method, effect in effects.items():
            if method not in state:
                continue
            if failed:
                new = "blocked" if effect == "blocks" else "conditional"
            elif effect == "blocks":
                if unknown_blocks is None:
                    unknown_blocks = "conditional" if as_condition(finding) else "unknown"
                new = unknown_blocks
            else:
                continue
            if rank[new] > rank[state[method]]:
                state[method] = new
    return state


def unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def evaluate_target(vm: VM, findings: list[Finding], policy: Policy, target: str | None = None,
                    answers: PolicyAnswers | None = None) -> TargetOutcome:
    """Azure Migrate-style readiness plus method eligibility for one VM on one target.

    Findings whose data the input format never carries (status ``not_in_source``) take part only
    when policy [analysis] unavailable_in_source_as says "condition" or "unknown".
    ``answers``: the policy's answers derived once for the analysis (PolicyAnswers of ``policy``).
    """
    # Unknowns the policy accepts as conditions to verify make methods conditional and readiness
    # at worst ready_with_conditions; the others ("open") make them unknown.
    if answers is None:
        as_condition = condition_test(policy)
        findings = considered(findings, policy)
        usable = applicable_methods(vm, policy, target)
    else:
        as_condition = answers.as_condition
        findings = considered(findings, policy, answers.treatment)
        usable = answers.usable(vm, target)
    methods = method_eligibility(findings, as_condition)
    # One pass: the failures, and the unknowns the policy accepts as conditions or leaves open.
    fails: list[Finding] = []
    open_unknowns: list[Finding] = []
    accepted: list[Finding] = []
    for f in findings:
        if f.status == "fail":
            fails.append(f)
        elif as_condition(f):
            accepted.append(f)
        else:
            open_unknowns.append(f)

    blockers = [f.rule_id for f in fails if f.severity == "blocker"]
    if blockers:
        return TargetOutcome("not_ready", unique(blockers), methods, None)
    if usable and all(methods[m] == "blocked" for m in usable):
        reasons = [f.rule_id for f in fails if any(f.methods.get(m) == "blocks" for m in usable)]
        return TargetOutcome("not_ready", unique(reasons), methods, None)

    recommended = recommend(usable, methods, vm)

    def deciding(unknown: list[Finding]) -> list[str]:
        """Unknown blocker rules first, then those that could block a method the VM would use."""
        could_block = [f.rule_id for f in unknown if f.severity == "blocker"]
        return unique(could_block + [f.rule_id for f in unknown if any(f.methods.get(m) == "blocks" for m in usable)])

    open_could_block = [f.rule_id for f in open_unknowns if f.severity == "blocker"]
    if open_could_block or (usable and all(methods[m] in ("blocked", "unknown") for m in usable)):
        reasons = unique(open_could_block) or deciding(open_unknowns)
        return TargetOutcome("unknown", reasons, methods, recommended, unverified=reasons,
                             pending=[rid for rid in deciding(accepted) if rid not in reasons])

    conditions = [f.rule_id for f in fails if f.severity == "warning"]
    conditions += [f.rule_id for f in fails if f.severity == "info" and any(
        f.methods.get(m) == "blocks" for m in usable)]
    unverified = deciding(accepted)
    conditions = unique(conditions)
    conditions += [rid for rid in unverified if rid not in conditions]
    if conditions:
        return TargetOutcome("ready_with_conditions", conditions, methods, recommended, unverified=unverified)
    return TargetOutcome("ready", [], methods, recommended)


def recommend(usable: list[str], methods: Mapping[str, str], vm: VM) -> str | None:
    """First eligible method in the preference order for the VM's power state, else first conditional."""
    if vm.power_state not in ("powered_on", "powered_off") and not vm.template:
        return None
    for wanted in ("eligible", "conditional"):
        for method in usable:
            if methods.get(method) == wanted:
                return method
    return None
