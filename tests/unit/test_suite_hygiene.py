"""Rules the test suite keeps about itself: one CI switch for every skip, and no test that depends on today's date.

These read the suite's own source, so a test added later that skips on its own terms, or runs
``analyze``/``report``/``scan`` without ``--as-of``, fails here with its file and line.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ci import in_ci, require

TESTS = Path(__file__).resolve().parents[1]
THIS_FILE = Path(__file__).resolve()
CI_HELPER = TESTS / "ci.py"
# Sub-commands whose results depend on the analysis date (end of support, snapshot and power-off ages).
DATED_COMMANDS = frozenset({"analyze", "report", "scan"})


def suite_files() -> list[Path]:
    return sorted(p for p in TESTS.rglob("*.py") if p.resolve() not in (THIS_FILE, CI_HELPER))


@pytest.mark.parametrize("value", ["true", "True", "TRUE", "1", "yes", "Yes", " true "])
def test_every_usual_ci_spelling_counts_as_ci(value):
    assert in_ci({"CI": value})


@pytest.mark.parametrize("value", ["", "false", "False", "0", "no"])
def test_unset_or_false_ci_is_not_ci(value):
    assert not in_ci({"CI": value})
    assert not in_ci({})


def test_a_missing_tool_fails_under_ci_and_skips_elsewhere(monkeypatch):
    require(None)  # nothing missing: no effect
    monkeypatch.setenv("CI", "True")
    with pytest.raises(pytest.fail.Exception, match="openssl not found"):
        require("openssl not found")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="openssl not found"):
        require("openssl not found")


# Any way of skipping or reading CI except through tests/ci.py.
SKIP_BYPASS = re.compile(r"pytest\.skip\(|mark\.skip|skipif|importorskip|[\"']CI[\"']\s*[\]),]")


def test_every_skip_goes_through_the_ci_helper():
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{number}: {line.strip()}"
        for path in suite_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SKIP_BYPASS.search(line)
    ]
    assert offenders == [], "skip or read CI through tests.ci.require / tests.ci.in_ci instead"
