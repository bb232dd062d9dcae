"""Performance history for sizing: vCenter ``QueryPerf`` rollups → per-VM ``PerfStats``.

The pure part (counter choice, batching, interval choice, CSV parsing, percentiles) works on
plain values and duck-typed objects so it is unit-tested without a server; ``collect_perf``
is the thin live part that calls the PerformanceManager.

Stored per VM under the counter name without rollup (``"cpu.usagemhz"``), in these units:
cpu.usage percent (vCenter sends hundredths), cpu.usagemhz MHz, mem.consumed / mem.active MiB
(vCenter sends KB), disk.usage / net.usage KBps. Percentiles are nearest-rank (always an observed
sample). Coverage = samples present / samples expected for the interval over the window, capped
at 1 (a VM created or powered on mid-window has less).
"""

from __future__ import annotations

import bisect
import concurrent.futures
import datetime
import itertools
import json
import json.scanner
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

from scanner.collector.parseworker import HistoryWorker, ParseWorkerFailed
from scanner.collector.properties import DEFAULT_PARSER, PARSER_PYVMOMI, PARSER_STREAM
from scanner.inventory.model import CollectionIssue, PerfStats, VCenter

# Level-1 counters that vCenter keeps in every historical interval (30-day history included).
WANTED_COUNTERS = ("cpu.usage", "cpu.usagemhz", "mem.consumed", "mem.active", "disk.usage", "net.usage")
# Historical data is rolled up; "average" is what every statistics level keeps.
ROLLUP_PREFERENCE = ("average", "maximum", "latest", "none")
MAX_QUERY_METRICS_OPTION = "config.vpxd.stats.maxQueryMetrics"
# vCenter's documented default when the advanced option is not set (KB 2107096).
DEFAULT_MAX_QUERY_METRICS = 256
# -1 (or 0) switches the limit off; batches still stay bounded to keep responses small.
UNLIMITED_BATCH_METRICS = 4096
# vCenter's default historical intervals: (sampling period s, length kept s): 5 min for a day,
# 30 min for a week, 2 h for a month, 1 day for a year. Used when the server lists none.
DEFAULT_HISTORICAL_INTERVALS = ((300, 86_400), (1_800, 604_800), (7_200, 2_592_000), (86_400, 31_536_000))
# unit key -> (multiplier to vmscan's unit, vmscan unit name)
UNIT_SCALE = {
    "percent": (0.01, "percent"),
    "megaHertz": (1.0, "MHz"),
    "kiloBytes": (1 / 1024, "MiB"),
    "kiloBytesPerSecond": (1.0, "KBps"),
}

# An answer longer than this is not held whole for the history worker but read here as it
# arrives (vCenter's are ~1 MB per 256 metrics in CSV; a hostile server's could be any size).
OFFLOAD_ANSWER_BYTES = 64 * 1024 * 1024

# Concurrent QueryPerf calls per vCenter: enough to overlap the server producing one response
# with vmscan parsing another, few enough not to load a production vCenter.
DEFAULT_PERF_WORKERS = 4

E = TypeVar("E")


@dataclass(frozen=True)
class CounterInfo:
    key: int
    name: str  # "group.counter", e.g. "cpu.usagemhz"
    rollup: str
    unit: str
    level: int | None = None


def counter_info(raw: Any) -> CounterInfo:
    """From a PerformanceManager.perfCounter item (vim.PerformanceManager.CounterInfo)."""
    return CounterInfo(
        key=int(raw.key),
        name=f"{raw.groupInfo.key}.{raw.nameInfo.key}",
        rollup=str(raw.rollupType),
        unit=str(raw.unitInfo.key),
        level=getattr(raw, "level", None),
    )


def select_counters(counters: Iterable[CounterInfo], wanted: Sequence[str] = WANTED_COUNTERS) -> dict[str, CounterInfo]:
    """Pick one counter per wanted name, preferring the ``average`` rollup; missing names are left out."""
    best: dict[str, CounterInfo] = {}
    for counter in counters:
        if counter.name not in wanted or counter.rollup not in ROLLUP_PREFERENCE:
            continue
        current = best.get(counter.name)
        if current is None or ROLLUP_PREFERENCE.index(counter.rollup) < ROLLUP_PREFERENCE.index(current.rollup):
            best[counter.name] = counter
    return {name: best[name] for name in wanted if name in best}


def max_query_metrics(value: Any) -> int:
    """The batch limit from the OptionManager value of ``config.vpxd.stats.maxQueryMetrics``.

    None (option absent) → 256; -1 or 0 (limit disabled) → a large bounded batch; text is parsed.
    """
    if value is None:
        return DEFAULT_MAX_QUERY_METRICS
    try:
        limit = int(str(value).strip())
    except ValueError:
        return DEFAULT_MAX_QUERY_METRICS
    return UNLIMITED_BATCH_METRICS if limit <= 0 else limit


class BatchPlanner:
    """Entities in, QueryPerf batches out as soon as each is complete (see :func:`plan_batches`).

    Lets the history's calls start while the inventory's VM pages still arrive.
    """

    def __init__(self, counter_keys: Sequence[int], limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be positive")
        keys = list(counter_keys)
        self.limit = limit
        self.chunks = [keys[i : i + limit] for i in range(0, len(keys), limit)]
        self.current: list[tuple[Any, list[int]]] = []
        self.used = 0

    def add(self, entity: Any) -> list[list[tuple[Any, list[int]]]]:
        """The batches this entity completes (its own included once no next entity could join it)."""
        closed: list[list[tuple[Any, list[int]]]] = []
        for chunk in self.chunks:
            if self.used + len(chunk) > self.limit and self.current:
                closed.append(self.current)
                self.current, self.used = [], 0
            self.current.append((entity, chunk))
            self.used += len(chunk)
        # The next entity's first chunk would not fit: this batch is complete now.
        if self.chunks and self.current and self.used + len(self.chunks[0]) > self.limit:
            closed.append(self.current)
            self.current, self.used = [], 0
        return closed

    def close(self) -> list[list[tuple[Any, list[int]]]]:
        """The last, partly filled batch (if any)."""
        closed = [self.current] if self.current else []
        self.current, self.used = [], 0
        return closed


def plan_batches(entities: Sequence[E], counter_keys: Sequence[int], limit: int) -> list[list[tuple[E, list[int]]]]:
    """Split entity x metric pairs into QueryPerf calls of at most ``limit`` metrics each.

    Each element of a batch is one QuerySpec (entity, counter keys). An entity's counters stay in
    one spec unless they alone exceed the limit.
    """
    planner = BatchPlanner(counter_keys, limit)
    batches: list[list[tuple[Any, list[int]]]] = []
    for entity in entities:
        batches.extend(planner.add(entity))
    batches.extend(planner.close())
    return batches


def choose_interval(intervals: Iterable[tuple[int, int]], window_seconds: int) -> int:
    """The finest sampling period whose kept history covers the window (else the longest-kept one)."""
    options = sorted((period, length) for period, length in intervals if period > 0)
    if not options:
        options = sorted(DEFAULT_HISTORICAL_INTERVALS)
    for period, length in options:
        if length >= window_seconds:
            return period
    return max(options, key=lambda item: item[1])[0]


def expected_samples(window_seconds: int, interval_seconds: int) -> int:
    return max(1, window_seconds // interval_seconds)


def parse_values_csv(text: str | None) -> list[float | None]:
    """A PerfMetricSeriesCSV value string: comma-separated numbers, -1 (or empty) = no sample."""
    if not text:
        return []
    items = text.split(",")
    try:
        # Fast path (one float() per item, in a comprehension): 21.6 million samples for 10,000 VMs.
        numbers = [float(item) for item in items]
    except ValueError:
        # Empty items (a trailing comma): skipped; anything else that is not a number raises.
        numbers = [float(item) for item in (i.strip() for i in items) if item]
    return [None if number < 0 else number for number in numbers]


def nearest_rank_index(count: int, p: float) -> int:
    """The list index of the nearest-rank ``p``th percentile of ``count`` ascending values."""
    return max(1, math.ceil(p / 100 * count)) - 1


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of an ascending, non-empty sequence."""
    if not sorted_values:
        raise ValueError("no values")
    return sorted_values[nearest_rank_index(len(sorted_values), p)]


# Text of plain numbers and commas only (no letters but exponents, no quotes, brackets or
# literals) so that json's parser reads exactly the numbers float() would: see present_samples().
_PLAIN_NUMBER_TEXT = re.compile(r"[0-9eE+.,\- ]*")
# Of those, the characters of integer text: a text of nothing else needs no fraction check.
_INTEGER_TEXT_CHARS = b"0123456789,-"
# Integers up to 2**53 convert to float exactly; beyond, the careful reader decides.
_EXACT_INT = 2**53
# json's own (C) scanner, called directly: json.loads adds three Python calls and two regex
# matches per text, for 60,000 texts at 10,000 VMs.
_SCAN_JSON: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]  # typeshed types the context as the scanner class
)


def _json_list(joined: str) -> list[Any] | None:
    """``json.loads(f"[{joined}]")``, or None where json.loads would raise."""
    text = f"[{joined}]"
    try:
        value, end = _SCAN_JSON(text, 0)
    except (StopIteration, ValueError):
        return None
    return value if end == len(text) else None


def present_samples(joined: str) -> list[float] | None:
    """The samples present (>= 0) in comma-separated text, ascending; None = use the careful reader.

    ~6x faster than one float() per item (21.6 million samples for 10,000 VMs): the text is read
    by json's C parser. Only text whose meaning is certain takes this path: plain numbers, none of
    them "-0" (float keeps its sign), none at or beyond 2**53 in size, a finite sum (no nan/inf).
    Anything else (empty items, "+1", "01", words) returns None and is read item by item as before.
    Integers stay integers: they compare and scale (``int * float``) exactly as their float would.
    """
    if joined.isascii() and not joined.encode().translate(None, _INTEGER_TEXT_CHARS):
        # Digits, commas and minus signs only (vCenter's samples): integers, or text json refuses.
        # (One C pass: ~6x cheaper than the pattern and the fraction checks below.)
        fractions = False
    elif _PLAIN_NUMBER_TEXT.fullmatch(joined):
        fractions = "." in joined or "e" in joined or "E" in joined
    else:
        return None
    # ("-" first: one memchr, where the two-character search costs ~2 µs per 360-sample text.)
    if "-" in joined and "-0" in joined:
        return None
    numbers = _json_list(joined)
    if not numbers:
        return numbers
    numbers.sort()
    if numbers[-1] >= _EXACT_INT or numbers[0] <= -_EXACT_INT:
        return None
    # Only a fraction or an exponent makes a float (integers, vCenter's samples, are all finite).
    if fractions and not math.isfinite(sum(numbers)):
        return None
    # Most series have no missing sample (-1): then the sorted list is the answer, uncopied.
    return numbers if numbers[0] >= 0 else numbers[bisect.bisect_left(numbers, 0) :]


# numpy, imported by the first history read (vmscan's other commands and the inventory never load it).
_np: Any = None


def _numpy() -> Any:
    global _np
    if _np is None:
        import numpy

        _np = numpy
    return _np


def load_sample_reader() -> None:
    """Import numpy now (~0.09 s), e.g. while the history's first answers are still on their way."""
    _numpy()


class RankedSamples(NamedTuple):
    """A series' samples present as stats_of_sorted reads them, without the whole sorted list:
    how many, the lowest, the ones at the reported ranks (REPORTED_PERCENTILES) and the highest."""

    samples: int
    low: int
    p50: int
    p90: int
    p95: int
    p99: int
    top: int


# Sample count -> the list index of each reported percentile (nearest rank), as stats_of_sorted ranks.
_RANKS: dict[int, tuple[int, int, int, int]] = {}


def _ranks(count: int) -> tuple[int, int, int, int]:
    i50, i90, i95, i99 = (nearest_rank_index(count, p) for p in REPORTED_PERCENTILES)
    if len(_RANKS) < 100_000:
        _RANKS[count] = (i50, i90, i95, i99)
    return i50, i90, i95, i99


# 10**1 … 10**16 (2**53 has 16 digits), and their negatives: to count the digits of sorted int64s.
_POWERS_OF_TEN: Any = None


def ranked_samples(joined: str) -> RankedSamples | list[float] | None:
    """The samples present (>= 0) in comma-separated integer text, ranked by numpy; None = not this path.

    ~2.5x cheaper than present_samples (json's parser and list.sort, ~65 % of the history's CPU):
    numpy reads the text to int64s and sorts them in C; only the six samples stats_of_sorted reads
    become Python ints. Only text whose meaning is certain takes this path, exactly the integer
    texts present_samples reads with json: digits, commas and minus signs, every minus starting an
    item and followed by a digit other than 0, as many numbers as items, nothing at or beyond 2**53
    in size (numpy saturates at int64's bounds, beyond it), and the text exactly as long as those
    numbers written plainly (commas, a minus per negative, their digits): so no leading zero and no
    empty item. Anything else (fractions, "01", "1,,2", words) returns None: present_samples and
    then the careful reader decide, as before. An empty list = no sample present (all -1).
    """
    global _POWERS_OF_TEN
    if not joined or not joined.isascii():
        return None
    text = joined.encode()
    if text.translate(None, _INTEGER_TEXT_CHARS) or text[0] == 44 or text[-1] in b",-":  # 44: ","
        return None
    if b"-" in text and (
        b"-0" in text or b"-," in text or b"--" in text or text.count(b"-") != text.count(b",-") + (text[0] == 45)
    ):
        return None
    np = _np or _numpy()
    try:
        values = np.fromstring(text, dtype=np.int64, sep=",")
    except ValueError:
        return None
    n = values.size
    if n != text.count(b",") + 1:
        return None
    values.sort()
    if values[-1] >= _EXACT_INT or values[0] <= -_EXACT_INT:
        return None
    if _POWERS_OF_TEN is None:
        powers = np.array([10**k for k in range(1, 17)], dtype=np.int64)
        _POWERS_OF_TEN = (powers, -powers)
    powers, negative_powers = _POWERS_OF_TEN
    missing = int(values.searchsorted(0))
    # Digits of each number: 1, plus 1 per power of ten its size reaches (the values are sorted).
    digits = 17 * n - int(values.searchsorted(powers).sum())
    if missing:
        digits += int(values.searchsorted(negative_powers, "right").sum())
    if len(text) != n - 1 + missing + digits:
        return None
    count = n - missing
    if not count:
        return []
    i50, i90, i95, i99 = _RANKS.get(count) or _ranks(count)
    low, p50, p90, p95, p99, top = values[
        [missing, missing + i50, missing + i90, missing + i95, missing + i99, n - 1]
    ].tolist()
    return RankedSamples(count, low, p50, p90, p95, p99, top)


def samples_for_stats(joined: str) -> RankedSamples | list[float] | None:
    """ranked_samples, else present_samples: what stats_from_series reads; None = the careful reader."""
    ranked = ranked_samples(joined)
    return ranked if ranked is not None else present_samples(joined)


class ArrivalOrder(list[float]):
    """Samples present in the order they came (not sorted): the careful reader's, rare."""


def perf_stats(values: Iterable[float | None], expected: int, unit_key: str) -> PerfStats:
    present = [v for v in values if v is not None]
    if not math.isfinite(sum(present)):
        # nan or inf among the samples: sorted in their own (arrival) order, after scaling, as always.
        factor = UNIT_SCALE.get(unit_key, (1.0, unit_key))[0]
        return stats_of_sorted(sorted([v * factor for v in present]), expected, unit_key, scaled=True)
    present.sort()
    return stats_of_sorted(present, expected, unit_key)


# The percentiles sizing reads (nearest rank), in PerfStats' field order.
REPORTED_PERCENTILES = (50, 90, 95, 99)
# (unit key, sample count, expected count, scaled) -> what stats_of_sorted derives from them
# alone: the factor, vmscan's unit, the coverage and the list index of each reported percentile
# (nearest_rank_index, as percentile() ranks them). A handful of keys in practice (window / interval).
_SeriesShape = tuple[float, int, str, float, int, int, int, int]
_SERIES_SHAPES: dict[tuple[str, int, int, bool], _SeriesShape] = {}
# Factors whose round(sample * factor, 3) is sample / divisor for an integer sample below
# _DIVIDE_BELOW (vCenter's samples are integers): one correctly rounded division instead
# of round() to 3 digits, which goes through decimal conversion (~0.4 µs, 300,000 times at 10,000
# VMs). Exact because sample / divisor has at most 2 decimals and sample * factor lies within far
# less than 0.0005 of it, so rounding to 3 decimals lands on that value (property-tested).
_EXACT_DIVISORS = {1.0: 1, 0.01: 100}
_DIVIDE_BELOW = 10**12


def _series_shape(unit_key: str, count: int, expected: int, scaled: bool) -> _SeriesShape:
    factor, unit = UNIT_SCALE.get(unit_key, (1.0, unit_key))
    if scaled:
        factor = 1.0
    coverage = round(min(1.0, count / expected), 4) if expected > 0 else 0.0
    i50, i90, i95, i99 = (nearest_rank_index(count, p) for p in REPORTED_PERCENTILES)
    shape = (factor, _EXACT_DIVISORS.get(factor, 0), unit, coverage, i50, i90, i95, i99)
    if len(_SERIES_SHAPES) < 100_000:
        _SERIES_SHAPES[unit_key, count, expected, scaled] = shape
    return shape


def stats_of_sorted(present: Sequence[float], expected: int, unit_key: str, scaled: bool = False) -> PerfStats:
    """PerfStats of the samples present, ascending, in the server's unit (unless ``scaled``).

    Scaling is monotonic (the factors are positive), so the sample at each rank is the same
    whether the values are scaled before sorting or after: only the five reported ones are.
    """
    count = len(present)
    if not count:
        return PerfStats(unit=UNIT_SCALE.get(unit_key, (1.0, unit_key))[1], samples=0, coverage=0.0)
    shape = _SERIES_SHAPES.get((unit_key, count, expected, scaled))
    if shape is None:
        shape = _series_shape(unit_key, count, expected, scaled)
    factor, divisor, unit, coverage, i50, i90, i95, i99 = shape
    low, top = present[0], present[-1]
    if divisor and type(low) is int and type(top) is int and -_DIVIDE_BELOW < low and top < _DIVIDE_BELOW:
        # The five reported samples are integers (ascending: the lowest and highest bound them).
        p50, p90, p95, p99 = present[i50], present[i90], present[i95], present[i99]
        if type(p50) is int and type(p90) is int and type(p95) is int and type(p99) is int:
            d = divisor
            return PerfStats(unit, p50 / d, p90 / d, p95 / d, p99 / d, top / d, count, coverage)
    # Positional, in PerfStats' field order: unit, p50, p90, p95, p99, max, samples, coverage.
    return PerfStats(
        unit,
        round(present[i50] * factor, 3),
        round(present[i90] * factor, 3),
        round(present[i95] * factor, 3),
        round(present[i99] * factor, 3),
        round(present[-1] * factor, 3),
        count,
        coverage,
    )


def stats_of_ranked(ranked: RankedSamples, expected: int, unit_key: str) -> PerfStats:
    """stats_of_sorted of the samples ranked_samples ranked: the same PerfStats, from the same ints."""
    count, low, p50, p90, p95, p99, top = ranked
    shape = _SERIES_SHAPES.get((unit_key, count, expected, False))
    if shape is None:
        shape = _series_shape(unit_key, count, expected, False)
    factor, divisor, unit, coverage = shape[:4]
    if divisor and -_DIVIDE_BELOW < low and top < _DIVIDE_BELOW:
        d = divisor
        return PerfStats(unit, p50 / d, p90 / d, p95 / d, p99 / d, top / d, count, coverage)
    return PerfStats(
        unit,
        round(p50 * factor, 3),
        round(p90 * factor, 3),
        round(p95 * factor, 3),
        round(p99 * factor, 3),
        round(top * factor, 3),
        count,
        coverage,
    )


def _series_values(series: Any) -> list[float | None]:
    raw = series.value
    if isinstance(raw, str) or raw is None:
        return parse_values_csv(raw)
    # PerfMetricIntSeries (servers that ignore format="csv", e.g. govmomi's simulator)
    return [None if v is None or v < 0 else float(v) for v in raw]


def stats_from_series(
    series: Iterable[tuple[int, str | None, Sequence[float | None]]],
    counters: dict[int, CounterInfo],
    expected: int,
    sorted_present: bool = False,
) -> dict[str, PerfStats]:
    """One entity's series (counter id, instance, samples) → {counter name: PerfStats}.

    Only the aggregate instance ("") is used; per-device instances would double count.
    ``sorted_present``: the samples are already the present ones, ascending (the stream parser's),
    except for an ``ArrivalOrder`` list, which is ranked as perf_stats ranks any samples.
    """
    out: dict[str, PerfStats] = {}
    for counter_id, instance, values in series:
        if (instance or "") != "":
            continue
        counter = counters.get(int(counter_id))
        if counter is None:
            continue
        if type(values) is RankedSamples:
            out[counter.name] = stats_of_ranked(values, expected, counter.unit)
        elif sorted_present and not isinstance(values, ArrivalOrder):
            out[counter.name] = stats_of_sorted(values, expected, counter.unit)  # type: ignore[arg-type]
        else:
            out[counter.name] = perf_stats(values, expected, counter.unit)
    return out


def stats_from_results(
    results: Iterable[Any], counters: dict[int, CounterInfo], expected: int
) -> dict[str, dict[str, PerfStats]]:
    """QueryPerf results as pyVmomi objects (CSV or normal format) → {entity moref: {counter: PerfStats}}."""
    out: dict[str, dict[str, PerfStats]] = {}
    for result in results:
        moref = str(getattr(result.entity, "_moId", result.entity))
        series = ((int(s.id.counterId), s.id.instance, _series_values(s)) for s in result.value or [])
        out.setdefault(moref, {}).update(stats_from_series(series, counters, expected))
    return out


# --------------------------------------------------------------------------------------------
# Live part (pyVmomi objects in, plain results out)


@dataclass
class PerfCollection:
    stats: dict[str, dict[str, PerfStats]]  # VM moref -> counter -> stats
    interval_seconds: int
    window_seconds: int
    batch_limit: int
    queries: int
    problems: list[str]


def _option_value(content: Any, key: str) -> Any:
    manager = getattr(content, "setting", None)
    if manager is None:
        return None
    try:
        values = manager.QueryOptions(name=key)
    except Exception:  # InvalidName when the option is not set: the default applies
        return None
    for item in values or []:
        if item.key == key:
            return item.value
    return None


SpecBuilder = Callable[[list[tuple[Any, list[int]]]], list[Any]]
# The entity of the one QuerySpec pyVmomi serializes per counter chunk; replaced by each VM's.
PLACEHOLDER_MOREF = "vmscan-placeholder-entity"


def query_perf_request(manager: Any, batch: list[tuple[Any, list[int]]], specs_for: SpecBuilder) -> bytes:
    """The QueryPerf request for ``batch``, byte for byte what pyVmomi serializes for its specs.

    pyVmomi serializes one spec per counter chunk (for a placeholder entity), and each entity's
    spec is that text with its moref in place (pyVmomi writes morefs as they are): building and
    serializing 10,000 type-checked QuerySpecs cost about as much as parsing the CSV answers.
    """
    from scanner.collector.soapstream import soap_stub

    stub = soap_stub(manager)
    info = manager._GetMethodInfo("QueryStats")
    if any(getattr(entity, "_serverGuid", None) for entity, _ in batch):
        return bytes(stub.SerializeRequest(manager, info, [specs_for(batch)]))  # written as an attribute
    placeholder = f">{PLACEHOLDER_MOREF}</entity>".encode()
    specs: dict[tuple[type, tuple[int, ...]], bytes] = {}
    head = tail = b""
    parts: list[bytes] = []
    for entity, keys in batch:
        shape = (type(entity), tuple(keys))
        spec = specs.get(shape)
        if spec is None:
            stand_in = type(entity)(PLACEHOLDER_MOREF, entity._stub)
            body = stub.SerializeRequest(manager, info, [specs_for([(stand_in, keys)])])
            start, end = body.find(b"<querySpec"), body.rfind(b"</querySpec>") + len(b"</querySpec>")
            if start < 0 or end < start or body.count(placeholder) != 1:
                # Not the shape this relies on: let pyVmomi serialize the whole batch.
                return bytes(stub.SerializeRequest(manager, info, [specs_for(batch)]))
            head, tail = body[:start], body[end:]
            spec = specs[shape] = body[start:end]
        parts.append(spec.replace(placeholder, f">{entity._moId}</entity>".encode()))
    return head + b"".join(parts) + tail


def answer_stats(
    chunks: Iterator[bytes], catalog: Any, by_key: dict[int, CounterInfo], expected: int
) -> dict[str, dict[str, PerfStats]]:
    """A QueryPerf answer body (chunks) → per-VM stats, read as it arrives (soapstream's parser)."""
    from scanner.collector.soapstream import parse_query_perf_result

    out: dict[str, dict[str, PerfStats]] = {}
    for entity in parse_query_perf_result(chunks, catalog):
        out.setdefault(entity.moref, {}).update(stats_from_series(entity.series, by_key, expected, sorted_present=True))
    return out


class HandedAnswer:
    """A QueryPerf answer handed to the history worker: :meth:`stats` waits for its statistics.

    The body is kept until they are in, to be read here if the worker fails (gone, or the answer
    unreadable to it): then the same statistics, or the very error the ordinary reading gives.
    """

    def __init__(
        self, body: bytes, catalog: Any, by_key: dict[int, CounterInfo], expected: int, worker: HistoryWorker
    ) -> None:
        self.body: bytes | None = body
        self.reading = (catalog, by_key, expected)
        self.answer = worker.submit(body)
        self.answer.add_done_callback(self._drop_body)

    def _drop_body(self, answer: concurrent.futures.Future[Any]) -> None:
        if answer.exception() is None:
            self.body = None

    def stats(self) -> dict[str, dict[str, PerfStats]]:
        try:
            stats: dict[str, dict[str, PerfStats]] = self.answer.result()
        except ParseWorkerFailed:
            assert self.body is not None
            return answer_stats(iter((self.body,)), *self.reading)
        return stats


def offloaded_answer_stats(
    chunks: Iterator[bytes],
    catalog: Any,
    by_key: dict[int, CounterInfo],
    expected: int,
    worker: HistoryWorker | None,
) -> dict[str, dict[str, PerfStats]] | HandedAnswer:
    """:func:`answer_stats`, or the answer read whole and handed to the history worker if it wants it.

    An answer past OFFLOAD_ANSWER_BYTES is read here as it arrives instead of being held whole.
    """
    if worker is None or not worker.wants():
        return answer_stats(chunks, catalog, by_key, expected)
    held: list[bytes] = []
    size = 0
    for chunk in chunks:
        held.append(chunk)
        size += len(chunk)
        if size > OFFLOAD_ANSWER_BYTES:
            return answer_stats(itertools.chain(held, chunks), catalog, by_key, expected)
    return HandedAnswer(b"".join(held), catalog, by_key, expected, worker)


def query_stats(answer: dict[str, dict[str, PerfStats]] | HandedAnswer) -> dict[str, dict[str, PerfStats]]:
    """What :func:`_query_batch` gave, the worker's statistics waited for."""
    return answer.stats() if isinstance(answer, HandedAnswer) else answer


def _query_batch(
    manager: Any,
    batch: list[tuple[Any, list[int]]],
    specs_for: SpecBuilder,
    by_key: dict[int, CounterInfo],
    expected: int,
    parser: str,
    worker: HistoryWorker | None = None,
) -> dict[str, dict[str, PerfStats]] | HandedAnswer:
    """One QueryPerf call → per-VM stats (computed in the calling thread), or the answer handed to
    ``worker`` (the thread goes on to the next call; see :func:`query_stats`)."""
    if parser == PARSER_PYVMOMI:
        return stats_from_results(manager.QueryPerf(querySpec=specs_for(batch)), by_key, expected)
    from scanner.collector.soapstream import TypeCatalog, query_perf_answer, soap_stub

    catalog = TypeCatalog(soap_stub(manager))
    with query_perf_answer(manager, query_perf_request(manager, batch, specs_for)) as chunks:
        return offloaded_answer_stats(chunks, catalog, by_key, expected, worker)


@dataclass
class _PerfPlan:
    """What every QueryPerf call of one collection shares: counters, window, interval, batch limit."""

    manager: Any
    counters: dict[str, CounterInfo]
    by_key: dict[int, CounterInfo]
    problems: list[str]
    interval: int
    window: int
    expected: int
    limit: int
    specs_for: SpecBuilder
    parser: str


def _perf_plan(content: Any, days: int, now: datetime.datetime | None, parser: str) -> _PerfPlan:
    from pyVmomi import vim

    if parser not in (PARSER_STREAM, PARSER_PYVMOMI):
        raise ValueError(f"unknown parser {parser!r}")
    manager = content.perfManager
    window = days * 86_400
    end = now or datetime.datetime.now(datetime.UTC)
    start = end - datetime.timedelta(seconds=window)
    counters = select_counters(counter_info(c) for c in manager.perfCounter or [])
    problems = [
        f"performance counter {name} not offered by the server" for name in WANTED_COUNTERS if name not in counters
    ]
    intervals = [(int(h.samplingPeriod), int(h.length)) for h in (manager.historicalInterval or []) if h.enabled]
    interval = choose_interval(intervals, window)
    expected = expected_samples(window, interval)
    limit = max_query_metrics(_option_value(content, MAX_QUERY_METRICS_OPTION))

    def specs_for(batch: list[tuple[Any, list[int]]]) -> list[Any]:
        return [
            vim.PerformanceManager.QuerySpec(
                entity=entity,
                # The aggregate instance only: per-vCPU/per-device rows would multiply the response.
                metricId=[vim.PerformanceManager.MetricId(counterId=k, instance="") for k in keys],
                intervalId=interval,
                startTime=start,
                endTime=end,
                # Ignored by vCenter for historical intervals; govmomi's simulator needs it.
                maxSample=expected,
                format="csv",
            )
            for entity, keys in batch
        ]

    return _PerfPlan(
        manager=manager, counters=counters, by_key={c.key: c for c in counters.values()}, problems=problems,
        interval=interval, window=window, expected=expected, limit=limit, specs_for=specs_for, parser=parser,
    )  # fmt: skip


class HistoryQueries:
    """QueryPerf calls for VMs handed over one at a time; each batch is sent once it is complete.

    Up to ``workers`` calls run at once (each within the server's metric limit), parsed in the
    worker thread. :meth:`result` waits for the rest; :meth:`cancel` drops what has not started.
    """

    def __init__(self, plan: _PerfPlan, workers: int = DEFAULT_PERF_WORKERS, offload: bool = False) -> None:
        self.plan = plan
        self.planner = BatchPlanner(list(plan.by_key), plan.limit)
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="vmscan-perf")
        self.futures: dict[concurrent.futures.Future[dict[str, dict[str, PerfStats]] | HandedAnswer], int] = {}
        self.entities = 0
        # Part of the answers read by a second process (the streaming parser only): their CPU,
        # ~5 s for 10,000 VMs, is otherwise all on the collector's one core (the GIL).
        self.worker: HistoryWorker | None = None
        if offload and plan.parser == PARSER_STREAM:
            from scanner.collector.soapstream import soap_stub

            self.worker = HistoryWorker.start(getattr(soap_stub(plan.manager), "version", None), plan.by_key,
                                              plan.expected)  # fmt: skip

    def add(self, entity: Any) -> None:
        self.entities += 1
        for batch in self.planner.add(entity):
            self._submit(batch)

    def _submit(self, batch: list[tuple[Any, list[int]]]) -> None:
        plan = self.plan
        # Specs are built in the worker: 10,000 VMs' QuerySpecs at once would be ~tens of MB.
        future = self.pool.submit(
            _query_batch, plan.manager, batch, plan.specs_for, plan.by_key, plan.expected, plan.parser, self.worker
        )
        self.futures[future] = len({id(entity) for entity, _ in batch})

    def cancel(self) -> None:
        """Drop the calls not yet started; wait for the running ones (at most ``workers``)."""
        self.pool.shutdown(wait=True, cancel_futures=True)
        self._close_worker()

    def _close_worker(self) -> None:
        if self.worker is not None:
            self.worker.close()

    def result(self, progress: Callable[[int, int], None] | None = None) -> PerfCollection:
        for batch in self.planner.close():
            self._submit(batch)
        stats: dict[str, dict[str, PerfStats]] = {}
        done = 0
        try:
            for future in concurrent.futures.as_completed(self.futures):
                for moref, per_counter in query_stats(future.result()).items():
                    stats.setdefault(moref, {}).update(per_counter)
                done += self.futures[future]
                if progress is not None:
                    progress(min(done, self.entities), self.entities)
        except BaseException:
            # A failed query (or Ctrl-C through ``progress``) ends the rest; running ones finish.
            self.cancel()
            raise
        self.pool.shutdown(wait=True)
        self._close_worker()
        plan = self.plan
        # Counters in the order they were asked for, whatever order the batches completed in.
        order = list(plan.counters)
        ordered = {moref: {n: per[n] for n in order if n in per} for moref, per in stats.items()}
        return PerfCollection(
            stats=ordered,
            interval_seconds=plan.interval,
            window_seconds=plan.window,
            batch_limit=plan.limit,
            queries=len(self.futures),
            problems=plan.problems,
        )


def collect_perf(
    content: Any,
    vms: Sequence[Any],
    days: int,
    now: datetime.datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
    parser: str = DEFAULT_PARSER,
    workers: int = DEFAULT_PERF_WORKERS,
    offload: bool = False,
) -> PerfCollection:
    """Query ``days`` of history for ``vms`` (vim.VirtualMachine references; pass powered-on ones).

    Up to ``workers`` QueryPerf calls run at once, each within the server's metric limit.
    ``parser`` as for the PropertyCollector: "stream" parses the response as it arrives,
    "pyvmomi" uses pyVmomi's deserializer (the reference; same results). ``offload``: part of the
    answers read by a second process (parseworker.HistoryWorker; the streaming parser only).
    """
    queries = HistoryQueries(_perf_plan(content, days, now, parser), workers, offload)
    try:
        for vm in vms:
            queries.add(vm)
    except BaseException:
        queries.cancel()
        raise
    return queries.result(progress)


def _is_running(vm: Any) -> bool:
    """A VM whose history is read: powered on, with a moref, not a template."""
    return bool(vm.power_state == "powered_on" and vm.moref and not vm.template)


def _attached(vcenter: VCenter, running: Sequence[Any], days: int, result: PerfCollection) -> list[CollectionIssue]:
    for vm in running:
        vm.perf = result.stats.get(vm.moref or "", {})
    vcenter.source_detail.update(
        perf_days=str(days),
        perf_interval_seconds=str(result.interval_seconds),
        perf_batch_metrics=str(result.batch_limit),
    )
    return [CollectionIssue(vcenter=vcenter.name, property="perf", message=p) for p in result.problems]


def attach_perf(
    content: Any,
    vcenter: VCenter,
    days: int,
    progress: Callable[[int, int], None] | None = None,
    parser: str = DEFAULT_PARSER,
    offload: bool = False,
) -> list[CollectionIssue]:
    """Read ``days`` of history for the powered-on VMs of ``vcenter`` into ``vm.perf``.

    A failure here costs the history, not the inventory: it becomes a collection issue.
    """
    from pyVmomi import vim, vmodl

    from scanner.collector.soapstream import StreamParseError

    running = [vm for vm in vcenter.vms if _is_running(vm)]
    if days <= 0 or not running:
        return []
    stub = content.perfManager._stub
    refs = [vim.VirtualMachine(vm.moref, stub) for vm in running]
    try:
        result = collect_perf(content, refs, days, progress=progress, parser=parser, offload=offload)
    except vmodl.MethodFault as fault:
        name = type(fault).__name__.rsplit(".", 1)[-1]
        message = f"performance history not read: {name}: {getattr(fault, 'msg', None) or ''}".rstrip(": ")
        return [CollectionIssue(vcenter=vcenter.name, property="perf", message=message)]
    except StreamParseError as exc:
        return [CollectionIssue(vcenter=vcenter.name, property="perf", message=f"performance history not read: {exc}")]
    return _attached(vcenter, running, days, result)


class EarlyHistory:
    """:func:`attach_perf`'s queries, started while the inventory's VM pages still arrive.

    The collector hands over each VM as it is mapped (:meth:`vm_mapped`); every complete batch of
    running VMs is queried at once, so the server produces the history while vmscan parses the
    inventory. Any failure here (a fault, a dropped connection, an expired session) is not
    reported: :meth:`attach` then returns None (the failure kept in ``failure``) and the caller runs
    :func:`attach_perf` as before, with its retries, so the outcome of a failure is what it always was.
    """

    def __init__(
        self,
        content: Any,
        days: int,
        parser: str = DEFAULT_PARSER,
        now: datetime.datetime | None = None,
        workers: int = DEFAULT_PERF_WORKERS,
        offload: bool = False,
    ) -> None:
        self.days = days
        self.stub = content.perfManager._stub
        self.running: list[Any] = []
        self.queries: HistoryQueries | None = None
        self.failure: Exception | None = None
        try:
            self.queries = HistoryQueries(_perf_plan(content, days, now, parser), workers, offload)
        except Exception as exc:  # attach_perf reads the same again and reports it
            self.queries, self.failure = None, exc

    def vm_mapped(self, vm: Any) -> None:
        if self.queries is None or not _is_running(vm):
            return
        from pyVmomi import vim

        self.running.append(vm)
        self.queries.add(vim.VirtualMachine(vm.moref, self.stub))

    def cancel(self) -> None:
        if self.queries is not None:
            self.queries.cancel()

    def attach(
        self, vcenter: VCenter, progress: Callable[[int, int], None] | None = None
    ) -> list[CollectionIssue] | None:
        """attach_perf's result for ``vcenter`` (whose VMs were all handed over), or None on any failure."""
        if self.queries is None:
            return None
        if not self.running:
            self.cancel()
            return []
        stopped: list[BaseException] = []

        def reported(done: int, total: int) -> None:
            if progress is not None:
                try:
                    progress(done, total)
                except BaseException as exc:
                    stopped.append(exc)
                    raise

        try:
            result = self.queries.result(reported)
        except Exception as exc:
            if stopped:
                raise  # the caller's progress callback ended the collection (Ctrl-C)
            self.failure = exc
            return None  # attach_perf runs again and reports it
        return _attached(vcenter, self.running, self.days, result)
