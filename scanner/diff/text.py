"""The terminal summary of `vmscan diff`."""

from __future__ import annotations

from scanner.diff.model import DiffResult, PairDiff

READINESS_WORDS = {"ready": "ready", "ready_with_conditions": "with conditions", "not_ready": "not ready",
                   "unknown": "unknown"}
SHOWN = 8


def format_diff(result: DiffResult) -> str:
    lines = ["Scans compared:"]
    for number, scan in enumerate(result.scans, 1):
        date = f", data of {scan.data_date[:10]}" if scan.data_date else ""
        lines.append(f"  {number}. {scan.label} ({scan.kind}{date}): {scan.vm_count} VMs, "
                     f"{scan.vms_with_blockers} with blockers")
    for target in result.targets:
        trend = " → ".join(readiness_line(scan.readiness.get(target, {})) for scan in result.scans)
        lines.append(f"  {target} readiness: {trend}")
    for pair in result.pairs:
        lines.append("")
        lines.extend(pair_lines(pair))
    return "\n".join(lines) + "\n"


def readiness_line(counts: dict[str, int]) -> str:
    return "/".join(str(counts.get(key, 0)) for key in READINESS_WORDS) if counts else "—"


def pair_lines(pair: PairDiff) -> list[str]:
    lines = [f"{pair.old} → {pair.new}:",
             f"  VMs: {len(pair.added)} added, {len(pair.removed)} removed, {len(pair.changed)} changed, "
             f"{pair.unchanged} unchanged"]
    if pair.matched_by_name:
        lines.append(f"  {pair.matched_by_name} VM(s) matched by name only (their ids differ between the scans)")
    if pair.added:
        lines.append("  added: " + names([vm.name or vm.key for vm in pair.added]))
    if pair.removed:
        lines.append("  removed: " + names([vm.name or vm.key for vm in pair.removed]))
    for change in pair.changed[:SHOWN]:
        parts = [f"{c.field} {c.old} → {c.new}" for c in change.changes]
        parts += [f"cleared {rid}" for rid in change.findings_cleared]
        parts += [f"new {rid}" for rid in change.findings_new]
        parts += [f"no longer checked {rid}" for rid in change.no_longer_checked]
        parts += [f"{t} {READINESS_WORDS.get(old or '', old)} → {READINESS_WORDS.get(new or '', new)}"
                  for t, (old, new) in change.readiness.items()]
        lines.append(f"  ~ {change.name or change.key}: " + "; ".join(parts))
    if len(pair.changed) > SHOWN:
        lines.append(f"  … and {len(pair.changed) - SHOWN} more changed VMs (see the reports)")
    moving = [d for d in pair.rules if d.cleared or d.appeared or d.no_longer_checked]
    if moving:
        lines.append("  findings (VMs failing before → now; cleared / new):")
        for delta in moving[:SHOWN]:
            extra = f", {delta.no_longer_checked} no longer checked" if delta.no_longer_checked else ""
            lines.append(f"    {delta.rule_id} [{delta.severity}]: {delta.vms_old} → {delta.vms_new} "
                         f"(−{delta.cleared} / +{delta.appeared}{extra})")
    for target, (old, new) in pair.sizing.items():
        lines.append(f"  sizing {target}: {old or '—'} → {new or '—'}")
    if pair.not_comparable:
        lines.append("  not comparable (one input does not carry it): " + ", ".join(pair.not_comparable))
    return lines


def names(items: list[str]) -> str:
    shown = ", ".join(items[:SHOWN])
    return shown + (f" and {len(items) - SHOWN} more" if len(items) > SHOWN else "")
