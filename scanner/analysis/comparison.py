"""Every assessed target side by side on the same estate (issue 20): the hosts each would need and
of which node type, what binds the count, the VMs no node of the target can hold, the blockers that
hold on that target only, and the cost when the user gave prices (`--prices`).

Computed from the finished assessment only, so every reporter shows the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from scanner.analysis.model import READINESS, Assessment, NodePrice
from scanner.analysis.targets import short_label, target_name

TERMS = ("on-demand", "1-year", "3-year")
MONTHS_IN_THREE_YEARS = 36


@dataclass
class TermCost:
    term: str  # on-demand | 1-year | 3-year
    currency: str
    monthly: float  # nodes x monthly price of one node
    three_years: float  # monthly x 36


@dataclass
class TargetComparison:
    target: str
    name: str
    label: str
    readiness: dict[str, int] = field(default_factory=dict)
    node_type: str | None = None
    nodes: int | None = None
    clusters: int | None = None
    binding_resource: str | None = None
    storage_policy: str | None = None
    # VMs too large for every node type of the target, and for the recommended type.
    vms_fitting_no_node_type: int = 0
    vms_not_fitting_node_type: int = 0
    # Blocker rules failing on this target for VMs they do not block on some other assessed target:
    # (rule id, VMs), most VMs first.
    specific_blockers: list[tuple[str, int]] = field(default_factory=list)
    costs: list[TermCost] = field(default_factory=list)
    # Node types of the recommendation without a price in the price file (no cost shown for them).
    unpriced: bool = False
    # False when the assessment carries no sizing for this target (hosts are then not known).
    sized: bool = False
    notes: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)


def specific_blockers(assessment: Assessment) -> dict[str, list[tuple[str, int]]]:
    """Per target: blocker rules that fail there for a VM but not on every other assessed target."""
    failing: dict[tuple[str, str], set[str]] = defaultdict(set)  # (vm, rule) -> targets
    for finding in assessment.findings:
        if finding.status == "fail" and finding.severity == "blocker":
            failing[(finding.vm_id, finding.rule_id)].update(finding.targets)
    everywhere = set(assessment.targets)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (_vm, rule_id), targets in failing.items():
        if len(everywhere) > 1 and targets != everywhere:
            for target in targets:
                counts[target][rule_id] += 1
    return {t: sorted(c.items(), key=lambda item: (-item[1], item[0])) for t, c in counts.items()}


def term_costs(prices: list[NodePrice], target: str, node_type: str, nodes: int) -> list[TermCost]:
    mine = [p for p in prices if p.target == target and p.node_type == node_type]
    mine.sort(key=lambda p: TERMS.index(p.term) if p.term in TERMS else len(TERMS))
    return [TermCost(p.term, p.currency, round(p.monthly * nodes, 2),
                     round(p.monthly * nodes * MONTHS_IN_THREE_YEARS, 2)) for p in mine]


def shows_comparison(assessment: Assessment) -> bool:
    """The comparison is shown for two or more targets of a sized assessment."""
    return len(assessment.targets) > 1 and bool(assessment.sizing)


def compare_targets(assessment: Assessment) -> list[TargetComparison]:
    """One row per assessed target, in the assessment's target order."""
    infos = {info.id: info for info in assessment.target_info}
    readiness = {ts.target: ts.readiness for ts in assessment.summary.targets}
    blockers = specific_blockers(assessment)
    rows = []
    for target in assessment.targets:
        info = infos.get(target)
        row = TargetComparison(
            target=target, name=target_name(target, assessment.target_info),
            label=short_label(target, assessment.target_info),
            readiness={r: readiness.get(target, {}).get(r, 0) for r in READINESS},
            specific_blockers=blockers.get(target, []),
            notes=list(info.notes) if info else [], unconfirmed=list(info.unconfirmed) if info else [],
        )
        sizing = next((s for s in assessment.sizing if s.target == target), None)
        option = sizing.recommended_option() if sizing else None
        if sizing is not None:
            row.sized = True
            row.vms_fitting_no_node_type = len(sizing.vms_fitting_no_node_type)
        if option is not None:
            row.node_type, row.nodes, row.clusters = option.node_type, option.nodes, option.clusters
            row.binding_resource, row.storage_policy = option.binding_resource, option.storage_policy
            row.vms_not_fitting_node_type = len(option.vms_not_fitting)
            row.costs = term_costs(assessment.prices, target, option.node_type, option.nodes)
            row.unpriced = bool(assessment.prices) and not row.costs
        rows.append(row)
    return rows


def money(amount: float, currency: str) -> str:
    return f"{amount:,.0f} {currency}"


def cost_text(row: TargetComparison) -> str:
    if not row.costs:
        return "no price for this node type in the price file" if row.unpriced else "no price given"
    return "; ".join(f"{c.term}: {money(c.monthly, c.currency)}/month, {money(c.three_years, c.currency)} over 3 years"
                     for c in row.costs)


def hosts_text(row: TargetComparison) -> str:
    if not row.sized:
        return "not sized"
    if row.nodes is None or row.node_type is None:
        return "no node type fits"
    clusters = f" in {row.clusters} clusters" if row.clusters and row.clusters > 1 else ""
    return f"{row.nodes} x {row.node_type}{clusters}"


def blockers_text(row: TargetComparison, limit: int = 3) -> str:
    if not row.specific_blockers:
        return "none"
    shown = ", ".join(f"{rule} ({n})" for rule, n in row.specific_blockers[:limit])
    more = len(row.specific_blockers) - limit
    return shown + (f", +{more} more" if more > 0 else "")


def format_comparison_lines(assessment: Assessment) -> list[str]:
    """The terminal block: one line per target, then each target's cost and notes."""
    if not shows_comparison(assessment):
        return []
    rows = compare_targets(assessment)
    header = ("Target", "Hosts", "Binding", "Fit no node", "Not ready", "Blockers on this target only")
    table = [header] + [(row.label, hosts_text(row), row.binding_resource or "-", str(row.vms_fitting_no_node_type),
                         str(row.readiness.get("not_ready", 0)), blockers_text(row)) for row in rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(header) - 1)]
    lines = ["targets side by side (same estate, same policy; hosts include the headroom shown per target)"]
    for cells in table:
        lines.append("  " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)) + "  " + cells[-1])
    if assessment.prices:
        lines.append("  cost")
        for row in rows:
            lines.append(f"    {row.label:<{widths[0]}}  {cost_text(row)}")
    else:
        lines.append("  cost: no price file given (--prices FILE); vmscan ships no prices and shows none")
    noted = [row for row in rows if row.notes or row.unconfirmed]
    if noted:
        lines.append("  facts to weigh")
        for row in noted:
            for note in row.notes:
                lines.append(f"    {row.label}: {note}")
            if row.unconfirmed:
                lines.append(f"    {row.label}: not confirmed against current vendor docs: "
                             f"{', '.join(row.unconfirmed)}")
    return lines
