"""The Findings table's evidence text: the encoder built once writes what json.dumps writes."""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

import pytest

from scanner.reporters import tables

EVIDENCE: list[dict[str, Any]] = [
    {"controllers": 1},
    {"b": True, "a": None, "c": [1, 2.5, "x", False], "nested": {"z": 1, "y": {"deep": [[], {}]}}},
    {"name": "Zürich \u2028 <script>&amp;", "quote": 'a "b" \\ c\n\t', "emoji": "\U0001f600"},
    {"big": 10**30, "small": 1e-300, "neg": -0.0, "inf": math.inf, "nan": math.nan, "float": 0.1 + 0.2},
    {"when": datetime(2026, 12, 7, 5, 0), "day": date(2026, 12, 7), "set_like": (1, 2)},
]


@pytest.mark.parametrize("evidence", EVIDENCE)
def test_evidence_text_is_json_dumps_text(evidence: dict[str, Any]) -> None:
    expected = json.dumps(evidence, ensure_ascii=False, sort_keys=True, default=str)
    assert tables._evidence_text(evidence) == expected


def test_empty_evidence_is_no_text() -> None:
    assert tables._evidence_text({}) == ""


def test_the_same_encoder_serves_call_after_call() -> None:
    # Nothing is left over from one call to the next (the C encoder keeps no per-call state).
    texts = [tables._evidence_text(e) for e in EVIDENCE * 3]
    assert texts == [json.dumps(e, ensure_ascii=False, sort_keys=True, default=str) for e in EVIDENCE * 3]
