"""Collect a whole vCenter into an inventory ``Estate``, read-only.

One ContainerView + paged RetrievePropertiesEx per managed-object type, then pure mapping
(scanner/collector/mappers.py). Nothing here changes vCenter state.
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import datetime
import http.client
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from xml.parsers.expat import ExpatError

from pyVmomi import vim, vmodl

from scanner import __version__
from scanner.collector import events, mappers
from scanner.collector.mappers import Lookups, PropertyValues
from scanner.collector.parseworker import ParseWorker, ParseWorkerFailed, worker_wanted
from scanner.collector.properties import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_PARSER,
    PARSER_STREAM,
    PARSERS,
    ObjectProperties,
    PartsReading,
    iter_all,
    retrieve_one,
)
from scanner.collector.readonly import ReadOnlyViolation
from scanner.collector.retry import NO_RETRY, Retrier, RetryPolicy, is_transient
from scanner.collector.session import SOAP_TIMEOUT_S, parse_server, vcenter_session
from scanner.collector.soapstream import OffloadedObjects, StreamParseError, soap_stub
from scanner.errors import CollectionError
from scanner.gcpause import cyclic_gc_paused
from scanner.inventory.model import (
    CollectionIssue,
    Datacenter,
    Estate,
    Network,
    Source,
    VCenter,
)

# Called with (what, count): e.g. ("VMs", 500) after each page of VMs.
ProgressCallback = Callable[[str, int], None]

STRUCTURE_PROPERTIES = ("name", "parent")
# The custom attribute definitions' read (label, type, paths), sent ahead with the small reads.
CUSTOM_FIELDS_READ: tuple[str, type, tuple[str, ...]] = (
    "custom attribute definitions", vim.CustomFieldsManager, ("field",))
# The inventory's containers, read one type at a time in this order (_Collector._structure).
STRUCTURE_TYPES = (("folders", vim.Folder), ("datacenters", vim.Datacenter),
                   ("compute resources", vim.ComputeResource), ("resource pools", vim.ResourcePool))


def _kind(obj: Any) -> str:
    return type(obj).__name__.rsplit(".", 1)[-1]


def _issues(vcenter: str, lookups: Lookups, items: Iterable[ObjectProperties]) -> list[CollectionIssue]:
    issues = []
    for item in items:
        for missing in item.missing:
            issues.append(
                CollectionIssue(
                    vcenter=vcenter,
                    object_id=lookups.object_id(item.moref),
                    object_name=item.values.get("name"),
                    property=missing.path,
                    message=f"{missing.fault}: {missing.message}".rstrip(": "),
                )
            )
    return issues


def _raw(item: ObjectProperties) -> PropertyValues:
    return PropertyValues(item.values, [m.path for m in item.missing])


def _deleted_issue(vcenter: str, lookups: Lookups, item: ObjectProperties, label: str) -> CollectionIssue | None:
    """The issue for an object deleted while it was being read (it is then skipped), else None."""
    if not any(m.fault == "ManagedObjectNotFound" for m in item.missing):
        return None
    return CollectionIssue(
        vcenter=vcenter, object_id=lookups.object_id(item.moref), object_name=item.values.get("name"), property=None,
        message=f"deleted during collection; skipped (was being read as one of the {label})",
    )


def vm_kept_items() -> dict[type, tuple[type, ...]]:
    """The devices worth building: those of a class a mapper reads (see TypeCatalog's kept_items)."""
    # Devices no mapper reads (keyboard, video card, PCI/PS2/SIO controllers, VMCI, ...) are a
    # quarter of a VM's elements: the streaming parser leaves them out of the device list.
    return {vim.vm.device.VirtualDevice: mappers.MAPPED_DEVICE_TYPES}


@dataclasses.dataclass
class VmResult:
    """One VM object of the answer, mapped: what the collection keeps of it."""

    moref: str
    parent: str | None  # the parent folder's moref
    vm: Any  # the mapped VM; None when it was deleted while being read
    issues: list[CollectionIssue]


def vm_result(item: ObjectProperties, lookups: Lookups, vcenter_name: str) -> VmResult:
    """Map one VM as it arrived (its parent is recorded in ``lookups`` first: its folder path needs it).

    The one mapping of a VM object, whichever process parsed it (see parseworker).
    """
    parent_ref = item.values.get("parent")
    parent = parent_ref._moId if parent_ref is not None else None
    deleted = _deleted_issue(vcenter_name, lookups, item, "VMs")
    if deleted is not None:
        return VmResult(moref=item.moref, parent=None, vm=None, issues=[deleted])
    issues = _issues(vcenter_name, lookups, [item]) if item.missing else []
    if parent is not None:
        lookups.parents[item.moref] = parent
    vm = mappers.map_vm(item.moref, _raw(item), lookups)
    if mappers.CONFIG_PRESENT not in item.values and not item.missing:
        issues.append(CollectionIssue(
            vcenter=vcenter_name, object_id=vm.id, object_name=vm.name, property="config",
            message=f"configuration not available (connection state {vm.connection_state or 'unknown'})",
        ))
    return VmResult(moref=item.moref, parent=parent, vm=vm, issues=issues)


class _ReadAhead:
    """One read sent in a thread of its own before its turn; what it got is taken in its turn.

    ``read(on_page)`` gives the objects; they and the page counts told to ``on_page`` are kept in
    the order they came (``events``: ints are page counts), so that taking them replays the
    progress and the issues exactly as reading them then would have.
    """

    def __init__(self, read: Callable[[Callable[[int], None]], Iterable[Any]], recoveries: int) -> None:
        # The retrier's count of recoveries when this was sent: a failure from before a later
        # recovery (a re-login, a reconnection) is taken as already recovered from.
        self.recoveries = recoveries
        self.events: list[Any] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(read,), name="vmscan-read-ahead", daemon=True)
        self._thread.start()

    def _run(self, read: Callable[[Callable[[int], None]], Iterable[Any]]) -> None:
        try:
            for item in read(self.events.append):
                self.events.append(item)
        except BaseException as exc:  # raised in the taking thread, in its turn
            self.error = exc

    def wait(self) -> None:
        self._thread.join()


def _replayed(events: list[Any], on_page: Callable[[int], None]) -> Iterator[Any]:
    for event in events:
        if isinstance(event, int):
            on_page(event)
        else:
            yield event


class _Collector:
    def __init__(
        self,
        content: Any,
        vcenter_name: str,
        page_size: int,
        progress: ProgressCallback | None,
        parser: str = DEFAULT_PARSER,
        retrier: Retrier | None = None,
        vm_mapped: Callable[[Any], None] | None = None,
        parse_worker: bool = False,
    ) -> None:
        self.content = content
        # Told about each VM as soon as it is mapped (the performance history starts on them).
        self.vm_mapped = vm_mapped
        # Parse and map part of the VMs in a second process (parseworker; streaming parser only).
        self.parse_worker = parse_worker and parser == PARSER_STREAM
        # Started with the collection (run): its imports overlap the requests before the VMs'.
        self.started_worker: ParseWorker | None = None
        # The VMs' reading (streaming parser), sent once the first type is read (run): the server
        # builds the first parts of the answer while the other types are read.
        self.vm_reading: _ReadAhead | None = None
        # The other small reads, sent at once with the VMs' (label: read): each is taken in its turn,
        # as if read then, so that the progress, the issues and the retries come in the old order.
        self.read_ahead: dict[tuple[str, type, tuple[str, ...]], _ReadAhead] = {}
        self.send_after_first_read = True  # the reads above, sent once (_structure)
        # Each retrieval is retried as a whole after a dropped connection or expired session.
        self.retrier = retrier or Retrier(NO_RETRY)
        self.page_size = page_size
        self.parser = parser
        self.progress = progress
        about = content.about
        self.vcenter = VCenter(
            name=vcenter_name,
            instance_uuid=about.instanceUuid,
            version=about.version,
            build=about.build,
            full_name=about.fullName,
            api_version=about.apiVersion,
            source_kind="vcenter",
        )
        self.lookups = Lookups(vcenter_name=vcenter_name, vcenter_uuid=about.instanceUuid or vcenter_name)
        self.issues: list[CollectionIssue] = []

    def _iter(
        self,
        label: str,
        vim_type: type,
        paths: Iterable[str],
        kept_items: dict[type, tuple[type, ...]] | None = None,
    ) -> Iterator[ObjectProperties]:
        """Each object as it arrives (its collection issues recorded on the way)."""
        paths = tuple(paths)
        counted = 0

        def on_page(count: int) -> None:
            nonlocal counted
            counted += count
            if self.progress is not None:
                self.progress(label, counted)

        sent_ahead = self._taken_once((label, vim_type, paths))

        def attempt() -> Iterator[ObjectProperties]:
            nonlocal counted
            counted = 0
            if (events := sent_ahead()) is not None:
                return _replayed(events, on_page)
            return iter_all(
                self.content, vim_type, list(paths), page_size=self.page_size, on_page=on_page, parser=self.parser,
                kept_items=kept_items,
            )

        # A retry re-reads the whole type; objects already handed on are skipped by moref.
        for item in self.retrier.iterate(label, attempt, key=lambda item: item.moref):
            deleted = _deleted_issue(self.vcenter.name, self.lookups, item, label)
            if deleted is not None:
                self.issues.append(deleted)
                continue
            if item.missing:
                self.issues.extend(_issues(self.vcenter.name, self.lookups, [item]))
            yield item

    def _retrieve(self, label: str, vim_type: type, paths: Iterable[str]) -> list[ObjectProperties]:
        return list(self._iter(label, vim_type, paths))

    def _taken_once(self, read: tuple[str, type, tuple[str, ...]]) -> Callable[[], list[Any] | None]:
        """The read sent ahead under this key, for its first try only: each call after the first, or
        with nothing sent, gives None (read it now)."""
        sent: _ReadAhead | None = self.read_ahead.pop(read, None)

        def take() -> list[Any] | None:
            nonlocal sent
            taken, sent = sent, None
            return self._first_try(taken) if taken is not None else None

        return take

    def _first_try(self, sent: _ReadAhead) -> list[Any] | None:
        """What a read sent ahead got, taken as the first try of that read: its objects, or its failure
        raised here (for the retrier); None when it failed before a recovery made since: read again."""
        sent.wait()
        if sent.error is None:
            return sent.events
        if self.retrier.retries != sent.recoveries:
            return None
        raise sent.error

    def _send_ahead(self) -> None:
        """Send the VMs' reading and every other small read at once (see read_ahead)."""
        recoveries = self.retrier.retries
        if self.parser == PARSER_STREAM:
            self.vm_reading = _ReadAhead(lambda on_page: [self._vm_parts()], recoveries)
        if self.content.customFieldsManager is not None:
            manager = self.content.customFieldsManager
            self.read_ahead[CUSTOM_FIELDS_READ] = _ReadAhead(
                lambda on_page: [retrieve_one(self.content, manager, vim.CustomFieldsManager, ["field"],
                                              parser=self.parser)],
                recoveries,
            )
        for label, vim_type, paths in self._small_reads():
            self.read_ahead[(label, vim_type, paths)] = _ReadAhead(self._reader(vim_type, paths), recoveries)

    def _reader(self, vim_type: type, paths: Sequence[str]) -> Callable[[Callable[[int], None]], Iterable[Any]]:
        def read(on_page: Callable[[int], None]) -> Iterable[Any]:
            return iter_all(self.content, vim_type, list(paths), page_size=self.page_size, on_page=on_page,
                            parser=self.parser)

        return read

    @staticmethod
    def _small_reads() -> list[tuple[str, type, tuple[str, ...]]]:
        """The reads after the first, in their turn's order (label, type, paths): as _iter is asked them."""
        return [
            *((label, vim_type, STRUCTURE_PROPERTIES) for label, vim_type in STRUCTURE_TYPES[1:]),
            ("hosts", vim.HostSystem, (*mappers.HOST_PROPERTIES, *mappers.HOST_PORTGROUP_PROPERTIES)),
            ("clusters", vim.ClusterComputeResource, tuple(mappers.CLUSTER_PROPERTIES)),
            ("datastores", vim.Datastore, tuple(mappers.DATASTORE_PROPERTIES)),
            ("switches", vim.DistributedVirtualSwitch, tuple(mappers.SWITCH_PROPERTIES)),
            ("port groups", vim.dvs.DistributedVirtualPortgroup, tuple(mappers.PORTGROUP_PROPERTIES)),
            ("opaque networks", vim.OpaqueNetwork, tuple(mappers.OPAQUE_NETWORK_PROPERTIES)),
            ("networks", vim.Network, tuple(mappers.NETWORK_PROPERTIES)),
        ]

    def _structure(self) -> None:
        lookups = self.lookups
        # The root folder has no parent; it is the end of every path.
        root = self.content.rootFolder
        lookups.types[root._moId] = "Folder"
        lookups.names[root._moId] = "Datacenters"
        # One label per type: a shared label ("containers: 4", then ": 1", ": 3") read as a
        # count going backwards.
        for index, (label, vim_type) in enumerate(STRUCTURE_TYPES):
            items = self._retrieve(label, vim_type, STRUCTURE_PROPERTIES)
            if index == 0 and self.send_after_first_read:
                # A vCenter that fails fails on the first read, as before: nothing else was sent.
                self.send_after_first_read = False
                self._send_ahead()
            for item in items:
                lookups.types[item.moref] = _kind(item.obj)
                if item.values.get("name") is not None:
                    lookups.names[item.moref] = item.values["name"]
                parent = item.values.get("parent")
                if parent is not None:
                    lookups.parents[item.moref] = parent._moId
        for moref, kind in lookups.types.items():
            if kind == "Datacenter":
                self.vcenter.datacenters.append(Datacenter(name=lookups.names.get(moref, moref), moref=moref))

    def _custom_fields(self) -> None:
        manager = self.content.customFieldsManager
        if manager is None:
            return
        sent_ahead = self._taken_once(CUSTOM_FIELDS_READ)

        def attempt() -> ObjectProperties | None:
            if (events := sent_ahead()) is not None:
                taken: ObjectProperties | None = events[0]
                return taken
            return retrieve_one(self.content, manager, vim.CustomFieldsManager, ["field"], parser=self.parser)

        item = self.retrier.run(CUSTOM_FIELDS_READ[0], attempt)
        for definition in (item.values.get("field") if item else None) or []:
            self.lookups.custom_field_names[int(definition.key)] = definition.name

    def _hosts(self) -> list[Any]:
        lookups = self.lookups
        items = self._retrieve("hosts", vim.HostSystem, (*mappers.HOST_PROPERTIES, *mappers.HOST_PORTGROUP_PROPERTIES))
        for item in items:
            lookups.types[item.moref] = "HostSystem"
            if item.values.get("name") is not None:
                lookups.names[item.moref] = item.values["name"]
            parent = item.values.get("parent")
            if parent is not None:
                lookups.parents[item.moref] = parent._moId
                if _kind(parent) == "ClusterComputeResource" and parent._moId in lookups.names:
                    lookups.host_clusters[item.moref] = lookups.names[parent._moId]
        self.vcenter.hosts = [mappers.map_host(i.moref, _raw(i), lookups) for i in items]
        return [i.values.get("config.network.portgroup") for i in items]

    def _clusters(self) -> None:
        items = self._retrieve("clusters", vim.ClusterComputeResource, mappers.CLUSTER_PROPERTIES)
        self.vcenter.clusters = [mappers.map_cluster(i.moref, _raw(i), self.lookups) for i in items]

    def _datastores(self) -> None:
        lookups = self.lookups
        items = self._retrieve("datastores", vim.Datastore, mappers.DATASTORE_PROPERTIES)
        for item in items:
            lookups.types[item.moref] = "Datastore"
            if item.values.get("name") is not None:
                lookups.datastore_names[item.moref] = item.values["name"]
            if item.values.get("parent") is not None:
                lookups.parents[item.moref] = item.values["parent"]._moId
        self.vcenter.datastores = [mappers.map_datastore(i.moref, _raw(i), lookups) for i in items]

    def _networks(self, host_portgroups: list[Any]) -> None:
        lookups = self.lookups
        switches = self._retrieve("switches", vim.DistributedVirtualSwitch, mappers.SWITCH_PROPERTIES)
        switch_names = {s.moref: s.values.get("name") or s.moref for s in switches}
        portgroups = {
            p.moref: p
            for p in self._retrieve("port groups", vim.dvs.DistributedVirtualPortgroup, mappers.PORTGROUP_PROPERTIES)
        }
        opaque = {
            o.moref: o for o in self._retrieve("opaque networks", vim.OpaqueNetwork, mappers.OPAQUE_NETWORK_PROPERTIES)
        }
        standard_vlans, standard_switches = mappers.standard_portgroup_vlans(host_portgroups)
        networks: list[Network] = []
        for item in self._retrieve("networks", vim.Network, mappers.NETWORK_PROPERTIES):
            name = item.values.get("name")
            if item.values.get("parent") is not None:
                lookups.parents[item.moref] = item.values["parent"]._moId
            if name is not None:
                lookups.network_names[item.moref] = name
            if item.moref in portgroups:
                detail = portgroups[item.moref]
                key = detail.values.get("key") or item.moref
                if name is not None:
                    lookups.portgroup_names[key] = name
                networks.append(
                    mappers.map_network(item.moref, _raw(detail), lookups, "distributed", None, switch_names)
                )
            elif item.moref in opaque:
                summary = opaque[item.moref].values.get("summary")
                opaque_id = getattr(summary, "opaqueNetworkId", None)
                if opaque_id and name is not None:
                    lookups.network_names[f"opaque:{opaque_id}"] = name
                networks.append(mappers.map_network(item.moref, _raw(item), lookups, "opaque"))
            else:
                networks.append(
                    mappers.map_network(item.moref, _raw(item), lookups, "standard", standard_vlans, standard_switches)
                )
        self.vcenter.networks = networks

    def _vms(self) -> None:
        vms: list[Any] = []
        # Mapped one at a time as they arrive: the raw device lists of a large estate never
        # need to be in memory together.
        with cyclic_gc_paused():
            self._map_vms(vms)
        self.vcenter.vms = vms

    def _map_vms(self, vms: list[Any]) -> None:
        lookups = self.lookups
        counted = 0

        def on_page(count: int) -> None:
            nonlocal counted
            counted += count
            if self.progress is not None:
                self.progress("VMs", counted)

        def read(offload: ParseWorker | None, reading: PartsReading | None) -> Iterator[VmResult]:
            items: Iterator[Any]
            if self.parser == PARSER_STREAM:
                # Asked for in parts, read ahead (see PartsReading); the first reading was sent
                # with the small reads, a retry (or a read after the worker failed) starts its own.
                items = (reading or self._vm_parts()).items(on_page, vm_kept_items(), offload)
            else:
                items = iter_all(
                    self.content, vim.VirtualMachine, list(mappers.VM_PROPERTIES), page_size=self.page_size,
                    on_page=on_page, parser=self.parser, kept_items=vm_kept_items(), offload=offload,
                )
            if offload is None:
                for item in items:
                    yield vm_result(item, lookups, self.vcenter.name)
                return
            # In answer order; the worker's results are taken when they are in, so that the
            # parse here does not wait for them (only the end does).
            queued: collections.deque[Any] = collections.deque()

            def handed_on(front: VmResult | OffloadedObjects) -> Iterator[VmResult]:
                if isinstance(front, VmResult):
                    yield front
                else:
                    yield from offload.results(front.count)

            for item in items:
                if isinstance(item, OffloadedObjects):
                    queued.append(item)
                elif queued:
                    queued.append(vm_result(item, lookups, self.vcenter.name))
                else:
                    yield vm_result(item, lookups, self.vcenter.name)
                while queued and (isinstance(queued[0], VmResult) or offload.ready()):
                    yield from handed_on(queued.popleft())
            for front in queued:
                yield from handed_on(front)

        def attempt() -> Iterator[VmResult]:
            nonlocal counted
            counted = 0
            # Its failure is this first try's, before the worker is taken: a retry still has it.
            reading = self._sent_vm_reading()
            # One worker per collection: after it saw part of an answer, a retry starts over without.
            worker = (self.started_worker or ParseWorker.start()) if self.parse_worker else None
            self.parse_worker = False
            self.started_worker = None
            if worker is None:
                yield from read(None, reading)
                return
            try:
                worker.setup(soap_stub(self.content.propertyCollector).version, self.vcenter.name, lookups)
                yield from read(worker, reading)
                return
            except (ParseWorkerFailed, StreamParseError):
                # Read again on our own (VMs already handed on are skipped by moref): the same
                # answer then gives the ordinary parser's error, if any.
                pass
            finally:
                worker.close()
            counted = 0
            yield from read(None, None)

        # A retry re-reads all VMs; those already handed on are skipped by moref.
        for result in self.retrier.iterate("VMs", attempt, key=lambda result: result.moref):
            if result.parent is not None:
                lookups.parents[result.moref] = result.parent
            self.issues.extend(result.issues)
            if result.vm is not None:
                vms.append(result.vm)
                if self.vm_mapped is not None:
                    self.vm_mapped(result.vm)

    def _power_off_dates(self) -> None:
        """Since when each powered-off VM has been off, from vCenter's event history."""
        off = [vm for vm in self.vcenter.vms if vm.power_state == "powered_off" and vm.moref]
        if not off:
            return

        def on_page(count: int) -> None:
            if self.progress is not None:
                self.progress("power events", count)

        now = datetime.datetime.now(datetime.UTC)
        try:
            power_events, start = self.retrier.run(
                "power events", lambda: events.read_power_events(self.content, now, on_page)
            )
        except vmodl.MethodFault as fault:
            # Dates stay unknown; the rest of the collection is good.
            fault_name = type(fault).__name__.rsplit(".", 1)[-1]
            self.vcenter.source_detail["power_events"] = "not read"
            self.issues.append(CollectionIssue(
                vcenter=self.vcenter.name, property="powered_off_since",
                message=f"vCenter events not readable ({fault_name}: {getattr(fault, 'msg', None) or ''}".rstrip(": ")
                        + "); power-off dates unknown",
            ))
            return
        self.vcenter.source_detail["power_events"] = "read"
        if start is not None:
            self.vcenter.source_detail["power_events_since"] = mappers.iso_utc(start) or ""
        dates = events.power_off_dates(power_events, [vm.moref for vm in off if vm.moref], start)
        for vm in off:
            vm.powered_off_since = dates.since.get(vm.moref or "")
            vm.powered_off_before = dates.before.get(vm.moref or "")
            powered_on = dates.contradicted.get(vm.moref or "")
            if powered_on is not None:
                self.issues.append(CollectionIssue(
                    vcenter=self.vcenter.name, object_id=vm.id, object_name=vm.name, property="powered_off_since",
                    message=f"latest power event is a power-on at {powered_on}; the power-off after it is not "
                            "in vCenter's event history",
                ))

    def _vm_parts(self) -> PartsReading:
        return PartsReading(self.content, vim.VirtualMachine, mappers.VM_PROPERTIES, self.page_size)

    def _sent_vm_reading(self) -> PartsReading | None:
        """The VMs' reading sent ahead, once (see _first_try); None when none was sent or it is to be made again."""
        sent, self.vm_reading = self.vm_reading, None
        if sent is None:
            return None
        events = self._first_try(sent)
        return events[0] if events is not None else None

    def _drop_vm_reading(self) -> None:
        """The VMs' reading sent ahead and never taken (the collection failed before): closed."""
        sent, self.vm_reading = self.vm_reading, None
        if sent is not None:
            sent.wait()
            for reading in sent.events:
                if isinstance(reading, PartsReading):
                    reading.close()

    def run(self) -> VCenter:
        if self.parse_worker:
            # Its imports (~0.2 s of CPU) overlap the small requests, where a core is idle.
            self.started_worker = ParseWorker.start()
        try:
            self._structure()
            self._custom_fields()
            host_portgroups = self._hosts()
            self._clusters()
            self._datastores()
            self._networks(host_portgroups)
            self._vms()
        finally:
            if self.started_worker is not None:  # the VMs were never read
                self.started_worker.close()
                self.started_worker = None
            self._drop_vm_reading()
        self._power_off_dates()
        return self.vcenter


def collect_vcenter(
    service_instance: Any,
    vcenter_name: str,
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: ProgressCallback | None = None,
    perf_days: int = 0,
    parser: str = DEFAULT_PARSER,
    retrier: Retrier | None = None,
    parse_worker: bool = False,
) -> tuple[VCenter, list[CollectionIssue]]:
    """Collect everything from a logged-in ServiceInstance (plus ``perf_days`` of VM history).

    ``parse_worker``: parse and map part of the VMs in a second process, and read part of the
    history's answers in another (streaming parser only).
    """
    content = (retrier or Retrier(NO_RETRY)).run("service content", service_instance.RetrieveContent)
    early = None
    if perf_days > 0:
        from scanner.collector.perf import EarlyHistory

        # The history's queries go out while the VM pages still arrive: the server produces the
        # history while vmscan parses the inventory (on a real vCenter, its statistics database).
        early = EarlyHistory(content, perf_days, parser, offload=parse_worker)
    collector = _Collector(content, vcenter_name, page_size, progress, parser, retrier,
                           vm_mapped=early.vm_mapped if early is not None else None, parse_worker=parse_worker)
    try:
        vcenter = collector.run()
    except BaseException:
        if early is not None:
            early.cancel()
        raise
    if early is not None:
        from scanner.collector.perf import attach_perf

        def perf_progress(done: int, total: int) -> None:
            if progress is not None:
                progress("performance history (VMs)", done)

        def history() -> list[CollectionIssue]:
            nonlocal early
            if early is not None:
                started, early = early, None
                issues = started.attach(vcenter, perf_progress)
                if issues is not None:
                    return issues
                if started.failure is not None and is_transient(started.failure):
                    raise started.failure  # a dropped connection: counted and waited for as a retry
            # The early queries failed: the history read again, as a whole, after the inventory.
            return attach_perf(content, vcenter, perf_days, perf_progress, parser, offload=parse_worker)

        # Re-running it after a dropped connection recomputes every VM's history from scratch.
        issues = collector.retrier.run("performance history", history)
        collector.issues.extend(issues)
    return vcenter, collector.issues


def collect_estate(
    server: str,
    user: str,
    password: str,
    insecure: bool = False,
    ca_file: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: ProgressCallback | None = None,
    perf_days: int = 0,
    parser: str = DEFAULT_PARSER,
    *,
    timeout_s: float = SOAP_TIMEOUT_S,
    retry: RetryPolicy | None = None,
    notify: Callable[[str], None] | None = None,
) -> Estate:
    """Connect, collect the whole vCenter (and ``perf_days`` of VM history, 0 = none), log out.

    ``timeout_s``, ``retry`` and ``notify`` as for :func:`collect_one`.

    ``parser`` chooses how PropertyCollector responses are read: "stream" (vmscan's streaming
    parser, the default) or "pyvmomi" (pyVmomi's deserializer). Raises CollectionError on failure.
    """
    _check_options(parser, page_size, perf_days)
    endpoint = parse_server(server)
    collected_at = _now()
    collected_at = _now()
    vcenter, issues = collect_one(server, user, password, insecure, ca_file, page_size, progress, perf_days, parser,
                                  timeout_s=timeout_s, retry=retry, notify=notify)
    return Estate(
        collected_at=collected_at,
        source=Source(kind="vcenter", tool=f"vmscan {__version__}", detail={"server": endpoint.display}),
        vcenters=[vcenter],
        collection_issues=issues,
    )


def _check_options(parser: str, page_size: int, perf_days: int) -> None:
    if parser not in PARSERS:
        raise CollectionError(f"unknown parser {parser!r} (expected one of {', '.join(PARSERS)})")
    if page_size < 1:
        raise CollectionError(f"page size must be at least 1, got {page_size}")
    if perf_days < 0:
        raise CollectionError(f"perf days must be 0 or more, got {perf_days}")


# Off: every VM is parsed in the collecting thread (tests switch it to compare both ways).
USE_PARSE_WORKER = True


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def collect_one(
    server: str,
    user: str,
    password: str,
    insecure: bool = False,
    ca_file: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: ProgressCallback | None = None,
    perf_days: int = 0,
    parser: str = DEFAULT_PARSER,
    *,
    timeout_s: float = SOAP_TIMEOUT_S,
    retry: RetryPolicy | None = None,
    notify: Callable[[str], None] | None = None,
) -> tuple[VCenter, list[CollectionIssue]]:
    """Log in to one vCenter, collect it, log out. Every failure is a one-line CollectionError.

    ``retry`` (default: 4 tries, 1/2/4 s apart) covers dropped connections and expired sessions;
    ``notify`` hears about each retry; ``timeout_s`` bounds each SOAP call.
    """
    endpoint = parse_server(server)
    collected_at = _now()
    with vcenter_session(server, user, password, insecure=insecure, ca_file=ca_file,
                         timeout_s=timeout_s) as service_instance:

        def relogin() -> None:
            # RetrieveServiceContent needs no session; Login on the same stub replaces its cookie,
            # so every managed object already in hand works again.
            service_instance.RetrieveContent().sessionManager.Login(userName=user, password=password)

        retrier = Retrier(retry or RetryPolicy(), relogin=relogin, notify=notify)
        try:
            vcenter, issues = collect_vcenter(service_instance, endpoint.host, page_size, progress, perf_days, parser,
                                              retrier, parse_worker=USE_PARSE_WORKER and worker_wanted())
        except vim.fault.NoPermission as fault:
            raise CollectionError(
                f"user {user!r} may not read the inventory of {endpoint.display} "
                f"(privilege {getattr(fault, 'privilegeId', None) or 'System.Read'} missing)"
            ) from None
        except vmodl.MethodFault as fault:
            fault_name = type(fault).__name__.rsplit(".", 1)[-1]
            detail = getattr(fault, "msg", None) or ""
            raise CollectionError(f"collection from {endpoint.display} failed: {fault_name}: {detail}") from None
        except StreamParseError as exc:
            raise CollectionError(f"unreadable response from {endpoint.display}: {exc}") from None
        except ExpatError as exc:
            # pyVmomi's parser (faults, --parser pyvmomi): malformed XML or refused entity expansion.
            raise CollectionError(f"unreadable response from {endpoint.display}: {exc}") from None
        except http.client.HTTPException as exc:
            raise CollectionError(f"HTTP error from {endpoint.display} during collection: {exc}") from None
        except TimeoutError:
            # socket.timeout is TimeoutError: vCenter did not answer one call within --timeout.
            raise CollectionError(
                f"{endpoint.display} did not answer within {timeout_s:g} s per call (total time), also after "
                "retries; "
                "a large inventory page can take minutes: raise --timeout"
            ) from None
        except (ConnectionError, OSError) as exc:
            raise CollectionError(
                f"connection to {endpoint.display} lost during collection: {exc.__class__.__name__}"
            ) from None
    # Keep what the collection recorded (performance window, interval) beside the server name.
    vcenter.source_detail = {"server": endpoint.display, **vcenter.source_detail}
    # This vCenter's own date: ages are measured at it even after merging with older inputs.
    vcenter.source_detail["collected_at"] = collected_at
    if retrier.retries:
        vcenter.source_detail["retries"] = str(retrier.retries)
        issues.append(CollectionIssue(
            vcenter=vcenter.name, property=None,
            message=f"{retrier.retries} retrieval(s) repeated after a dropped connection or expired session "
                    f"({retrier.relogins} re-login(s)); the data is complete",
        ))
    return vcenter, issues


class CollectionCancelled(Exception):
    """Raised inside a worker thread after the user pressed Ctrl-C, to end its collection early."""


@dataclasses.dataclass
class ServerFailure:
    server: str
    message: str


# Concurrent collections: each vCenter spends most of its time waiting for the server, so
# threads overlap well; more than a few would just contend for the GIL while parsing.
MAX_CONCURRENT_VCENTERS = 4


def collect_estates(
    servers: Sequence[str],
    user: str,
    password: str,
    insecure: bool = False,
    ca_file: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: ProgressCallback | None = None,
    perf_days: int = 0,
    parser: str = DEFAULT_PARSER,
    max_workers: int = MAX_CONCURRENT_VCENTERS,
    *,
    timeout_s: float = SOAP_TIMEOUT_S,
    retry: RetryPolicy | None = None,
    notify: Callable[[str], None] | None = None,
) -> tuple[Estate, list[ServerFailure]]:
    """Collect several vCenters concurrently (same credentials) into one Estate.

    A vCenter that fails is left out and recorded as a collection issue (and returned as a
    ServerFailure for the caller to report); the others' data is kept. Raises CollectionError
    only when every vCenter failed, or when ``servers`` is empty or names a server twice.
    With several servers, ``progress`` receives "<server>: <what>" labels.
    """
    _check_options(parser, page_size, perf_days)
    if not servers:
        raise CollectionError("no server given")
    displays = [parse_server(server).display for server in servers]
    duplicates = sorted({d for d in displays if displays.count(d) > 1})
    if duplicates:
        raise CollectionError(f"server given more than once: {', '.join(duplicates)}")
    collected_at = _now()
    cancelled = threading.Event()

    def one(index: int) -> tuple[VCenter, list[CollectionIssue]]:
        label = displays[index]

        def labelled(what: str, count: int) -> None:
            if cancelled.is_set():
                raise CollectionCancelled("collection cancelled")
            if progress is not None:
                progress(f"{label}: {what}" if len(servers) > 1 else what, count)

        def noted(message: str) -> None:
            if notify is not None:
                notify(f"{label}: {message}" if len(servers) > 1 else message)

        return collect_one(
            servers[index], user, password, insecure, ca_file, page_size, labelled, perf_days, parser,
            timeout_s=timeout_s, retry=retry, notify=noted,
        )

    results: list[tuple[VCenter, list[CollectionIssue]] | ServerFailure] = []
    workers = max(1, min(max_workers, len(servers)))
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vmscan-vc") as pool:
        futures = [pool.submit(one, index) for index in range(len(servers))]
        try:
            # Short waits keep the main thread responsive to Ctrl-C (a blocked wait may miss it).
            pending = set(futures)
            while pending:
                _, pending = concurrent.futures.wait(pending, timeout=0.2)
        except KeyboardInterrupt:
            # Workers stop at their next page (their progress callback raises) and log out.
            cancelled.set()
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        for index, future in enumerate(futures):
            try:
                results.append(future.result())
            except ReadOnlyViolation:
                raise  # a bug in vmscan, never just one vCenter's problem
            except CollectionError as exc:
                results.append(ServerFailure(server=displays[index], message=str(exc)))
    failures = [r for r in results if isinstance(r, ServerFailure)]
    if len(failures) == len(servers):
        raise CollectionError("; ".join(f.message for f in failures))
    vcenters: list[VCenter] = []
    issues: list[CollectionIssue] = []
    for result in results:
        if isinstance(result, ServerFailure):
            issues.append(CollectionIssue(vcenter=result.server, message=f"vCenter not collected: {result.message}"))
        else:
            vcenters.append(result[0])
            issues.extend(result[1])
    detail = {"server": displays[0]} if len(displays) == 1 else {"servers": ", ".join(displays)}
    estate = Estate(
        collected_at=collected_at,
        source=Source(kind="vcenter", tool=f"vmscan {__version__}", detail=detail),
        vcenters=vcenters,
        collection_issues=issues,
    )
    return estate, failures
