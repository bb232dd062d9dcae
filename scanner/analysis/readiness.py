"""Readiness per target, HCX method eligibility and the recommended method for one VM."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from scanner.analysis.model import METHODS, Finding
from scanner.inventory.model import VM
from scanner.policy import UNKNOWN_AS_VALUES, Policy


@dataclass
class TargetOutcome:
    readiness: str
    reasons: list[str] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)
    recommended: str | None = None
    # Rule ids among ``reasons`` that could not be evaluated (unknown findings) - under
    # unknown_as = "condition" they are conditions to verify, otherwise they made readiness unknown.
    unverified: list[str] = field(default_factory=list)


def unknown_as(policy: Policy) -> str:
    """Policy [analysis] unknown_as: how an unevaluated blocker rule counts (default "unknown")."""
    value = policy.data.get("analysis", {}).get("unknown_as", "unknown")
    return str(value) if value in UNKNOWN_AS_VALUES else "unknown"


def applicable_methods(vm: VM, policy: Policy) -> list[str]:
    """HCX methods that move a VM in its current power state (all of them when the state is unclear)."""
    preference = policy.data["hcx"]["preference"]
    if vm.power_state in ("powered_on", "powered_off") and not vm.template:
        return [str(m) for m in preference[vm.power_state]]
    if vm.template:
        return [str(m) for m in preference["powered_off"]]
    return list(METHODS)


def method_eligibility(findings: Iterable[Finding]) -> dict[str, str]:
    """blocked > unknown (a rule that could block lacked data) > conditional > eligible."""
    state = dict.fromkeys(METHODS, "eligible")
    rank = {"eligible": 0, "conditional": 1, "unknown": 2, "blocked": 3}
    for finding in findings:
        for method, effect in finding.methods.items():
            if method not in state:
                continue
            if finding.status == "fail":
                new = "blocked" if effect == "blocks" else "conditional"
            elif effect == "blocks":
                new = "unknown"
            else:
                continue
            if rank[new] > rank[state[method]]:
                state[method] = new
    return state


def unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def evaluate_target(vm: VM, findings: list[Finding], policy: Policy) -> TargetOutcome:
    """Azure Migrate-style readiness plus method eligibility for one VM on one target."""
    methods = method_eligibility(findings)
    as_condition = unknown_as(policy) == "condition"
    if as_condition:
        # The consultant accepts unverified checks knowingly: a method only unknown is conditional.
        methods = {m: "conditional" if e == "unknown" else e for m, e in methods.items()}
    usable = applicable_methods(vm, policy)
    fails = [f for f in findings if f.status == "fail"]
    unknowns = [f for f in findings if f.status == "unknown"]

    blockers = [f.rule_id for f in fails if f.severity == "blocker"]
    if blockers:
        return TargetOutcome("not_ready", unique(blockers), methods, None)
    if usable and all(methods[m] == "blocked" for m in usable):
        reasons = [f.rule_id for f in fails if any(f.methods.get(m) == "blocks" for m in usable)]
        return TargetOutcome("not_ready", unique(reasons), methods, None)

    recommended = recommend(usable, methods, vm)
    could_block = [f.rule_id for f in unknowns if f.severity == "blocker"]
    blocks_usable = [f.rule_id for f in unknowns if any(f.methods.get(m) == "blocks" for m in usable)]
    if not as_condition and (could_block or (usable and all(methods[m] in ("blocked", "unknown") for m in usable))):
        reasons = unique(could_block or blocks_usable)
        return TargetOutcome("unknown", reasons, methods, recommended, unverified=reasons)

    conditions = [f.rule_id for f in fails if f.severity == "warning"]
    conditions += [f.rule_id for f in fails if f.severity == "info" and any(
        f.methods.get(m) == "blocks" for m in usable)]
    unverified = unique(could_block + blocks_usable) if as_condition else []
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
