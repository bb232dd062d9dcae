"""Rule framework: a rule is a small function with its metadata beside it.

    @rule(id="disk.rdm-physical", title=..., severity="blocker", targets=ALL_TARGETS,
          methods={"hcx_vmotion": "blocks", ...}, remediation=..., rationale=..., references=(...))
    def rdm_physical(ctx: RuleContext) -> Results:
        ...return (fail("...", disk="Hard disk 2"),)

A rule returns its results: none (``()``) when the VM is fine, ``fail(...)`` for each place the
condition is present, and ``unknown(...)`` when the data it needs is missing (None) - never a
silent pass. A tuple or list rather than a generator: a rule runs for every VM (and target), and
most VMs pass, where an empty tuple costs nothing to make or to read.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scanner.analysis.model import METHODS, SEVERITIES, SITE_KINDS, RuleInfo
from scanner.analysis.targets import ALL_TARGETS, applies_to
from scanner.inventory.model import VM, Cluster, Host, Network, VCenter
from scanner.policy import Policy

EFFECTS = ("blocks", "conditions")
RULE_ID_PATTERN = re.compile(r"^[a-z]+\.[a-z0-9]+(-[a-z0-9]+)*$")
TARGET_ID_PATTERN = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


# Slots: one per failing disk, drive or NIC of every VM; no per-object __dict__.
@dataclass(slots=True)
class RuleResult:
    status: str  # fail | unknown
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    # When set, the subset of the rule's methods this particular result affects (e.g. a hardware
    # version of 8 blocks vMotion but not Bulk).
    methods: dict[str, str] | None = None


def fail(message: str, methods: dict[str, str] | None = None, **evidence: Any) -> RuleResult:
    return RuleResult("fail", message, evidence, methods)


def unknown(message: str, **evidence: Any) -> RuleResult:
    return RuleResult("unknown", message, evidence)


@functools.cache
def gap(message: str, missing: str) -> tuple[RuleResult]:
    """``(unknown(message, missing=missing),)``: a rule's one result when a VM lacks a datum, made once
    and returned for every VM that lacks it (read-only, as every result; the engine holds equal
    unknowns once anyway, and finds this one by its identity: engine.pooled)."""
    return (unknown(message, missing=missing),)


# The key in RuleContext.shared of the evidence dicts (by id, each kept alive there) of results a rule
# hands to several VMs from a memo of the VMs' own data (held_per_vm).
PER_VM_EVIDENCE = "engine.per_vm_evidence"


def held_per_vm(ctx: RuleContext, result: RuleResult | None) -> RuleResult | None:
    """``result``, which the rule will return for every VM with the same data (one read-only object,
    found by identity: the JSON writer encodes its evidence once), named as a finding about each of
    those VMs: the engine never holds it once for a whole vCenter (wide.VcenterGrouping), as it does
    not for an unshared result. Called when the result is made, not per VM."""
    if result is not None:
        ctx.derived(PER_VM_EVIDENCE, dict)[id(result.evidence)] = result.evidence
    return result


# A value not derived yet (a derived value may be None).
_NOT_DERIVED: Any = object()


# Slots: made for every VM, and read by every rule.
@dataclass(slots=True)
class RuleContext:
    """What a rule may look at for one VM."""

    vm: VM
    host: Host | None
    cluster: Cluster | None
    vcenter: VCenter | None
    networks: Mapping[str, Network]  # this VM's vCenter's networks by name
    policy: Policy
    as_of: dt.date
    # The target being evaluated; set only for rules declared ``per_target``.
    target: str | None = None
    # The date of the data itself (RVTools export date, collection time); ages (snapshot age, time
    # powered off) are measured at it, calendar facts (end of support) at ``as_of``. None: not known.
    data_date: dt.date | None = None
    # Facts that rules derive once per analysis rather than per VM (node memory per target, the
    # guest OS reading of each distinct set of OS names), kept by key; one dict for the analysis.
    shared: dict[str, Any] = field(default_factory=dict)

    def derived(self, key: str, factory: Callable[..., Any], *args: Any) -> Any:
        """``factory(*args)`` computed once per analysis under ``key`` (target or policy facts only).
        Asked for every VM: one lookup when it is there, and the arguments given rather than a
        closure made per call. A rule's per-VM path writes ``ctx.shared.get(key) or ctx.derived(...)``:
        no method call once the value is there (a value that is false, such as an empty memo, is
        asked of derived, which returns it)."""
        value = self.shared.get(key, _NOT_DERIVED)
        if value is _NOT_DERIVED:
            value = self.shared[key] = factory(*args)
        return value

    @property
    def age_date(self) -> dt.date:
        """The date ages are measured at: the data's own date, else the assessment date."""
        return self.data_date if self.data_date is not None else self.as_of

    def network(self, name: str | None) -> Network | None:
        return self.networks.get(name) if name is not None else None


# What the catalogue's rules return; the engine accepts any iterable of results (RuleCheck).
Results = Sequence[RuleResult]
RuleCheck = Callable[[RuleContext], Iterable[RuleResult]]


def per_object(ctx: RuleContext, key: str, obj: object, check: RuleCheck) -> tuple[RuleResult, ...]:
    """``check``'s results for the first VM on ``obj`` (a host, a vCenter), shared by the others: for
    a check that reads nothing of the VM but that object (and target or policy facts named by ``key``).
    The engine treats results as read-only. The object is kept with its results, so an id in the
    memo is never reused by another object."""
    memo: dict[int, tuple[object, tuple[RuleResult, ...]]] = (ctx.shared.get(key) or ctx.derived(key, dict))
    entry = memo.get(id(obj))
    if entry is None or entry[0] is not obj:
        entry = memo[id(obj)] = (obj, tuple(check(ctx)))
    return entry[1]


@dataclass(frozen=True)
class RuleSpec:
    id: str
    title: str
    severity: str
    targets: tuple[str, ...]
    methods: Mapping[str, str]
    remediation: str
    rationale: str
    references: tuple[str, ...]
    family: str
    check: RuleCheck
    # True when the result depends on the target (node sizes, CPU vendor of the target's hosts).
    per_target: bool = False
    # False when an administrator cannot fix the condition on the VM before migrating (it is a
    # planning fact or calls for another disposition); drives the "remediate" disposition.
    remediable: bool = True
    # The disposition a failing VM is steered to (retire | refactor | replatform | remediate), if any;
    # targets.toml [disposition.rules] can refine it by evidence.
    suggests: str | None = None
    # A site task rather than a per-VM condition: "prerequisite" (a source host or vCenter below
    # HCX's minimum) or "network" (a port group HCX cannot extend). Its results are grouped once
    # per object - named by the evidence key ``site_object`` - and per-VM readiness is computed
    # as it will be once the task is done.
    site: str | None = None
    site_object: str | None = None
    # The VM field (an attribute of VM) whose None makes the rule's only result one unknown that is
    # the same on every VM, whatever else the VM holds: the engine may then take that result as known
    # without running the check (a note repeated on every VM of an input, engine.RepeatedNote).
    gap_field: str | None = None

    def applies_to(self, target: str) -> bool:
        return applies_to(self.targets, target)

    def info(self) -> RuleInfo:
        return RuleInfo(
            id=self.id, title=self.title, severity=self.severity, targets=list(self.targets),
            methods=dict(self.methods), remediation=self.remediation, rationale=self.rationale,
            references=list(self.references), family=self.family, remediable=self.remediable,
            suggests=self.suggests, site=self.site,
        )


class DuplicateRuleError(Exception):
    """Two rules claim the same id: a programming error, raised at import."""


class InvalidRuleError(Exception):
    """A rule's metadata is malformed: a programming error, raised at import."""


class Registry:
    def __init__(self) -> None:
        self._specs: dict[str, RuleSpec] = {}

    def register(self, spec: RuleSpec) -> None:
        validate_spec(spec)
        existing = self._specs.get(spec.id)
        if existing is not None:
            raise DuplicateRuleError(
                f"rule id {spec.id!r} registered twice ({existing.check.__module__}.{existing.check.__name__} and "
                f"{spec.check.__module__}.{spec.check.__name__})")
        self._specs[spec.id] = spec

    def specs(self) -> list[RuleSpec]:
        return sorted(self._specs.values(), key=lambda s: s.id)

    def get(self, rule_id: str) -> RuleSpec:
        return self._specs[rule_id]

    def __contains__(self, rule_id: object) -> bool:
        return rule_id in self._specs

    def __len__(self) -> int:
        return len(self._specs)


def validate_spec(spec: RuleSpec) -> None:
    problems = []
    if not RULE_ID_PATTERN.match(spec.id):
        problems.append("id must be dotted lower-case, e.g. disk.rdm-physical")
    if spec.severity not in SEVERITIES:
        problems.append(f"severity must be one of {SEVERITIES}")
    # Target ids are data (targets.toml), unknown at import: only their form is checked here; a rule
    # naming a target the data lacks simply never runs.
    if not spec.targets or any(not TARGET_ID_PATTERN.match(t) for t in spec.targets):
        problems.append("targets must be ALL_TARGETS or non-empty target ids (lower-case, digits, '-')")
    for method, effect in spec.methods.items():
        if method not in METHODS or effect not in EFFECTS:
            problems.append(f"methods entry {method}={effect} is not one of {METHODS} x {EFFECTS}")
    if not spec.title or not spec.remediation or not spec.rationale:
        problems.append("title, remediation and rationale are required")
    if not spec.references or any(not r.startswith("https://") for r in spec.references):
        problems.append("at least one https:// reference is required")
    if spec.suggests not in (None, "retire", "refactor", "replatform", "remediate"):
        problems.append("suggests must be retire, refactor, replatform, remediate or None")
    if spec.site not in (None, *SITE_KINDS) or (spec.site is None) != (spec.site_object is None):
        problems.append(f"site must be one of {SITE_KINDS} with a site_object evidence key, or neither")
    if spec.gap_field is not None and spec.gap_field not in VM.__dataclass_fields__:
        problems.append(f"gap_field {spec.gap_field!r} is not a VM field")
    if problems:
        raise InvalidRuleError(f"rule {spec.id!r}: " + "; ".join(problems))


# The catalogue's registry. Family modules register into it when load_catalogue() imports them.
REGISTRY = Registry()


def rule(*, id: str, title: str, severity: str, targets: Iterable[str] = ALL_TARGETS,
         methods: Mapping[str, str] | None = None, remediation: str, rationale: str,
         references: Iterable[str], family: str | None = None, per_target: bool = False,
         remediable: bool = True, suggests: str | None = None, site: str | None = None,
         site_object: str | None = None, gap_field: str | None = None,
         registry: Registry | None = None) -> Callable[[RuleCheck], RuleCheck]:
    """Register the decorated function as rule ``id`` with its metadata."""

    def decorate(check: RuleCheck) -> RuleCheck:
        spec = RuleSpec(
            id=id, title=title, severity=severity, targets=tuple(targets), methods=dict(methods or {}),
            remediation=remediation, rationale=rationale, references=tuple(references),
            family=family or check.__module__.rsplit(".", 1)[-1], check=check, per_target=per_target,
            remediable=remediable, suggests=suggests, site=site, site_object=site_object, gap_field=gap_field,
        )
        (registry if registry is not None else REGISTRY).register(spec)
        return check

    return decorate


def all_methods(effect: str) -> dict[str, str]:
    return {m: effect for m in METHODS}


def parse_timestamp(text: str | None) -> dt.datetime | None:
    """ISO 8601 text -> aware UTC datetime; None when absent or unparseable."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def days_since(text: str | None, as_of: dt.date) -> int | None:
    when = parse_timestamp(text)
    if when is None:
        return None
    return (as_of - when.astimezone(dt.UTC).date()).days

