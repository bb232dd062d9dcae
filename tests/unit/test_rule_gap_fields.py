"""A rule's ``gap_field``: the VM field whose None makes its only result one unknown, the same on every
VM whatever else the VM holds - the engine then takes a vCenter's repeated note without running it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from scanner.inventory.model import VM
from scanner.policy import default_policy
from scanner.rules import load_catalogue
from scanner.rules.base import InvalidRuleError, Registry, RuleCheck, RuleContext, RuleSpec, rule
from tests.factories import AS_OF, clean_vm, unknown_vm

GAP_RULES = [spec for spec in load_catalogue().specs() if spec.gap_field]


def results_without(spec_field: str, vm: VM, check: RuleCheck) -> list[tuple[str, str, dict[str, Any]]]:
    vm = dataclasses.replace(vm)
    setattr(vm, spec_field, None)
    ctx = RuleContext(vm=vm, host=None, cluster=None, vcenter=None, networks={}, policy=default_policy(),
                      as_of=dt.date.fromisoformat(AS_OF))
    return [(r.status, r.message, r.evidence) for r in check(ctx)]


def test_the_rules_that_say_so_name_their_gap_field() -> None:
    assert {spec.id for spec in GAP_RULES} >= {"vm.vtpm", "vm.encrypted", "device.passthrough",
                                               "device.serial-port", "device.parallel-port"}


@pytest.mark.parametrize("spec", GAP_RULES, ids=lambda spec: spec.id)
def test_a_missing_gap_field_makes_one_unknown_the_same_on_every_vm(spec: RuleSpec) -> None:
    # A VM that is clean in every other respect, and one whose other data is all missing or odd.
    odd = clean_vm("vc-uuid/vm-2", name="other", vtpm=True, encrypted=True, power_state="suspended")
    assert spec.gap_field is not None
    seen = [results_without(spec.gap_field, vm, spec.check) for vm in (clean_vm(), odd, unknown_vm())]
    assert len(seen[0]) == 1 and seen[0][0][0] == "unknown"
    assert seen[1] == seen[0] and seen[2] == seen[0]


def test_a_gap_field_that_is_no_vm_field_is_refused() -> None:
    with pytest.raises(InvalidRuleError, match="gap_field"):
        rule(id="vm.example", title="t", severity="info", remediation="r", rationale="r",
             references=("https://example.com",), gap_field="no_such_field", registry=Registry())(lambda ctx: iter(()))
