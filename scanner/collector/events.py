"""How long powered-off VMs have been off, from vCenter's event history (read-only).

vCenter records a ``VmPoweredOffEvent`` whenever a VM powers off (whether through the API, from
inside the guest or by the host) and keeps its events for ``event.maxAge`` days (vCenter Server
settings, 30 by default). One event history collector over the whole inventory reads the power
events of the last :data:`EVENT_WINDOW_DAYS` days; each powered-off VM's latest one says since
when it has been off. A VM whose power-off is older than the history has no event at all: it is
then known only to have been off since *before* the start of the history (``powered_off_before``),
which is still enough to call it a retire candidate when that start is older than the threshold.

The mapping (:func:`power_off_dates`) is pure and unit-tested; :func:`read_power_events` does the
SOAP calls. Correctness never depends on the order in which the server returns events.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import http.client
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pyVmomi import vim, vmodl

from scanner.collector.mappers import iso_utc

# Event types and what they say about the VM's power state from their time on.
# VmGuestShutdownEvent is the guest shutdown vCenter asked for; vCenter logs the
# VmPoweredOffEvent when the VM is actually off, so the later of the two is the power-off time.
POWER_OFF_EVENTS = ("VmPoweredOffEvent", "VmGuestShutdownEvent")
# A power-on after the latest power-off means the last power-off was not recorded (or the
# history is inconsistent): no date is claimed then.
POWER_ON_EVENTS = ("VmPoweredOnEvent",)
# A VM created by these is off from its creation until its first power-on.
CREATED_EVENTS = ("VmCreatedEvent", "VmClonedEvent", "VmDeployedEvent")
# A VM registered (or discovered with its host) was already off then, for an unknown time before.
APPEARED_EVENTS = ("VmRegisteredEvent", "VmDiscoveredEvent")
EVENT_TYPES = (*POWER_OFF_EVENTS, *POWER_ON_EVENTS, *CREATED_EVENTS, *APPEARED_EVENTS)

# How far back to read: a year and a bit covers any sensible retire threshold and bounds the work
# on a vCenter that keeps its events for years.
EVENT_WINDOW_DAYS = 400
# Events per ReadNextEvents call, and the collector's page size (the vSphere maximum).
EVENT_PAGE_SIZE = 1000


@dataclasses.dataclass(frozen=True)
class PowerEvent:
    """One power-related event of one VM, reduced to what the mapping needs."""

    vm_moref: str
    event_type: str
    created: datetime.datetime  # aware, UTC
    key: int = 0  # vCenter's event key: increasing, breaks ties between equal timestamps


@dataclasses.dataclass
class PowerOffDates:
    since: dict[str, str] = dataclasses.field(default_factory=dict)  # moref -> ISO time
    before: dict[str, str] = dataclasses.field(default_factory=dict)  # moref -> ISO time
    # Powered-off VMs whose latest power event is a power-on: no date can be claimed.
    contradicted: dict[str, str] = dataclasses.field(default_factory=dict)  # moref -> ISO time of the power-on


def _utc(value: datetime.datetime) -> datetime.datetime:
    return value.replace(tzinfo=datetime.UTC) if value.tzinfo is None else value.astimezone(datetime.UTC)


def _iso(value: datetime.datetime) -> str:
    text = iso_utc(value)
    assert text is not None  # a datetime always formats
    return text


def power_event(event: Any) -> PowerEvent | None:
    """A pyVmomi event as a PowerEvent; None when it is not a power event of a VM."""
    event_type = type(event).__name__.rsplit(".", 1)[-1]
    if event_type not in EVENT_TYPES:
        return None
    vm_argument = getattr(event, "vm", None)
    vm = getattr(vm_argument, "vm", None)
    moref = getattr(vm, "_moId", None)
    created = getattr(event, "createdTime", None)
    if not moref or not isinstance(created, datetime.datetime):
        return None
    return PowerEvent(vm_moref=moref, event_type=event_type, created=_utc(created), key=int(event.key or 0))


def history_start(
    window_begin: datetime.datetime, event_times: Iterable[datetime.datetime]
) -> datetime.datetime | None:
    """A time from which on the event history read is complete, or None when nothing shows it.

    Every event still in the history is at least as new as the history's start, so the oldest
    event seen is a safe (possibly late) start; the query began at ``window_begin`` in any case.
    """
    oldest = min((_utc(t) for t in event_times), default=None)
    if oldest is None:
        return None
    return max(oldest, _utc(window_begin))


def power_off_dates(
    events: Iterable[PowerEvent], powered_off: Iterable[str], start: datetime.datetime | None
) -> PowerOffDates:
    """Since when each powered-off VM (by moref) has been off, from its latest power event.

    - latest a power-off, or a creation without a power-on after it: off since that time;
    - latest a registration/discovery: off since that time at the latest (``before``);
    - latest a power-on: contradicted, no date;
    - no event at all: off since before ``start``, the start of the complete history (if known).
    """
    latest: dict[str, PowerEvent] = {}
    for event in events:
        current = latest.get(event.vm_moref)
        if current is None or (event.created, event.key) > (current.created, current.key):
            latest[event.vm_moref] = event
    result = PowerOffDates()
    for moref in powered_off:
        last = latest.get(moref)
        if last is None:
            if start is not None:
                result.before[moref] = _iso(start)
        elif last.event_type in POWER_OFF_EVENTS or last.event_type in CREATED_EVENTS:
            result.since[moref] = _iso(last.created)
        elif last.event_type in APPEARED_EVENTS:
            result.before[moref] = _iso(last.created)
        else:
            result.contradicted[moref] = _iso(last.created)
    return result


def _read_collector(
    event_manager: Any, spec: Any, limit: int | None, on_page: Callable[[int], None] | None
) -> Iterator[Any]:
    """Events of a session-scoped history collector, page by page; the collector is always destroyed."""
    collector = event_manager.CreateCollectorForEvents(filter=spec)
    try:
        # The page size only sizes this collector's own "latest page"; it makes govmomi's
        # simulator (which serves ReadNextEvents from that page) return more than 10 events.
        collector.SetCollectorPageSize(maxCount=EVENT_PAGE_SIZE)
        read = 0
        while limit is None or read < limit:
            count = EVENT_PAGE_SIZE if limit is None else min(EVENT_PAGE_SIZE, limit - read)
            page = collector.ReadNextEvents(maxCount=count)
            if not page:
                break
            read += len(page)
            if on_page is not None:
                on_page(read)
            yield from page
    finally:
        # A collector left behind (connection lost) ends with the session anyway.
        with contextlib.suppress(vmodl.MethodFault, OSError, http.client.HTTPException):
            collector.DestroyCollector()


def read_power_events(
    content: Any, now: datetime.datetime, on_page: Callable[[int], None] | None = None
) -> tuple[list[PowerEvent], datetime.datetime | None]:
    """The power events of every VM in the last EVENT_WINDOW_DAYS, and the start of the complete history.

    Two session-scoped collectors over the root folder: one filtered on :data:`EVENT_TYPES`, read
    to the end; one unfiltered, of which only the first page is read to find where the history
    starts (on vCenter a new collector reads oldest first; govmomi's simulator serves its latest
    page in another order, so the page's oldest event is taken, not its first).
    """
    window_begin = _utc(now) - datetime.timedelta(days=EVENT_WINDOW_DAYS)
    by_entity = vim.event.EventFilterSpec.ByEntity(entity=content.rootFolder, recursion="all")
    by_time = vim.event.EventFilterSpec.ByTime(beginTime=window_begin)
    manager = content.eventManager
    typed = vim.event.EventFilterSpec(entity=by_entity, time=by_time, eventTypeId=list(EVENT_TYPES),
                                      disableFullMessage=True)
    events = [e for e in map(power_event, _read_collector(manager, typed, None, on_page)) if e is not None]
    any_event = vim.event.EventFilterSpec(entity=by_entity, time=by_time, disableFullMessage=True)
    probe = [e.createdTime for e in _read_collector(manager, any_event, EVENT_PAGE_SIZE, None)
             if isinstance(getattr(e, "createdTime", None), datetime.datetime)]
    return events, history_start(window_begin, [*probe, *(e.created for e in events)])
