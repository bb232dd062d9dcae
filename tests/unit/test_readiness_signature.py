"""The readiness memo's key leaves out findings that decide nothing in evaluate_target (no methods,
neither a blocker nor a failing warning): VMs differing only in them share one TargetOutcome, and
that outcome is the one evaluate_target gives each of them."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.analysis.engine import ReadinessMemo
from scanner.analysis.model import NOT_IN_SOURCE, Finding
from scanner.analysis.readiness import METHODS, evaluate_target
from scanner.policy import load_policy
from tests.factories import clean_vm

TARGET = "avs"
# Shared per rule, as the engine shares a rule's methods between its findings.
METHOD_TABLES = [{}, {"hcx_vmotion": "blocks"}, dict.fromkeys(METHODS, "blocks"), {"hcx_bulk": "conditions"},
                 {"hcx_rav": "blocks", "hcx_cold": "conditions"}]


def finding(rule: int, status: str, severity: str, methods: int) -> Finding:
    return Finding(f"rule.r{rule}", severity, [TARGET], "vm-1", status, f"message {rule}", METHOD_TABLES[methods])


FINDINGS = st.builds(finding, st.integers(0, 5), st.sampled_from(["fail", "unknown", NOT_IN_SOURCE]),
                     st.sampled_from(["blocker", "warning", "info"]), st.integers(0, len(METHOD_TABLES) - 1))


def inert(f: Finding) -> bool:
    return not f.methods and f.severity != "blocker" and not (f.status == "fail" and f.severity == "warning")


@pytest.fixture(scope="module", params=["", 'unknown_as = "condition"\nunavailable_in_source_as = "condition"',
                                        'unavailable_in_source_as = "unknown"'])
def policy(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("policy") / "policy.toml"
    path.write_text(f"[analysis]\n{request.param}\n", encoding="utf-8")
    return load_policy(str(path))


@settings(max_examples=300, deadline=None)
@given(st.lists(FINDINGS, max_size=8), st.sampled_from(["powered_on", "powered_off", None]))
def test_findings_left_out_of_the_key_change_no_outcome(policy, findings, power_state):
    vm = clean_vm(power_state=power_state)
    kept = [f for f in findings if not inert(f)]
    assert evaluate_target(vm, findings, policy, TARGET) == evaluate_target(vm, kept, policy, TARGET)
    memo = ReadinessMemo(policy)
    assert memo.evaluate(vm, findings, TARGET) == evaluate_target(vm, findings, policy, TARGET)
    # A VM without those findings is answered from the same entry.
    assert memo.evaluate(vm, kept, TARGET) is memo.evaluate(vm, findings, TARGET)


def test_vms_differing_only_in_information_share_one_outcome(policy):
    vm = clean_vm()
    snapshot = finding(1, "fail", "warning", 3)
    information = [finding(2, "fail", "info", 0), finding(3, "unknown", "info", 0), finding(4, "unknown", "warning", 0)]
    memo = ReadinessMemo(policy)
    first = memo.evaluate(vm, [snapshot], TARGET)
    for extra in itertools.chain.from_iterable(itertools.combinations(information, n) for n in (1, 2, 3)):
        findings = [extra[0], snapshot, *extra[1:]]
        assert memo.evaluate(vm, findings, TARGET) is first
        assert evaluate_target(vm, findings, policy, TARGET) == first
    # A blocker, a failing warning or a finding with methods is part of the key.
    for deciding in (finding(5, "fail", "warning", 0), finding(5, "unknown", "blocker", 0),
                     finding(5, "fail", "info", 1)):
        assert memo.evaluate(vm, [snapshot, deciding], TARGET) is not first


def test_finding_tables_without_per_target_lists_are_the_same(policy):
    from scanner.analysis.engine import finding_tables, findings_by_target

    vm = clean_vm()
    targets = ["avs", "vmc"]
    every = list(targets)
    findings = [Finding("rule.a", "warning", every, "vm-1", "fail", "a", METHOD_TABLES[1]),
                Finding("rule.b", "info", every, "vm-1", "unknown", "b", {}),
                Finding("rule.c", "blocker", every, "vm-1", NOT_IN_SOURCE, "c", METHOD_TABLES[2])]
    given = finding_tables(vm, findings, findings_by_target(findings, targets), targets, policy, None, None)
    assert finding_tables(vm, findings, None, targets, policy, None, None) == given
    assert given.same_findings
