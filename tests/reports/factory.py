"""Assessments for reporter tests: the real rule catalogue run by the real engine, never made-up rules.

``assess`` analyses any estate (the synthetic ones carry hostile names and every device kind) as
``vmscan report`` does: the shipped policy, both targets, sizing, a pinned analysis date.
``sample`` is the bundled sample estate (the vCenter-simulator snapshot ``vmscan demo`` reports on).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from scanner.analysis.model import Assessment
from scanner.inventory.io import load_estate
from scanner.inventory.model import Estate
from scanner.pipeline import assess as pipeline_assess
from scanner.pipeline import assess_settings, input_info
from scanner.policy import build_policy, load_default_data

AS_OF = dt.date(2026, 11, 25)
SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-estate.json.gz"


def assess(estate: Estate, targets: tuple[str, ...] = ("avs", "vmc"), with_sizing: bool = True,
           policy_overrides: dict[str, Any] | None = None) -> Assessment:
    """``policy_overrides`` is what a --policy file would hold, merged the same way."""
    # --target takes ids comma-separated ("all" = every target of the data, five since issue 20).
    settings = assess_settings(",".join(targets), None, AS_OF)
    if policy_overrides is not None:
        settings = dataclasses.replace(
            settings, policy=build_policy(load_default_data(), policy_overrides, "policy.toml"))
    assessment = pipeline_assess(estate, [input_info("synthetic.json.gz", "snapshot", estate)], settings)
    if not with_sizing:
        assessment.sizing = []
    return assessment


@cache
def _sample() -> tuple[Estate, Assessment]:
    estate = load_estate(SAMPLE)
    assessment = pipeline_assess(estate, [input_info("sample-estate.json.gz", "snapshot", estate)],
                                 assess_settings("avs,vmc", None, AS_OF))
    return estate, assessment


def sample() -> tuple[Estate, Assessment]:
    """The sample estate and its assessment (loaded once; treat both as read-only)."""
    return _sample()
