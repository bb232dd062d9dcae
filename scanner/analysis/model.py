"""Typed results of an analysis: findings, per-VM outcomes, estate summary, sizing.

Written to disk as the versioned assessment JSON (schema ``vmscan-assessment``) and read by
every reporter. Vocabulary:

- severity: ``blocker | warning | info``
- finding status - the three outcomes of a check, kept apart everywhere: ``fail`` (found: the
  condition is present) | ``unknown`` (this input could carry the data the rule needs but lacks it,
  e.g. an RVTools export without that tab or column) | ``not_in_source`` (the input format never
  carries it, e.g. vTPM or floppy state in an RVTools 4.x export)
- target: a ``[targets.<id>]`` id of targets.toml (``avs``, ``avs-gen2``, ``vmc``, ``evs``, ``gcve``, …)
- readiness (Azure Migrate's words): ``ready | ready_with_conditions | not_ready | unknown``
- HCX methods: ``hcx_vmotion | hcx_rav | hcx_bulk | hcx_cold``; eligibility
  ``eligible | conditional | blocked | unknown``; a rule's effect on a method is ``blocks`` or
  ``conditions``
- disposition: ``rehost | remediate | replatform | refactor | retire | retain``; its verdict in a
  stakeholder's words: "lift-and-shift as is", "lift-and-shift after remediation", "replatform",
  "refactor", "retire", "retain" (scanner/analysis/disposition.py)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

ASSESSMENT_SCHEMA_NAME = "vmscan-assessment"
# 2: a finding lists the targets its result holds for (``targets``), stored once instead of once per
# target (``target``, version 1; still read, see scanner/analysis/io.py).
# 3: a result that is the same on every VM of a vCenter (a tab the export lacks, data the format never
# carries) is stored once in ``vcenter_findings``, not once per VM in ``findings`` (2 and 1 still read).
ASSESSMENT_SCHEMA_VERSION = 3

METHODS = ("hcx_vmotion", "hcx_rav", "hcx_bulk", "hcx_cold")
SEVERITIES = ("blocker", "warning", "info")
READINESS = ("ready", "ready_with_conditions", "not_ready", "unknown")
ELIGIBILITY = ("eligible", "conditional", "blocked", "unknown")
DISPOSITIONS = ("rehost", "remediate", "replatform", "refactor", "retire", "retain")
NOT_IN_SOURCE = "not_in_source"
# Site tasks: done once for the estate before the VMs they concern can move (see SiteTask).
SITE_KINDS = ("prerequisite", "network")
FINDING_STATUSES = ("fail", "unknown", NOT_IN_SOURCE)


# Shares (of VMs, of capacity) carry one decimal everywhere, the workbook's "0.0%" included:
# a whole-percent rounding showed 96.5 % as "96%" (or 99.6 % ready as "100%").
SHARE_FORMAT_XLSX = "0.0%"


def share_text(share: float) -> str:
    """A measured share 0..1 as text with one decimal, as the workbook shows it: "96.5%"."""
    return f"{share * 100:.1f}%"


def setting_text(fraction: float) -> str:
    """A configured fraction (policy value such as vSAN slack 0.25) as given: "25%", "12.5%"."""
    return f"{round(fraction * 100, 6):g}%"


@dataclass
class RuleInfo:
    """A rule's metadata as shipped in the assessment and the catalogue."""

    id: str
    title: str
    severity: str
    targets: list[str]
    # method -> "blocks" | "conditions"
    methods: dict[str, str]
    remediation: str
    rationale: str
    references: list[str] = field(default_factory=list)
    family: str = ""
    enabled: bool = True
    # False when the admin cannot fix it on the VM (a planning fact); drives "remediate".
    remediable: bool = True
    # Disposition a failing VM is steered to: retire | refactor | replatform | remediate | None
    suggests: str | None = None
    # prerequisite | network: a site task, reported once per object, not a condition on each VM.
    site: str | None = None
    # True when a policy file set it ([rules."<id>"] disposition): it then beats [disposition.rules].
    disposition_overridden: bool = False


# Slots: an assessment holds hundreds of thousands of findings; no per-object __dict__.
@dataclass(slots=True)
class Finding:
    """One result of a rule on a VM, for every target it holds for.

    ``targets``: in the order of ``Assessment.targets``; a result that differs between targets is one
    Finding per distinct result. Equal lists are shared between findings: read them, never mutate.
    """

    rule_id: str
    severity: str
    targets: list[str]
    vm_id: str
    status: str  # fail | unknown | not_in_source (FINDING_STATUSES)
    message: str
    methods: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: str = ""


@dataclass(slots=True)
class VcenterFinding:
    """A rule's result that is the same on every VM of one vCenter: one fact about the input.

    It holds for each VM of ``Assessment.vms`` whose ``vcenter`` is ``vcenter`` (``vm_count`` of
    them), exactly as if each had the Finding with its own ``vm_id``; those VMs' ``findings`` do
    not repeat it. Only results that decide no VM apart are held so: ``unknown`` and
    ``not_in_source`` (a vInfo-only export of 100,000 VMs has ~23 of them per VM).
    """

    rule_id: str
    severity: str
    targets: list[str]
    vcenter: str
    vm_count: int
    status: str  # unknown | not_in_source
    message: str
    methods: dict[str, str] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: str = ""

    def for_vm(self, vm_id: str) -> Finding:
        """The Finding it stands for on one VM of its vCenter (fields shared, read-only)."""
        return Finding(self.rule_id, self.severity, self.targets, vm_id, self.status, self.message,
                       self.methods, self.evidence, self.remediation)


@dataclass
class NativeSize:
    """The smallest native IaaS size of one provider (azure, ec2) holding a VM (scanner/analysis/native.py)."""

    provider: str
    size: str | None  # None: no size of the catalogue holds the VM, or its size is unknown
    vcpu: float | None = None
    memory_gib: float | None = None
    family: str | None = None
    # False when the family's sizes could not be confirmed against the vendor (targets.toml).
    confirmed: bool = False
    basis: str = "allocated"  # allocated | performance | unknown
    demand_vcpu: float | None = None
    demand_memory_gib: float | None = None
    note: str | None = None


@dataclass
class VmOutcome:
    """One VM's answers. Lists, per-target dicts and texts equal between VMs (unknown rule ids,
    readiness reasons, readiness per target, verdicts) may be one object held by many outcomes
    (scanner/analysis/shared.py): read them, never mutate."""

    vm_id: str
    name: str | None
    vcenter: str | None
    datacenter: str | None
    cluster: str | None
    power_state: str | None
    # target -> readiness
    readiness: dict[str, str] = field(default_factory=dict)
    # target -> rule ids that decided the readiness (empty for "ready")
    readiness_reasons: dict[str, list[str]] = field(default_factory=dict)
    # target -> one line of text per entry of readiness_reasons, e.g. "vm.snapshots: 2 snapshot(s)"
    # or "not evaluated: device.usb (missing USB devices: RVTools export has no vUSB tab)"
    readiness_details: dict[str, list[str]] = field(default_factory=dict)
    # target -> method -> eligibility
    methods: dict[str, dict[str, str]] = field(default_factory=dict)
    # target -> method id or None when no method is possible
    recommended_method: dict[str, str | None] = field(default_factory=dict)
    # The most favourable of the per-target dispositions (where the VM can go, it goes).
    disposition: str = "rehost"
    disposition_reasons: list[str] = field(default_factory=list)
    # One line for stakeholders: "lift-and-shift after remediation: vm.snapshots: 2 snapshot(s)".
    verdict: str = "lift-and-shift as is"
    # target -> disposition / reasons / verdict on that target alone
    target_dispositions: dict[str, str] = field(default_factory=dict)
    target_disposition_reasons: dict[str, list[str]] = field(default_factory=dict)
    target_verdicts: dict[str, str] = field(default_factory=dict)
    # ids of the site tasks (SiteTask.id) that concern this VM: to do before it moves; its
    # readiness and methods are as they will be once they are done.
    site_tasks: list[str] = field(default_factory=list)
    # rule ids with status fail / unknown / not_in_source, over all targets (the three outcomes)
    finding_ids: list[str] = field(default_factory=list)
    unknown_ids: list[str] = field(default_factory=list)
    not_in_source_ids: list[str] = field(default_factory=list)
    # Native IaaS alternative per provider, for replatform VMs ([native] scope); empty otherwise.
    native_sizes: list[NativeSize] = field(default_factory=list)


@dataclass
class SiteTask:
    """Something to do once for the estate, e.g. upgrade a host below HCX's source minimum.

    Built from the results of a site rule (RuleInfo.site) grouped by the object they name; the
    VMs it concerns keep their per-VM readiness as it will be once the task is done.
    """

    id: str  # "<rule id>:<vcenter>/<object>", unique within an assessment
    rule_id: str
    kind: str  # prerequisite | network
    status: str  # fail | unknown | not_in_source
    severity: str
    vcenter: str | None
    object_type: str  # host | network | vcenter
    object: str | None  # the host / port group / vCenter name; None when the input does not name it
    message: str  # what was seen, e.g. "host esx01 runs ESXi 6.0.0, older than 6.5"
    action: str  # what to do
    vm_ids: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class TargetSummary:
    target: str
    readiness: dict[str, int] = field(default_factory=dict)
    methods: dict[str, dict[str, int]] = field(default_factory=dict)
    recommended_methods: dict[str, int] = field(default_factory=dict)
    # disposition -> VMs, on this target alone
    dispositions: dict[str, int] = field(default_factory=dict)
    # VMs that can be lifted and shifted to this target (as is + after remediation), and their share
    lift_and_shift: int = 0
    lift_and_shift_share: float = 0.0


@dataclass
class RuleCount:
    rule_id: str
    title: str
    severity: str
    vm_count: int


@dataclass
class Summary:
    vm_count: int = 0
    host_count: int = 0
    cluster_count: int = 0
    datastore_count: int = 0
    vcenter_count: int = 0
    powered_on: int = 0
    powered_off: int = 0
    suspended: int = 0
    templates: int = 0
    total_vcpu: int = 0
    total_memory_gib: float = 0.0
    total_provisioned_tib: float = 0.0
    targets: list[TargetSummary] = field(default_factory=list)
    dispositions: dict[str, int] = field(default_factory=dict)
    top_blockers: list[RuleCount] = field(default_factory=list)
    top_findings: list[RuleCount] = field(default_factory=list)


@dataclass
class ResourceUse:
    """One resource after placement on the recommended node count."""

    resource: str  # cpu | memory | storage
    demand: float  # the workload's demand in ``unit`` after all factors
    # Usable capacity of the chosen node count after headroom (spare hosts for N+1, the
    # management reserve, maximum utilisation; vSAN slack for storage), same unit.
    capacity: float
    unit: str
    nodes_needed: int  # nodes this resource alone needs (headroom included)
    utilisation: float  # demand / capacity: utilisation after headroom, 0..1
    # The target's management reserve taken from this resource (same unit; 0 for storage).
    reserved: float = 0.0
    # (demand + reserve) / full capacity of every node, all hosts up, no maximum-utilisation cap.
    utilisation_all_hosts: float | None = None


@dataclass
class NodeOption:
    node_type: str
    nodes: int
    clusters: int
    binding_resource: str  # cpu | memory | storage | minimum_cluster
    resources: list[ResourceUse] = field(default_factory=list)
    price_per_node: float | None = None
    total_price: float | None = None
    # VM ids that do not fit a single node of this type
    vms_not_fitting: list[str] = field(default_factory=list)
    # vSAN storage policy chosen for the resulting cluster size, e.g. "FTT1-RAID5", and its
    # raw-capacity factor (sizing picks it by cluster size, so it is part of the answer).
    storage_policy: str | None = None
    storage_policy_factor: float | None = None
    # False for node types that cannot form the first cluster (AVS AV64): shown, never recommended.
    recommendable: bool = True
    notes: list[str] = field(default_factory=list)
    # Hosts that carry no load so a cluster survives host failures (N+1: one per cluster).
    spare_hosts: int = 0
    # ga | limited (see targets.toml); the no-price recommendation rule prefers "ga".
    availability: str | None = None
    # The node's facts as used: cores, clock, memory GiB, raw storage TiB, and the vendor's own
    # figures and units they were converted from, with source and as-of date.
    node_facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class SizingResult:
    target: str
    basis: str  # allocated | performance
    recommended_node_type: str | None
    options: list[NodeOption] = field(default_factory=list)
    vm_count: int = 0
    # high | medium | low | none (Azure Migrate-style confidence from perf coverage), None when basis=allocated
    confidence: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    # Azure Migrate's 1-5 stars for the same coverage, and the coverage itself (0..1, mean over
    # in-scope VMs of the fraction of expected perf samples present); None when basis=allocated.
    confidence_stars: int | None = None
    perf_coverage: float | None = None
    # Where each VM's demand came from, e.g. {"cpu.perf": 40, "cpu.quickstats": 2, "cpu.allocated": 3}.
    demand_sources: dict[str, int] = field(default_factory=dict)
    # VM ids that fit no node type of this target (too many vCPUs or too much RAM for any host).
    vms_fitting_no_node_type: list[str] = field(default_factory=list)
    # Why this basis: e.g. "no utilisation history in the input (RVTools values are one instant)".
    basis_reason: str | None = None
    # The rule the recommended node type was chosen by, in words (printed beside the result).
    recommendation_rule: str | None = None
    # Where a shown parameter's value comes from when not the [sizing] table's own source,
    # e.g. the management reserve -> the target's architecture page.
    parameter_sources: dict[str, str] = field(default_factory=dict)
    # VM ids left out of sizing because a size is beyond physical plausibility (max_vm_* keys).
    vms_implausible: list[str] = field(default_factory=list)

    def recommended_option(self) -> NodeOption | None:
        return next((o for o in self.options if o.node_type == self.recommended_node_type), None)


@dataclass
class NodePrice:
    """One node type's price from the user's price file (--prices), per month in ``currency``."""

    target: str
    node_type: str
    term: str  # on-demand | 1-year | 3-year
    monthly: float
    currency: str
    # As the file gave it: the amount and "hour" or "month" (hours convert at the file's hours_per_month).
    amount: float = 0.0
    per: str = "month"
    source: str = ""  # the price file's name and its own `source` text


@dataclass
class TargetInfo:
    """An assessed target as the data describes it (targets.toml), for the reports."""

    id: str
    name: str
    label: str = ""
    source: str = ""
    as_of: str = ""
    min_hosts: int | None = None
    max_hosts: int | None = None
    # HCX methods the service offers; a method not listed is never eligible on this target.
    migration_methods: list[str] = field(default_factory=list)
    # Facts a host count cannot express (licence minimums, network model), printed with the comparison.
    notes: list[str] = field(default_factory=list)
    # Dotted keys of facts that could not be confirmed against the vendor's current docs.
    unconfirmed: list[str] = field(default_factory=list)
    # e.g. {"cores": 256, "vsan_tib": 110} (Amazon EVS's VCF licence minimums per environment).
    licence_minimums: dict[str, float] = field(default_factory=dict)


@dataclass
class InputInfo:
    path: str
    kind: str  # snapshot | rvtools_xlsx | rvtools_csv
    vcenters: list[str] = field(default_factory=list)
    vm_count: int = 0
    detail: dict[str, str] = field(default_factory=dict)


@dataclass
class RuleGap:
    """Data coverage: a rule that could not be evaluated on some VMs for one reason."""

    rule_id: str
    title: str
    severity: str
    vm_count_unknown: int  # distinct VMs with an unknown result of this rule for this reason
    # of those, VMs whose readiness this unknown decided (readiness unknown, or a "not verified"
    # condition under [analysis] unknown_as = "condition")
    vm_count_readiness: int
    data: str  # what was missing, in words: "USB devices"
    reason: str  # "RVTools export has no vUSB tab", "the VM's host is not in vHost"
    fix: str
    targets: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)  # e.g. host names not found
    # The data is never carried by this kind of input (vTPM in RVTools), as opposed to missing from it.
    not_in_source: bool = False
    # How the policy counts this gap in readiness: "unknown", "condition" (to verify before
    # migrating) or "note" (not in source: stated once for the estate, changes no VM's readiness).
    # Assessments written before this field were strict unless unknown_as said otherwise.
    counts_as: str = "unknown"
    # VMs where it is a condition to verify that decides nothing yet: their readiness is unknown
    # because of another, fixable gap (it becomes a readiness reason once that gap is filled).
    vm_count_pending: int = 0


@dataclass
class InputCoverage:
    """Data coverage of one vCenter of one input."""

    input: str  # the input by file name (never a local path)
    vcenter: str
    source_kind: str  # rvtools | vcenter | synthetic | ""
    vm_count: int = 0
    vms_with_unknowns: int = 0
    missing_tabs: list[str] = field(default_factory=list)  # RVTools tabs the export lacks
    needed_tabs: list[str] = field(default_factory=list)  # of those, tabs whose absence left rules unknown
    not_in_source: list[str] = field(default_factory=list)  # data rules needed that this input kind never has
    unmatched_hosts: list[str] = field(default_factory=list)  # VM hosts missing from the host list (vHost)
    fixes: list[str] = field(default_factory=list)


@dataclass
class Coverage:
    # How unknown findings of blocker rules count: "unknown" (readiness unknown) or "condition"
    # (ready_with_conditions, "not verified") - policy [analysis] unknown_as.
    unknown_as: str = "unknown"
    # The same for data the input format never carries (policy [analysis] unavailable_in_source_as,
    # default "note"); "unknown" here for assessments written before that key existed.
    unavailable_in_source_as: str = "unknown"
    inputs: list[InputCoverage] = field(default_factory=list)
    rules: list[RuleGap] = field(default_factory=list)

    def counts_as_condition(self, gap: RuleGap) -> bool:
        # Assessments written before ``counts_as`` existed say it only through unknown_as.
        return gap.counts_as == "condition" or (
            self.unknown_as == "condition" and gap.counts_as == "unknown" and not gap.not_in_source)

    def source_limits(self) -> list[RuleGap]:
        """Gaps of data the input format never carries that the policy leaves out of readiness."""
        return [g for g in self.rules if g.not_in_source and g.counts_as == "note"]


@dataclass
class DataDate:
    """When one vCenter's data was taken and what says so (ages are measured at this date)."""

    vcenter: str
    taken_at: str | None  # ISO 8601 UTC; None when the input does not say
    # "RVTools export (vMetaData creation time)", "vmscan collection", or why it is unknown
    basis: str
    age_days: int | None = None  # assessment date minus taken_at, in days


@dataclass
class Assessment:
    generated_at: str
    vmscan_version: str
    as_of: str  # date used for end-of-support and age checks (YYYY-MM-DD)
    targets: list[str]
    inputs: list[InputInfo] = field(default_factory=list)
    policy: dict[str, Any] = field(default_factory=dict)
    rules: list[RuleInfo] = field(default_factory=list)
    summary: Summary = field(default_factory=Summary)
    vms: list[VmOutcome] = field(default_factory=list)
    # Results particular to a VM; results the same on every VM of a vCenter are in vcenter_findings.
    findings: list[Finding] = field(default_factory=list)
    vcenter_findings: list[VcenterFinding] = field(default_factory=list)
    sizing: list[SizingResult] = field(default_factory=list)
    coverage: Coverage = field(default_factory=Coverage)
    # The data's own dates, one per vCenter; ages (snapshots, powered off) are measured at them,
    # calendar facts (end of support) at ``as_of``.
    data_dates: list[DataDate] = field(default_factory=list)
    # Data older than this many days at the assessment date is called out in every report header.
    stale_data_days: int = 30
    site_tasks: list[SiteTask] = field(default_factory=list)
    # The assessed targets as the data describes them (names, notes, unconfirmed facts).
    target_info: list[TargetInfo] = field(default_factory=list)
    # Node prices from the user's price file (--prices); empty = no cost is shown anywhere.
    prices: list[NodePrice] = field(default_factory=list)
    schema: str = ASSESSMENT_SCHEMA_NAME
    schema_version: int = ASSESSMENT_SCHEMA_VERSION

    def every_finding(self) -> Iterator[Finding]:
        """``findings`` and, for each VM they hold for, ``vcenter_findings`` as that VM's Finding:
        every result per VM, as schema 2 stored them (for counts per VM; order: per-VM ones first)."""
        yield from self.findings
        if self.vcenter_findings:
            vm_ids = self.vm_ids_by_vcenter()
            for wide in self.vcenter_findings:
                for vm_id in vm_ids.get(wide.vcenter, ()):
                    yield wide.for_vm(vm_id)

    def vm_ids_by_vcenter(self) -> dict[str, list[str]]:
        """The VM ids of each vCenter (by name), in the order of ``vms``."""
        by_vcenter: dict[str, list[str]] = {}
        for outcome in self.vms:
            if outcome.vcenter is not None:
                by_vcenter.setdefault(outcome.vcenter, []).append(outcome.vm_id)
        return by_vcenter
