"""Rules the test suite keeps about itself: one CI switch for every skip, and no test that depends on today's date.

These read the suite's own source, so a test added later that skips on its own terms, or runs
``analyze``/``report``/``scan`` without ``--as-of``, fails here with its file and line.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ci import in_ci, require

TESTS = Path(__file__).resolve().parents[1]
THIS_FILE = Path(__file__).resolve()
CI_HELPER = TESTS / "ci.py"
# Sub-commands whose results depend on the analysis date (end of support, snapshot and power-off ages).
DATED_COMMANDS = frozenset({"analyze", "report", "scan", "diff"})


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


def command_words(node: ast.AST) -> list[ast.expr] | None:
    """The words of a CLI invocation: a list/tuple literal, a call's positional arguments, or a
    ``{"analyze": [extra words]}`` table of per-command arguments."""
    if isinstance(node, (ast.List, ast.Tuple)):
        return list(node.elts)
    if isinstance(node, ast.Call):
        return list(node.args)
    return None


def table_invocations(node: ast.Dict) -> Iterator[tuple[int, str, bool]]:
    for key, value in zip(node.keys, node.values, strict=True):
        if isinstance(key, ast.Constant) and key.value in DATED_COMMANDS and isinstance(value, (ast.List, ast.Tuple)):
            yield key.lineno, str(key.value), any(is_as_of(w) for w in value.elts)


def is_as_of(word: ast.expr) -> bool:
    return isinstance(word, ast.Constant) and isinstance(word.value, str) and word.value.startswith("--as-of")


def code_string(node: ast.AST) -> str | None:
    """The text of a string literal that may hold code; an f-string's fields become a placeholder name."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "placeholder" for v in node.values)
    return None


def dated_invocations(tree: ast.AST) -> Iterator[tuple[int, str, bool]]:
    """(line, command, has --as-of) for every analyze/report/scan invocation, also inside code strings."""
    for node in ast.walk(tree):
        text = code_string(node)
        if text is not None and "[" in text:
            # Code run in a subprocess (python -c) is a string literal; look inside it too.
            try:
                inner = ast.parse(textwrap.dedent(text))
            except (SyntaxError, ValueError):  # prose, or text with lone surrogates
                continue
            for line, command, pinned in dated_invocations(inner):
                yield node.lineno + line - 1, command, pinned
            continue
        if isinstance(node, ast.Dict):
            yield from table_invocations(node)
            continue
        words = command_words(node)
        if not words or len(words) < 2:  # an invocation has arguments; mktemp("report") is not one
            continue
        first = words[0]
        if not (isinstance(first, ast.Constant) and first.value in DATED_COMMANDS):
            continue
        if len(words) > 1 and isinstance(words[1], ast.Constant) and words[1].value in DATED_COMMANDS | {"rules"}:
            continue  # a tuple of command names (e.g. looping over --help), not an invocation
        yield node.lineno, str(first.value), any(is_as_of(w) for w in words)


def test_every_analysis_in_the_suite_pins_the_date():
    """Without --as-of an end-of-support or age check answers differently next year: a time bomb."""
    offenders = [
        f"{path.relative_to(TESTS.parent)}:{line}: vmscan {command} without --as-of"
        for path in suite_files()
        for line, command, pinned in dated_invocations(ast.parse(path.read_text(encoding="utf-8")))
        if not pinned
    ]
    assert offenders == []


def test_the_as_of_scan_sees_lists_calls_and_code_strings():
    source = '''
run("analyze", estate, "--fail-on", "warning")
invoke(main, ["report", path, "--out", out, "--as-of", "2026-11-25"])
code = f'CliRunner().invoke(main, ["scan", "-s", {server!r}])'
extra = {"analyze": ["-o", out], "report": ["--as-of", day], "inventory": []}
for command in ("analyze", "rules"):
    pass
'''
    found = sorted((command, pinned) for _, command, pinned in dated_invocations(ast.parse(source)))
    assert found == [("analyze", False), ("analyze", False), ("report", True), ("report", True), ("scan", False)]
