"""Disposition per VM ("6 R" vocabulary): retain, retire, replatform, remediate, rehost - with reasons."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from scanner.analysis.model import Finding, RuleInfo
from scanner.inventory.model import VM
from scanner.policy import RetainPolicy


def retain_reasons(vm: VM, retain: RetainPolicy) -> list[str]:
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


def decide(vm: VM, fails: list[Finding], rules: Mapping[str, RuleInfo], retain: RetainPolicy) -> tuple[str, list[str]]:
    """Return (disposition, reasons). ``fails`` are the VM's failing findings over all targets."""
    reasons = retain_reasons(vm, retain)
    if reasons:
        return "retain", reasons
    by_rule: dict[str, Finding] = {}
    for finding in fails:
        by_rule.setdefault(finding.rule_id, finding)
    for disposition in ("retire", "replatform"):
        hits = [f"{rid}: {f.message}" for rid, f in sorted(by_rule.items()) if rules[rid].suggests == disposition]
        if hits:
            return disposition, hits
    fixes = [f"{rid}: {f.message}" for rid, f in sorted(by_rule.items())
             if rules[rid].remediable and f.severity in ("blocker", "warning")]
    if fixes:
        return "remediate", fixes
    return "rehost", []
