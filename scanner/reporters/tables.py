"""The report's tables as rows of plain values, shared by the Excel and CSV writers.

Each table is a list of ``Column`` (header, kind, width) and a generator of rows. Values are
Python numbers, booleans, datetimes, strings or None; the writers decide how to store them
(the Excel writer adds formats and fills, the CSV writer formats dates as ISO 8601). Keeping
one definition means the workbook and the CSV files never disagree.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scanner.analysis.comparison import blockers_text, compare_targets, shows_comparison
from scanner.analysis.model import (
    FINDING_STATUSES,
    READINESS,
    Assessment,
    Finding,
    RuleGap,
    SiteTask,
    SizingResult,
    VcenterFinding,
)
from scanner.analysis.native import native_text
from scanner.inventory.model import VM, Estate
from scanner.textsafety import mask_secrets

GIB = 1024**3
READINESS_LABELS = {
    "ready": "Ready",
    "ready_with_conditions": "Ready with conditions",
    "not_ready": "Not ready",
    "unknown": "Unknown",
}


@dataclass
class Column:
    header: str
    # text | int | float | pct (0..1) | date | bool | readiness
    kind: str = "text"
    width: float = 14
    # Text wrapped within the column width (the workbook; rows grow to fit): long sentences in
    # small tables, which were cut at the column edge on screen and on paper.
    wrap: bool = False


@dataclass
class Table:
    name: str  # sheet title and CSV file stem
    columns: list[Column]
    rows: Callable[[], Iterator[list[Any]]]
    count: int  # number of data rows (known up front for autofilter ranges and progress)
    # Column index frozen to the left of the scroll area (0 = only the header row is frozen).
    frozen_columns: int = 0
    # Leading columns printed (None = all): long technical columns (evidence JSON, full readiness
    # reasons, notes) stay in the sheet for filtering but out of the printout.
    print_columns: int | None = None
    # (column header, value): the workbook opens with its filter set to the rows holding that
    # value, the others hidden (one click away) and left out of the printout.
    opening_filter: tuple[str, str] | None = None
    # The one row a workbook sheet shows when there are no rows (a header alone reads as "not filled
    # in"); None: the sheet stays header-only. CSV files stay header-only either way: a row there is data.
    row_when_empty: list[Any] | None = None


def policy_description(policy: dict[str, Any]) -> tuple[str, str | None]:
    """(where the policy came from, its overrides as indented JSON or None) for the About views.

    The raw record of a default run, ``{"overrides": {}, "source": null}``, told a reader nothing.
    """
    source = policy.get("source")
    # Anything else in the record (older or hand-made assessments) is shown with the overrides.
    overrides = {**(policy.get("overrides") or {}),
                 **{k: v for k, v in policy.items() if k not in ("source", "overrides")}}
    where = f"policy file {source}" if source else "defaults shipped with vmscan (no --policy file)"
    if not overrides:
        return (where + (" (sets nothing)" if source else ""), None)
    return where, json.dumps(overrides, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def parse_time(text: str | None) -> datetime | None:
    """ISO 8601 text to a naive UTC datetime (Excel has no time zones); unparsable stays None."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _gib(value: int | None) -> float | None:
    return None if value is None else round(value / GIB, 2)


def _join(items: list[str] | None) -> str | None:
    return None if items is None else ", ".join(items)


# json.dumps with options builds a new encoder per call: a third of the Findings sheet's cost.
_EVIDENCE_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=str)


def _evidence_encoder() -> Callable[[dict[str, Any]], str]:
    """``_EVIDENCE_ENCODER.encode``, the same text, with its C encoder built once: ``encode`` builds
    it (and a float formatting closure) again on every call, ~40 % of a small dict's cost.

    Built without the circular-reference markers: evidence is a tree of plain values made by the
    rules (a cycle would end in RecursionError rather than ValueError). Without the C accelerator,
    ``encode`` itself."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return _EVIDENCE_ENCODER.encode
    options = _EVIDENCE_ENCODER
    chunks = make(None, options.default, json.encoder.encode_basestring, options.indent, options.key_separator,
                  options.item_separator, options.sort_keys, options.skipkeys, options.allow_nan)

    def encode(evidence: dict[str, Any]) -> str:
        return "".join(chunks(evidence, 0))
    return encode


_encode_evidence = _evidence_encoder()


def _evidence_text(evidence: dict[str, Any]) -> str:
    return _encode_evidence(evidence) if evidence else ""


def _oldest_snapshot(vm: VM) -> datetime | None:
    moments = [m for m in (parse_time(s.created) for s in vm.snapshots or []) if m is not None]
    return min(moments) if moments else None


def vm_table(estate: Estate, assessment: Assessment, readiness_labels: bool) -> Table:
    targets = assessment.targets
    vm_by_id = {vm.id: vm for vm in estate.all_vms()}
    site_texts = {t.id: site_task_text(t) for t in assessment.site_tasks}
    columns = [
        Column("VM", width=34), Column("VM id", width=22), Column("vCenter", width=24), Column("Datacenter"),
        Column("Cluster", width=18), Column("Host", width=24), Column("Folder", width=22), Column("Power state"),
        Column("Template", "bool", 10), Column("vCPU", "int", 8), Column("Cores per socket", "int", 9),
        Column("Memory GiB", "float", 11), Column("Provisioned GiB", "float", 13), Column("Used GiB", "float", 11),
        Column("Disks", "int", 7), Column("NICs", "int", 7), Column("Guest OS (configured)", width=30),
        Column("Guest OS (VMware Tools)", width=30), Column("HW version", "int", 9), Column("Firmware", width=9),
        Column("VMware Tools", width=12), Column("Snapshots", "int", 10), Column("Oldest snapshot (UTC)", "date", 17),
        Column("Boot time (UTC)", "date", 17),
    ]
    for target in targets:
        columns.append(Column(f"Readiness {target.upper()}", "readiness", 20))
        columns.append(Column(f"Method {target.upper()}", width=14))
    columns += [
        Column("Disposition", width=12), Column("Disposition reasons", width=30),
        *[Column(f"Verdict {target.upper()}", width=36) for target in targets], Column("Findings", width=36),
        Column("Unknown (data missing)", width=24), Column("Not in source", width=24),
        Column("Site tasks (before it moves)", width=40), Column("Annotation", width=40),
    ]
    # Why each readiness is what it is (failing rules, or checks not evaluated and the data they lacked).
    columns += [Column(f"Readiness reasons {target.upper()}", width=60) for target in targets]
    # Smallest Azure VM size / EC2 instance type for replatform candidates ([native] scope).
    columns.append(Column("Native IaaS size", width=40))

    def word(key: str | None) -> str | None:
        """The workbook shows power state, method and disposition in the HTML report's words, like
        readiness ("HCX vMotion", not "hcx_vmotion"); CSV keeps the identifiers."""
        if key is None or not readiness_labels:
            return key
        from scanner.reporters.html import label  # html imports this module: import when used

        return label(key)

    def rows() -> Iterator[list[Any]]:
        for outcome in assessment.vms:
            vm = vm_by_id.get(outcome.vm_id) or VM(id=outcome.vm_id)
            row: list[Any] = [
                outcome.name, outcome.vm_id, outcome.vcenter, outcome.datacenter, outcome.cluster, vm.host,
                vm.folder_path, word(outcome.power_state), vm.template, vm.num_cpu, vm.cores_per_socket,
                None if vm.memory_mib is None else round(vm.memory_mib / 1024, 2), _gib(vm.provisioned_bytes),
                _gib(vm.storage_committed_bytes), None if vm.disks is None else len(vm.disks),
                None if vm.nics is None else len(vm.nics), vm.guest_full_name or vm.guest_id,
                vm.guest_full_name_tools or vm.guest_id_tools, vm.hardware_version, vm.firmware, vm.tools_status,
                None if vm.snapshots is None else len(vm.snapshots), _oldest_snapshot(vm), parse_time(vm.boot_time),
            ]
            for target in targets:
                readiness = outcome.readiness.get(target)
                row.append(READINESS_LABELS.get(readiness or "", readiness) if readiness_labels else readiness)
                method = outcome.recommended_method.get(target)
                # The HTML says "None possible" where no method is recommended; say it here too.
                row.append(word(method or ("none" if readiness_labels and readiness else None)))
            row += [
                word(outcome.disposition), "; ".join(outcome.disposition_reasons),
                *[outcome.target_verdicts.get(target) for target in targets], ", ".join(outcome.finding_ids),
                ", ".join(outcome.unknown_ids), ", ".join(outcome.not_in_source_ids),
                "; ".join(site_texts[i] for i in outcome.site_tasks if i in site_texts), mask_secrets(vm.annotation),
            ]
            row += ["; ".join(outcome.readiness_details.get(target, [])) for target in targets]
            row.append(native_text(outcome.native_sizes) or None)
            yield row

    printed = next(i for i, c in enumerate(columns) if c.header == "Annotation")
    return Table("VMs", columns, rows, len(assessment.vms), frozen_columns=1, print_columns=printed)


def site_task_text(task: SiteTask) -> str:
    """``host.esxi-old: host esx01 runs ESXi 6.0.0, older than 6.5`` (``verify:`` when not known)."""
    verb = "" if task.status == "fail" else "verify: "
    return f"{task.rule_id}: {verb}{task.message}"


# A cell holds at most 32,767 characters: the VM list of a very large task is cut with a count.
MAX_VM_NAMES_CHARS = 30_000


def vm_name_list(names: list[str]) -> str:
    text = ", ".join(names)
    if len(text) <= MAX_VM_NAMES_CHARS:
        return text
    shown = text[:MAX_VM_NAMES_CHARS].rsplit(", ", 1)[0]
    count = shown.count(", ") + 1
    return f"{shown} and {len(names) - count} more"


def site_tasks_table(assessment: Assessment) -> Table:
    """Site tasks, one row each with its VMs: prerequisites and port groups HCX cannot extend."""
    names = {o.vm_id: o.name or o.vm_id for o in assessment.vms}
    columns = [
        Column("Kind", width=12), Column("Rule", width=22), Column("Status", width=9), Column("Severity", width=10),
        Column("vCenter", width=22), Column("Object type", width=11), Column("Object", width=26),
        Column("VMs", "int", 7), Column("What was seen", width=46), Column("What to do", width=60),
        Column("Targets", width=9), Column("VM names", width=60),
    ]
    tasks = assessment.site_tasks

    def rows() -> Iterator[list[Any]]:
        for t in tasks:
            yield [t.kind, t.rule_id, t.status, t.severity, t.vcenter, t.object_type, t.object, len(t.vm_ids),
                   t.message, t.action, ", ".join(t.targets), vm_name_list([names.get(v, v) for v in t.vm_ids])]

    return Table("Site tasks", columns, rows, len(tasks), frozen_columns=2)


# The VM column of a result held once for every VM of a vCenter (assessment vcenter_findings).
ALL_VMS_OF_VCENTER = "(all VMs of the vCenter)"


def findings_table(assessment: Assessment) -> Table:
    """One row per result on a VM, then one per result that is the same on every VM of a vCenter
    (a tab the export lacks): the "VMs" column says how many VMs a row stands for."""
    names = {o.vm_id: (o.name, o.vcenter) for o in assessment.vms}
    titles = {r.id: r.title for r in assessment.rules}
    columns = [
        # Up to Message the columns print one page wide (~230 characters).
        Column("VM", width=30), Column("VM id", width=22), Column("vCenter", width=22), Column("VMs", "int", 6),
        Column("Targets", width=10), Column("Rule", width=26), Column("Title", width=27),
        Column("Severity", width=10), Column("Status", width=9), Column("HCX methods affected", width=28),
        Column("Message", width=40), Column("Evidence", width=40), Column("Remediation", width=50),
    ]

    # "avs, vmc": one text per distinct (shared) targets list, kept with it so its id stays its own.
    target_texts: dict[int, tuple[list[str], str]] = {}

    def targets_text(targets: list[str]) -> str:
        known = target_texts.get(id(targets))
        if known is None:
            known = target_texts[id(targets)] = (targets, ", ".join(targets))
        return known[1]

    def result(r: Finding | VcenterFinding) -> list[Any]:
        """The cells after "VMs": what the rule found, the same for a VM's row and a vCenter's."""
        return [targets_text(r.targets), r.rule_id, titles.get(r.rule_id), r.severity, r.status,
                ", ".join(f"{m}: {e}" for m, e in r.methods.items()), r.message, _evidence_text(r.evidence),
                r.remediation]

    def rows() -> Iterator[list[Any]]:
        for f in assessment.findings:
            name, vcenter = names.get(f.vm_id, (None, None))
            yield [name, f.vm_id, vcenter, 1, *result(f)]
        for w in assessment.vcenter_findings:
            yield [ALL_VMS_OF_VCENTER, None, w.vcenter, w.vm_count, *result(w)]

    # The sheet opens (and prints) filtered on the failing checks: the unknown and not-in-source
    # rows are counted per rule in Data coverage (vCenter-wide results are never failing).
    row_count = len(assessment.findings) + len(assessment.vcenter_findings)
    failing = sum(1 for f in assessment.findings if f.status == "fail")
    opening = ("Status", "fail") if 0 < failing < row_count else None
    return Table("Findings", columns, rows, row_count, frozen_columns=1,
                 print_columns=[c.header for c in columns].index("Message") + 1, opening_filter=opening)


def vms_per_rule(assessment: Assessment) -> dict[str, dict[str, int]]:
    """status (fail | unknown | not_in_source) -> rule id -> distinct VMs: the three outcomes apart.

    A VM counts once per rule and status; "VMs affected" is the fail count alone. A vCenter-wide
    result counts every VM of its vCenter without listing them.
    """
    wide: dict[tuple[str, str], dict[str, int]] = {}  # (status, rule) -> vCenter -> VMs
    for w in assessment.vcenter_findings:
        wide.setdefault((w.status, w.rule_id), {})[w.vcenter] = w.vm_count
    vcenter_of = {o.vm_id: o.vcenter for o in assessment.vms} if wide else {}
    vms: dict[tuple[str, str], set[str]] = {}
    for f in assessment.findings:
        vms.setdefault((f.status, f.rule_id), set()).add(f.vm_id)
    counts: dict[str, dict[str, int]] = {status: {} for status in FINDING_STATUSES}
    for key in {*vms, *wide}:
        status, rule_id = key
        whole = wide.get(key, {})
        # A VM of a vCenter the result covers as a whole is counted there, not again.
        apart = sum(1 for vm_id in vms.get(key, ()) if vcenter_of.get(vm_id) not in whole)
        counts.setdefault(status, {})[rule_id] = apart + sum(whole.values())
    return counts


def rules_table(assessment: Assessment) -> Table:
    counts = vms_per_rule(assessment)
    columns = [
        Column("Rule", width=28), Column("Title", width=34), Column("Severity", width=10), Column("Family", width=10),
        Column("Targets", width=10), Column("HCX methods", width=34), Column("VMs affected", "int", 12),
        Column("VMs unknown", "int", 11), Column("VMs not in source", "int", 11), Column("Enabled", "bool", 9),
        Column("Rationale", width=50), Column("Remediation", width=50),
        Column("References", width=50),
    ]

    def rows() -> Iterator[list[Any]]:
        for r in assessment.rules:
            yield [
                r.id, r.title, r.severity, r.family, ", ".join(r.targets),
                ", ".join(f"{m}: {e}" for m, e in r.methods.items()),
                *(counts[status].get(r.id, 0) for status in FINDING_STATUSES), r.enabled,
                r.rationale, r.remediation, "\n".join(r.references),
            ]

    return Table("Rules", columns, rows, len(assessment.rules))


def counts_as_text(coverage: Any, gap: RuleGap) -> str:
    """How a coverage gap counts in readiness: unknown, condition, or "not in source" (no effect)."""
    if gap.counts_as == "note":
        return "not in source"
    return "condition" if coverage.counts_as_condition(gap) else "unknown"


def coverage_table(assessment: Assessment) -> Table:
    """Data coverage per rule: how many VMs it could not evaluate, why, and what fixes it."""
    columns = [
        Column("Rule", width=28), Column("Title", width=34), Column("Severity", width=10),
        Column("VMs not evaluated", "int", 11), Column("VMs whose readiness it decided", "int", 13),
        Column("Missing data", width=26), Column("Reason", width=46), Column("What to do", width=60),
        Column("Examples", width=30), Column("Targets", width=9), Column("Counts as", width=10),
        Column("VMs where a pending condition", "int", 13),
    ]
    coverage = assessment.coverage
    gaps = coverage.rules

    def rows() -> Iterator[list[Any]]:
        for g in gaps:
            yield [g.rule_id, g.title, g.severity, g.vm_count_unknown, g.vm_count_readiness, g.data, g.reason,
                   g.fix, ", ".join(g.examples), ", ".join(g.targets), counts_as_text(coverage, g), g.vm_count_pending]

    return Table("Data coverage", columns, rows, len(gaps), frozen_columns=1)


def input_coverage_table(assessment: Assessment) -> Table:
    """Data coverage per input and vCenter: absent RVTools tabs, data the input never has, fixes."""
    columns = [
        Column("Input", width=36), Column("vCenter", width=24), Column("Source", width=9), Column("VMs", "int", 7),
        Column("VMs with unknowns", "int", 11), Column("Tabs missing (rules need them)", width=34),
        Column("Other tabs missing", width=34), Column("Not available from this input", width=40),
        Column("VM hosts not in host list", width=30), Column("What to do", width=70),
    ]
    entries = assessment.coverage.inputs

    def rows() -> Iterator[list[Any]]:
        for e in entries:
            others = [tab for tab in e.missing_tabs if tab not in e.needed_tabs]
            yield [e.input, e.vcenter, e.source_kind, e.vm_count, e.vms_with_unknowns, ", ".join(e.needed_tabs),
                   ", ".join(others), ", ".join(e.not_in_source), ", ".join(e.unmatched_hosts),
                   "; ".join(e.fixes)]

    return Table("Data coverage inputs", columns, rows, len(entries), frozen_columns=1)


def hosts_table(estate: Estate) -> Table:
    vm_counts = Counter((vc.name, vm.host) for vc in estate.vcenters for vm in vc.vms)
    columns = [
        Column("vCenter", width=24), Column("Host", width=28), Column("Datacenter"), Column("Cluster", width=18),
        Column("ESXi version", width=11), Column("Build", width=10), Column("Vendor", width=16),
        Column("Model", width=22), Column("CPU model", width=36), Column("Sockets", "int", 8),
        Column("Cores", "int", 8), Column("Threads", "int", 8),
        Column("CPU MHz", "int", 9), Column("Memory GiB", "float", 11), Column("Connection", width=12),
        Column("Maintenance mode", "bool", 11), Column("Power state", width=11), Column("VMs", "int", 7),
    ]

    def rows() -> Iterator[list[Any]]:
        for vc in estate.vcenters:
            for h in vc.hosts:
                yield [
                    vc.name, h.name, h.datacenter, h.cluster, h.esxi_version, h.esxi_build, h.vendor, h.model,
                    h.cpu_model, h.cpu_sockets, h.cpu_cores, h.cpu_threads, h.cpu_mhz,
                    None if h.memory_mib is None else round(h.memory_mib / 1024, 1), h.connection_state,
                    h.maintenance_mode, h.power_state, vm_counts.get((vc.name, h.name), 0),
                ]

    return Table("Hosts", columns, rows, len(estate.all_hosts()), frozen_columns=2)


def clusters_table(estate: Estate) -> Table:
    columns = [
        Column("vCenter", width=24), Column("Cluster", width=22), Column("Datacenter"), Column("Hosts", "int", 7),
        Column("HA", "bool", 7), Column("DRS", "bool", 7), Column("DRS behaviour", width=14),
        Column("EVC mode", width=18), Column("vSAN", "bool", 7), Column("VMs", "int", 7),
        Column("vCPU allocated", "int", 10), Column("Memory allocated GiB", "float", 12),
        Column("Host cores", "int", 10), Column("Host memory GiB", "float", 12), Column("vCPU per core", "float", 10),
    ]

    def rows() -> Iterator[list[Any]]:
        for vc in estate.vcenters:
            hosts_by_cluster: dict[str | None, list[Any]] = {}
            for h in vc.hosts:
                hosts_by_cluster.setdefault(h.cluster, []).append(h)
            vms_by_cluster: dict[str | None, list[VM]] = {}
            for vm in vc.vms:
                vms_by_cluster.setdefault(vm.cluster, []).append(vm)
            for c in vc.clusters:
                hosts = hosts_by_cluster.get(c.name, [])
                vms = vms_by_cluster.get(c.name, [])
                vcpu = sum(vm.num_cpu or 0 for vm in vms)
                cores = sum(h.cpu_cores or 0 for h in hosts)
                yield [
                    vc.name, c.name, c.datacenter, len(c.hosts) or len(hosts), c.ha_enabled, c.drs_enabled,
                    c.drs_behavior, c.evc_mode, c.vsan_enabled, len(vms), vcpu,
                    round(sum(vm.memory_mib or 0 for vm in vms) / 1024, 1), cores,
                    round(sum(h.memory_mib or 0 for h in hosts) / 1024, 1),
                    round(vcpu / cores, 2) if cores else None,
                ]

    return Table("Clusters", columns, rows, len(estate.all_clusters()), frozen_columns=2)


def datastores_table(estate: Estate) -> Table:
    columns = [
        Column("vCenter", width=24), Column("Datastore", width=30), Column("Datacenter"), Column("Type", width=8),
        Column("Capacity GiB", "float", 12), Column("Free GiB", "float", 12), Column("Used", "pct", 8),
        Column("Accessible", "bool", 10), Column("Hosts", "int", 7),
    ]

    def rows() -> Iterator[list[Any]]:
        for vc in estate.vcenters:
            for d in vc.datastores:
                used = None
                if d.capacity_bytes and d.free_bytes is not None:
                    used = round(1 - d.free_bytes / d.capacity_bytes, 4)
                yield [vc.name, d.name, d.datacenter, d.type, _gib(d.capacity_bytes), _gib(d.free_bytes), used,
                       d.accessible, len(d.hosts)]

    return Table("Datastores", columns, rows, len(estate.all_datastores()), frozen_columns=2)


# Sizing parameters in the order a reader checks them; keys not listed follow, sorted.
SIZING_PARAMETER_LABELS = {
    "basis": "Sizing basis",
    "basis_requested": "Basis requested",
    "performance_min_stars": "Stars of history coverage needed for performance basis (auto)",
    "percentile": "Percentile of measured use",
    "comfort_factor": "Comfort factor",
    "cpu_oversubscription": "CPU oversubscription (vCPU per thread-equivalent)",
    "hyperthreading_factor": "Hyper-threading factor (allocated basis)",
    "performance_cpu_method": "CPU method, performance basis (mhz or vcpu)",
    "performance_hyperthreading_factor": "Hyper-threading factor (performance basis, mhz)",
    "host_failures_to_tolerate": "Spare hosts per cluster (N+1)",
    "include_management_reserve": "Management reserve taken",
    "management_reserve_cpu_ghz": "Management reserve CPU (GHz, first cluster)",
    "management_reserve_memory_gib": "Management reserve memory (GiB, first cluster)",
    "cpu_max_utilisation": "Maximum CPU utilisation",
    "memory_overcommit": "Memory overcommit",
    "memory_max_utilisation": "Maximum memory utilisation",
    "memory_perf_counter": "Memory counter",
    "dedupe": "Deduplication ratio",
    "compression": "Compression ratio",
    "vsan_slack": "vSAN slack space",
    "ftt": "Failures to tolerate (FTT)",
    "include_swap": "Include VM swap",
    "storage_policy": "Storage policy chosen (recommended node type)",
    "storage_policy_factor": "Raw capacity factor of that policy",
    "storage_policies": "Storage policies by cluster size",
    "prefer_generally_available": "Prefer generally available node types",
    "max_vm_vcpu": "Plausibility limit: vCPU per VM",
    "max_vm_memory_gib": "Plausibility limit: memory per VM (GiB)",
    "max_vm_storage_tb": "Plausibility limit: storage per VM (TB)",
    "cluster.min_hosts": "Cluster minimum hosts",
    "cluster.max_hosts": "Cluster maximum hosts",
}


@dataclass
class SizingParameter:
    key: str  # as written in a policy file, e.g. cpu_oversubscription
    label: str
    value: Any  # number, bool or text
    source: str | None  # where the value came from: a policy file, the shipped defaults' reference


def _parameter_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def sizing_parameters(result: SizingResult, policy: dict[str, Any]) -> list[SizingParameter]:
    """The parameters a sizing result was computed with, flattened for a definition list or rows.

    A key set by the user's --policy file names that file as its source; the others name the
    reference the shipped default cites.
    """
    params = dict(result.parameters)
    default_source = params.pop("source", None)
    user_sizing = (policy.get("overrides") or {}).get("sizing") or {}
    user_keys = {k for k, v in user_sizing.items() if not isinstance(v, dict)}
    target_table = user_sizing.get(result.target)
    if isinstance(target_table, dict):
        user_keys |= set(target_table)
    user_source = f"policy file {policy.get('source')}" if policy.get("source") else "policy overrides"
    flat: dict[str, Any] = {}
    for key, value in params.items():
        if key == "cluster" and isinstance(value, dict):
            flat.update({f"cluster.{k}": v for k, v in value.items()})
        elif key == "storage_policies" and isinstance(value, list):
            flat[key] = "; ".join(
                f"{p.get('name')}: FTT {p.get('ftt')}, from {p.get('min_hosts')} hosts, x{p.get('factor')}"
                for p in value if isinstance(p, dict)
            )
        else:
            flat[key] = value
    option = result.recommended_option()
    if option is not None and option.storage_policy is not None:
        flat["storage_policy"] = option.storage_policy
        flat["storage_policy_factor"] = option.storage_policy_factor
    order = [k for k in SIZING_PARAMETER_LABELS if k in flat]
    order += sorted(k for k in flat if k not in SIZING_PARAMETER_LABELS)
    result_keys = {"basis", "storage_policy", "storage_policy_factor"}
    rows = []
    for key in order:
        if key in user_keys:
            source: str | None = user_source
        elif key in result_keys:
            source = "sizing result"
        elif key.startswith("cluster."):
            source = f"targets.{result.target} cluster limits"
        else:
            source = result.parameter_sources.get(key, default_source)
        rows.append(SizingParameter(key, SIZING_PARAMETER_LABELS.get(key, key), _parameter_value(flat[key]), source))
    return rows


def vm_names(estate: Estate | None, vm_ids: list[str]) -> list[tuple[str, str]]:
    """(VM name, VM id) for the ids; a VM missing from the estate shows its id as its name."""
    if not vm_ids:
        return []
    names = {vm.id: vm.name for vm in estate.all_vms()} if estate is not None else {}
    return [(names.get(vm_id) or vm_id, vm_id) for vm_id in vm_ids]


# Units as shown: storage demand and capacity are raw vSAN TiB (after the storage policy's RAID
# factor), not the provisioned TiB of the Summary; memory GiB; CPU vCPU, or GHz on a measured clock.
UNIT_WORDS = {"TiB": "TiB raw"}


def unit_text(unit: str) -> str:
    return UNIT_WORDS.get(unit, unit)


def sizing_source_numbers(parameters: list[SizingParameter]) -> dict[str, int]:
    """Each source of one target's parameters once, numbered in order of first use (1, 2, ...):
    the same reference on twenty rows said nothing more. The HTML and the workbook number alike."""
    sources = dict.fromkeys(p.source for p in parameters if p.source)
    return {source: number for number, source in enumerate(sources, 1)}


def sizing_result_table(assessment: Assessment) -> Table:
    """Sheet "Sizing": one row per target, the recommended count with its basis, confidence, the
    headroom it includes and the rule that chose the node type."""
    from scanner.analysis.sizing import basis_text, headroom_text

    # About 230 characters wide: one page across in print (xlsx.PRINT_WIDTH_PER_PAGE); the long
    # sentences wrap.
    columns = [
        Column("Target", width=8), Column("Recommended hosts", "int", 13), Column("Node type", width=12),
        Column("Clusters", "int", 9), Column("Spare hosts", "int", 8), Column("Binding resource", width=11),
        Column("Binding resource utilisation after headroom", "pct", 12), Column("Storage policy", width=12),
        Column("Basis", width=10), Column("Confidence", width=12), Column("Basis and confidence", width=28, wrap=True),
        Column("Headroom included", width=32, wrap=True), Column("VMs sized", "int", 8),
        Column("VMs that fit no node type", "int", 9), Column("Total price", "float", 10),
        Column("Recommendation rule", width=34, wrap=True),
    ]
    results = assessment.sizing

    def rows() -> Iterator[list[Any]]:
        for s in results:
            o = s.recommended_option()
            bound = None if o is None else next((r for r in o.resources if r.resource == o.binding_resource), None)
            yield [s.target, None if o is None else o.nodes, "none fits" if o is None else o.node_type,
                   None if o is None else o.clusters, None if o is None else o.spare_hosts,
                   None if o is None else o.binding_resource, None if bound is None else bound.utilisation,
                   None if o is None else o.storage_policy, s.basis, s.confidence or "n/a", basis_text(s),
                   headroom_text(s), s.vm_count, len(s.vms_fitting_no_node_type),
                   None if o is None else o.total_price, s.recommendation_rule]

    return Table("Sizing", columns, rows, len(results), frozen_columns=1)


def sizing_options_table(assessment: Assessment) -> Table:
    """Sheet "Sizing by node type": every node type considered, one row per resource, each quantity
    in the unit its row names (CPU vCPU or GHz, memory GiB, storage raw TiB)."""
    columns = [
        Column("Target", width=8), Column("Node type", width=14), Column("Recommended", "bool", 12),
        Column("Nodes", "int", 7), Column("Clusters", "int", 8), Column("Spare hosts", "int", 7),
        Column("Binding resource", width=16), Column("Storage policy", width=14), Column("Resource", width=10),
        Column("Binding", "bool", 9), Column("Unit", width=8), Column("Demand (in Unit)", "float", 12),
        Column("Capacity after headroom (in Unit)", "float", 14), Column("Management reserve (in Unit)", "float", 12),
        Column("Nodes needed", "int", 10), Column("Utilisation after headroom", "pct", 11),
        Column("Utilisation, all hosts up", "pct", 11), Column("Price per node", "float", 12),
        Column("Total price", "float", 12), Column("VMs that fit no node of this type", "int", 11),
    ]
    count = sum(max(1, len(o.resources)) for s in assessment.sizing for o in s.options)

    def rows() -> Iterator[list[Any]]:
        for s in assessment.sizing:
            for o in s.options:
                head = [s.target, o.node_type, o.node_type == s.recommended_node_type, o.nodes, o.clusters,
                        o.spare_hosts, o.binding_resource, o.storage_policy]
                tail = [o.price_per_node, o.total_price, len(o.vms_not_fitting)]
                if not o.resources:
                    yield [*head, *([None] * 9), *tail]
                for r in o.resources:
                    yield [*head, r.resource, r.resource == o.binding_resource, unit_text(r.unit), r.demand,
                           r.capacity, r.reserved, r.nodes_needed, r.utilisation, r.utilisation_all_hosts, *tail]

    return Table("Sizing by node type", columns, rows, count, frozen_columns=2)


def sizing_parameters_table(assessment: Assessment) -> Table:
    """Sheet "Sizing parameters": every parameter per target with its value; the source as a number
    into sheet "Sizing sources" (numbered per target as in the HTML report)."""
    columns = [Column("Target", width=8), Column("Parameter", width=30), Column("Meaning", width=60, wrap=True),
               Column("Value", width=40, wrap=True), Column("Source", "int", 8)]
    per_target = [(s.target, sizing_parameters(s, assessment.policy)) for s in assessment.sizing]

    def rows() -> Iterator[list[Any]]:
        for target, parameters in per_target:
            numbers = sizing_source_numbers(parameters)
            for p in parameters:
                # yes / no as in the HTML report (a boolean in this mixed column printed as 1 or 0).
                value = ("yes" if p.value else "no") if isinstance(p.value, bool) else p.value
                yield [target, p.key, p.label, value, numbers.get(p.source) if p.source else None]

    return Table("Sizing parameters", columns, rows, sum(len(params) for _, params in per_target), frozen_columns=2)


def sizing_sources_table(assessment: Assessment) -> Table:
    """Sheet "Sizing sources": each target's sources once, with the parameters that cite them."""
    columns = [Column("Target", width=8), Column("Source", "int", 8), Column("Reference", width=90, wrap=True),
               Column("Parameters", width=60, wrap=True)]
    entries: list[list[Any]] = []
    for s in assessment.sizing:
        parameters = sizing_parameters(s, assessment.policy)
        for source, number in sizing_source_numbers(parameters).items():
            entries.append([s.target, number, source, ", ".join(p.key for p in parameters if p.source == source)])

    return Table("Sizing sources", columns, lambda: iter(entries), len(entries))


def sizing_notes_table(assessment: Assessment) -> Table:
    notes = [[s.target, note] for s in assessment.sizing for note in s.notes]
    return Table("Sizing notes", [Column("Target", width=8), Column("Note", width=120, wrap=True)], lambda: iter(notes),
                 len(notes))


def sizing_misfits_table(assessment: Assessment, estate: Estate | None) -> Table:
    """Sheet "VMs that fit no node": per target and node type, the VMs too large for one node."""
    misfits = [[s.target, o.node_type, name, vm_id] for s in assessment.sizing for o in s.options
               for name, vm_id in vm_names(estate, o.vms_not_fitting)]
    columns = [Column("Target", width=8), Column("Node type", width=14), Column("VM", width=34),
               Column("VM id", width=50)]
    return Table("VMs that fit no node", columns, lambda: iter(misfits), len(misfits), frozen_columns=1)


def sizing_tables(assessment: Assessment, estate: Estate | None = None) -> list[Table]:
    """The sizing as separate tables, one per sheet or CSV file (a table stacked under another
    was outside its filter); notes and misfits only when there are any."""
    result = [sizing_result_table(assessment), sizing_options_table(assessment),
              sizing_parameters_table(assessment), sizing_sources_table(assessment)]
    for optional in (sizing_notes_table(assessment), sizing_misfits_table(assessment, estate)):
        if optional.count:
            result.append(optional)
    return result


# Said by the workbook's "Collection issues" sheet and the HTML report's section when there are none.
NO_COLLECTION_ISSUES = "None: every property was read."


def issues_table(estate: Estate) -> Table:
    columns = [Column("vCenter", width=24), Column("Object id", width=30), Column("Object", width=30),
               Column("Property", width=30), Column("Message", width=70)]

    def rows() -> Iterator[list[Any]]:
        for i in estate.collection_issues:
            yield [i.vcenter, i.object_id, i.object_name, i.property, i.message]

    return Table("Collection issues", columns, rows, len(estate.collection_issues),
                 row_when_empty=[None, None, None, None, NO_COLLECTION_ISSUES])


def targets_table(assessment: Assessment) -> Table:
    """The comparison view (sheet "Targets"): every assessed target side by side, one row per target
    and cost term (one row without cost when no price was given)."""
    comparison = compare_targets(assessment)
    columns = [
        Column("Target", width=12), Column("Name", width=30), Column("Node type", width=18), Column("Hosts", "int", 8),
        Column("Clusters", "int", 9), Column("Binding resource", width=16), Column("Storage policy", width=18),
        Column("VMs that fit no node", "int", 11), Column("VMs that fit no node of this type", "int", 12),
        Column("Ready", "int", 8), Column("Ready with conditions", "int", 11), Column("Not ready", "int", 9),
        Column("Unknown", "int", 9), Column("Blockers on this target only (VMs)", width=40),
        Column("Price term", width=11), Column("Currency", width=9), Column("Cost per month", "float", 14),
        Column("Cost over 3 years", "float", 15), Column("Facts to weigh", width=60),
        Column("Not confirmed against current vendor docs", width=40),
    ]
    row_count = sum(max(1, len(row.costs)) for row in comparison)

    def rows() -> Iterator[list[Any]]:
        for row in comparison:
            head = [row.label, row.name, row.node_type, row.nodes, row.clusters, row.binding_resource,
                    row.storage_policy, row.vms_fitting_no_node_type, row.vms_not_fitting_node_type,
                    *(row.readiness.get(r, 0) for r in READINESS), blockers_text(row, limit=20)]
            tail = [" ".join(row.notes), ", ".join(row.unconfirmed)]
            if not row.costs:
                yield [*head, "no price file" if not assessment.prices else "not priced", None, None, None, *tail]
            for cost in row.costs:
                yield [*head, cost.term, cost.currency, cost.monthly, cost.three_years, *tail]

    return Table("Targets", columns, rows, row_count, frozen_columns=1)


def report_tables(estate: Estate, assessment: Assessment, readiness_labels: bool) -> list[Table]:
    result = [
        vm_table(estate, assessment, readiness_labels=readiness_labels),
        site_tasks_table(assessment),
        findings_table(assessment),
        rules_table(assessment),
        coverage_table(assessment),
        input_coverage_table(assessment),
        hosts_table(estate),
        clusters_table(estate),
        datastores_table(estate),
    ]
    if assessment.sizing:
        result += sizing_tables(assessment, estate)
    if shows_comparison(assessment):
        result.append(targets_table(assessment))
    result.append(issues_table(estate))
    return result
