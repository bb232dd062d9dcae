"""The streaming QueryPerf parser gives the same per-VM statistics as pyVmomi's deserializer.

Both read exactly the same bytes: a response recorded from govmomi's simulator (normal format,
one element per sample), and responses serialized by pyVmomi from results built here in both
formats (PerfEntityMetric with int series, PerfEntityMetricCSV as vCenter sends for format=csv).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyVmomi import SoapAdapter, VmomiSupport, vim

from scanner.collector.perf import CounterInfo, stats_from_results, stats_from_series
from scanner.collector.soapstream import StreamParseError, TypeCatalog, parse_query_perf_result
from tests.unit.test_soapstream import STUB, VERSION

PM = vim.PerformanceManager
RECORDED = Path(__file__).parent / "data" / "vcsim-queryperf-response.xml.gz"
# The simulator's (vpx) keys for vmscan's six counters.
COUNTERS = {
    2: CounterInfo(key=2, name="cpu.usage", rollup="average", unit="percent"),
    6: CounterInfo(key=6, name="cpu.usagemhz", rollup="average", unit="megaHertz"),
    98: CounterInfo(key=98, name="mem.consumed", rollup="average", unit="kiloBytes"),
    33: CounterInfo(key=33, name="mem.active", rollup="average", unit="kiloBytes"),
    125: CounterInfo(key=125, name="disk.usage", rollup="average", unit="kiloBytesPerSecond"),
    143: CounterInfo(key=143, name="net.usage", rollup="average", unit="kiloBytesPerSecond"),
}


def query_perf_body(results: list[Any]) -> bytes:
    """A QueryPerf response envelope serialized by pyVmomi (xsi:type on every returnval)."""
    ns_map = dict(SoapAdapter.SOAP_NSMAP)
    ns_map["urn:vim25"] = ""
    info = VmomiSupport.Object(name="returnval", type=PM.EntityMetricBase, version=VERSION, flags=0)
    inner = ""
    for result in results:
        part = SoapAdapter.Serialize(result, info, VERSION, ns_map)
        inner += part.decode("utf-8") if isinstance(part, bytes) else part
    return (
        f'{SoapAdapter.XML_HEADER}\n{SoapAdapter.SOAP_START}<QueryPerfResponse xmlns="urn:vim25">'
        f"{inner}</QueryPerfResponse>{SoapAdapter.SOAP_END}"
    ).encode()


def stream_stats(body: bytes, expected: int, chunk_size: int = 4096) -> dict[str, dict[str, Any]]:
    chunks = (body[i : i + chunk_size] for i in range(0, len(body), chunk_size))
    out: dict[str, dict[str, Any]] = {}
    for entity in parse_query_perf_result(chunks, TypeCatalog(STUB)):
        per_counter = stats_from_series(entity.series, COUNTERS, expected, sorted_present=True)
        out.setdefault(entity.moref, {}).update(per_counter)
    return out


def pyvmomi_stats(body: bytes, expected: int) -> dict[str, dict[str, Any]]:
    results = SoapAdapter.SoapResponseDeserializer(STUB).Deserialize(body, PM.EntityMetricBase.Array)
    return stats_from_results(results or [], COUNTERS, expected)


def int_result(moref: str, series: list[tuple[int, str, list[int]]]) -> Any:
    return PM.EntityMetric(
        entity=vim.VirtualMachine(moref),
        sampleInfo=[PM.SampleInfo(interval=7200, timestamp=SoapAdapter.Iso8601.ParseISO8601("2026-11-01T00:00:00Z"))]
        * max((len(v) for _, _, v in series), default=0),
        value=[PM.IntSeries(id=PM.MetricId(counterId=c, instance=i), value=v) for c, i, v in series],
    )


def csv_result(moref: str, series: list[tuple[int, str, list[int]]]) -> Any:
    return PM.EntityMetricCSV(
        entity=vim.VirtualMachine(moref),
        sampleInfoCSV="7200,2026-11-01T00:00:00Z",
        value=[
            PM.MetricSeriesCSV(id=PM.MetricId(counterId=c, instance=i), value=",".join(str(x) for x in v))
            for c, i, v in series
        ],
    )


def test_recorded_simulator_response() -> None:
    body = gzip.decompress(RECORDED.read_bytes())
    mine = stream_stats(body, 360)
    assert mine == pyvmomi_stats(body, 360)
    # Two VMs, six counters each, 360 two-hour samples (30 days) with full coverage.
    assert len(mine) == 2
    assert all(set(per) == {c.name for c in COUNTERS.values()} for per in mine.values())
    assert {s.samples for per in mine.values() for s in per.values()} == {360}


def test_known_values_in_both_formats() -> None:
    series = [
        (6, "", [100, 200, -1, 400]),
        (6, "0", [999, 999, 999, 999]),  # per-vCPU instance: ignored
        (98, "", [1024, 2048, 3072, 4096]),
        (7, "", [1, 2, 3, 4]),  # a counter not asked for: ignored
    ]
    body = query_perf_body([int_result("vm-1", series), csv_result("vm-2", series)])
    mine = stream_stats(body, 4)
    assert mine == pyvmomi_stats(body, 4)
    for moref in ("vm-1", "vm-2"):
        cpu = mine[moref]["cpu.usagemhz"]
        # present 100, 200, 400 of 4 expected: p50 rank ceil(1.5)=2 -> 200; coverage 0.75
        assert (cpu.p50, cpu.max, cpu.samples, cpu.coverage) == (200, 400, 3, 0.75)
        assert mine[moref]["mem.consumed"].max == 4.0  # 4096 KB = 4 MiB
        assert set(mine[moref]) == {"cpu.usagemhz", "mem.consumed"}


samples = st.lists(st.one_of(st.just(-1), st.integers(0, 10**9)), max_size=40)
entity_series = st.lists(
    st.tuples(st.sampled_from(sorted(COUNTERS)), st.sampled_from(["", "0"]), samples), max_size=6
)


@settings(max_examples=60, deadline=None)
@given(
    entities=st.lists(st.tuples(entity_series, st.booleans()), max_size=5),
    expected=st.integers(1, 50),
    chunk_size=st.integers(16, 2048),
)
def test_same_stats_as_pyvmomi(entities: list[Any], expected: int, chunk_size: int) -> None:
    results = [
        (csv_result if as_csv else int_result)(f"vm-{index}", series) for index, (series, as_csv) in enumerate(entities)
    ]
    body = query_perf_body(results)
    assert stream_stats(body, expected, chunk_size) == pyvmomi_stats(body, expected)


def test_empty_response() -> None:
    assert stream_stats(query_perf_body([]), 10) == {}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (query_perf_body([int_result("vm-1", [(6, "", [1, 2])])]).replace(b">2<", b">two<"), "unreadable QueryPerf"),
        (query_perf_body([]).replace(b"QueryPerfResponse", b"QueryOtherResponse"), "not a QueryPerf response"),
        (query_perf_body([int_result("vm-1", [(6, "", [1])])])[:-40], "malformed"),
    ],
)
def test_unreadable_responses(body: bytes, message: str) -> None:
    with pytest.raises(StreamParseError, match=message):
        stream_stats(body, 10)


@settings(max_examples=60, deadline=None)
@given(cuts=st.lists(st.integers(1, 400), max_size=40), runs=st.lists(samples, min_size=1, max_size=3))
def test_compaction_keeps_every_sample_whatever_the_chunking(cuts: list[int], runs: list[list[int]]) -> None:
    from scanner.collector.soapstream import _compacted

    series = [(6, "", runs[0]), (98, "", runs[-1]), (6, "0", [5, 6])]
    body = query_perf_body([int_result("vm-1", series), csv_result("vm-2", series), int_result("vm-3", series)])
    # One sampleInfo that is not in the plain form (an attribute): left for lxml, read as before.
    odd = (
        b'<sampleInfo xsi:type="PerfSampleInfo"><timestamp>2026-11-01T00:00:00Z</timestamp>'
        b"<interval>7200</interval></sampleInfo>"
    )
    body = body.replace(b"</entity>", b"</entity>" + odd, 1)
    chunks, start = [], 0
    for cut in cuts:
        chunks.append(body[start : start + cut])
        start += cut
    chunks.append(body[start:])
    out = b"".join(_compacted(iter(chunks)))
    assert b"<sampleInfo><timestamp>" not in out
    assert out.count(odd) == 1  # left for lxml
    mine: dict[str, dict[str, Any]] = {}
    for entity in parse_query_perf_result(iter(chunks), TypeCatalog(STUB)):
        mine.setdefault(entity.moref, {}).update(stats_from_series(entity.series, COUNTERS, 40, sorted_present=True))
    assert mine == pyvmomi_stats(body, 40)


def test_runs_of_samples_become_one_element() -> None:
    from scanner.collector.soapstream import _compacted

    body = query_perf_body([int_result("vm-1", [(6, "", [1, -1, 3])])])
    out = b"".join(_compacted(iter([body])))
    assert b'<value vmscan-samples="">1,-1,3</value>' in out
    assert stream_stats(body, 3) == pyvmomi_stats(body, 3)


def test_a_sample_with_a_comma_is_refused_as_before() -> None:
    body = query_perf_body([int_result("vm-1", [(6, "", [1, 2])])]).replace(b"<value>2</value>", b"<value>2,3</value>")
    with pytest.raises(StreamParseError, match="unreadable QueryPerf"):
        stream_stats(body, 10)


@settings(max_examples=40, deadline=None)
@given(
    morefs=st.lists(
        st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12), min_size=1, max_size=8
    ),
    limit=st.integers(1, 8),
)
def test_templated_query_perf_request_is_what_pyvmomi_serializes(morefs: list[str], limit: int) -> None:
    import datetime

    from scanner.collector.perf import plan_batches, query_perf_request

    stub = SoapAdapter.SoapStubAdapter(host="localhost", version=VERSION)
    manager = PM("PerfMgr", stub)
    end = datetime.datetime(2026, 11, 30, 12, 0, 0, 123456, tzinfo=datetime.UTC)
    start = end - datetime.timedelta(days=30)

    def specs_for(batch: list[tuple[Any, list[int]]]) -> list[Any]:
        return [
            PM.QuerySpec(
                entity=entity,
                metricId=[PM.MetricId(counterId=k, instance="") for k in keys],
                intervalId=7200,
                startTime=start,
                endTime=end,
                maxSample=360,
                format="csv",
            )
            for entity, keys in batch
        ]

    refs = [vim.VirtualMachine(moref, stub) for moref in morefs] + [vim.HostSystem("host-1", stub)]
    info = manager._GetMethodInfo("QueryStats")
    for batch in plan_batches(refs, sorted(COUNTERS), limit):
        assert query_perf_request(manager, batch, specs_for) == stub.SerializeRequest(manager, info, [specs_for(batch)])


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(1, 300), max_size=30), runs=st.lists(samples, min_size=1, max_size=3))
def test_csv_answers_go_through_compaction_untouched(cuts: list[int], runs: list[list[int]]) -> None:
    """vCenter's CSV answer has no sampleInfo: nothing in it is replaced, whatever the chunking."""
    from scanner.collector.soapstream import _compacted

    series = [(6, "", runs[0]), (98, "", runs[-1]), (2, "", [1, 2])]
    body = query_perf_body([csv_result("vm-1", series), csv_result("vm-2", series)])
    chunks, start = [], 0
    for cut in cuts:
        chunks.append(body[start : start + cut])
        start += cut
    chunks.append(body[start:])
    assert b"".join(_compacted(iter(chunks))) == body
    assert stream_stats(body, 40, chunk_size=max(1, cuts[0] if cuts else 4096)) == pyvmomi_stats(body, 40)


def test_per_sample_answer_after_csv_text_is_still_compacted() -> None:
    """Compaction starts at the first sampleInfo, even when its tag is cut across two chunks."""
    from scanner.collector.soapstream import _compacted

    series = [(6, "", [1, 2, 3])]
    body = query_perf_body([csv_result("vm-1", series), int_result("vm-2", series)])
    cut = body.index(b"<sampleInfo>") + 5
    out = b"".join(_compacted(iter([body[:cut], body[cut:]])))
    assert b"<sampleInfo><timestamp>" not in out
    assert b'<value vmscan-samples="">1,2,3</value>' in out
    assert stream_stats(body, 3) == pyvmomi_stats(body, 3)
