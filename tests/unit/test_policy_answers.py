"""evaluate_target with the policy's answers derived once (PolicyAnswers, as the engine's readiness memo
gives them) answers exactly as it does deriving them from the policy on each call."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from scanner.analysis.engine import analyze
from scanner.analysis.readiness import PolicyAnswers, applicable_methods, evaluate_target
from scanner.inputs import load_inputs
from scanner.policy import load_policy
from tests.factories import AS_OF

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-estate.json.gz"


@pytest.mark.parametrize("analysis", [
    "",
    'unknown_as = "condition"\nunavailable_in_source_as = "condition"',
    'unknown_as = "unknown"\nunavailable_in_source_as = "unknown"',
    'unknown_as = "condition"\nunavailable_in_source_as = "note"',
])
def test_answers_derived_once_give_the_same_outcomes(tmp_path: Path, analysis: str) -> None:
    import datetime as dt

    path = tmp_path / "policy.toml"
    path.write_text(f"[analysis]\n{analysis}\n", encoding="utf-8")
    policy = load_policy(str(path))
    estate, _ = load_inputs([str(SAMPLE)])
    assessment = analyze(estate, targets=None, policy=policy, as_of=dt.date.fromisoformat(AS_OF))
    answers = PolicyAnswers(policy)
    by_vm: dict[str, list] = {}
    for finding in assessment.findings:
        by_vm.setdefault(finding.vm_id, []).append(finding)
    vms = estate.all_vms()
    # Every power state and template flag the usable methods are asked for (one list per key).
    variants = [dataclasses.replace(vms[0], power_state=state, template=template)
                for state in ("powered_on", "powered_off", "suspended", None) for template in (False, True, None)]
    compared = 0
    for vm in [*vms, *variants]:
        findings = by_vm.get(vm.id, [])
        for target in assessment.targets:
            own = [f for f in findings if target in f.targets]
            assert evaluate_target(vm, own, policy, target, answers) == evaluate_target(vm, own, policy, target)
            assert answers.usable(vm, target) == applicable_methods(vm, policy, target)
            compared += 1
    assert compared > len(vms)
    assert any(evaluate_target(vm, by_vm.get(vm.id, []), policy, None).readiness != "ready" for vm in vms)
