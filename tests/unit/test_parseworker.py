"""Objects cut from an answer and parsed elsewhere (soapstream.split_objects, parseworker): the same results.

The recorded simulator answer (48 VMs with their devices) and variants of it are read once by
the ordinary parser and once cut into runs, every other run parsed by a second parser (in
process, or the real worker process); the objects, and the mapped VMs, must be the same and in
the same order. Bodies the cut cannot follow exactly (comments, CDATA, other spellings of the
tag) are read whole by the ordinary parser from that point on.
"""

from __future__ import annotations

import copy
import gzip
import pickle
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.collector import soapstream
from scanner.collector.collect import VmResult, vm_kept_items, vm_result
from scanner.collector.mappers import Lookups
from scanner.collector.parseworker import ParseWorker, ParseWorkerFailed
from scanner.collector.properties import ObjectProperties
from scanner.collector.soapstream import (
    DOCUMENT_START,
    OBJECT_RUN,
    REST,
    OffloadedObjects,
    StreamParseError,
    StreamResult,
    TypeCatalog,
    parse_retrieve_result,
    split_objects,
)
from tests.unit.test_soapstream import STUB, VERSION, same

RECORDED = gzip.decompress((Path(__file__).parent / "data" / "vcsim-vms-response.xml.gz").read_bytes())
LIMIT = 64 * 1024 * 1024
LOOKUPS = Lookups(vcenter_name="vc", vcenter_uuid="uuid", datastore_names={"datastore-1": "ds1"})


def chunked(body: bytes, size: int) -> Iterator[bytes]:
    return (body[i : i + size] for i in range(0, len(body), size))


class InlineOffload:
    """An Offload that parses its runs here, with a parser of its own (as the worker does)."""

    def __init__(self, every: int = 2) -> None:
        self.every = every
        self.offered = 0
        self.parser: Any = None
        self.runs: list[list[ObjectProperties]] = []
        self.catalog = TypeCatalog(STUB, vm_kept_items())

    def start_document(self, head: bytes) -> None:
        self.parser = soapstream._ResultParser(self.catalog, StreamResult())
        assert self.parser.feed(head) == []

    def wants(self) -> bool:
        self.offered += 1
        return self.offered % self.every == 0

    def submit(self, objects: bytes, count: int) -> None:
        items = self.parser.feed(objects, whole=True)
        assert len(items) == count
        self.runs.append(items)


def read_split(body: bytes, chunk: int, run_bytes: int, monkeypatch: Any, every: int = 2
               ) -> tuple[list[ObjectProperties], InlineOffload, StreamResult]:
    monkeypatch.setattr(soapstream, "OBJECT_RUN_BYTES", run_bytes)
    offload = InlineOffload(every)
    result = StreamResult()
    items: list[ObjectProperties] = []
    runs = iter(offload.runs)
    for item in parse_retrieve_result(chunked(body, chunk), TypeCatalog(STUB, vm_kept_items()), result, offload):
        if isinstance(item, OffloadedObjects):
            run = next(runs)
            assert len(run) == item.count
            items.extend(run)
        else:
            items.append(item)
    return items, offload, result


def read_whole(body: bytes) -> tuple[list[ObjectProperties], StreamResult]:
    result = StreamResult()
    return list(parse_retrieve_result(iter([body]), TypeCatalog(STUB, vm_kept_items()), result)), result


def assert_same_objects(mine: list[ObjectProperties], ref: list[ObjectProperties]) -> None:
    assert [i.moref for i in mine] == [i.moref for i in ref]
    for a, b in zip(mine, ref, strict=True):
        assert set(a.values) == set(b.values)
        for name, value in b.values.items():
            same(a.values[name], value, f"{a.moref}:{name}")
        assert a.missing == b.missing


# --- the cut -------------------------------------------------------------------------------------


# The first 5 objects and the end of the answer: small enough to feed byte by byte.
SHORT = RECORDED[: RECORDED.index(b"<objects>", 60_000)] + RECORDED[RECORDED.rindex(b"</objects>") + 10 :]


@settings(max_examples=60, deadline=None)
@given(chunk=st.integers(1, 70_000), run_bytes=st.integers(1, 300_000), short=st.booleans())
def test_the_pieces_are_the_body_and_each_run_is_whole_objects(chunk: int, run_bytes: int, short: bool) -> None:
    body = SHORT if short or chunk < 500 else RECORDED
    pieces = list(split_objects(chunked(body, chunk), LIMIT, run_bytes))
    assert b"".join(data for _, data, _ in pieces) == body
    kinds = "".join({DOCUMENT_START: "s", OBJECT_RUN: "o", REST: "r"}[kind] for kind, _, _ in pieces)
    assert re.fullmatch("so+r", kinds), kinds
    assert pieces[0][1] == body[: body.index(b"<objects>")]
    assert sum(count for _, _, count in pieces) == body.count(b"<objects>") == (5 if body is SHORT else 48)
    for kind, data, count in pieces:
        if kind == OBJECT_RUN:
            assert data.startswith(b"<objects>") and data.endswith(b"</objects>")
            assert data.count(b"<objects>") == data.count(b"</objects>") == count
            # A run is cut once its whole objects reach run_bytes (only the last run may be shorter).
            assert len(data) >= run_bytes or data is pieces[-2][1]


@pytest.mark.parametrize("chunk", [1, 7, 4096, 65536])
@pytest.mark.parametrize("every", [1, 2, 3])
def test_objects_parsed_apart_are_the_objects_parsed_whole(chunk: int, every: int, monkeypatch: Any) -> None:
    whole, _ = read_whole(RECORDED)
    split, offload, _ = read_split(RECORDED, chunk, 40_000, monkeypatch, every)
    assert offload.runs  # some runs did go to the second parser
    assert_same_objects(split, whole)


# (name, change to the recorded body, whether objects are still cut after the change)
VARIANTS: list[tuple[str, Any, bool]] = [
    ("pretty-printed: whitespace between objects",
     lambda b: b.replace(b"</objects><objects>", b"</objects>\n  <objects>"), True),
    ("a nested <objects> inside an object (a property unknown to pyVmomi)",
     lambda b: b.replace(b"</obj>", b"</obj><objects><objects>x</objects><obj>y</obj></objects>", 5), True),
    ("an element whose name starts with objects",
     lambda b: b.replace(b"</obj>", b"</obj><objectsFoo>1</objectsFoo>", 3), True),
    ("a comment between two objects", lambda b: _nth(b, b"</objects><objects>", 20, b"</objects><!-- x --><objects>"),
     False),
    ("a CDATA section holding an end tag",
     lambda b: _nth(b, b"<name>name</name>", 25, b"<name><![CDATA[name]]></name><!-- </objects> -->"), False),
    ("a processing instruction", lambda b: _nth(b, b"</objects><objects>", 30, b"</objects><?pi x?><objects>"), False),
    ("an objects tag with an attribute",
     lambda b: _nth(b, b"</objects><objects>", 10, b'</objects><objects xmlns="urn:vim25">'), False),
    ("text between two objects", lambda b: _nth(b, b"</objects><objects>", 15, b"</objects>x<objects>"), False),
    ("an end tag spelled with a space", lambda b: _nth(b, b"</objects><objects>", 12, b"</objects ><objects>"), False),
]


def _nth(body: bytes, old: bytes, n: int, new: bytes) -> bytes:
    parts = body.split(old)
    assert len(parts) > n + 1
    return old.join(parts[: n + 1]) + new + old.join(parts[n + 1 :])


@pytest.mark.parametrize(("name", "change", "still_cut"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_bodies_the_cut_cannot_follow_are_read_by_the_ordinary_parser(
    name: str, change: Any, still_cut: bool, monkeypatch: Any
) -> None:
    body = change(RECORDED)
    assert body != RECORDED
    pieces = list(split_objects(chunked(body, 5000), LIMIT, 20_000))
    assert b"".join(data for _, data, _ in pieces) == body
    rest = pieces[-1][1]
    # From the first sight of what it cannot follow, the body goes on whole (objects before it were cut).
    assert (len(rest) < 200) == still_cut, len(rest)
    assert sum(1 for kind, _, _ in pieces if kind == OBJECT_RUN) > 1
    try:
        whole, whole_result = read_whole(body)
    except StreamParseError as exc:  # text between objects: neither way may read it differently
        with pytest.raises(StreamParseError) as raised:
            read_split(body, 5000, 20_000, monkeypatch)
        assert str(raised.value).split(":")[0] == str(exc).split(":")[0]
        return
    split, _, split_result = read_split(body, 5000, 20_000, monkeypatch)
    assert_same_objects(split, whole)
    assert split_result.token == whole_result.token


def test_a_body_without_objects_is_one_piece(monkeypatch: Any) -> None:
    empty = RECORDED[: RECORDED.index(b"<objects>")] + RECORDED[RECORDED.rindex(b"</objects>") + 10 :]
    assert list(split_objects(chunked(empty, 100), LIMIT)) == [(REST, empty, 0)]
    items, offload, _ = read_split(empty, 100, 10, monkeypatch)
    assert items == [] and offload.runs == []


def test_the_token_before_the_objects_is_read_and_the_objects_still_cut(monkeypatch: Any) -> None:
    body = RECORDED.replace(b"<returnval><objects>", b"<returnval><token>page-2</token><objects>", 1)
    split, offload, result = read_split(body, 3000, 30_000, monkeypatch)
    assert result.token == "page-2" and offload.runs
    assert_same_objects(split, read_whole(body)[0])


def test_an_object_past_the_size_limit_is_refused_while_cut(monkeypatch: Any) -> None:
    from scanner.errors import VmscanError

    with pytest.raises(VmscanError, match="one object in a vCenter response of over"):
        list(split_objects(chunked(RECORDED, 4096), 8_000))  # an object is ~12 KB


# --- the worker process ----------------------------------------------------------------------------


def read_with_worker(body: bytes, worker: ParseWorker, run_bytes: int, monkeypatch: Any) -> list[VmResult]:
    monkeypatch.setattr(soapstream, "OBJECT_RUN_BYTES", run_bytes)
    lookups = copy.deepcopy(LOOKUPS)
    results: list[VmResult] = []
    catalog = TypeCatalog(STUB, vm_kept_items())
    for item in parse_retrieve_result(chunked(body, 65536), catalog, StreamResult(), worker):
        if isinstance(item, OffloadedObjects):
            results.extend(worker.results(item.count))
        else:
            results.append(vm_result(item, lookups, "vc"))
    return results


def test_the_worker_maps_its_runs_as_the_collector_would(monkeypatch: Any) -> None:
    worker = ParseWorker.start()
    assert worker is not None
    try:
        worker.setup(VERSION, "vc", LOOKUPS)
        for _ in range(2):  # two answers one after the other (pages)
            results = read_with_worker(RECORDED, worker, 30_000, monkeypatch)
        assert worker.submitted > 1  # the worker did take runs
    finally:
        worker.close()
    lookups = copy.deepcopy(LOOKUPS)
    reference = [vm_result(item, lookups, "vc") for item in read_whole(RECORDED)[0]]
    assert results == reference
    assert len(results) == 48 and all(r.vm is not None and r.vm.disks for r in results)


def test_a_worker_that_dies_or_cannot_read_a_run_is_a_parse_worker_failure(monkeypatch: Any) -> None:
    worker = ParseWorker.start()
    assert worker is not None
    try:
        worker.setup(VERSION, "vc", LOOKUPS)
        worker.start_document(RECORDED[: RECORDED.index(b"<objects>")])
        worker.submit(b"<objects><obj>vm-1</obj></objects", 1)  # not whole: its parser sees no object
        with pytest.raises(ParseWorkerFailed, match="0 objects read of a run of 1"):
            worker.results(1)
    finally:
        worker.close()
    worker = ParseWorker.start()
    assert worker is not None
    try:
        worker.process.kill()
        worker.process.wait()
        worker.setup(VERSION, "vc", LOOKUPS)
        # Gone before the answer: it wants no run, everything is parsed here, correctly.
        results = read_with_worker(RECORDED, worker, 30_000, monkeypatch)
        assert worker.failed and worker.submitted == 0 and len(results) == 48
        # Gone with a run in hand: its results never come.
        worker.submit(RECORDED[RECORDED.index(b"<objects>") : RECORDED.index(b"</objects>") + 10], 1)
        with pytest.raises(ParseWorkerFailed, match="the parse worker failed"):
            worker.results(1)
    finally:
        worker.close()
    assert worker.process.returncode is not None


def test_one_big_chunk_is_still_read_a_piece_at_a_time(monkeypatch: Any) -> None:
    # (The benchmark feeds a whole 117 MB answer as one chunk: converting it all before the first
    # object is handed on held every object at once, 442 MiB instead of 164.)
    converted: list[str] = []
    convert = TypeCatalog.object_content

    def counted(self: TypeCatalog, elem: Any) -> ObjectProperties:
        converted.append("x")
        return convert(self, elem)

    monkeypatch.setattr(TypeCatalog, "object_content", counted)
    items = parse_retrieve_result(iter([RECORDED]), TypeCatalog(STUB, vm_kept_items()), StreamResult())
    next(items)
    assert 1 <= len(converted) <= soapstream.READ_CHUNK_BYTES // 12_000 + 1 < 48


def test_the_results_pickle_rebuilds_every_inventory_class_by_its_fields() -> None:
    from scanner.collector.parseworker import _result_reducers, dump_results
    from scanner.inventory.model import VM, CollectionIssue, Disk, PerfStats
    from tests.factories import clean_vm

    vm = clean_vm(perf={"cpu": PerfStats(unit="MHz", p95=2.0, samples=10)}, snapshot_count=None)
    issue = CollectionIssue(vcenter="vc", object_id=vm.id, object_name="app01", property="config", message="m")
    results = [VmResult(moref="vm-100", parent="group-v3", vm=vm, issues=[issue]),
               VmResult(moref="vm-101", parent=None, vm=None, issues=[])]
    payload = dump_results(results)
    back = pickle.loads(payload)  # noqa: S301 (written just above)
    assert back == results
    assert type(back[0].vm) is VM and type(back[0].vm.disks[0]) is Disk
    # The reducers are in use (pickle's own way names no dataclass __setstate__ then).
    assert {VmResult, VM, Disk, CollectionIssue, PerfStats} <= set(_result_reducers())
    assert len(payload) < len(pickle.dumps(results, pickle.HIGHEST_PROTOCOL))


def test_a_class_its_init_would_not_give_back_gets_no_reducer() -> None:
    import dataclasses

    from scanner.collector.parseworker import _rebuilt_by_init

    @dataclasses.dataclass
    class Plain:
        a: int
        b: str = "x"

    @dataclasses.dataclass
    class Normalized:
        a: int

        def __post_init__(self) -> None:
            self.a = abs(self.a)

    @dataclasses.dataclass
    class KeywordOnly:
        a: int = dataclasses.field(kw_only=True)

    @dataclasses.dataclass
    class Derived:
        a: int
        b: int = dataclasses.field(init=False, default=0)

    reducer = _rebuilt_by_init(Plain)
    assert reducer is not None and reducer(Plain(1, "y")) == (Plain, (1, "y"))
    assert all(_rebuilt_by_init(cls) is None for cls in (Normalized, KeywordOnly, Derived))
