"""Disposition per VM and target (migration "R" vocabulary) with reasons, and its one-line verdict.

retain (policy) > retire > refactor > replatform > remediate > rehost. Which disposition a failing
rule steers to is data: targets.toml [disposition.rules] (vendor facts: what the target can host),
else the rule's own metadata (``suggests``, overridable per rule by a policy file), else remediate
when an administrator can fix it on the VM. A VM with no failing finding is rehost: lift-and-shift
as is.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scanner.analysis.model import Finding, RuleInfo, TargetSummary, share_text
from scanner.inventory.model import VM
from scanner.policy import Policy, RetainPolicy

# From the most to the least demanding (the first that applies wins).
STEERED = ("retire", "refactor", "replatform", "remediate")
# Best first: what a VM moving to several possible targets is judged by.
FAVOURABLE = ("rehost", "remediate", "replatform", "refactor", "retire", "retain")
VERDICTS = {
    "rehost": "lift-and-shift as is",
    "remediate": "lift-and-shift after remediation",
    "replatform": "replatform",
    "refactor": "refactor",
    "retire": "retire",
    "retain": "retain",
}
LIFT_AND_SHIFT = ("rehost", "remediate")


@dataclass(frozen=True)
class DispositionRule:
    """A rule's steer from [disposition.rules]: applies when the finding's evidence matches ``when``."""

    disposition: str
    why: str
    when: Mapping[str, tuple[str, ...]]
    source: str

    def applies(self, finding: Finding) -> bool:
        return all(str(finding.evidence.get(key)) in values for key, values in self.when.items())


def disposition_rules(policy: Policy) -> dict[str, DispositionRule]:
    def build() -> dict[str, DispositionRule]:
        raw: dict[str, Any] = policy.data.get("disposition", {}).get("rules", {})
        return {
            rule_id: DispositionRule(
                disposition=str(entry["disposition"]), why=str(entry.get("why", "")),
                when={str(k): tuple(str(v) for v in (vs if isinstance(vs, list) else [vs]))
                      for k, vs in dict(entry.get("when", {})).items()},
                source=str(entry.get("source", "")))
            for rule_id, entry in raw.items()
        }

    result: dict[str, DispositionRule] = policy.cached("disposition_rules", build)
    return result


def retain_reasons(vm: VM, retain: RetainPolicy) -> list[str]:
    if not (retain.name_patterns or retain.folders or retain.custom_attributes):
        return []  # the usual policy retains nothing: no VM text to read
    reasons = []
    name = (vm.name or "").lower()
    for pattern in retain.name_patterns:
        if fnmatch.fnmatchcase(name, pattern.lower()):
            reasons.append(f"policy retain: name matches {pattern!r}")
    folder = (vm.folder_path or "").rstrip("/").lower()
    for wanted in retain.folders:
        prefix = wanted.rstrip("/").lower()
        if folder and (folder == prefix or folder.startswith(prefix + "/")):
            reasons.append(f"policy retain: in folder {wanted!r}")
    attributes = {k.lower(): v for k, v in (vm.custom_attributes or {}).items()}
    for key, value in retain.custom_attributes.items():
        seen = attributes.get(key.lower())
        if seen is not None and seen.strip().lower() == value.strip().lower():
            reasons.append(f"policy retain: custom attribute {key}={value!r}")
    return reasons


def steer(finding: Finding, rule: RuleInfo, steers: Mapping[str, DispositionRule]) -> tuple[str | None, str]:
    """(disposition or None, why) one failing finding points to."""
    data = steers.get(finding.rule_id)
    # A policy override of the rule's disposition (rules."<id>".disposition) beats the shipped data.
    if data is not None and not rule.disposition_overridden and data.applies(finding):
        return data.disposition, data.why
    if rule.suggests:
        return rule.suggests, ""
    if rule.remediable and finding.severity in ("blocker", "warning"):
        return "remediate", ""
    return None, ""


def decide(vm: VM, fails: list[Finding], rules: Mapping[str, RuleInfo], retain: RetainPolicy,
           steers: Mapping[str, DispositionRule] | None = None,
           retained: list[str] | None = None) -> tuple[str, list[str]]:
    """Return (disposition, reasons) for ``fails``, the VM's failing findings (one target's, or all).

    ``retained``: ``retain_reasons(vm, retain)`` when the caller has it already (it is the VM's alone).
    """
    reasons = list(retained) if retained is not None else retain_reasons(vm, retain)
    if reasons:
        return "retain", reasons
    if not fails:
        return "rehost", []  # what the steps below give for no failure
    steered: dict[str, list[str]] = {d: [] for d in STEERED}
    seen: set[tuple[str, str]] = set()
    for finding in sorted(fails, key=lambda f: f.rule_id):
        disposition, why = steer(finding, rules[finding.rule_id], steers or {})
        if disposition not in steered:
            continue
        text = f"{finding.rule_id}: {finding.message}" + (f" ({why})" if why else "")
        if (disposition, finding.rule_id) in seen:
            continue  # one reason per rule (the first finding names it)
        seen.add((disposition, finding.rule_id))
        steered[disposition].append(text)
    for disposition in STEERED:
        if steered[disposition]:
            return disposition, steered[disposition]
    return "rehost", []


UNVERIFIED = " (not verified: readiness unknown, the input lacks data the checks need)"


def verdict_line(disposition: str, reasons: list[str], readiness_unknown: bool = False) -> str:
    """"refactor: device.usb: USB device ... (why)" - the one line a stakeholder reads.

    A lift-and-shift verdict on a VM whose readiness is unknown says it is not verified: "as is" must
    not read as a clean bill of health when checks could not run.
    """
    words = VERDICTS.get(disposition, disposition)
    if readiness_unknown and disposition in LIFT_AND_SHIFT:
        words += UNVERIFIED
    return f"{words}: {'; '.join(reasons)}" if reasons else words


def most_favourable(by_target: Mapping[str, tuple[str, list[str]]]) -> tuple[str, list[str]]:
    """The VM's overall disposition: the best any assessed target allows (the move goes there)."""
    return min(by_target.values(), key=lambda item: FAVOURABLE.index(item[0]))


def lift_and_shift_line(target_summary: TargetSummary, vm_count: int) -> str:
    """"412 of 520 VMs (79.2%) can be lifted and shifted: 300 as is, 112 after remediation; 60 replatform, ...\""""
    counts = target_summary.dispositions
    share = share_text(target_summary.lift_and_shift_share)
    rest = [f"{counts.get(d, 0)} {VERDICTS[d]}" for d in ("replatform", "refactor", "retire", "retain")]
    unknown = target_summary.readiness.get("unknown", 0)
    unverified = f" (readiness unknown for {unknown}: not verified, see Data coverage)" if unknown else ""
    return (f"{target_summary.lift_and_shift} of {vm_count} VMs ({share}) can be lifted and shifted{unverified}: "
            f"{counts.get('rehost', 0)} as is, {counts.get('remediate', 0)} after remediation; " + ", ".join(rest))
