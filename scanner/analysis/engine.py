"""Run the rule catalogue over an estate and build the Assessment.

Data flow: Estate -> findings (rules) -> per-VM outcomes (readiness, methods, disposition) ->
summary -> sizing hook. Sizing is computed elsewhere and plugged in through the single
``sizing`` parameter of :func:`analyze` (see ``SizingHook``).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import attrgetter
from typing import Any

from scanner import __version__
from scanner.analysis.coverage import (
    RULE_DEFAULT_MISSING,
    Cause,
    CauseCache,
    CoverageTally,
    cause_of,
    missing_key,
)
from scanner.analysis.dates import data_dates, date_part
from scanner.analysis.disposition import (
    LIFT_AND_SHIFT,
    STEERED,
    DispositionRule,
    decide,
    disposition_rules,
    most_favourable,
    retain_reasons,
    steer,
    verdict_line,
)
from scanner.analysis.model import (
    DISPOSITIONS,
    ELIGIBILITY,
    METHODS,
    NOT_IN_SOURCE,
    READINESS,
    Assessment,
    Coverage,
    Finding,
    InputInfo,
    RuleCount,
    RuleInfo,
    SizingResult,
    Summary,
    TargetSummary,
    VcenterFinding,
    VmOutcome,
)
from scanner.analysis.readiness import (
    PolicyAnswers,
    TargetOutcome,
    evaluate_target,
    gap_treatments,
    unavailable_in_source_as,
    unknown_as,
)
from scanner.analysis.shared import SharedValues
from scanner.analysis.site import SiteTally
from scanner.analysis.targets import default_targets, target_ids, target_infos
from scanner.analysis.wide import RepeatedNote, VcenterGrouping, repeated_notes
from scanner.inventory.model import VM, Cluster, Estate, Host, Network, VCenter
from scanner.policy import Policy, RetainPolicy, default_policy
from scanner.rules import Registry, RuleContext, RuleSpec, load_catalogue
from scanner.rules.base import PER_VM_EVIDENCE, RuleCheck, RuleResult
from scanner.serde import TEXT_OR_NONE

GIB = 1024**3
TIB = 1024**4
TOP_RULES = 10

# Called once per analysis after findings and outcomes exist; returns the sizing results to store.
SizingHook = Callable[[Estate, Assessment, Policy], list[SizingResult]]


class RuleCrash(RuntimeError):
    """A rule raised on some VM: a bug in the rule, reported with the rule and VM it happened on."""


# An active rule as run_rules reads it: check, rule id, severity, runs (see ActiveRule), the targets
# of its one run when that run gives the check no target (not per_target), methods, remediation, the
# pool of target lists, whether it is a site rule (RuleSpec.site), and the vCenter's note it may repeat
# (RepeatedNote) or None.
RuleStep = tuple[RuleCheck, str, str, tuple[tuple[str | None, list[str]], ...], list[str] | None,
                 dict[str, str], str, SharedValues, bool, "RepeatedNote | None"]


@dataclass
class ActiveRule:
    spec: RuleSpec
    severity: str
    targets: tuple[str, ...]
    # (target given to the check, targets its results are stored for): one run per target for a
    # per_target rule, else one run for all of them.
    runs: tuple[tuple[str | None, list[str]], ...] = ()
    # The rule's methods, shared by its findings that do not name their own.
    methods: dict[str, str] = field(default_factory=dict)
    # The analysis' pool the findings' target lists come from (one list per distinct targets).
    lists: SharedValues = field(default_factory=SharedValues)
    step: RuleStep = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.runs:
            self.runs = (tuple((t, self.lists.list_of((t,))) for t in self.targets) if self.spec.per_target
                         else ((None, self.lists.list_of(self.targets)),))
        if not self.methods:
            self.methods = dict(self.spec.methods)
        # What run_rules reads for every VM, in one tuple: one unpacking instead of eight lookups.
        single = self.runs[0][1] if len(self.runs) == 1 and self.runs[0][0] is None else None
        self.step = (self.spec.check, self.spec.id, self.severity, self.runs, single, self.methods,
                     self.spec.remediation, self.lists, self.spec.site is not None, None)


def rule_steps(rules: Sequence[ActiveRule], notes: Mapping[str, RepeatedNote]) -> list[RuleStep]:
    """The rules' steps for the later VMs of a vCenter, each with the note its rule may repeat."""
    return [(*a.step[:-1], notes.get(a.spec.id)) for a in rules]


@dataclass
class VcenterIndex:
    vcenter: VCenter
    hosts: dict[str, Host]
    clusters: dict[str, Cluster]
    networks: dict[str, Network]


def normalise_targets(targets: Iterable[str] | None, policy: Policy) -> list[str]:
    """The targets to assess, in the data's order; None = the data's default set."""
    known = target_ids(policy.data)
    if targets is None:
        return list(default_targets(policy.data))
    wanted = list(dict.fromkeys(targets))
    unknown_targets = [t for t in wanted if t not in known]
    if unknown_targets or not wanted:
        raise ValueError(f"targets must be a non-empty subset of {known}, got {wanted}")
    return [t for t in known if t in wanted]


def active_rules(registry: Registry, policy: Policy, targets: Sequence[str],
                 lists: SharedValues | None = None) -> tuple[list[ActiveRule], list[RuleInfo]]:
    """``lists``: the analysis' pool for the findings' target lists (a pool of their own when None)."""
    active: list[ActiveRule] = []
    infos: list[RuleInfo] = []
    lists = lists if lists is not None else SharedValues()
    for spec in registry.specs():
        override = policy.rule_overrides.get(spec.id)
        info = spec.info()
        if override is not None:
            info.enabled = override.enabled
            if override.severity is not None:
                info.severity = override.severity
            if override.disposition is not None:
                # "rehost": a failing finding of this rule changes nothing in the VM's disposition.
                info.suggests = None if override.disposition == "rehost" else override.disposition
                info.remediable = info.remediable and override.disposition != "rehost"
                info.disposition_overridden = True
        infos.append(info)
        rule_targets = tuple(t for t in targets if spec.applies_to(t))
        if info.enabled and rule_targets:
            active.append(ActiveRule(spec, info.severity, rule_targets, lists=lists))
    return active, infos


def index_vcenters(estate: Estate) -> dict[int, VcenterIndex]:
    return {
        id(vc): VcenterIndex(
            vcenter=vc,
            hosts={h.name: h for h in vc.hosts if h.name},
            clusters={c.name: c for c in vc.clusters if c.name},
            networks={n.name: n for n in vc.networks if n.name},
        )
        for vc in estate.vcenters
    }


def run_rules(vm: VM, index: VcenterIndex, rules: list[ActiveRule], policy: Policy, as_of: dt.date,
              data_date: dt.date | None = None, shared: dict[str, Any] | None = None,
              unknowns: dict[tuple[Any, ...], tuple[str, dict[str, Any]]] | None = None,
              steps: Sequence[RuleStep] | None = None, site: list[Finding] | None = None,
              unknown_found: list[Finding] | None = None) -> list[Finding]:
    """Every active rule on ``vm``. ``shared``: the analysis' memo of target facts (RuleContext.shared).

    A result is one Finding for every target it holds for (``targets``, a list shared by all
    findings for the same targets); a per_target rule's run for a later target adds its target to
    an equal result of an earlier run instead of storing it again. Methods and evidence are shared
    with the rule's result (read-only from here on): copies would cost time and memory, not change a field.
    ``unknowns``: the analysis' pool of unknown results' (message, evidence): an input that lacks a
    tab makes the same unknown on every VM, held once instead of once per VM.
    ``steps``: the rules' steps with the notes of the vCenter's first VM (rule_steps; None: the rules'
    own): a rule whose one result is its note again adds the first VM's Finding (see RepeatedNote).
    ``site`` and ``unknown_found``, when given, receive the findings of site rules (RuleSpec.site) and the
    findings whose status is unknown, in the VM's order: what the engine reads of them next, without
    a pass over every finding of the VM.
    """
    # Positional, in RuleContext's field order (vm, host, cluster, vcenter, networks, policy, as_of,
    # target: None, data_date, shared): made per VM, where a keyword call costs several times more.
    # ``target`` stays None but during a per_target rule's runs (set back after them), so a rule run
    # once for all targets needs no store of it.
    ctx = RuleContext(vm, index.hosts.get(vm.host) if vm.host else None,
                      index.clusters.get(vm.cluster) if vm.cluster else None, index.vcenter, index.networks,
                      policy, as_of, None, data_date, shared if shared is not None else {})
    findings: list[Finding] = []
    append = findings.append
    vm_id = vm.id
    for check, rule_id, severity, runs, targets, rule_methods, remediation, lists, site_rule, note in (
            steps if steps is not None else [active.step for active in rules]):
        try:
            if targets is not None:
                results: Iterable[RuleResult]
                if note is not None:
                    gap_field = note.gap_field
                    if gap_field is not None and getattr(vm, gap_field) is None:
                        append(note.model)  # the rule's one result when the field is missing (RuleSpec.gap_field)
                        note.repeats += 1
                        continue
                    results = tuple(check(ctx))
                    if len(results) == 1 and note.matches(results[0].status, results[0].message,
                                                          results[0].evidence, results[0].methods):
                        append(note.model)
                        note.repeats += 1
                        continue
                else:
                    results = check(ctx)
                    if not results:
                        continue  # most rules pass most VMs: an empty tuple, no loop started over it
                for result in results:
                    methods = result.methods if result.methods is not None else rule_methods
                    status, message, evidence = result.status, result.message, result.evidence
                    is_unknown = status == "unknown"
                    if is_unknown and unknowns is not None:
                        message, evidence = pooled(unknowns, message, evidence)
                    finding = Finding(rule_id, severity, targets, vm_id, status, message, methods, evidence,
                                      remediation)
                    append(finding)
                    if is_unknown and unknown_found is not None:
                        unknown_found.append(finding)
                    if site_rule and site is not None:
                        site.append(finding)
                continue
            first = len(findings)
            for target, targets in runs:
                ctx.target = target
                # An earlier run's equal result is looked for only after the last one this run
                # matched or added, so each target's findings keep the order its run gave them.
                after = first
                for result in check(ctx):
                    methods = result.methods if result.methods is not None else rule_methods
                    status, message, evidence = result.status, result.message, result.evidence
                    if unknowns is not None and status == "unknown":
                        message, evidence = pooled(unknowns, message, evidence)
                    for position in range(after, len(findings)):
                        earlier = findings[position]
                        if (earlier.status == status and earlier.message == message and target is not None
                                and target not in earlier.targets and same_json(earlier.evidence, evidence)
                                and same_json(earlier.methods, methods)):
                            earlier.targets = lists.list_of((*earlier.targets, target))
                            after = position + 1
                            break
                    else:
                        finding = Finding(rule_id, severity, targets, vm_id, status, message, methods, evidence,
                                          remediation)
                        append(finding)
                        if status == "unknown" and unknown_found is not None:
                            unknown_found.append(finding)
                        if site_rule and site is not None:
                            site.append(finding)
                        after = len(findings)
            ctx.target = None
        except Exception as exc:
            raise RuleCrash(f"rule {rule_id} failed on VM {vm.id} ({vm.name}): "
                            f"{exc.__class__.__name__}: {exc}") from exc
    return findings


def same_json(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are written as the same JSON: equal values of the same types, dict
    keys in the same order (1, 1.0 and True are equal in Python, not in the assessment JSON)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if type(a) is dict:
        return list(a) == list(b) and all(same_json(value, b[key]) for key, value in a.items())
    if type(a) in (list, tuple):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@dataclass
class PolicySwitches:
    """The policy's answers that are the same for every VM, derived once per analysis: readiness'
    (the gap treatment, the condition test; the readiness memo holds the same object) and the
    disposition steers."""

    answers: PolicyAnswers
    steers: dict[str, DispositionRule]

    @classmethod
    def of(cls, policy: Policy, answers: PolicyAnswers | None = None) -> PolicySwitches:
        return cls(answers if answers is not None else PolicyAnswers(policy), disposition_rules(policy))


class ReadinessMemo:
    """``evaluate_target`` once per distinct input: readiness depends on the target's migration methods
    (the only thing of the target it reads), the VM's power state and template flag, and each
    finding's rule, status, severity and methods - never on messages or evidence - so VMs with the
    same findings, on targets that offer the same methods, share one (read-only) TargetOutcome.

    A finding's methods enter the key by the dict's id (they are shared per rule, see run_rules):
    each entry keeps the findings it was computed from, so no id in a key is ever reused.
    """

    def __init__(self, policy: Policy, answers: PolicyAnswers | None = None) -> None:
        self.policy = policy
        self.answers = answers if answers is not None else PolicyAnswers(policy)
        self.results: dict[tuple[Any, ...], tuple[TargetOutcome, list[Finding]]] = {}
        # Each target's migration methods (targets.<id>.migration_methods; none listed: every method).
        self.offered: dict[str, tuple[str, ...]] = {}
        # FindingTables of VMs with equal findings (outcome_for), with the findings of their key.
        self.tables: dict[tuple[Any, ...], tuple[FindingTables, list[Finding]]] = {}
        # The same tables by alike_key (with the findings of their key, which keep its ids alive).
        self.alike: dict[tuple[Any, ...], tuple[FindingTables, list[Finding]]] = {}
        # VMs' texts held by the tables' OutcomeTexts (at most TEXTS_LIMIT).
        self.text_entries = 0
        # OutcomeTexts.texts' per-target dispositions, reasons and verdicts and the VM's verdict, by
        # (disposition, id of its held reasons, id of the held readiness table): all they read, so VMs
        # of different tables share them (the pool keeps the reasons and tables, so no id is reused).
        self.decided: dict[tuple[str, int, int], Decided] = {}
        # finding_tables' held per-target tables (readiness, reasons, methods, recommended method) by
        # the targets and the ids of their TargetOutcomes (kept with them, so no id is reused): tables
        # of other findings with the very same results are those same held dicts.
        self.result_tables: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        # Findings the policy leaves out of readiness (``considered``: data the input format never
        # carries, under the default "note") are left out of the key too.
        self.ignored_status = NOT_IN_SOURCE if unavailable_in_source_as(policy) == "note" else None

    def signature(self, findings: list[Finding]) -> tuple[tuple[str, str, str, int], ...]:
        """The part of the key the findings make (see evaluate).

        A finding without methods decides nothing in evaluate_target unless it is a blocker or a
        failing warning: it changes no method's eligibility, is no blocker, condition or reason and
        could block nothing. Such findings (end of support, legacy NICs, outdated Tools: information)
        are left out, so VMs that differ only in them share one TargetOutcome."""
        ignored = self.ignored_status
        return tuple([(f.rule_id, f.status, f.severity, id(f.methods)) for f in findings
                      if f.status != ignored and (f.methods or f.severity == "blocker"
                                                  or (f.severity == "warning" and f.status == "fail"))])

    def tables_key(self, vm: VM, findings: list[Finding]) -> tuple[Any, ...]:
        """What FindingTables depend on (a rule's severity is one per analysis; the ids of shared
        methods and target lists are kept alive by the entry: see keep_tables)."""
        return (vm.power_state, vm.template, *[(f.rule_id, f.status, id(f.methods), id(f.targets)) for f in findings])

    @staticmethod
    def alike_key(key: tuple[Any, ...]) -> tuple[Any, ...]:
        """``tables_key`` with each finding's part once, where it first appears: the FindingTables read
        the findings as sets of rule ids, per-method maxima and lists of rule ids made unique in
        first-seen order (evaluate_target), and whether every finding holds for every target; a
        finding whose rule, status, methods and targets an earlier one had changes none of them.
        Their OutcomeTexts plan reads the findings' places, so it is not shared (with_own_texts)."""
        return (key[0], key[1], *dict.fromkeys(key[2:]))

    def keep_tables(self, key: tuple[Any, ...], tables: FindingTables, findings: list[Finding]) -> None:
        """Hold ``tables`` (of held values only) under the ``tables_key`` of ``findings``."""
        self.tables[key] = (tables, findings)

    def evaluate(self, vm: VM, findings: list[Finding], target: str,
                 signature: tuple[tuple[str, str, str, int], ...] | None = None) -> TargetOutcome:
        """``signature``: ``signature(findings)`` when the caller has it already (same findings, another target)."""
        offered = self.offered.get(target)
        if offered is None:
            methods = self.policy.data.get("targets", {}).get(target, {}).get("migration_methods") or []
            # A value of another form than a list of method ids is read as it is: that target alone.
            offered = self.offered[target] = (("methods", *methods) if type(methods) is list
                                              and all(type(m) is str for m in methods) else ("target", target))
        key = (offered, vm.power_state, vm.template, signature if signature is not None else self.signature(findings))
        known = self.results.get(key)
        if known is None:
            known = self.results[key] = (evaluate_target(vm, findings, self.policy, target, self.answers), findings)
        return known[0]


def pooled(pool: dict[tuple[Any, ...], tuple[str, dict[str, Any]]], message: str,
           evidence: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The pool's equal (message, evidence), added when new.

    Only evidence of text values is pooled: equal keys must mean the same JSON (1, 1.0 and True are
    equal in Python), and a list (of disks) is particular to the VM anyway.
    An evidence dict the pool holds is also found by its identity (key ``(id(evidence),)``): a result
    the rules return for every VM that lacks a datum (rules.base.gap) is looked up without its key
    being made. So is evidence of other values, as itself: a result a rule hands to many VMs
    (rules.base.held_per_vm, a CD drive's) is passed over at once. The pool keeps each such dict
    alive, so no other object has its id meanwhile.
    """
    known = pool.get((id(evidence),))
    if known is not None and known[1] is evidence and known[0] == message:
        return known
    if not TEXT_OR_NONE.issuperset(map(type, evidence.values())):
        known = pool[(id(evidence),)] = (message, evidence)
        return known
    key = (message, *evidence.items())
    known = pool.get(key)
    if known is None:
        known = pool[key] = (message, evidence)
    if known[1] is evidence:
        pool[(id(evidence),)] = known
    return known


def unknown_causes(vm: VM, findings: list[Finding], index: VcenterIndex, cache: CauseCache | None = None,
                   gaps: list[tuple[Finding, Cause]] | None = None) -> dict[tuple[str, str], Cause]:
    """Why each unknown finding of ``vm`` lacks data, keyed by (rule id, missing data key).

    A finding whose data the VM's input format never carries becomes ``not_in_source`` here: the
    rule answered "unknown", and the input kind decides which of the two it is. ``gaps``, when
    given, receives each such finding with its cause (for the coverage tally).
    """
    causes: dict[tuple[str, str], Cause] = {}
    # The vCenter's causes that are facts of it, read inline (CauseCache.cause for the others).
    known = cache.of_vcenter(index.vcenter) if cache is not None else {}
    for finding in findings:
        if finding.status == "unknown":
            rule_id = finding.rule_id
            # missing_key(finding), inline: a call fewer per unknown of every VM.
            missing = finding.evidence.get("missing")
            if not (isinstance(missing, str) and missing):
                missing = RULE_DEFAULT_MISSING.get(rule_id, rule_id)
            key = (rule_id, missing)
            cause = causes.get(key)
            if cause is None:
                cause = known.get(missing)
                if cause is None:
                    cause = (cache.cause(finding, missing, vm, index.vcenter, index.hosts) if cache is not None
                             else cause_of(finding, vm, index.vcenter, index.hosts))
                causes[key] = cause
            if cause.not_in_source:
                finding.status = NOT_IN_SOURCE
            if gaps is not None:
                gaps.append((finding, cause))
    return causes


def reason_texts(result: TargetOutcome, findings: list[Finding], causes: dict[tuple[str, str], Cause],
                 as_condition: Callable[[Finding], bool]) -> list[str]:
    """One readable line per deciding rule: its failure message, or why it could not be evaluated."""
    texts: list[str] = []
    if not result.reasons:
        return texts
    # One pass over the findings: each deciding rule's first failure and the gaps it lacks.
    wanted = set(result.reasons)
    first_fail: dict[str, Finding] = {}
    lacking_by_rule: dict[str, list[tuple[Cause, bool]]] = {}
    for f in findings:
        rule_id = f.rule_id
        if rule_id not in wanted:
            continue
        if f.status == "fail":
            first_fail.setdefault(rule_id, f)
            continue
        cause = causes.get((rule_id, missing_key(f)))
        if cause is not None:
            lacking_by_rule.setdefault(rule_id, []).append((cause, as_condition(f)))
    # A rule may lack several data: name the gap that decided (a condition, or an open unknown).
    conditions = result.readiness != "unknown"
    for rule_id in result.reasons:
        failed = first_fail.get(rule_id)
        if failed is not None or rule_id not in result.unverified:
            texts.append(f"{rule_id}: {failed.message}" if failed is not None else rule_id)
            continue
        lacking = lacking_by_rule.get(rule_id, [])
        lacking.sort(key=lambda item: item[1] != conditions)
        verb = "not verified" if conditions else "not evaluated"
        if not lacking:
            texts.append(f"{verb}: {rule_id}")
        elif conditions and lacking[0][0].not_in_source:
            texts.append(lacking[0][0].unavailable_text(rule_id))
        else:
            texts.append(lacking[0][0].text(rule_id, verb))
    return texts


@dataclass
class FindingTables:
    """A VM's answers that its findings' rules, statuses, severities, methods and targets decide, with
    its power state and template flag - never their messages or evidence: the readiness results per
    target, the per-target tables built from them, and the rule-id lists. VMs equal in those share one
    (read-only) FindingTables when the analysis pools its values (ReadinessMemo.tables)."""

    results: dict[str, TargetOutcome]
    readiness: dict[str, str]
    readiness_reasons: dict[str, list[str]]
    methods: dict[str, dict[str, str]]
    recommended_method: dict[str, str | None]
    finding_ids: list[str]
    unknown_ids: list[str]
    not_in_source_ids: list[str]
    # Every finding holds for every target (the usual case): each target has the VM's findings, in order.
    same_findings: bool
    # The VMs' texts by their deciding messages (outcome_for), made for the first VM with these tables.
    texts: OutcomeTexts | None = None

    def with_own_texts(self) -> FindingTables:
        """The same tables (the very same objects) without a texts plan, for VMs whose findings lie in
        other places (ReadinessMemo.alike_key)."""
        return FindingTables(self.results, self.readiness, self.readiness_reasons, self.methods,
                             self.recommended_method, self.finding_ids, self.unknown_ids, self.not_in_source_ids,
                             self.same_findings)


class OutcomeTexts:
    """The texts of VMs with equal FindingTables (outcome_for's VmTexts), by what else they read.

    With equal tables the readiness results and the failing findings' places are the same, and a
    VM's texts read besides them only: the message of each deciding rule's first failure (every
    failure of a rule whose disposition steer reads the evidence, with that steer's answer), never
    its evidence or ids. ``usable`` is False where they read more (a cause's text for a rule that
    could not be evaluated, a policy that retains VMs by their names, folders or attributes, findings
    that differ per target): those VMs' texts are built by vm_texts, one by one.
    """

    __slots__ = ("deciding", "details", "dynamic", "known", "positions", "usable")

    def __init__(self, usable: bool) -> None:
        self.usable = usable
        # The places (in the VM's findings) of the failures whose messages the texts read.
        self.positions: tuple[int, ...] = ()
        # The places of failures whose disposition steer applies by their evidence, with the steer.
        self.dynamic: tuple[tuple[int, DispositionRule], ...] = ()
        # (the messages at ``positions``, then the steers' answers) -> the texts (held values only).
        self.known: dict[tuple[Any, ...], VmTexts] = {}
        # Per target, its readiness reasons as (rule id, place of its first failure or None); targets
        # with equal reasons hold one tuple.
        self.details: tuple[tuple[str, tuple[tuple[str, int | None], ...]], ...] = ()
        # The places of the failures decide() reads, in the VM's order (see of).
        self.deciding: tuple[int, ...] = ()

    @classmethod
    def of(cls, tables: FindingTables, findings: list[Finding], targets: Sequence[str],
           rules: Mapping[str, RuleInfo], switches: PolicySwitches, retain: RetainPolicy) -> OutcomeTexts:
        """The plan for the VMs with ``tables`` (``findings``: one such VM's)."""
        if not tables.same_findings or not targets or retain.name_patterns or retain.folders \
                or retain.custom_attributes:
            return cls(False)
        first: dict[str, int] = {}
        failing: dict[str, list[int]] = {}
        for place, finding in enumerate(findings):
            if finding.status == "fail":
                first.setdefault(finding.rule_id, place)
                failing.setdefault(finding.rule_id, []).append(place)
        reasons: set[str] = set()
        parts_of: dict[tuple[str, ...], tuple[tuple[str, int | None], ...]] = {}
        details = []
        for target in targets:
            result = tables.results[target]
            reasons.update(result.reasons)
            # reason_texts: a deciding rule without a failure that could not be evaluated is named
            # with its cause, which is the VM's; any other by its first failure's message, or its id.
            if any(rule_id not in first and rule_id in result.unverified for rule_id in result.reasons):
                return cls(False)
            parts = parts_of.get(tuple(result.reasons))
            if parts is None:
                parts = parts_of[tuple(result.reasons)] = tuple((rule_id, first.get(rule_id))
                                                                for rule_id in result.reasons)
            details.append((target, parts))
        plan = cls(True)
        plan.details = tuple(details)
        positions: set[int] = set()
        deciding: set[int] = set()
        dynamic: list[tuple[int, DispositionRule]] = []
        steers = switches.steers
        for rule_id, place in first.items():
            rule = rules[rule_id]
            data = steers.get(rule_id)
            if data is not None and not rule.disposition_overridden and data.when:
                # decide(): the steer reads each failure's evidence; each one may name its reason.
                positions.update(failing[rule_id])
                deciding.update(failing[rule_id])
                dynamic.extend((p, data) for p in failing[rule_id])
                continue
            if rule_id in reasons:
                positions.add(place)
            # decide(): the same steer for each failure of the rule (its severity is one per
            # analysis), so only the first failure can name the reason, and only if it is steered.
            if steer(findings[place], rule, steers)[0] in STEERED:
                positions.add(place)
                deciding.add(place)
        plan.positions = tuple(sorted(positions))
        plan.deciding = tuple(sorted(deciding))
        plan.dynamic = tuple(dynamic)
        return plan

    def texts(self, vm: VM, findings: list[Finding], tables: FindingTables, targets: Sequence[str],
              rules: Mapping[str, RuleInfo], switches: PolicySwitches, retain: RetainPolicy,
              shared: SharedValues, decided_memo: dict[tuple[str, int, int], Decided]) -> VmTexts:
        """vm_texts of a VM with these tables (with the pool), from the plan: the same texts, the
        same held lists, dicts and verdicts. ``decided_memo``: ReadinessMemo.decided."""
        list_of = shared.list_of
        readiness_details: dict[str, list[str]] = {}
        held_for: dict[int, list[str]] = {}
        for target, parts in self.details:
            held = held_for.get(id(parts))
            if held is None:
                held = held_for[id(parts)] = list_of([rule_id if place is None else
                                                      f"{rule_id}: {findings[place].message}"
                                                      for rule_id, place in parts])
            readiness_details[target] = held
        # decide() of the failures that can name a reason (the others it passes over).
        disposition, reasons = decide(vm, [findings[p] for p in self.deciding], rules, retain, switches.steers, [])
        held_reasons = list_of(reasons)
        table = shared.dict_of
        # The tables' readiness is the pool's held dict (finding_tables), one per distinct answer.
        decided_key = (disposition, id(held_reasons), id(tables.readiness))
        decided = decided_memo.get(decided_key)
        if decided is None:
            readiness = tables.readiness
            verdicts: dict[bool, str] = {}
            for target in targets:
                unknown = readiness[target] == "unknown"
                if unknown not in verdicts:
                    verdicts[unknown] = shared.text(verdict_line(disposition, held_reasons, unknown))
            # The VM's own verdict: unknown on every target, or not (either is some target's verdict).
            verdict = verdicts[all(readiness[t] == "unknown" for t in targets)]
            decided = decided_memo[decided_key] = (
                table(dict.fromkeys(targets, disposition)), table(dict.fromkeys(targets, held_reasons)),
                table({target: verdicts[readiness[target] == "unknown"] for target in targets}), verdict)
        return (table(readiness_details), decided[0], decided[1], decided[2], disposition, held_reasons, decided[3])


def findings_by_target(findings: list[Finding], targets: Sequence[str]) -> dict[str, list[Finding]]:
    """Each target's findings, in the VM's order (a target a finding names beyond ``targets`` too)."""
    by_target: dict[str, list[Finding]] = {target: [] for target in targets}
    # The per-target lists a finding goes to, looked up once per distinct (shared) targets list.
    lists_for: dict[int, list[list[Finding]]] = {}
    for finding in findings:
        finding_targets = finding.targets
        into = lists_for.get(id(finding_targets))
        if into is None:
            into = lists_for[id(finding_targets)] = [by_target.setdefault(t, []) for t in finding_targets]
        for bucket in into:
            bucket.append(finding)
    return by_target


def finding_tables(vm: VM, findings: list[Finding], by_target: dict[str, list[Finding]] | None,
                   targets: Sequence[str], policy: Policy, readiness: ReadinessMemo | None,
                   shared: SharedValues | None) -> FindingTables:
    """The VM's FindingTables (``by_target``: findings_by_target of its findings, or None when every
    finding holds for every target, each exactly once); its tables and lists are the pool's held ones
    when ``shared`` is given."""
    same_findings = by_target is None or all(len(by_target[target]) == len(findings) for target in targets)
    signature = readiness.signature(findings) if same_findings and readiness is not None else None
    results: dict[str, TargetOutcome] = {}
    for target in targets:
        own = findings if by_target is None else by_target[target]
        results[target] = (readiness.evaluate(vm, own, target, signature) if readiness is not None
                           else evaluate_target(vm, own, policy, target))
    # The rule ids per status, in one pass (a status of another kind is in none of the three).
    ids_by_status: dict[str, set[str]] = {"fail": set(), "unknown": set(), NOT_IN_SOURCE: set()}
    for f in findings:
        ids = ids_by_status.get(f.status)
        if ids is not None:
            ids.add(f.rule_id)
    # The pool's held per-target tables of these very results when an earlier VM had them (the readiness
    # memo hands VMs of other findings the same TargetOutcomes): what the pool would give again, found
    # without the four tables built and looked up anew.
    results_key = ((*results, *map(id, results.values())) if shared is not None and readiness is not None
                   else None)
    held = readiness.result_tables.get(results_key) if readiness is not None and results_key is not None else None
    if held is None:
        readiness_table: dict[str, str] = {target: result.readiness for target, result in results.items()}
        reasons_table: dict[str, list[str]] = {target: result.reasons for target, result in results.items()}
        methods_table: dict[str, dict[str, str]] = {target: result.methods for target, result in results.items()}
        recommended_table: dict[str, str | None] = {target: result.recommended
                                                    for target, result in results.items()}
        if shared is not None:
            table = shared.dict_of
            # Each result's reasons list and method table as the pool's held one (results of other finding
            # sets often have equal ones): VMs with equal answers then hold one dict of them, and the
            # writer finds their text by identity (jsontext) instead of encoding it again.
            list_of = shared.list_of
            readiness_table = table(readiness_table)
            reasons_table = table({target: list_of(reasons) for target, reasons in reasons_table.items()})
            methods_table = table({target: table(methods) for target, methods in methods_table.items()})
            recommended_table = table(recommended_table)
            if readiness is not None and results_key is not None:
                readiness.result_tables[results_key] = (readiness_table, reasons_table, methods_table,
                                                        recommended_table, results)
    else:
        readiness_table, reasons_table, methods_table, recommended_table = held[:4]
    tables = FindingTables(
        results=results,
        readiness=readiness_table,
        readiness_reasons=reasons_table,
        methods=methods_table,
        recommended_method=recommended_table,
        finding_ids=sorted(ids_by_status["fail"]),
        unknown_ids=sorted(ids_by_status["unknown"]),
        not_in_source_ids=sorted(ids_by_status[NOT_IN_SOURCE]),
        same_findings=same_findings)
    if shared is not None:
        tables.finding_ids = shared.list_of(tables.finding_ids)
        tables.unknown_ids = shared.list_of(tables.unknown_ids)
        tables.not_in_source_ids = shared.list_of(tables.not_in_source_ids)
    return tables


def outcome_for(vm: VM, findings: list[Finding], targets: Sequence[str], policy: Policy,
                rules: dict[str, RuleInfo], causes: dict[tuple[str, str], Cause] | None = None,
                switches: PolicySwitches | None = None, readiness: ReadinessMemo | None = None,
                shared: SharedValues | None = None) -> tuple[VmOutcome, dict[str, TargetOutcome]]:
    """The VM's outcome, and the per-target readiness results it was built from.

    ``shared``: the analysis' pool of equal lists and texts (each VM gets its own when None); with
    it and ``readiness``, VMs whose findings make equal FindingTables share them, and VMs with equal
    tables and equal deciding messages share their texts (OutcomeTexts)."""
    switches = switches if switches is not None else PolicySwitches.of(policy)
    by_target: dict[str, list[Finding]] | None = None
    key = readiness.tables_key(vm, findings) if readiness is not None and shared is not None else None
    known = readiness.tables.get(key) if readiness is not None and key is not None else None
    if known is not None:
        tables = known[0]
    else:
        # Findings repeating an earlier one's (rule, status, methods, targets) change no table (see
        # ReadinessMemo.alike): VMs alike but for such repeats share the tables, each with its plan.
        alike = readiness.alike_key(key) if readiness is not None and key is not None else None
        same = readiness.alike.get(alike) if readiness is not None and alike is not None else None
        if same is not None:
            tables = same[0].with_own_texts()
        else:
            # The usual VM: each finding holds for exactly the analysis' targets, so each target's
            # findings are the VM's (findings_by_target would copy them once per target).
            every_target = list(targets)
            by_target = (None if len(set(every_target)) == len(every_target)
                         and all(f.targets == every_target for f in findings)
                         else findings_by_target(findings, targets))
            tables = finding_tables(vm, findings, by_target, targets, policy, readiness, shared)
            if readiness is not None and alike is not None:
                readiness.alike[alike] = (tables, findings)
        if readiness is not None and key is not None:
            readiness.keep_tables(key, tables, findings)
    texts: VmTexts | None = None
    if readiness is not None and key is not None and shared is not None:
        plan = tables.texts
        if plan is None:
            plan = tables.texts = OutcomeTexts.of(tables, findings, targets, rules, switches, policy.retain)
        if plan.usable:
            texts_key: tuple[Any, ...] = (tuple([findings[p].message for p in plan.positions])
                                          if plan.positions else ())
            if plan.dynamic:
                texts_key += tuple([data.applies(findings[p]) for p, data in plan.dynamic])
            texts = plan.known.get(texts_key)
            if texts is None:
                texts = plan.texts(vm, findings, tables, targets, rules, switches, policy.retain, shared,
                                   readiness.decided)
                if readiness.text_entries < TEXTS_LIMIT:
                    readiness.text_entries += 1
                    plan.known[texts_key] = texts
    if texts is None:
        if by_target is None and not tables.same_findings:
            by_target = findings_by_target(findings, targets)
        texts = vm_texts(vm, findings, by_target, tables, targets, policy, rules, causes, switches, shared)
    (readiness_details, target_dispositions, target_disposition_reasons, target_verdicts,
     disposition, disposition_reasons, verdict) = texts
    # Every field given (no default list or dict made only to be replaced), in the fields' order:
    # positional arguments, not keywords, for an object made per VM (VmOutcome's field order).
    outcome = VmOutcome(vm.id, vm.name, vm.vcenter, vm.datacenter, vm.cluster, vm.power_state, tables.readiness,
                        tables.readiness_reasons, readiness_details, tables.methods, tables.recommended_method,
                        disposition, disposition_reasons, verdict, target_dispositions, target_disposition_reasons,
                        target_verdicts, [], tables.finding_ids, tables.unknown_ids, tables.not_in_source_ids, [])
    return outcome, tables.results


# OutcomeTexts.texts' answers read from the disposition, its reasons and the readiness per target:
# target_dispositions, target_disposition_reasons, target_verdicts, and the VM's verdict.
Decided = tuple[dict[str, str], dict[str, list[str]], dict[str, str], str]
# A VM's texts: readiness_details, target_dispositions, target_disposition_reasons, target_verdicts
# (per target), disposition, disposition_reasons, verdict.
VmTexts = tuple[dict[str, list[str]], dict[str, str], dict[str, list[str]], dict[str, str], str, list[str], str]
# At most this many VMs' texts held by OutcomeTexts per analysis (beyond it a VM's are built anew).
TEXTS_LIMIT = 1 << 16


def vm_texts(vm: VM, findings: list[Finding], by_target: dict[str, list[Finding]] | None, tables: FindingTables,
             targets: Sequence[str], policy: Policy, rules: dict[str, RuleInfo],
             causes: dict[tuple[str, str], Cause] | None, switches: PolicySwitches,
             shared: SharedValues | None) -> VmTexts:
    """The VM's texts (see VmTexts): failure messages and causes of its deciding rules, dispositions
    and verdicts; ``by_target`` is needed only when not every finding holds for every target."""
    results = tables.results
    same_findings = tables.same_findings
    if by_target is None:
        # With the same findings, each target's are the VM's, in order.
        assert same_findings
        by_target = dict.fromkeys(targets, findings)
    fails = [f for f in findings if f.status == "fail"]
    readiness_details: dict[str, list[str]] = {}
    as_condition = switches.answers.as_condition
    # reason_texts reads the findings, the result's reasons and unverified rules, and whether
    # readiness is unknown: with the same findings, targets equal in those get the same texts.
    texts_for: dict[tuple[Any, ...], list[str]] = {}
    for target in targets:
        result = results[target]
        if same_findings and result.reasons:
            texts_key = (tuple(result.reasons), tuple(result.unverified), result.readiness != "unknown")
            texts = texts_for.get(texts_key)
            if texts is None:
                texts = reason_texts(result, findings, causes or {}, as_condition)
                texts = texts_for[texts_key] = shared.list_of(texts) if shared is not None else texts
                readiness_details[target] = texts
            else:
                readiness_details[target] = texts if shared is not None else list(texts)
        else:
            texts = reason_texts(result, by_target[target], causes or {}, as_condition)
            readiness_details[target] = shared.list_of(texts) if shared is not None else texts
    steers = switches.steers
    # Retain is decided by the VM alone: asked once, not once per target.
    retained = retain_reasons(vm, policy.retain)
    if same_findings and targets:
        # decide() does not look at the target: one answer for every target (its reasons one held
        # list, or a list of its own per target without a pool).
        disposition, reasons = decide(vm, fails, rules, policy.retain, steers, retained)
        held = shared.list_of(reasons) if shared is not None else None
        decided = {target: (disposition, held if held is not None else list(reasons)) for target in targets}
    else:
        decided = {target: decide(vm, [f for f in by_target[target] if f.status == "fail"], rules, policy.retain,
                                  steers, retained) for target in targets}
    # A verdict reads the disposition, its reasons and whether readiness is unknown: targets equal in
    # those (with a pool: the same held reasons) get the same held text.
    target_dispositions: dict[str, str] = {}
    target_disposition_reasons: dict[str, list[str]] = {}
    target_verdicts: dict[str, str] = {}
    readiness = tables.readiness
    verdicts: dict[tuple[str, int, bool], str] = {}
    for target, (disposition, reasons) in decided.items():
        target_dispositions[target] = disposition
        target_disposition_reasons[target] = reasons
        unknown = readiness[target] == "unknown"
        verdict_key = (disposition, id(reasons), unknown)
        verdict = verdicts.get(verdict_key) if shared is not None else None
        if verdict is None:
            verdict = verdict_line(disposition, reasons, unknown)
            if shared is not None:
                verdict = verdicts[verdict_key] = shared.text(verdict)
        target_verdicts[target] = verdict
    disposition, disposition_reasons = (
        most_favourable(decided) if decided else decide(vm, fails, rules, policy.retain, steers, retained))
    verdict = verdict_line(disposition, disposition_reasons,
                           bool(targets) and all(readiness[t] == "unknown" for t in targets))
    if shared is not None:
        verdict = shared.text(verdict)
        # The per-target tables: VMs with the same answers hold one dict each (1.4 KB per VM of a
        # vInfo-only export), even where their texts differ (a failure's message).
        # (readiness, its reasons, methods and recommended methods come held: finding_tables).
        table = shared.dict_of
        readiness_details = table(readiness_details)
        target_dispositions = table(target_dispositions)
        target_disposition_reasons = table(target_disposition_reasons)
        target_verdicts = table(target_verdicts)
    return (readiness_details, target_dispositions, target_disposition_reasons, target_verdicts,
            disposition, disposition_reasons, verdict)


def tally_unknowns(tally: CoverageTally, vm: VM, vc: VCenter, findings: list[Finding],
                   causes: dict[tuple[str, str], Cause], results: dict[str, TargetOutcome], policy: Policy,
                   switches: PolicySwitches | None = None, gaps: list[tuple[Finding, Cause]] | None = None) -> None:
    """Record the VM's findings that could not be evaluated in the coverage tally.

    ``gaps``: those findings with their causes, as ``unknown_causes`` listed them (else looked up here).
    """
    # gap_treatment's answers, read inline (a call per gap otherwise).
    for_unknown, for_source = switches.answers.treatments if switches is not None else gap_treatments(policy)
    if gaps is None:
        gaps = [(f, causes[(f.rule_id, missing_key(f))]) for f in findings if f.status != "fail"]
    # The failing (rule, target) pairs, built when first needed: most VMs never ask.
    failed: set[tuple[str, str]] | None = None
    entries = []
    for finding, cause in gaps:
        counts_as = for_source if finding.status == NOT_IN_SOURCE else for_unknown
        if counts_as == "ignored":
            # Left out of readiness: it decides nothing and is pending nowhere (the loop below's answer).
            entries.append((finding, cause, False, "note", False))
            continue
        condition = counts_as == "condition"
        rule_id = finding.rule_id
        decides = pending = False
        for target in finding.targets:
            result = results[target]
            # It decided readiness (on some target) if its rule is a reason and it is the kind of gap
            # that decided: an open unknown made readiness unknown, an accepted one made it a condition.
            if not decides and rule_id in result.reasons \
                    and condition == (result.readiness != "unknown"):
                if failed is None:
                    failed = {(f.rule_id, t) for f in findings if f.status == "fail" for t in f.targets}
                decides = (rule_id, target) not in failed
            pending = pending or (condition and rule_id in result.pending)
        entries.append((finding, cause, decides, counts_as, pending))
    tally.add_vm(vm, vc, entries)


def count_rules(findings: list[Finding], rules: dict[str, RuleInfo], severity: str | None) -> list[RuleCount]:
    return ranked_rules(failing_vms(findings), rules, severity)


def failing_vms(findings: list[Finding]) -> dict[tuple[str, str], set[str]]:
    """(rule id, severity) -> ids of the VMs with a failing finding of that rule: one pass for every count."""
    vms_per_rule: dict[tuple[str, str], set[str]] = defaultdict(set)
    for f in findings:
        if f.status == "fail":
            vms_per_rule[(f.rule_id, f.severity)].add(f.vm_id)
    return vms_per_rule


def ranked_rules(failing: dict[tuple[str, str], set[str]], rules: dict[str, RuleInfo],
                 severity: str | None) -> list[RuleCount]:
    """The TOP_RULES rules with the most failing VMs (of ``severity``, None = any), from failing_vms."""
    vms_per_rule: dict[str, set[str]] = defaultdict(set)
    for (rule_id, rule_severity), vm_ids in failing.items():
        if severity is None or rule_severity == severity:
            vms_per_rule[rule_id] |= vm_ids
    ranked = sorted(vms_per_rule.items(), key=lambda item: (-len(item[1]), item[0]))[:TOP_RULES]
    return [RuleCount(rule_id=rid, title=rules[rid].title, severity=rules[rid].severity, vm_count=len(vms))
            for rid, vms in ranked]


def eligibility_counts(tables: list[dict[str, str] | None]) -> Counter[tuple[str, str]]:
    """(method, eligibility) -> VMs, from each VM's method table on one target (None: none). The
    tables are shared by VMs with equal readiness (ReadinessMemo): each distinct one is read once."""
    ids = list(map(id, tables))
    uses = Counter(ids)
    by_id = dict(zip(ids, tables, strict=True))
    counts: Counter[tuple[str, str]] = Counter()
    for key, vm_count in uses.items():
        table = by_id[key]
        if table:
            for pair in table.items():
                counts[pair] += vm_count
    return counts


def summarise(estate: Estate, outcomes: list[VmOutcome], findings: list[Finding], targets: Sequence[str],
              rules: dict[str, RuleInfo]) -> Summary:
    vms = estate.all_vms()
    power = Counter(vm.power_state for vm in vms if not vm.template)
    provisioned = [vm.provisioned_bytes for vm in vms]
    summary = Summary(
        vm_count=len(vms), host_count=len(estate.all_hosts()), cluster_count=len(estate.all_clusters()),
        datastore_count=len(estate.all_datastores()), vcenter_count=len(estate.vcenters),
        powered_on=power.get("powered_on", 0), powered_off=power.get("powered_off", 0),
        suspended=power.get("suspended", 0), templates=sum(1 for vm in vms if vm.template),
        total_vcpu=sum(vm.num_cpu or 0 for vm in vms),
        total_memory_gib=round(sum(vm.memory_mib or 0 for vm in vms) / 1024, 2),
        total_provisioned_tib=round(sum(p for p in provisioned if p is not None) / TIB, 3),
    )
    # Counted in C (map over the outcomes' dicts) rather than a generator per target and table.
    readiness_tables = [o.readiness for o in outcomes]
    method_tables = [o.methods for o in outcomes]
    recommended_tables = [o.recommended_method for o in outcomes]
    disposition_tables = [o.target_dispositions for o in outcomes]
    for target in targets:
        ts = TargetSummary(target=target)
        readiness = Counter(map(dict.get, readiness_tables, repeat(target)))
        eligibility = eligibility_counts(list(map(dict.get, method_tables, repeat(target))))
        recommended = Counter(map(dict.get, recommended_tables, repeat(target)))
        # A VM without a method counts as "none" (None or an empty id alike).
        recommended["none"] += recommended.pop(None, 0) + recommended.pop("", 0)
        ts.readiness = {r: readiness.get(r, 0) for r in READINESS}
        ts.methods = {m: {e: eligibility.get((m, e), 0) for e in ELIGIBILITY} for m in METHODS}
        ts.recommended_methods = {m: recommended.get(m, 0) for m in (*METHODS, "none")}
        verdicts = Counter(map(dict.get, disposition_tables, repeat(target)))
        ts.dispositions = {d: verdicts.get(d, 0) for d in DISPOSITIONS}
        ts.lift_and_shift = sum(verdicts.get(d, 0) for d in LIFT_AND_SHIFT)
        ts.lift_and_shift_share = round(ts.lift_and_shift / len(outcomes), 4) if outcomes else 0.0
        summary.targets.append(ts)
    dispositions = Counter(map(attrgetter("disposition"), outcomes))
    summary.dispositions = {d: dispositions.get(d, 0) for d in DISPOSITIONS}
    failing = failing_vms(findings)
    summary.top_blockers = ranked_rules(failing, rules, "blocker")
    summary.top_findings = ranked_rules(failing, rules, None)
    return summary


def analyze(estate: Estate, targets: Iterable[str] | None = None, policy: Policy | None = None,
            as_of: dt.date | None = None, inputs: Iterable[InputInfo] = (), sizing: SizingHook | None = None,
            registry: Registry | None = None, now: dt.datetime | None = None) -> Assessment:
    """Assess every VM of ``estate`` for ``targets``; ``sizing`` (if given) fills ``assessment.sizing``."""
    policy = policy if policy is not None else default_policy()
    target_list = normalise_targets(targets, policy)
    as_of = as_of or dt.date.today()
    registry = registry if registry is not None else load_catalogue()
    # One pool of equal lists and texts for the analysis: target lists, outcome lists, verdicts.
    shared_values = SharedValues()
    rules, infos = active_rules(registry, policy, target_list, shared_values)
    info_by_id = {info.id: info for info in infos}
    indexes = index_vcenters(estate)
    dates = data_dates(estate, as_of)

    findings: list[Finding] = []
    outcomes: list[VmOutcome] = []
    tally = CoverageTally()
    site = SiteTally({a.spec.id: a.spec for a in rules if a.spec.site})
    site_rules = frozenset(site.specs)
    input_list = list(inputs)
    # Derived once for the analysis, not per VM: the policy's switches, target facts the rules
    # need, causes of unknowns that are facts of an input, readiness of identical finding sets.
    switches = PolicySwitches.of(policy)
    shared: dict[str, Any] = {}
    # Evidence the rules hand to several VMs that stays per VM (rules.base.held_per_vm).
    per_vm_evidence: dict[int, object] = shared.setdefault(PER_VM_EVIDENCE, {})
    cause_cache = CauseCache()
    readiness = ReadinessMemo(policy, switches.answers)
    unknowns: dict[tuple[Any, ...], tuple[str, dict[str, Any]]] = {}
    wide_findings: list[VcenterFinding] = []
    # Rules whose note a later VM may take from its vCenter's first VM (run_rules, RepeatedNote), with
    # the methods their findings share.
    repeatable = {a.spec.id: a.methods for a in rules if not a.spec.per_target and not a.spec.site}
    gap_fields = {a.spec.id: a.spec.gap_field for a in rules if a.spec.gap_field}
    treatment = switches.answers.treatment
    no_tasks = shared_values.list_of(())

    def ignored(finding: Finding) -> bool:
        return treatment(finding) == "ignored"

    # A vCenter-wide result names its VMs by their vCenter's name (VmOutcome.vcenter): held so only
    # where exactly this vCenter's VMs carry that name.
    names = Counter(vc.name for vc in estate.vcenters)
    vms_naming = Counter(vm.vcenter for vc in estate.vcenters for vm in vc.vms)
    for vc in estate.vcenters:
        index = indexes[id(vc)]
        data_date = date_part(dates[id(vc)].taken_at)
        grouping = (VcenterGrouping(vc.name, per_vm_evidence) if names[vc.name] == 1
                    and vms_naming[vc.name] == len(vc.vms) and all(vm.vcenter == vc.name for vm in vc.vms) else None)
        notes: dict[str, RepeatedNote] | None = None
        steps = [active.step for active in rules]
        for vm in vc.vms:
            # Site tasks (a host below HCX's minimum, a standard port group) are done once for the
            # estate: the VM is assessed as it will be after them, and names them.
            site_findings: list[Finding] = []
            unknown_findings: list[Finding] = []
            all_findings = run_rules(vm, index, rules, policy, as_of, data_date, shared, unknowns, steps,
                                     site_findings, unknown_findings)
            gaps: list[tuple[Finding, Cause]] = []
            causes = unknown_causes(vm, unknown_findings, index, cause_cache, gaps)
            vm_findings = [f for f in all_findings if f.rule_id not in site_rules] if site_findings else all_findings
            if grouping is not None:
                grouping.add(vm.id, vm_findings)
                if notes is None:
                    notes = repeated_notes(vc, vm, all_findings, gaps, grouping, repeatable, ignored, gap_fields)
                    steps = rule_steps(rules, notes)
            else:
                findings.extend(vm_findings)
            outcome, results = outcome_for(vm, vm_findings, target_list, policy, info_by_id, causes, switches,
                                           readiness, shared_values)
            # No site findings, no tasks: the pool's empty list, as list_of([]) would give.
            outcome.site_tasks = shared_values.list_of(site.add(vm, vc, site_findings)) if site_findings else no_tasks
            outcomes.append(outcome)
            if causes:
                tally_unknowns(tally, vm, vc, all_findings, causes, results, policy, switches, gaps)
        for note in (notes or {}).values():
            tally.add_repeats(note.model.rule_id, note.cause, note.repeats)
        if grouping is not None:
            own, wide = grouping.finish()
            findings.extend(own)
            wide_findings.extend(wide)

    generated = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    assessment = Assessment(
        generated_at=generated.isoformat().replace("+00:00", "Z"), vmscan_version=__version__,
        as_of=as_of.isoformat(), targets=target_list, inputs=input_list, policy=policy.record(),
        rules=infos, vms=outcomes, findings=findings, vcenter_findings=wide_findings,
        coverage=Coverage(unknown_as=unknown_as(policy), unavailable_in_source_as=unavailable_in_source_as(policy),
                          inputs=tally.inputs(estate.vcenters, input_list),
                          rules=tally.rule_gaps(info_by_id)),
        data_dates=list(dates.values()),
        stale_data_days=int(policy.data.get("analysis", {}).get("stale_data_days", 30)),
        site_tasks=site.tasks(),
        target_info=target_infos(policy.data, target_list),
    )
    assessment.summary = summarise(estate, outcomes, findings, target_list, info_by_id)
    # The one place sizing plugs in: the sizing engine receives the finished assessment.
    if sizing is not None:
        assessment.sizing = sizing(estate, assessment, policy)
    return assessment
