"""Why vm.powered-off-long could not be evaluated: vCenter events, never permissions."""

from __future__ import annotations

import datetime as dt

from scanner.analysis.engine import analyze
from scanner.inventory.model import VM, Estate
from tests.factories import AS_OF, clean_vm, estate_of

AS_OF_DATE = dt.date.fromisoformat(AS_OF)


def power_off_gap(estate: Estate):
    (gap,) = [g for g in analyze(estate, as_of=AS_OF_DATE).coverage.rules if g.rule_id == "vm.powered-off-long"]
    return gap


def vcenter_estate(vm: VM, **source_detail: str) -> Estate:
    estate = estate_of(vm)
    estate.vcenters[0].source_kind = "vcenter"
    estate.vcenters[0].source_detail = dict(source_detail)
    return estate


def test_short_event_history_names_the_retention_not_permissions():
    vm = clean_vm(power_state="powered_off", powered_off_before="2026-11-01T00:00:00Z")
    gap = power_off_gap(vcenter_estate(vm, power_events="read", power_events_since="2026-11-01T00:00:00Z"))
    assert gap.data == "power-off date (vCenter events)"
    assert "event history" in gap.reason and "event.maxAge" in gap.fix
    assert "account" not in gap.fix and "permission" not in gap.reason


def test_events_read_without_a_usable_power_off():
    gap = power_off_gap(vcenter_estate(clean_vm(power_state="powered_off"), power_events="read"))
    assert gap.reason == "no usable power-off event in vCenter's event history"


def test_events_not_read_says_so():
    gap = power_off_gap(vcenter_estate(clean_vm(power_state="powered_off")))
    assert gap.reason == "vCenter events not read by the collection"
    assert "account" not in gap.fix


def test_rvtools_input_has_no_power_off_date():
    estate = estate_of(clean_vm(power_state="powered_off"))
    estate.vcenters[0].source_kind = "rvtools"
    gap = power_off_gap(estate)
    assert gap.reason == "power-off date (vCenter events) not available from RVTools input"
    assert "vmscan collect" in gap.fix
