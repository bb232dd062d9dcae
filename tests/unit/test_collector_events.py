"""Power-off dates from vCenter events: the pure mapping, and the collector-reading loop with a fake server."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pyVmomi import vim, vmodl

from scanner.collector import events
from scanner.collector.events import PowerEvent, history_start, power_event, power_off_dates

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def at(days: int) -> dt.datetime:
    return T0 + dt.timedelta(days=days)


def ev(moref: str, event_type: str, days: int, key: int = 0) -> PowerEvent:
    return PowerEvent(vm_moref=moref, event_type=event_type, created=at(days), key=key)


def test_latest_power_off_is_the_date():
    result = power_off_dates(
        [ev("vm-1", "VmPoweredOffEvent", 1), ev("vm-1", "VmPoweredOnEvent", 5), ev("vm-1", "VmPoweredOffEvent", 9)],
        ["vm-1"], at(0),
    )
    assert result.since == {"vm-1": "2026-01-10T00:00:00Z"}
    assert result.before == {} and result.contradicted == {}


def test_order_of_events_does_not_matter():
    items = [ev("vm-1", "VmPoweredOffEvent", 9), ev("vm-1", "VmPoweredOnEvent", 5), ev("vm-1", "VmPoweredOffEvent", 1)]
    assert power_off_dates(items, ["vm-1"], at(0)).since == power_off_dates(items[::-1], ["vm-1"], at(0)).since


def test_guest_shutdown_then_power_off_takes_the_later():
    result = power_off_dates([ev("vm-1", "VmGuestShutdownEvent", 3), ev("vm-1", "VmPoweredOffEvent", 4)],
                             ["vm-1"], None)
    assert result.since == {"vm-1": "2026-01-05T00:00:00Z"}


def test_power_on_after_the_last_power_off_claims_no_date():
    result = power_off_dates([ev("vm-1", "VmPoweredOffEvent", 1), ev("vm-1", "VmPoweredOnEvent", 2)], ["vm-1"], at(0))
    assert result.since == {} and result.before == {}
    assert result.contradicted == {"vm-1": "2026-01-03T00:00:00Z"}


def test_equal_timestamps_are_ordered_by_event_key():
    result = power_off_dates([ev("vm-1", "VmPoweredOffEvent", 2, key=11), ev("vm-1", "VmPoweredOnEvent", 2, key=10)],
                             ["vm-1"], None)
    assert result.since == {"vm-1": "2026-01-03T00:00:00Z"}


def test_created_and_never_powered_on_is_off_since_creation():
    assert power_off_dates([ev("vm-1", "VmClonedEvent", 7)], ["vm-1"], at(0)).since == {"vm-1": "2026-01-08T00:00:00Z"}


def test_registered_vm_is_off_since_before_its_registration():
    result = power_off_dates([ev("vm-1", "VmRegisteredEvent", 7)], ["vm-1"], at(0))
    assert result.since == {} and result.before == {"vm-1": "2026-01-08T00:00:00Z"}


def test_no_event_means_off_since_before_the_history():
    result = power_off_dates([ev("vm-2", "VmPoweredOffEvent", 3)], ["vm-1", "vm-2"], at(1))
    assert result.before == {"vm-1": "2026-01-02T00:00:00Z"}
    assert result.since == {"vm-2": "2026-01-04T00:00:00Z"}


def test_no_event_and_no_known_history_start_claims_nothing():
    result = power_off_dates([], ["vm-1"], None)
    assert (result.since, result.before, result.contradicted) == ({}, {}, {})


def test_only_the_powered_off_vms_are_answered():
    assert power_off_dates([ev("vm-9", "VmPoweredOffEvent", 3)], ["vm-1"], None).since == {}


def test_history_start_is_the_oldest_event_seen_never_before_the_window():
    assert history_start(at(0), [at(5), at(3), at(9)]) == at(3)
    assert history_start(at(4), [at(3)]) == at(4)
    assert history_start(at(0), []) is None
    # pyVmomi returns naive datetimes in UTC.
    assert history_start(at(0), [dt.datetime(2026, 1, 6)]) == at(5)


def vm_event(cls: type, moref: str, when: dt.datetime, key: int = 1) -> Any:
    vm = vim.VirtualMachine(moref)
    return cls(key=key, chainId=key, createdTime=when, userName="u",
               vm=vim.event.VmEventArgument(name=moref, vm=vm))


def test_power_event_from_pyvmomi_objects():
    mapped = power_event(vm_event(vim.event.VmPoweredOffEvent, "vm-7", dt.datetime(2026, 2, 1, 8), key=42))
    assert mapped == PowerEvent("vm-7", "VmPoweredOffEvent", dt.datetime(2026, 2, 1, 8, tzinfo=dt.UTC), 42)
    assert power_event(vm_event(vim.event.VmReconfiguredEvent, "vm-7", dt.datetime(2026, 2, 1))) is None
    no_vm = vim.event.VmPoweredOffEvent(key=1, chainId=1, createdTime=dt.datetime(2026, 2, 1), userName="u")
    assert power_event(no_vm) is None


class FakeCollector:
    def __init__(self, items: list[Any], fail_after: int | None = None) -> None:
        self.items = items
        self.position = 0
        self.calls: list[tuple[str, int]] = []
        self.destroyed = False
        self.fail_after = fail_after

    def SetCollectorPageSize(self, maxCount: int) -> None:
        self.calls.append(("SetCollectorPageSize", maxCount))

    def ReadNextEvents(self, maxCount: int) -> list[Any]:
        self.calls.append(("ReadNextEvents", maxCount))
        if self.fail_after is not None and self.position >= self.fail_after:
            raise vmodl.fault.SystemError(msg="boom")
        page = self.items[self.position:self.position + maxCount]
        self.position += len(page)
        return page

    def DestroyCollector(self) -> None:
        self.destroyed = True


class FakeEventManager:
    def __init__(self, collectors: list[FakeCollector]) -> None:
        self.collectors = collectors
        self.specs: list[Any] = []

    def CreateCollectorForEvents(self, filter: Any) -> FakeCollector:
        self.specs.append(filter)
        return self.collectors[len(self.specs) - 1]


class FakeContent:
    def __init__(self, manager: FakeEventManager) -> None:
        self.eventManager = manager
        self.rootFolder = vim.Folder("group-d1")


def test_read_power_events_pages_to_the_end_and_probes_the_history_start():
    now = at(500)
    typed = [vm_event(vim.event.VmPoweredOffEvent, f"vm-{i}", at(200 + i), key=i) for i in range(2500)]
    oldest_any = vim.event.GeneralUserEvent(key=1, chainId=1, createdTime=at(150), userName="u", message="x")
    manager = FakeEventManager([FakeCollector(typed), FakeCollector([*typed[:5], oldest_any, *typed])])
    pages: list[int] = []
    found, start = events.read_power_events(FakeContent(manager), now, pages.append)
    assert len(found) == 2500 and pages == [1000, 2000, 2500]
    assert start == at(150)
    typed_spec, probe_spec = manager.specs
    assert sorted(typed_spec.eventTypeId) == sorted(events.EVENT_TYPES)
    assert not probe_spec.eventTypeId
    for spec in manager.specs:
        assert spec.entity.recursion == "all" and spec.entity.entity._moId == "group-d1"
        assert spec.time.beginTime == now - dt.timedelta(days=events.EVENT_WINDOW_DAYS)
    typed_collector, probe = manager.collectors
    # One page of the unfiltered history is enough to find its start.
    assert probe.calls == [("SetCollectorPageSize", 1000), ("ReadNextEvents", 1000)]
    assert typed_collector.destroyed and probe.destroyed


def test_empty_history_has_no_known_start():
    now = at(500)
    manager = FakeEventManager([FakeCollector([]), FakeCollector([])])
    found, start = events.read_power_events(FakeContent(manager), now)
    assert found == [] and start is None


def test_collector_is_destroyed_when_a_read_fails():
    typed = [vm_event(vim.event.VmPoweredOffEvent, "vm-1", at(1))] * 1500
    collector = FakeCollector(typed, fail_after=1000)
    with pytest.raises(vmodl.fault.SystemError):
        events.read_power_events(FakeContent(FakeEventManager([collector])), at(10))
    assert collector.destroyed


def collector_with(vms: list[Any]) -> Any:
    from types import SimpleNamespace

    from scanner.collector.collect import _Collector

    about = SimpleNamespace(instanceUuid="vc-uuid", version="7.0.3", build="1", fullName="vc", apiVersion="7.0")
    collector = _Collector(SimpleNamespace(about=about), "vc01", 100, None)
    collector.vcenter.vms = vms
    return collector


def test_unreadable_events_leave_dates_unknown_with_an_issue(monkeypatch: pytest.MonkeyPatch):
    from scanner.inventory.model import VM

    def refused(content: Any, now: dt.datetime, on_page: Any = None) -> Any:
        raise vim.fault.NoPermission(msg="no", privilegeId="System.View")

    monkeypatch.setattr(events, "read_power_events", refused)
    off = VM(id="vc-uuid/vm-1", moref="vm-1", name="old", power_state="powered_off")
    collector = collector_with([off])
    collector._power_off_dates()
    assert (off.powered_off_since, off.powered_off_before) == (None, None)
    assert collector.vcenter.source_detail == {"power_events": "not read"}
    (issue,) = collector.issues
    assert issue.property == "powered_off_since" and "NoPermission" in issue.message


def test_dates_go_to_the_powered_off_vms_only(monkeypatch: pytest.MonkeyPatch):
    from scanner.inventory.model import VM

    found = [ev("vm-1", "VmPoweredOffEvent", 3), ev("vm-2", "VmPoweredOffEvent", 4), ev("vm-3", "VmPoweredOnEvent", 5)]
    monkeypatch.setattr(events, "read_power_events", lambda content, now, on_page=None: (found, at(1)))
    vms = [VM(id=f"vc-uuid/vm-{i}", moref=f"vm-{i}", name=f"vm{i}", power_state=state)
           for i, state in ((1, "powered_off"), (2, "powered_on"), (3, "powered_off"), (4, "powered_off"))]
    collector = collector_with(vms)
    collector._power_off_dates()
    assert [(vm.powered_off_since, vm.powered_off_before) for vm in vms] == [
        ("2026-01-04T00:00:00Z", None), (None, None), (None, None), (None, "2026-01-02T00:00:00Z")]
    assert collector.vcenter.source_detail == {"power_events": "read", "power_events_since": "2026-01-02T00:00:00Z"}
    (issue,) = collector.issues  # vm-3: powered on after its last recorded power-off
    assert issue.object_id == "vc-uuid/vm-3" and "power-on at 2026-01-06T00:00:00Z" in issue.message


def test_no_powered_off_vm_reads_no_events(monkeypatch: pytest.MonkeyPatch):
    from scanner.inventory.model import VM

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("events read without a powered-off VM")

    monkeypatch.setattr(events, "read_power_events", never)
    collector = collector_with([VM(id="vc-uuid/vm-1", moref="vm-1", power_state="powered_on")])
    collector._power_off_dates()
    assert collector.vcenter.source_detail == {}
