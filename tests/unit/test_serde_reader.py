"""The compiled readers (serde.plain_reader) against the interpreting converter they stand in for.

from_plain runs the compiled reader and falls back to the interpreting converter when the reader
refuses the data; so the reader must never accept data the converter rejects, and must build the
same objects from the data both accept. Checked on a real snapshot and assessment, and on
thousands of corrupted copies of them (a value of another type, an unknown key, a key removed).
"""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from scanner.analysis.io import assessment_json
from scanner.analysis.model import Assessment
from scanner.inventory.io import load_estate
from scanner.inventory.model import Estate
from scanner.serde import LONG_LIMIT, SchemaMismatch, _convert, _Refused, from_plain, plain_reader, to_plain

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-estate.json.gz"

# Values of every kind the JSON can hold, and the edges the converter checks (64-bit range,
# non-finite numbers, a lone surrogate, bool as a number).
REPLACEMENTS: list[Any] = [
    None, "text", "\ud800", "naïve", 0, 1, -1, LONG_LIMIT, LONG_LIMIT + 1, -LONG_LIMIT - 1, 2**70,
    1.5, float("inf"), float("nan"), True, False, [], [1], ["a"], {}, {"a": 1}, {"name": "x"},
]


def trimmed(data: Any, keep: int = 6) -> Any:
    """``data`` with each list cut to its ``keep`` longest items (by JSON text): every kind of value
    stays, and each corrupted copy checks in milliseconds."""
    if isinstance(data, dict):
        return {key: trimmed(value, keep) for key, value in data.items()}
    if isinstance(data, list):
        longest = sorted(data, key=lambda item: len(json.dumps(item)), reverse=True)[:keep]
        return [trimmed(item, keep) for item in longest]
    return data


@pytest.fixture(scope="module")
def snapshot_plain() -> dict[str, Any]:
    return to_plain(load_estate(SAMPLE))


@pytest.fixture(scope="module")
def assessment_plain() -> dict[str, Any]:
    from tests.unit.test_assessment_golden import assess_paths

    return json.loads(assessment_json(assess_paths([SAMPLE])))




def reader_outcome(cls: type, data: Any) -> tuple[str, Any]:
    try:
        return "ok", plain_reader(cls)(data)
    except _Refused:
        return "refused", None


def converter_outcome(cls: type, data: Any) -> tuple[str, Any]:
    try:
        return "ok", _convert(cls, data, "$")
    except SchemaMismatch as exc:
        return "mismatch", str(exc)


def leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``data`` (dict keys and list indexes), containers and scalars alike."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += leaves(value, (*path, index))
    return found


def replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``data`` with the value at ``path`` replaced (copied along the path only)."""
    if not path:
        return value
    head, *rest = path
    changed = copy.copy(data)
    changed[head] = replaced(data[head], tuple(rest), value) if rest else value
    return changed


def without(data: Any, path: tuple[Any, ...]) -> Any:
    """A copy of ``data`` with the key at ``path`` removed."""
    head, *rest = path
    changed = copy.copy(data)
    if rest:
        changed[head] = without(data[head], tuple(rest))
    else:
        del changed[head]
    return changed


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        data = data[step]
    return data


def assert_same(cls: type, data: Any) -> str:
    by_reader = reader_outcome(cls, data)
    by_converter = converter_outcome(cls, data)
    if by_reader[0] == "ok":
        assert by_converter[0] == "ok", f"the reader accepted what the converter rejects: {by_converter[1]}"
        assert by_reader[1] == by_converter[1]
        assert type(by_reader[1]) is type(by_converter[1])
    else:
        assert by_converter[0] == "mismatch", "the reader refused what the converter accepts"
    return by_reader[0]


def test_the_reader_builds_the_snapshot_the_converter_builds(snapshot_plain: dict[str, Any]) -> None:
    assert assert_same(Estate, snapshot_plain) == "ok"
    assert from_plain(Estate, snapshot_plain) == load_estate(SAMPLE)


def test_the_reader_builds_the_assessment_the_converter_builds(assessment_plain: dict[str, Any]) -> None:
    assert assert_same(Assessment, assessment_plain) == "ok"


@pytest.mark.parametrize("which", ["snapshot", "assessment"])
def test_corrupted_copies_are_refused_exactly_where_the_converter_rejects_them(
    which: str, snapshot_plain: dict[str, Any], assessment_plain: dict[str, Any]
) -> None:
    cls, data = (Estate, snapshot_plain) if which == "snapshot" else (Assessment, assessment_plain)
    data = trimmed(data)
    rng = random.Random(19)
    paths = leaves(data)
    verdicts = {"ok": 0, "refused": 0}
    for _ in range(1500):
        path = rng.choice(paths)
        kind = rng.random()
        parent = path[:-1]
        in_an_object = bool(path) and isinstance(_at(data, parent), dict)
        if kind < 0.8 or not in_an_object:
            corrupted = replaced(data, path, rng.choice(REPLACEMENTS))
        elif kind < 0.9:
            corrupted = replaced(data, (*parent, f"unknown_{path[-1]}"), 1)
        else:
            corrupted = without(data, path)
        verdicts[assert_same(cls, corrupted)] += 1
    # Both kinds of outcome were exercised, not only one.
    assert verdicts["ok"] > 50 and verdicts["refused"] > 50, verdicts


def test_from_plain_names_the_bad_value_after_the_reader_refuses(snapshot_plain: dict[str, Any]) -> None:
    corrupted = replaced(snapshot_plain, ("vcenters", 0, "vms", 0, "num_cpu"), "four")
    with pytest.raises(SchemaMismatch, match=r"^\$\.vcenters\[0\]\.vms\[0\]\.num_cpu: expected an integer$"):
        from_plain(Estate, corrupted)
