"""The one answer to "is this a CI run?", and the one way a test gives up on a missing tool.

CI systems spell the flag differently (``CI=true``, ``CI=True``, ``CI=1``, ``CI=yes``); comparing
with one exact spelling made the live-simulator tests skip under ``CI=True`` instead of failing.
Every test that needs a tool or file the machine may lack calls :func:`require`: locally it skips
with the reason, under CI it fails, so a missing install step cannot pass as green.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import pytest

CI_TRUE_VALUES = frozenset({"true", "1", "yes", "on", "y"})


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() in CI_TRUE_VALUES


def require(problem: str | None) -> None:
    """Do nothing when ``problem`` is None; otherwise fail under CI and skip elsewhere."""
    if problem is None:
        return
    if in_ci():
        pytest.fail(f"{problem} (required when CI={os.environ.get('CI')!r})", pytrace=False)
    pytest.skip(problem)
