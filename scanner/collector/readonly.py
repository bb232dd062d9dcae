"""Read-only by construction: the collector may send only SOAP methods on this allow-list.

Every vSphere API call made through pyVmomi — explicit method calls and property reads alike —
ends in ``SoapStubAdapter.InvokeMethod`` with the method's WSDL name. :func:`enforce_read_only`
wraps that entry point on a session's stub, so a method outside the list raises
:class:`ReadOnlyViolation` *before* anything is sent. A unit test records every method of a full
collection against the simulator and checks it against the same list.

Add a method here only if it cannot change vCenter state (no ``*_Task``, no ``Create*`` other
than the session-scoped view that ``DestroyView`` and event collector that ``DestroyCollector``
release, no ``Update*``/``Set*``/``Reconfig*`` other than that collector's own page size).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scanner.errors import CollectionError

READ_ONLY_METHODS = frozenset(
    {
        # session
        "RetrieveServiceContent",
        "Login",
        "Logout",
        "CurrentTime",
        # property reads: pyVmomi's attribute access sends Fetch (one property of one object)
        "Fetch",
        # property collector
        "RetrieveProperties",
        "RetrievePropertiesEx",
        "ContinueRetrievePropertiesEx",
        "CancelRetrievePropertiesEx",
        # session-scoped views: created, read, destroyed; they change nothing in the inventory
        "CreateContainerView",
        "DestroyView",
        # performance manager (queries only)
        "QueryPerf",
        "QueryPerfCounter",
        "QueryPerfCounterByLevel",
        "QueryAvailablePerfMetric",
        "QueryPerfProviderSummary",
        # option manager / about
        "QueryOptions",
        # event history (power-off dates, scanner/collector/events.py): the collector is a
        # session-scoped cursor over the event log, like a container view; creating it, sizing
        # its own page, reading it and destroying it changes nothing in vCenter.
        "CreateCollectorForEvents",
        "SetCollectorPageSize",
        "ReadNextEvents",
        "DestroyCollector",
    }
)


class ReadOnlyViolation(CollectionError):
    """vmscan tried to call a vSphere method that is not known to be read-only (a bug in vmscan)."""


def check_method(name: str) -> None:
    if name not in READ_ONLY_METHODS:
        raise ReadOnlyViolation(
            f"refusing to call vSphere method {name!r}: vmscan only sends read-only methods (this is a bug)"
        )


def check_stub_call(stub: Any, name: str) -> None:
    """The same check (and recording) for code that sends SOAP over a session's stub itself.

    The streaming parser (soapstream.py) posts its PropertyCollector requests on the stub's
    connection without going through ``InvokeMethod``; it calls this first.
    """
    check_method(name)
    record = getattr(stub, "_vmscan_record", None)
    if record is not None:
        record(name)


def enforce_read_only(service_instance: Any, record: Callable[[str], None] | None = None) -> None:
    """Make the session's stub refuse methods outside :data:`READ_ONLY_METHODS` (and report each call).

    Managed objects returned by the server share the stub of the call that produced them, so
    wrapping it once covers every object reached from ``service_instance``.
    """
    stub = service_instance._stub
    if getattr(stub, "_vmscan_read_only", False):
        return
    original = stub.InvokeMethod

    def invoke_method(mo: Any, info: Any, args: Any, outerStub: Any = None) -> Any:
        name = str(info.wsdlName)
        check_method(name)
        if record is not None:
            record(name)
        return original(mo, info, args, outerStub) if outerStub is not None else original(mo, info, args)

    stub.InvokeMethod = invoke_method
    stub._vmscan_read_only = True
    stub._vmscan_record = record
