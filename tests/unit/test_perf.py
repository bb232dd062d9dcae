"""Performance history: counter choice, batching, intervals, CSV parsing and percentile math."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace as NS
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scanner.collector.perf import (
    DEFAULT_MAX_QUERY_METRICS,
    UNLIMITED_BATCH_METRICS,
    CounterInfo,
    choose_interval,
    counter_info,
    expected_samples,
    max_query_metrics,
    parse_values_csv,
    percentile,
    perf_stats,
    plan_batches,
    select_counters,
    stats_from_results,
)


def raw_counter(key: int, group: str, name: str, rollup: str, unit: str, level: int = 1) -> Any:
    return NS(
        key=key,
        groupInfo=NS(key=group),
        nameInfo=NS(key=name),
        rollupType=rollup,
        unitInfo=NS(key=unit),
        level=level,
    )


def test_select_counters_prefers_average_rollup_and_skips_unwanted() -> None:
    raw = [
        raw_counter(1, "cpu", "usage", "none", "percent", 4),
        raw_counter(2, "cpu", "usage", "average", "percent"),
        raw_counter(3, "cpu", "usage", "maximum", "percent", 4),
        raw_counter(6, "cpu", "usagemhz", "average", "megaHertz"),
        raw_counter(98, "mem", "consumed", "average", "kiloBytes"),
        raw_counter(24, "mem", "usage", "average", "percent"),
        raw_counter(143, "net", "usage", "maximum", "kiloBytesPerSecond"),
    ]
    chosen = select_counters(counter_info(c) for c in raw)
    assert {name: c.key for name, c in chosen.items()} == {
        "cpu.usage": 2,
        "cpu.usagemhz": 6,
        "mem.consumed": 98,
        "net.usage": 143,  # only a maximum rollup offered: better than nothing
    }
    assert list(chosen) == ["cpu.usage", "cpu.usagemhz", "mem.consumed", "net.usage"]


@pytest.mark.parametrize(
    ("value", "limit"),
    [
        (None, DEFAULT_MAX_QUERY_METRICS),
        ("64", 64),
        (500, 500),
        ("-1", UNLIMITED_BATCH_METRICS),
        (0, UNLIMITED_BATCH_METRICS),
        ("junk", DEFAULT_MAX_QUERY_METRICS),
    ],
)
def test_max_query_metrics(value: Any, limit: int) -> None:
    assert max_query_metrics(value) == limit


def test_plan_batches_respects_the_limit() -> None:
    # 100 VMs x 6 counters = 600 metrics; limit 256 -> 42 whole VMs (252 metrics) per query:
    # 42 + 42 + 16 VMs = 3 queries.
    batches = plan_batches([f"vm-{i}" for i in range(100)], [1, 2, 3, 4, 5, 6], 256)
    assert [len(b) for b in batches] == [42, 42, 16]
    assert all(sum(len(keys) for _, keys in b) <= 256 for b in batches)
    assert [entity for b in batches for entity, _ in b] == [f"vm-{i}" for i in range(100)]


def test_plan_batches_splits_an_entity_whose_counters_exceed_the_limit() -> None:
    # limit 2: each VM's 5 counters become chunks [1, 2], [3, 4], [5]; no two chunks fit together.
    batches = plan_batches(["vm-1", "vm-2"], [1, 2, 3, 4, 5], 2)
    assert batches == [
        [("vm-1", [1, 2])],
        [("vm-1", [3, 4])],
        [("vm-1", [5])],
        [("vm-2", [1, 2])],
        [("vm-2", [3, 4])],
        [("vm-2", [5])],
    ]
    # limit 3: [1, 2, 3] then [4, 5]; vm-2's first chunk does not fit beside [4, 5].
    assert plan_batches(["a", "b"], [1, 2, 3, 4, 5], 3) == [
        [("a", [1, 2, 3])],
        [("a", [4, 5])],
        [("b", [1, 2, 3])],
        [("b", [4, 5])],
    ]


@given(
    entities=st.integers(0, 60),
    counters=st.integers(1, 8),
    limit=st.integers(1, 300),
)
def test_plan_batches_covers_every_pair_once_within_the_limit(entities: int, counters: int, limit: int) -> None:
    batches = plan_batches(list(range(entities)), list(range(counters)), limit)
    pairs = [(e, k) for b in batches for e, keys in b for k in keys]
    assert sorted(pairs) == [(e, k) for e in range(entities) for k in range(counters)]
    assert all(0 < sum(len(keys) for _, keys in b) <= limit for b in batches)


def batches_before_the_planner(entities: list[Any], counter_keys: list[int], limit: int) -> list[Any]:
    """plan_batches as it was before BatchPlanner (a batch closed only when the next chunk did not fit)."""
    chunks = [counter_keys[i : i + limit] for i in range(0, len(counter_keys), limit)]
    batches: list[Any] = []
    current: list[Any] = []
    used = 0
    for entity in entities:
        for chunk in chunks:
            if used + len(chunk) > limit and current:
                batches.append(current)
                current, used = [], 0
            current.append((entity, chunk))
            used += len(chunk)
    if current:
        batches.append(current)
    return batches


@given(entities=st.integers(0, 60), counters=st.integers(0, 8), limit=st.integers(1, 300))
def test_batch_planner_hands_out_the_same_batches_as_soon_as_they_are_complete(
    entities: int, counters: int, limit: int
) -> None:
    from scanner.collector.perf import BatchPlanner

    expected = batches_before_the_planner(list(range(entities)), list(range(counters)), limit)
    planner = BatchPlanner(list(range(counters)), limit)
    handed: list[Any] = []
    for entity in range(entities):
        for batch in planner.add(entity):
            # Complete when handed out: nothing of a later entity ever joins it.
            assert batch in expected and all(e <= entity for e, _ in batch)
            handed.append(batch)
    handed.extend(planner.close())
    assert handed == expected
    assert plan_batches(list(range(entities)), list(range(counters)), limit) == expected


def test_choose_interval() -> None:
    defaults: list[tuple[int, int]] = []  # none listed: vCenter's default intervals apply
    assert choose_interval(defaults, 86_400) == 300
    assert choose_interval(defaults, 7 * 86_400) == 1_800
    assert choose_interval(defaults, 30 * 86_400) == 7_200
    assert choose_interval(defaults, 90 * 86_400) == 86_400
    # A server keeping 5-minute samples for 40 days serves a 30-day window at 5 minutes.
    assert choose_interval([(300, 40 * 86_400), (7_200, 400 * 86_400)], 30 * 86_400) == 300
    # Nothing long enough: the longest-kept interval.
    assert choose_interval([(300, 86_400), (1_800, 604_800)], 30 * 86_400) == 1_800
    assert expected_samples(30 * 86_400, 7_200) == 360


def test_parse_values_csv_marks_missing_samples() -> None:
    assert parse_values_csv("10,-1,30, 40,") == [10.0, None, 30.0, 40.0]
    assert parse_values_csv("") == []
    assert parse_values_csv(None) == []


def test_percentile_nearest_rank_on_known_samples() -> None:
    samples = [float(v) for v in range(1, 101)]  # 1..100
    # nearest rank: ceil(p/100 x 100)-th value
    assert [percentile(samples, p) for p in (50, 90, 95, 99, 100)] == [50.0, 90.0, 95.0, 99.0, 100.0]
    ten = [5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0, 4.0, 10.0, 6.0]
    ordered = sorted(ten)
    # n=10: p50 -> rank 5 -> 5; p90 -> rank 9 -> 9; p95 -> ceil(9.5)=10 -> 10; p99 -> 10
    assert [percentile(ordered, p) for p in (50, 90, 95, 99)] == [5.0, 9.0, 10.0, 10.0]


def test_perf_stats_scale_units_and_coverage() -> None:
    # cpu.usage arrives in hundredths of a percent: 2500 = 25 %.
    # 8 samples present out of 10 expected -> coverage 0.8; sorted percents 10..80.
    values: list[float | None] = [1000, 2000, None, 3000, 4000, 5000, None, 6000, 7000, 8000]
    stats = perf_stats(values, 10, "percent")
    assert stats.unit == "percent"
    # n=8: p50 rank 4 -> 40; p90 ceil(7.2)=8 -> 80; p95 ceil(7.6)=8 -> 80
    assert (stats.p50, stats.p90, stats.p95, stats.max, stats.samples, stats.coverage) == (40, 80, 80, 80, 8, 0.8)
    mem = perf_stats([1048576.0, 2097152.0], 2, "kiloBytes")  # KB -> MiB
    assert (mem.unit, mem.p50, mem.max, mem.coverage) == ("MiB", 1024.0, 2048.0, 1.0)
    empty = perf_stats([None, None], 2, "megaHertz")
    assert (empty.p95, empty.samples, empty.coverage) == (None, 0, 0.0)
    more_than_expected = perf_stats([1.0, 2.0, 3.0], 2, "megaHertz")
    assert more_than_expected.coverage == 1.0


def test_stats_from_csv_and_int_series_results() -> None:
    counters = {
        6: CounterInfo(key=6, name="cpu.usagemhz", rollup="average", unit="megaHertz"),
        98: CounterInfo(key=98, name="mem.consumed", rollup="average", unit="kiloBytes"),
    }
    csv_result = NS(
        entity=NS(_moId="vm-1"),
        sampleInfoCSV="7200,2026-01-01T00:00:00Z,7200,2026-01-01T02:00:00Z,7200,2026-01-01T04:00:00Z,"
        "7200,2026-01-01T06:00:00Z",
        value=[
            NS(id=NS(counterId=6, instance=""), value="100,200,-1,400"),
            NS(id=NS(counterId=6, instance="0"), value="999,999,999,999"),  # per-vCPU: ignored
            NS(id=NS(counterId=98, instance=""), value="1024,2048,3072,4096"),
            NS(id=NS(counterId=7, instance=""), value="1,2,3,4"),  # not asked for: ignored
        ],
    )
    int_result = NS(
        entity=NS(_moId="vm-2"),
        sampleInfo=[NS(interval=7200)] * 4,
        value=[NS(id=NS(counterId=6, instance=None), value=[50, 60, 70, 80])],
    )
    stats = stats_from_results([csv_result, int_result], counters, 4)
    cpu = stats["vm-1"]["cpu.usagemhz"]
    # present 100, 200, 400 of 4 expected: coverage 0.75; p50 rank ceil(1.5)=2 -> 200; p95 rank 3 -> 400
    assert (cpu.p50, cpu.p95, cpu.max, cpu.coverage, cpu.unit) == (200, 400, 400, 0.75, "MHz")
    assert stats["vm-1"]["mem.consumed"].p99 == 4.0  # 4096 KB = 4 MiB
    assert set(stats["vm-1"]) == {"cpu.usagemhz", "mem.consumed"}
    assert stats["vm-2"]["cpu.usagemhz"].p50 == 60
    assert stats["vm-2"]["cpu.usagemhz"].coverage == 1.0


def reference_parse_values_csv(text: str | None) -> list[float | None]:
    """The plain item-by-item reading that the fast parse_values_csv must match."""
    values: list[float | None] = []
    for item in (text or "").split(","):
        item = item.strip()
        if item:
            number = float(item)
            values.append(None if number < 0 else number)
    return values


@given(
    st.lists(
        st.one_of(st.integers(-1, 10**12).map(str), st.just(""), st.just(" 7"), st.floats(0, 1e6).map(repr)),
        max_size=30,
    )
)
def test_parse_values_csv_matches_item_by_item_reading(items: list[str]) -> None:
    text = ",".join(items)
    assert parse_values_csv(text) == reference_parse_values_csv(text)


def reference_perf_stats(values: list[float | None], expected: int, unit_key: str) -> Any:
    """perf_stats as it was before it ranked unscaled samples: scale every sample, then sort."""
    from scanner.collector.perf import UNIT_SCALE
    from scanner.inventory.model import PerfStats

    factor, unit = UNIT_SCALE.get(unit_key, (1.0, unit_key))
    present = sorted([v * factor for v in values if v is not None])
    coverage = round(min(1.0, len(present) / expected), 4) if expected > 0 else 0.0
    if not present:
        return PerfStats(unit=unit, samples=0, coverage=0.0)
    return PerfStats(
        unit=unit,
        p50=round(percentile(present, 50), 3),
        p90=round(percentile(present, 90), 3),
        p95=round(percentile(present, 95), 3),
        p99=round(percentile(present, 99), 3),
        max=round(present[-1], 3),
        samples=len(present),
        coverage=coverage,
    )


UNIT_KEYS = st.sampled_from(["percent", "megaHertz", "kiloBytes", "kiloBytesPerSecond", "number"])
SAMPLE_TEXT = st.one_of(
    st.integers(-5, 10**6).map(str),
    st.integers(-(2**60), 2**60).map(str),  # beyond 2**53: the careful reader
    st.floats(allow_nan=True, allow_infinity=True).map(repr),  # "nan", "inf", "1e-310", "-0.0"
    st.floats(0, 1e4).map(lambda f: f"{f:.3e}"),
    st.sampled_from(["-0", "-1", "0", " 7", "7 ", "+1", "01", "1.", ".5", "1_000", "1e400", "", "x", "1 2", "NaN"]),
)


def careful_samples(text: str) -> list[float] | None:
    """What the careful reader makes of the text (None: it refuses it)."""
    try:
        return [v for v in parse_values_csv(text) if v is not None]
    except ValueError:
        return None


@given(st.lists(SAMPLE_TEXT, max_size=40))
def test_present_samples_reads_what_the_careful_reader_reads(items: list[str]) -> None:
    import math

    from scanner.collector.perf import present_samples

    text = ",".join(items)
    fast = present_samples(text)
    if fast is None:
        return  # left to the careful reader
    careful = careful_samples(text)
    assert careful is not None, text
    assert all(math.isfinite(v) for v in careful)
    assert fast == sorted(careful)
    # Same numbers, same ranking and scaling: float(int) is the float the careful reader made.
    assert [float(v) for v in fast] == sorted(careful)
    assert [repr(float(v)) for v in fast] == [repr(v) for v in sorted(careful)]  # no -0.0 lost


def test_present_samples_takes_plain_numbers_and_leaves_the_rest() -> None:
    from scanner.collector.perf import present_samples

    assert present_samples("30,-1,10,20") == [10, 20, 30]
    assert present_samples("0,-1,0") == [0, 0]  # 0 is a sample (an idle VM's); only -1 means none
    assert present_samples("1.5,2e3, 7") == [1.5, 7, 2000.0]
    assert present_samples("") == []
    assert present_samples("-1,7,-1") == [7]
    for text in ("1,,2", "+1", "-0", "01", "nan", "1e400", str(2**53), "true", "[1]", "1 2", "1--2", "-", "1-2", ",1"):
        assert present_samples(text) is None, text


@given(st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**9).map(float)),
                max_size=50), st.integers(1, 60), UNIT_KEYS)
@example([0.0, -5e-324], 1, "percent")
def test_perf_stats_same_as_scaling_before_sorting(values: list[float | None], expected: int, unit_key: str) -> None:
    from scanner.collector.perf import stats_of_sorted

    reference = reference_perf_stats(values, expected, unit_key)
    assert same_stats(perf_stats(values, expected, unit_key), reference)
    present = [v for v in values if v is not None]
    if all(v == v and abs(v) != float("inf") for v in present):
        # The stream parser hands over the present samples sorted: the same statistics.
        assert same_stats(stats_of_sorted(sorted(present), expected, unit_key), reference)


def same_stats(got: Any, reference: Any) -> bool:
    """Field by field: the same numbers, NaN as NaN. The sign of a zero is not compared: ranking
    unscaled samples puts a negative subnormal before 0.0, where scaling first makes it -0.0, equal to
    0.0 and kept in arrival order ([0.0, -5e-324] in percent: max 0.0 against -0.0)."""
    def key(value: Any) -> Any:
        if isinstance(value, float):
            return "nan" if value != value else value + 0.0  # -0.0 + 0.0 == 0.0
        return value

    names = [field.name for field in dataclasses.fields(reference)]
    return type(got) is type(reference) and all(
        repr(key(getattr(got, name))) == repr(key(getattr(reference, name))) for name in names
    )


def test_perf_stats_ignores_only_the_sign_of_zero() -> None:
    """The case hypothesis found: the same statistics but for -0.0 against 0.0; a real difference still fails."""
    values = [0.0, -5e-324]
    assert same_stats(perf_stats(values, 1, "percent"), reference_perf_stats(values, 1, "percent"))
    assert not same_stats(perf_stats([0.0, 1.0], 1, "percent"), reference_perf_stats([0.0, 2.0], 1, "percent"))


@given(st.one_of(st.lists(SAMPLE_TEXT, max_size=40).map(",".join), st.text(max_size=60)))
def test_json_list_reads_what_json_loads_reads(joined: str) -> None:
    """present_samples calls json's scanner directly: the same list, or None where loads raises."""
    import json

    from scanner.collector.perf import _json_list

    try:
        expected = json.loads(f"[{joined}]")
    except ValueError:
        expected = None
    got = _json_list(joined)
    assert repr(got) == repr(expected), joined


@given(st.integers(1, 5000))
def test_percentile_indexes_are_percentile_ranks(count: int) -> None:
    from scanner.collector.perf import REPORTED_PERCENTILES, _series_shape

    ranked = list(range(count))
    indexes = _series_shape("percent", count, count, False)[4:]
    assert [ranked[i] for i in indexes] == [percentile(ranked, p) for p in REPORTED_PERCENTILES]


@given(st.lists(st.integers(0, 2**53 - 1), max_size=50), st.integers(1, 60), UNIT_KEYS)
def test_stats_of_integer_samples_same_as_of_their_floats(values: list[int], expected: int, unit_key: str) -> None:
    """The stream parser hands over integers (CSV text without fractions): the same statistics as floats."""
    from scanner.collector.perf import stats_of_sorted

    present = sorted(values)
    assert repr(stats_of_sorted(present, expected, unit_key)) == repr(
        reference_perf_stats([float(v) for v in present], expected, unit_key)
    )


@given(
    st.lists(st.one_of(st.integers(-(10**13), 10**13), st.integers(0, 20_000), st.floats(0, 1e6)), max_size=50),
    st.integers(1, 60),
    UNIT_KEYS,
)
def test_stats_of_mixed_and_large_samples_same_as_of_their_floats(
    values: list[float], expected: int, unit_key: str
) -> None:
    """Integers divided exactly, beside fractions and beyond the exact-division bound: the same statistics."""
    from scanner.collector.perf import stats_of_sorted

    present = sorted(values)
    assert repr(stats_of_sorted(present, expected, unit_key)) == repr(
        reference_perf_stats([float(v) for v in present], expected, unit_key)
    )


def test_exact_division_is_rounding_of_the_scaled_sample() -> None:
    """sample / divisor == round(sample * factor, 3) for every integer sample below the bound."""
    import random

    from scanner.collector.perf import _DIVIDE_BELOW, _EXACT_DIVISORS

    rng = random.Random(19)
    samples = [*range(-100_000, 300_000), *(rng.randrange(_DIVIDE_BELOW) for _ in range(300_000))]
    samples += [_DIVIDE_BELOW - 1 - k for k in range(1000)]
    for factor, divisor in _EXACT_DIVISORS.items():
        assert all(v / divisor == round(v * factor, 3) for v in samples), factor


def test_integer_samples_skip_only_the_finiteness_sum() -> None:
    """Integers cannot be nan or inf; a fraction or exponent still has its sum checked."""
    from scanner.collector.perf import present_samples

    assert present_samples("3,-1,2,1") == [1, 2, 3]
    assert present_samples("1e308,1e308") is None  # finite items, infinite sum: the careful reader
    assert present_samples("1.5,1E2") == [1.5, 100.0]


# Integer samples as vCenter sends them, with -1 gaps, zeros and values near and beyond 2**53.
RANKED_SAMPLE = st.one_of(
    st.integers(-1, 10**6),
    st.just(-1),
    st.just(0),
    st.integers(-(2**53) - 2, 2**53 + 2),
    st.integers(-(2**70), 2**70),  # beyond int64: numpy saturates, the bound sends it back
)


def assert_ranked_like_sorted(text: str) -> Any:
    """ranked_samples(text) gives the statistics present_samples' sorted list gives, or leaves the text alone."""
    from scanner.collector.perf import RankedSamples, present_samples, ranked_samples, stats_of_ranked, stats_of_sorted

    ranked = ranked_samples(text)
    if ranked is None:
        return None
    present = present_samples(text)
    assert present is not None, text  # numpy never reads what json would refuse
    if not isinstance(ranked, RankedSamples):
        assert ranked == present == [], text
        return ranked
    assert (ranked.samples, ranked.low, ranked.top) == (len(present), present[0], present[-1])
    assert all(type(v) is int for v in ranked), text  # int stays int: the same division/rounding
    for unit_key in ("percent", "megaHertz", "kiloBytes", "kiloBytesPerSecond", "number"):
        for expected in (1, len(present), 360, 10**6):
            assert repr(stats_of_ranked(ranked, expected, unit_key)) == repr(
                stats_of_sorted(present, expected, unit_key)
            ), (text, unit_key, expected)
    return ranked


# (No deadline: the first example imports numpy, ~0.1 s, more on a loaded machine.)
@settings(deadline=None)
@given(st.lists(RANKED_SAMPLE, max_size=400))
def test_ranked_samples_same_statistics_as_the_sorted_list(values: list[int]) -> None:
    """numpy's ranks against json's sorted list: byte-identical PerfStats for every unit and coverage."""
    text = ",".join(map(str, values))
    ranked = assert_ranked_like_sorted(text)
    if values and all(abs(v) < 2**53 for v in values):
        # vCenter's text (plain integers within 2**53) always takes the numpy path.
        assert ranked is not None, text


@settings(deadline=None)
@given(st.lists(st.one_of(SAMPLE_TEXT, RANKED_SAMPLE.map(str), st.sampled_from(["00", "007", "-", "--1", "1-2", ""])),
                max_size=40))
def test_ranked_samples_reads_only_what_json_reads(items: list[str]) -> None:
    assert_ranked_like_sorted(",".join(items))


def test_ranked_samples_leaves_text_numpy_reads_and_json_refuses() -> None:
    from scanner.collector.perf import RankedSamples, ranked_samples

    # numpy 2 reads each of these (as 1,2 / 0 / 1,0,3 / 0,0 / int64's bound ...); json refuses them.
    for text in ("01,2", "1,2,", ",1,2", "-", "1,-,3", "00", "0,00", "7,007", "-0", "1,-0,2", "1, 2", "1,,2",
                 "1-2", "--1", str(2**53), str(-(2**53)), "99999999999999999999", "-99999999999999999999",
                 "1,18446744073709551617", "", "1.5", "1e3", "+1", "nan"):
        assert ranked_samples(text) is None, text
    assert ranked_samples("0,-1,0") == RankedSamples(2, 0, 0, 0, 0, 0, 0)
    assert ranked_samples("-1,-1") == []
    assert ranked_samples("30,-1,10,20,-5") == RankedSamples(3, 10, 20, 30, 30, 30, 30)
    assert ranked_samples(str(2**53 - 1)) == RankedSamples(1, *[2**53 - 1] * 6)
    assert ranked_samples("0,10,100,1000,100") == RankedSamples(5, 0, 100, 1000, 1000, 1000, 1000)


def test_numpy_is_loaded_by_the_history_only() -> None:
    """The inventory's collection and every other command never pay numpy's import (~0.1 s)."""
    import subprocess
    import sys

    code = (
        "import sys, scanner.cli, scanner.collector.collect, scanner.collector.soapstream\n"
        "import scanner.collector.perf as p\n"
        "assert 'numpy' not in sys.modules\n"
        "assert p.ranked_samples('3,-1,1') == (2, 1, 1, 3, 3, 3, 3) and 'numpy' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_stats_from_series_reads_ranked_samples_as_the_sorted_list() -> None:
    from scanner.collector.perf import ranked_samples, stats_from_series

    counters = {
        6: CounterInfo(6, "cpu.usagemhz", "average", "megaHertz"),
        2: CounterInfo(2, "cpu.usage", "average", "percent"),
    }
    texts = {6: "120,-1,340,95,1000,-1,0", 2: "9999,5012,-1,1"}
    ranked = [(key, "", ranked_samples(text)) for key, text in texts.items()]
    plain = [(key, "", parse_values_csv(text)) for key, text in texts.items()]
    assert stats_from_series(ranked, counters, 12, sorted_present=True) == stats_from_series(plain, counters, 12)


def early_history_setup(monkeypatch: pytest.MonkeyPatch, answer: Any) -> tuple[Any, Any]:
    """An EarlyHistory on a fake PerformanceManager (two counters, 256 metrics per call) whose
    QueryPerf calls are ``answer(batch)``; and a vCenter of 100 running VMs and one powered off."""
    from scanner.collector import perf
    from scanner.inventory.model import VM, VCenter

    manager = NS(perfCounter=[raw_counter(6, "cpu", "usagemhz", "average", "megaHertz"),
                              raw_counter(98, "mem", "consumed", "average", "kiloBytes")],
                 historicalInterval=[], _stub=None)
    monkeypatch.setattr(perf, "_query_batch", lambda manager, batch, *rest: answer(batch))
    early = perf.EarlyHistory(NS(perfManager=manager, setting=None), 30)
    vcenter = VCenter(name="vc")
    vcenter.vms = [VM(id=f"u/vm-{i}", moref=f"vm-{i}", power_state="powered_on") for i in range(100)]
    vcenter.vms.append(VM(id="u/vm-off", moref="vm-off", power_state="powered_off"))
    for vm in vcenter.vms:
        early.vm_mapped(vm)
    return early, vcenter


def test_early_history_attaches_each_running_vms_stats(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.collector.perf import WANTED_COUNTERS
    from scanner.inventory.model import PerfStats

    def answer(batch: Any) -> Any:
        return {entity._moId: {"cpu.usagemhz": PerfStats(unit="MHz", samples=len(batch))} for entity, _ in batch}

    early, vcenter = early_history_setup(monkeypatch, answer)
    issues = early.attach(vcenter)
    assert issues is not None and {i.message for i in issues} == {
        f"performance counter {name} not offered by the server" for name in WANTED_COUNTERS
        if name not in ("cpu.usagemhz", "mem.consumed")
    }
    # 128 VMs per call (2 counters, 256 metrics): 100 VMs in one call.
    assert [vm.perf for vm in vcenter.vms[:100]] == [{"cpu.usagemhz": PerfStats(unit="MHz", samples=100)}] * 100
    assert vcenter.vms[100].perf == {}  # powered off: not asked, left as it was
    assert vcenter.source_detail["perf_days"] == "30"


def test_early_history_failure_leaves_it_to_attach_perf_but_a_cancel_goes_on_up(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def dropped(batch: Any) -> Any:
        raise ConnectionResetError("dropped")

    early, vcenter = early_history_setup(monkeypatch, dropped)
    assert early.attach(vcenter) is None  # nothing attached: the caller runs attach_perf
    assert isinstance(early.failure, ConnectionResetError)  # the caller counts it as a retry
    assert all(vm.perf == {} for vm in vcenter.vms)

    class Cancelled(Exception):
        pass

    def cancel(done: int, total: int) -> None:
        raise Cancelled

    early, vcenter = early_history_setup(monkeypatch, lambda batch: {})
    with pytest.raises(Cancelled):
        early.attach(vcenter, cancel)
