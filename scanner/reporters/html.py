"""The self-contained HTML report: one file, CSS/JS/SVG inline, no external request of any kind.

Server-side (Jinja2, autoescape on) renders the executive summary, charts, rule catalogue,
collection issues and the about section. The VM table and the per-VM details are rendered in the
browser from a JSON data island, one page of rows at a time, so 100,000 VMs stay usable. A
Content-Security-Policy with hashes of our own inline script and style makes the browser refuse
any other script and any network fetch, as a second line of defence behind escaping.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import secrets
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from scanner import __version__
from scanner.analysis.comparison import compare_targets, cost_text, hosts_text, shows_comparison
from scanner.analysis.dates import data_date_line, stale_data_notice
from scanner.analysis.disposition import lift_and_shift_line
from scanner.analysis.model import (
    DISPOSITIONS,
    ELIGIBILITY,
    METHODS,
    READINESS,
    Assessment,
    Finding,
    SizingResult,
    VcenterFinding,
    share_text,
)
from scanner.analysis.sizing import basis_text, headroom_text, host_count_text
from scanner.analysis.targets import target_name
from scanner.analysis.text import source_limits
from scanner.fsutil import atomic_write
from scanner.inventory.model import VM, Estate
from scanner.reporters import charts, tables
from scanner.textsafety import mask_secrets

TEMPLATE_PACKAGE = "report_templates"
MAX_COLLECTION_ISSUES_SHOWN = 1000
GIB = 1024**3

# Target ids are not listed: their names come from the data (targets.toml).
LABELS = {
    "ready": "Ready",
    "ready_with_conditions": "Ready with conditions",
    "not_ready": "Not ready",
    "unknown": "Unknown",
    "eligible": "Eligible",
    "conditional": "Conditional",
    "blocked": "Blocked",
    "hcx_vmotion": "HCX vMotion",
    "hcx_rav": "HCX Replication Assisted vMotion",
    "hcx_bulk": "HCX Bulk Migration",
    "hcx_cold": "HCX Cold Migration",
    # Dispositions in the verdict words a stakeholder reads (scanner/analysis/disposition.py VERDICTS).
    "rehost": "Lift-and-shift as is",
    "remediate": "Lift-and-shift after remediation",
    "replatform": "Replatform",
    "refactor": "Refactor",
    "retire": "Retire",
    "retain": "Retain",
    "blocker": "Blocker",
    "warning": "Warning",
    "info": "Info",
    "cpu": "CPU",
    "memory": "Memory",
    "storage": "Storage",
    "minimum_cluster": "Minimum cluster size",
    "powered_on": "Powered on",
    "powered_off": "Powered off",
    "suspended": "Suspended",
    "none": "None possible",
    "fail": "Found",
    "not_in_source": "Not in source",
}


def label(key: str | None) -> str:
    if key is None:
        return "—"
    return LABELS.get(key) or target_name(key)


def _read_resource(name: str) -> str:
    return resources.files(TEMPLATE_PACKAGE).joinpath(name).read_text(encoding="utf-8")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_read_resource),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["label"] = label
    env.filters["num"] = lambda value, digits=0: f"{value:,.{digits}f}"
    env.filters["param"] = _parameter_text
    env.filters["pct"] = share_text
    env.filters["unit"] = tables.unit_text
    env.filters["safe_url"] = safe_url
    env.filters["hosts_text"] = hosts_text
    env.filters["cost_text"] = cost_text
    return env


def safe_url(url: str) -> str | None:
    """Only http(s) references become links; anything else (javascript:, data:) stays text."""
    return url if url.lower().startswith(("https://", "http://")) else None


# One encoder for every call: json.dumps with options builds a new one each time (per VM, twice).
_SCRIPT_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)


def _script_text(data: Any) -> str:
    text = _SCRIPT_ENCODER.encode(data)
    return (
        text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
        .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    )


def json_for_script(data: Any) -> Markup:
    """JSON that cannot end its <script> element: '<', '>' and '&' become \\u escapes.

    That covers ``</script>`` and ``<!--`` (which would switch the HTML parser's script state).
    U+2028/U+2029 are escaped too so the text is also valid JavaScript source.
    """
    return Markup(_script_text(data))  # noqa: S704 - escaped above for the script-data context


# VM rows and details encoded this many per encoder call (one call per VM cost a third of the page).
_PAYLOAD_SLICE = 500


def _script_items(items: Iterator[Any]) -> Iterator[str]:
    """The JSON of a list, without its brackets, in pieces: items joined by ',' as one encode gives."""
    first = True
    for batch in iter(lambda: list(itertools.islice(items, _PAYLOAD_SLICE)), []):
        # encode() of a list is "[" + items joined by "," + "]": strip the brackets, join slices by ",".
        yield ("" if first else ",") + _script_text(batch)[1:-1]
        first = False


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _os_name(vm: VM) -> str | None:
    return vm.guest_full_name_tools or vm.guest_full_name or vm.guest_id


def _gib(value: int | None) -> float | None:
    return None if value is None else round(value / GIB, 1)


def vm_table_payload(estate: Estate, assessment: Assessment) -> Iterator[str]:
    """The data island's JSON, in pieces: compact arrays per VM (not objects, to keep the file small).

    Streamed row by row so that 100,000 VMs never exist as one giant Python structure or string.
    """
    vm_by_id = {vm.id: vm for vm in estate.all_vms()}
    rule_index = {rule.id: i for i, rule in enumerate(assessment.rules)}
    target_index = {target: i for i, target in enumerate(assessment.targets)}
    # Each VM's findings by reference; their compact arrays are built when the VM's details are
    # written (all of them at once were a second copy of every finding, ~40 MiB per 10,000 VMs).
    findings_of: dict[str, list[Finding]] = {}
    for finding in assessment.findings:
        findings_of.setdefault(finding.vm_id, []).append(finding)

    # A finding's targets as indexes into meta.targets, one list per distinct (shared) targets list.
    target_positions: dict[int, tuple[list[str], list[Any]]] = {}

    def positions(targets: list[str]) -> list[Any]:
        known = target_positions.get(id(targets))
        if known is None:
            # The targets list is kept with its indexes so that its id is never reused meanwhile.
            known = target_positions[id(targets)] = (targets, [target_index.get(t, t) for t in targets])
        return known[1]

    def compact(finding: Finding | VcenterFinding) -> list[Any]:
        rule_pos = rule_index.get(finding.rule_id, -1)
        rule = assessment.rules[rule_pos] if rule_pos >= 0 else None
        return [
            rule_pos if rule_pos >= 0 else finding.rule_id,
            positions(finding.targets),
            finding.severity,
            finding.status,
            finding.message,
            finding.evidence,
            # Only carried when it differs from the rule's own text, to keep the file small.
            finding.remediation if rule is None or finding.remediation != rule.remediation else None,
            finding.methods,
        ]

    # Readiness reasons repeat across VMs ("not evaluated: device.usb (...)"): each text is sent
    # once in meta.reasons and referenced by index from every VM's details.
    reason_index: dict[str, int] = {}
    reasons_by_vm: list[list[list[int]]] = []
    for outcome in assessment.vms:
        reasons_by_vm.append([
            [reason_index.setdefault(text, len(reason_index)) for text in outcome.readiness_details.get(t, [])]
            for t in assessment.targets
        ])
    vcenter_findings: dict[str, list[list[Any]]] = {}
    for wide in assessment.vcenter_findings:
        vcenter_findings.setdefault(wide.vcenter, []).append(compact(wide))
    meta = {
        "targets": assessment.targets,
        "reasons": list(reason_index),
        "methods": list(METHODS),
        "labels": {**LABELS, **{t: target_name(t, assessment.target_info) for t in assessment.targets}},
        "sourceGaps": assessment.coverage.unavailable_in_source_as,
        "siteTasks": [tables.site_task_text(t) for t in assessment.site_tasks],
        # Results the same on every VM of a vCenter: sent once, shown in each of its VMs' details.
        "vcenterFindings": vcenter_findings,
        "rules": [
            {"id": r.id, "title": r.title, "severity": r.severity, "remediation": r.remediation,
             "references": r.references}
            for r in assessment.rules
        ],
    }
    yield _script_text(meta)[:-1] + ',"rows":['

    def rows() -> Iterator[list[Any]]:
        for outcome in assessment.vms:
            vm = vm_by_id.get(outcome.vm_id)
            yield [
                outcome.vm_id,
                outcome.name,
                outcome.vcenter,
                outcome.cluster,
                vm.host if vm else None,
                outcome.power_state,
                _os_name(vm) if vm else None,
                vm.num_cpu if vm else None,
                round(vm.memory_mib / 1024, 1) if vm and vm.memory_mib is not None else None,
                _gib(vm.provisioned_bytes) if vm else None,
                [outcome.readiness.get(t) for t in assessment.targets],
                [outcome.recommended_method.get(t) for t in assessment.targets],
                outcome.disposition,
                # The three outcomes apart: rules found (the Findings column, as in the workbook), rules
                # not evaluated for missing data, rules the input format cannot answer.
                sorted({rule_index[r] for r in outcome.finding_ids if r in rule_index}),
                1 if vm and vm.template else 0,
                sorted({rule_index[r] for r in outcome.unknown_ids if r in rule_index}),
                sorted({rule_index[r] for r in outcome.not_in_source_ids if r in rule_index}),
            ]

    yield from _script_items(rows())
    yield '],"details":['
    site_index = {t.id: i for i, t in enumerate(assessment.site_tasks)}

    def details() -> Iterator[list[Any]]:
        for position, outcome in enumerate(assessment.vms):
            vm = vm_by_id.get(outcome.vm_id)
            yield [
                {t: outcome.methods.get(t, {}) for t in assessment.targets},
                outcome.disposition_reasons,
                [compact(finding) for finding in findings_of.get(outcome.vm_id, [])],
                _vm_facts(vm) if vm else [],
                reasons_by_vm[position],
                [site_index[i] for i in outcome.site_tasks if i in site_index],
            ]

    yield from _script_items(details())
    yield "]}"


def _vm_facts(vm: VM) -> list[list[Any]]:
    """Label/value pairs shown at the top of a VM's detail view."""
    snapshots = vm.snapshots
    facts: list[list[Any]] = [
        ["VM id", vm.id],
        ["Datacenter", vm.datacenter],
        ["Folder", vm.folder_path],
        ["Host", vm.host],
        ["Guest OS (configured)", vm.guest_full_name],
        ["Guest OS (VMware Tools)", vm.guest_full_name_tools],
        ["Virtual hardware", f"vmx-{vm.hardware_version}" if vm.hardware_version is not None else None],
        ["Firmware", vm.firmware],
        ["VMware Tools", vm.tools_status],
        ["vCPU / cores per socket", f"{vm.num_cpu} / {vm.cores_per_socket}" if vm.num_cpu is not None else None],
        # GiB, as in the table and the summary (was MiB: "4194304" beside "4,096 GiB").
        ["Memory", None if vm.memory_mib is None else f"{vm.memory_mib / 1024:,.1f} GiB"],
        ["Disks", len(vm.disks) if vm.disks is not None else None],
        ["NICs", ", ".join(f"{n.label} ({n.adapter_type}, {n.network})" for n in vm.nics) if vm.nics else None],
        ["Snapshots", len(snapshots) if snapshots is not None else None],
        ["IP addresses", ", ".join(vm.ipv4_addresses + (vm.ipv6_addresses or [])) if vm.ipv4_addresses else None],
        # Reports are mailed around: a password in the notes is shown masked, as in its finding.
        ["Annotation", mask_secrets(vm.annotation)],
    ]
    return [fact for fact in facts if fact[1] not in (None, "")]


def _summary_view(estate: Estate, assessment: Assessment) -> dict[str, Any]:
    summary = assessment.summary
    targets = []
    for target_summary in summary.targets:
        readiness = charts.segments(
            [(key, label(key), target_summary.readiness.get(key, 0)) for key in READINESS]
        )
        methods = [
            {
                "method": method,
                "segments": charts.segments(
                    [(key, label(key), target_summary.methods.get(method, {}).get(key, 0)) for key in ELIGIBILITY]
                ),
            }
            for method in METHODS
        ]
        recommended = sorted(target_summary.recommended_methods.items(), key=lambda item: -item[1])
        targets.append({
            "target": target_summary.target,
            "readiness": readiness,
            "readiness_counts": {key: target_summary.readiness.get(key, 0) for key in READINESS},
            "methods": methods,
            "recommended": recommended,
        })
    dispositions = charts.segments([(key, label(key), summary.dispositions.get(key, 0)) for key in DISPOSITIONS])
    blockers = charts.bars([(rc.title, rc.vm_count, rc.severity, rc.rule_id) for rc in summary.top_blockers])
    top_findings = charts.bars([(rc.title, rc.vm_count, rc.severity, rc.rule_id) for rc in summary.top_findings])
    return {
        "targets": targets,
        "dispositions": dispositions,
        "blockers": blockers,
        "top_findings": top_findings,
    }


def _rules_view(assessment: Assessment) -> list[dict[str, Any]]:
    counts = tables.vms_per_rule(assessment)
    return [
        {
            "rule": rule,
            # VMs affected: found only; the other two outcomes are counted apart.
            "vm_count": counts["fail"].get(rule.id, 0),
            "unknown_count": counts["unknown"].get(rule.id, 0),
            "not_in_source_count": counts["not_in_source"].get(rule.id, 0),
            "references": [(url, safe_url(url)) for url in rule.references],
        }
        for rule in assessment.rules
    ]


# VM names listed under a site task in the HTML; the workbook's Site tasks sheet lists them all.
MAX_SITE_VM_NAMES_SHOWN = 200


def _site_views(assessment: Assessment) -> dict[str, list[dict[str, Any]]]:
    names = {o.vm_id: o.name or o.vm_id for o in assessment.vms}
    views: dict[str, list[dict[str, Any]]] = {"prerequisite": [], "network": []}
    for task in assessment.site_tasks:
        shown = [names.get(v, v) for v in task.vm_ids[:MAX_SITE_VM_NAMES_SHOWN]]
        views.setdefault(task.kind, []).append({"task": task, "names": shown,
                                                "more": len(task.vm_ids) - len(shown)})
    return views


def _source_limits_view(assessment: Assessment) -> dict[str, list[str]]:
    data, rule_ids = source_limits(assessment.coverage)
    return {"data": data, "rules": rule_ids}


# Stands in for the data island while the template renders; the JSON is streamed in its place.
# A fresh random suffix per render: a fixed marker is reachable from input data (xlsx "_x0000_"
# spells NUL), and a name holding it split the page at the wrong place.
DATA_PLACEHOLDER_PREFIX = "\x00vmscan-data-island-"


def data_placeholder() -> str:
    return f"{DATA_PLACEHOLDER_PREFIX}{secrets.token_hex(16)}\x00"


# VM names listed per node type under a sizing card; more are counted (the Sizing sheet lists all).
MAX_MISFIT_NAMES_SHOWN = 50


RESOURCE_UNIT_WORDS = {"vCPU": "CPU in vCPU (the management reserve's GHz converted at each node type's clock)",
                       "GHz": "CPU in GHz", "GiB": "memory in GiB",
                       "TiB": "storage in raw TiB (vSAN capacity after the storage policy's RAID factor)"}


def _sizing_units(result: SizingResult) -> str:
    """The units of one card's quantities, said once above its table."""
    units = dict.fromkeys(r.unit for o in result.options for r in o.resources)
    return "; ".join(RESOURCE_UNIT_WORDS.get(unit, unit) for unit in units)


def _sizing_views(estate: Estate, assessment: Assessment) -> list[dict[str, Any]]:
    """Per sizing result: the parameters used and, per node type, the VMs that fit no node of it."""
    views = []
    for result in assessment.sizing:
        # Node types that leave out the same VMs share one line (usually the one oversized VM
        # for every type: five identical lines said it five times).
        grouped: dict[tuple[str, ...], list[str]] = {}
        for o in result.options:
            if o.vms_not_fitting:
                grouped.setdefault(tuple(o.vms_not_fitting), []).append(o.node_type)
        misfits = [
            {"node_type": ", ".join(types), "count": len(ids),
             "names": [name for name, _ in tables.vm_names(estate, list(ids[:MAX_MISFIT_NAMES_SHOWN]))]}
            for ids, types in grouped.items()
        ]
        parameters = tables.sizing_parameters(result, assessment.policy)
        views.append({"parameters": parameters, "misfits": misfits,
                      "source_numbers": tables.sizing_source_numbers(parameters),
                      "units": _sizing_units(result),
                      "priced": any(o.total_price is not None for o in result.options),
                      "hosts": host_count_text(result), "basis": basis_text(result),
                      "headroom": headroom_text(result), "rule": result.recommendation_rule})
    return views


# Rows of the native IaaS table in the page; the VMs sheet lists every VM.
MAX_NATIVE_ROWS_SHOWN = 200


def _native_view(assessment: Assessment) -> dict[str, Any]:
    sized = [o for o in assessment.vms if o.native_sizes]
    providers = [p.provider for p in sized[0].native_sizes] if sized else []
    rows = [{"name": o.name or o.vm_id, "vcpu": o.native_sizes[0].demand_vcpu,
             "memory": o.native_sizes[0].demand_memory_gib, "basis": o.native_sizes[0].basis,
             "picks": o.native_sizes} for o in sized[:MAX_NATIVE_ROWS_SHOWN]]
    scope_all = any(o.native_sizes and o.disposition != "replatform" for o in assessment.vms)
    return {"native_rows": rows, "native_count": len(sized), "native_providers": providers,
            "native_scope_all": scope_all}


def _parameter_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return "—" if value is None else str(value)


def render_parts(estate: Estate, assessment: Assessment, generated_at: datetime | None = None) -> Iterator[str]:
    """The report as a sequence of text pieces (page head, JSON island pieces, page tail)."""
    env = _environment()
    css = _read_resource("report.css")
    script = _read_resource("report.js")
    issues = estate.collection_issues
    placeholder = data_placeholder()
    context = {
        "estate": estate,
        "assessment": assessment,
        "summary": assessment.summary,
        "view": _summary_view(estate, assessment),
        "rules": _rules_view(assessment),
        "sizing_views": _sizing_views(estate, assessment),
        "comparison": compare_targets(assessment) if shows_comparison(assessment) else [],
        **_native_view(assessment),
        "coverage": assessment.coverage,
        "coverage_rule_count": len({gap.rule_id for gap in assessment.coverage.rules
                                    if gap not in assessment.coverage.source_limits()}),
        "source_limits": _source_limits_view(assessment),
        "site_views": _site_views(assessment),
        "issues": issues[:MAX_COLLECTION_ISSUES_SHOWN],
        "issue_count": len(issues),
        "no_issues": tables.NO_COLLECTION_ISSUES,  # the workbook's sheet says the same
        "issue_properties": Counter(issue.property or "—" for issue in issues).most_common(10),
        "reporter_version": __version__,
        "rendered_at": (generated_at or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M %Z").strip(),
        "policy": tables.policy_description(assessment.policy),
        "css": Markup(css),  # noqa: S704 - our own stylesheet shipped in the package
        "script": Markup(script),  # noqa: S704 - our own script shipped in the package
        "data_json": Markup(placeholder),  # noqa: S704 - a fixed marker, replaced below
        "csp": (
            f"default-src 'none'; script-src {_csp_hash(script)}; style-src {_csp_hash(css)}; "
            "img-src data:; base-uri 'none'; form-action 'none'"
        ),
        "donut_radius": charts.DONUT_RADIUS,
        "data_date_line": data_date_line(assessment),
        "stale_data_notice": stale_data_notice(assessment),
        "lift_and_shift_lines": [(ts.target, lift_and_shift_line(ts, assessment.summary.vm_count))
                                 for ts in assessment.summary.targets],
    }
    page = env.get_template("report.html.j2").render(context)
    head, tail = page.split(placeholder)
    yield head
    yield from vm_table_payload(estate, assessment)
    yield tail


def render_html(estate: Estate, assessment: Assessment, generated_at: datetime | None = None) -> str:
    return "".join(render_parts(estate, assessment, generated_at))


def write_html(estate: Estate, assessment: Assessment, path: str | os.PathLike[str]) -> None:
    """Render and write the report atomically, streaming the VM data in batches."""
    with atomic_write(path) as handle:
        batch: list[str] = []
        size = 0
        for piece in render_parts(estate, assessment):
            batch.append(piece)
            size += len(piece)
            # Flushed by size: a piece is anything from a few characters to 500 VMs' details.
            if size >= 1 << 20:
                handle.write("".join(batch))
                batch.clear()
                size = 0
        handle.write("".join(batch))


# Shared with other self-contained pages (scanner/diff): same escaping, filters and CSP hashing.
def template_environment() -> jinja2.Environment:
    return _environment()


def page_css(name: str) -> str:
    """The stylesheet of a standalone page (diff, plan): the shared page.css, then the page's own."""
    return _read_resource("page.css") + "\n" + _read_resource(name)


def csp_hash(text: str) -> str:
    return _csp_hash(text)
