"""Concise terminal summary of an assessment (for `vmscan analyze`)."""

from __future__ import annotations

from scanner.analysis.comparison import format_comparison_lines
from scanner.analysis.coverage import FIX_COLLECT, collect_live_fix
from scanner.analysis.dates import data_date_line, stale_data_notice
from scanner.analysis.disposition import lift_and_shift_line
from scanner.analysis.model import METHODS, READINESS, Assessment, Coverage
from scanner.analysis.sizing import basis_text, format_sizing_lines
from scanner.analysis.targets import target_name

READINESS_WORDS = {"ready": "ready", "ready_with_conditions": "ready with conditions", "not_ready": "not ready",
                   "unknown": "unknown"}


def estate_line(assessment: Assessment) -> str:
    """The first line of every assessment summary: date, VMs, power states, hosts, vCenters."""
    s = assessment.summary
    return (f"vmscan assessment as of {assessment.as_of}: {plural(s.vm_count, 'VM')} ({s.powered_on} on, "
            f"{s.powered_off} off, {s.suspended} suspended, {plural(s.templates, 'template')}) on "
            f"{plural(s.host_count, 'host')}, {plural(s.vcenter_count, 'vCenter')}")


def format_headline(assessment: Assessment, directory: str, files: list[str]) -> str:
    """The short closing summary of `report`, `scan` and `demo`: the estate line of `analyze`, then
    per target the readiness counts and recommended hosts, then where the files are."""
    lines = [estate_line(assessment)]
    notice = stale_data_notice(assessment)
    if notice:
        lines.append(f"WARNING: {notice}")
    for ts in assessment.summary.targets:
        counts = ", ".join(f"{ts.readiness.get(r, 0)} {READINESS_WORDS[r]}" for r in READINESS
                           if ts.readiness.get(r, 0) or r != "unknown")
        hosts = ""
        for sizing in (r for r in assessment.sizing if r.target == ts.target):
            option = sizing.recommended_option()
            hosts = (f"; recommended {plural(option.nodes, 'host')} ({option.node_type}, {basis_text(sizing)})"
                     if option is not None else "; no node type can be recommended")
        lines.append(f"  {target_name(ts.target, assessment.target_info)}: {counts}{hosts}")
    lines.append(f"reports in {directory}: {', '.join(files)}")
    return "\n".join(lines)


def format_assessment(assessment: Assessment) -> str:
    s = assessment.summary
    lines = [estate_line(assessment), data_date_line(assessment)]
    notice = stale_data_notice(assessment)
    if notice:
        lines.append(f"WARNING: {notice}")
    lines.extend(source_limits_lines(assessment.coverage))
    for ts in s.targets:
        lines.append(f"lift-and-shift to {ts.target.upper()}: {lift_and_shift_line(ts, s.vm_count)}")
    for ts in s.targets:
        lines.append("")
        lines.append(f"{target_name(ts.target, assessment.target_info)} ({ts.target})")
        lines.append("  readiness    " + "  ".join(f"{r}: {ts.readiness.get(r, 0)}" for r in READINESS))
        lines.append("  recommended  " + "  ".join(
            f"{m}: {n}" for m, n in ts.recommended_methods.items() if n or m != "none"))
        for method in METHODS:
            counts = ts.methods.get(method, {})
            lines.append(f"  {method:<12} " + "  ".join(f"{e}: {n}" for e, n in counts.items()))
        for sizing in (r for r in assessment.sizing if r.target == ts.target):
            first, *more = format_sizing_lines(sizing, with_target=False)
            lines.append("  sizing       " + first)
            lines.extend("               " + line for line in more)
    comparison = format_comparison_lines(assessment)
    if comparison:
        lines.append("")
        lines.extend(comparison)
    lines.append("")
    lines.append("dispositions  " + "  ".join(f"{d}: {n}" for d, n in s.dispositions.items())
                 + "  (each VM's most favourable target)")
    lines.extend(format_site_tasks(assessment))
    if s.top_blockers:
        lines.append("")
        lines.append("top blockers (VMs)")
        for rc in s.top_blockers:
            lines.append(f"  {rc.vm_count:>6}  {rc.rule_id:<30} {rc.title}")
    warnings = [rc for rc in s.top_findings if rc.severity != "blocker"][:5]
    if warnings:
        lines.append("")
        lines.append("top other findings (VMs)")
        for rc in warnings:
            lines.append(f"  {rc.vm_count:>6}  {rc.rule_id:<30} {rc.title}")
    lines.extend(format_coverage(assessment))
    return "\n".join(lines)


SITE_HEADINGS = {
    "prerequisite": "site prerequisites (once for the estate; the VMs' readiness above is as after them)",
    "network": "site network tasks (port groups HCX Network Extension cannot extend; re-address or move to a "
               "distributed switch)",
}
SITE_TASKS_SHOWN = 10


def format_site_tasks(assessment: Assessment) -> list[str]:
    """Site tasks, once each with its VM count, apart from the per-VM readiness above."""
    lines: list[str] = []
    for kind, heading in SITE_HEADINGS.items():
        tasks = [t for t in assessment.site_tasks if t.kind == kind]
        if not tasks:
            continue
        found = [t for t in tasks if t.status == "fail"]
        vms = len({vm for t in found for vm in t.vm_ids})
        counts = [f"{len(found)} found ({plural(vms, 'VM')})"] if found else []
        if len(tasks) > len(found):
            counts.append(f"{len(tasks) - len(found)} to verify (data missing)")
        lines += ["", f"{heading}: {', '.join(counts)}"]
        for task in tasks[:SITE_TASKS_SHOWN]:
            verb = {"fail": "", "unknown": "verify: ", "not_in_source": "verify (not in source): "}.get(task.status, "")
            lines.append(f"  {len(task.vm_ids):>6}  {task.rule_id:<22} {verb}{task.message}")
        if len(tasks) > SITE_TASKS_SHOWN:
            lines.append(f"  + {len(tasks) - SITE_TASKS_SHOWN} more (report: Site tasks)")
        actions = list(dict.fromkeys(t.action for t in tasks if t.status == "fail"))
        lines.extend(f"  what to do: {action}" for action in actions)
    return lines


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def source_limits(coverage: Coverage) -> tuple[list[str], list[str]]:
    """(data, rule ids) the input format cannot answer and the policy leaves out of readiness."""
    gaps = coverage.source_limits()
    data = list(dict.fromkeys(g.data for g in gaps))
    return data, sorted({g.rule_id for g in gaps})


def source_limits_lines(coverage: Coverage) -> list[str]:
    """Stated once, at the top: checks this input format cannot make and how to close them."""
    data, rule_ids = source_limits(coverage)
    if not rule_ids:
        return []
    return [
        f"not in this source: {len(rule_ids)} check(s) the input format cannot make ({', '.join(data)}); "
        "they change no VM's readiness or method",
        f"  to close them: collect live (`vmscan collect`), or verify in vCenter: {', '.join(rule_ids)}",
    ]


def source_only_block(coverage: Coverage) -> list[str]:
    """Every check the input can answer was evaluated: name the inputs and how to close the rest."""
    _, rule_ids = source_limits(coverage)
    lines = ["", f"data coverage: every check this input can answer was evaluated; {len(rule_ids)} check(s) not in "
             "this source (see the top)"]
    for entry in coverage.inputs:
        if entry.not_in_source:
            lines.append(f"  {entry.input or entry.vcenter} ({entry.vcenter}, {entry.vm_count} VMs): not available "
                         f"from this input: {', '.join(entry.not_in_source)}")
    return lines


def format_coverage(assessment: Assessment) -> list[str]:
    """The "could not evaluate" block: which data was missing, where from, and what to do."""
    coverage: Coverage = assessment.coverage
    limits = coverage.source_limits()
    gaps_counted = [g for g in coverage.rules if g not in limits]
    if not coverage.rules:
        return []
    if not gaps_counted:
        return source_only_block(coverage)
    all_conditions = coverage.unknown_as == "condition"
    vms = sum(i.vms_with_unknowns for i in coverage.inputs)
    rule_count = len({g.rule_id for g in gaps_counted})
    per_target = ", ".join(
        f"{ts.readiness.get('unknown', 0)} ({ts.target})" for ts in assessment.summary.targets)
    # Gaps that left readiness unknown, and gaps the policy counts as conditions to verify (also
    # those still pending on VMs whose readiness another gap left unknown).
    open_gaps = [g for g in coverage.rules if g.vm_count_readiness and not coverage.counts_as_condition(g)]
    accepted = [g for g in coverage.rules
                if (g.vm_count_readiness or g.vm_count_pending) and coverage.counts_as_condition(g)]
    deciding = open_gaps + accepted
    effects = []
    if open_gaps:
        effects.append(f"; readiness unknown for {per_target}")
    if accepted and all_conditions:
        effects.append(" - counted as conditions to verify (policy [analysis] unknown_as = \"condition\")")
    elif accepted:
        effects.append(f"{';' if open_gaps else ' -'} data RVTools never exports counts as conditions to "
                       "verify in vCenter")
    effect = "".join(effects) or "; readiness not affected"
    lines = ["", f"could not evaluate: {rule_count} rule(s) lacked data on {vms} VM(s){effect}"]
    if limits:
        _, limit_ids = source_limits(coverage)
        lines.append(f"  + {len(limit_ids)} check(s) not in this source (see the top; no readiness effect)")
    for entry in coverage.inputs:
        notes = []
        if entry.needed_tabs:
            notes.append(f"no {', '.join(entry.needed_tabs)} tab(s) in the export")
        if entry.unmatched_hosts:
            notes.append(f"host(s) in vInfo but not in vHost: {', '.join(entry.unmatched_hosts)}")
        if entry.not_in_source:
            notes.append(f"not available from RVTools input: {', '.join(entry.not_in_source)}")
        if notes:
            lines.append(f"  {entry.input or entry.vcenter} ({entry.vcenter}, {entry.vm_count} VMs)")
            lines.extend(f"    {note}" for note in notes)
    for gaps, heading in (
        (open_gaps, "rules that left readiness unknown (VMs)"),
        (accepted, "checks not verified, counted as conditions (VMs)" if all_conditions
         else "not verifiable from RVTools, counted as conditions to verify in vCenter (VMs)"),
    ):
        if gaps:
            lines.append(f"  {heading}")
            for gap in gaps:
                examples = f" ({', '.join(gap.examples)})" if gap.examples else ""
                count = gap.vm_count_readiness + gap.vm_count_pending
                lines.append(f"  {count:>6}  {gap.rule_id:<30} {gap.reason}{examples}")
    others = sorted({g.rule_id for g in gaps_counted} - {g.rule_id for g in deciding})
    if others:
        # With no list above, name them: a consultant should not need the JSON to learn which.
        named = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
        lead = f"+ {len(others)} other rule(s)" if deciding else named
        lines.append(f"  {lead} not evaluated on some VMs without deciding readiness (see the report's Data "
                     "coverage section or the assessment JSON)")
    if not deciding and len(lines) == 3 + bool(limits):
        return lines  # a minor gap: the header and the pointer say enough
    # One "collect live" line for the estate: inputs of different RVTools versions lack different data.
    unanswerable = {data for entry in coverage.inputs for data in entry.not_in_source}
    live = collect_live_fix(unanswerable) if unanswerable else None
    fixes = list(dict.fromkeys(live if live and fix.startswith(FIX_COLLECT) else fix
                               for entry in coverage.inputs for fix in entry.fixes))
    if not fixes:
        fixes = list(dict.fromkeys(g.fix for g in deciding or coverage.rules))
    unverifiable = [g for g in accepted if g.not_in_source]
    if unverifiable and not all_conditions:
        data = ", ".join(dict.fromkeys(g.data for g in unverifiable))
        where = "" if any(g.vm_count_pending for g in unverifiable) else " (listed per VM in the readiness reasons)"
        fixes.append(f"verify in vCenter before migrating: {data} - RVTools does not export them{where}")
    live_only = sorted({g.rule_id for g in open_gaps if g.data in unanswerable})
    if live_only:
        fixes.append(f"note: a re-export alone leaves readiness unknown while {', '.join(live_only)} cannot be "
                     "evaluated from RVTools input (policy [analysis] unavailable_in_source_as = \"unknown\"; the "
                     "default \"condition\" counts them as conditions to verify in vCenter)")
    elif open_gaps and unverifiable:
        fixes.append(f"note: after a re-export, {', '.join(sorted({g.rule_id for g in unverifiable}))} still "
                     "cannot be evaluated from RVTools input: at best ready_with_conditions, verified in vCenter")
    if open_gaps:
        fixes.append("or, accepting partial data knowingly: set [analysis] unknown_as = \"condition\" in a "
                     "--policy file (see docs/policy.md)")
    lines.append("  what to do")
    lines.extend(f"    - {fix}" for fix in fixes)
    return lines
