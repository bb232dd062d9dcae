"""Concise terminal summary of an assessment (for `vmscan analyze`)."""

from __future__ import annotations

from scanner.analysis.model import METHODS, READINESS, Assessment
from scanner.analysis.sizing import format_sizing_line

TARGET_NAMES = {"avs": "Azure VMware Solution", "vmc": "VMware Cloud on AWS"}


def format_assessment(assessment: Assessment) -> str:
    s = assessment.summary
    lines = [
        f"vmscan assessment as of {assessment.as_of}: {s.vm_count} VMs ({s.powered_on} on, {s.powered_off} off, "
        f"{s.suspended} suspended, {s.templates} templates) on {s.host_count} hosts, {s.vcenter_count} vCenter(s)",
    ]
    for ts in s.targets:
        lines.append("")
        lines.append(f"{TARGET_NAMES.get(ts.target, ts.target)} ({ts.target})")
        lines.append("  readiness    " + "  ".join(f"{r}: {ts.readiness.get(r, 0)}" for r in READINESS))
        lines.append("  recommended  " + "  ".join(
            f"{m}: {n}" for m, n in ts.recommended_methods.items() if n or m != "none"))
        for method in METHODS:
            counts = ts.methods.get(method, {})
            lines.append(f"  {method:<12} " + "  ".join(f"{e}: {n}" for e, n in counts.items()))
        for sizing in (r for r in assessment.sizing if r.target == ts.target):
            lines.append("  sizing       " + format_sizing_line(sizing, with_target=False))
    lines.append("")
    lines.append("dispositions  " + "  ".join(f"{d}: {n}" for d, n in s.dispositions.items()))
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
    return "\n".join(lines)
