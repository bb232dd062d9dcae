"""click's usage errors are one `vmscan CMD: error: ...` line and exit 2, for every command; --help is unchanged.

Before, click printed three lines (Usage / Try / Error) with the error last.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from scanner.cli import main
from tests.hostile.runner import REPO, run_capped

SAMPLE = str(REPO / "fixtures" / "sample-estate.json.gz")
COMMANDS = sorted(main.commands)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("command", COMMANDS)
def test_unknown_option_is_one_line_for_every_command(command):
    result = CliRunner().invoke(main, [command, "--no-such-option"])
    assert result.exit_code == 2
    lines = _lines(result.output)
    assert len(lines) == 1, result.output
    assert lines[0].startswith(f"vmscan {command}: error: No such option")
    assert "--no-such-option" in lines[0]
    assert lines[0].endswith(f"(see vmscan {command} --help)")


@pytest.mark.parametrize("command", COMMANDS)
def test_help_is_still_help(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith(f"Usage: main {command} [OPTIONS]")
    assert "error" not in result.output.splitlines()[0].lower()


@pytest.mark.parametrize(("args", "command", "words"), [
    (["report"], "vmscan report", ["Missing argument", "INPUT..."]),
    (["export", SAMPLE, "--format", "csv", "-o", "x.xlsx"], "vmscan export", ["--format", "'csv'", "rvtools"]),
    (["plan", SAMPLE, "--out", "p", "--max-vms-per-wave", "many"], "vmscan plan",
     ["--max-vms-per-wave", "'many' is not a valid integer"]),
    (["analyze", SAMPLE, "--as-of", "2026-02-30"], "vmscan analyze",
     ["--as-of", "'2026-02-30' is not a date like 2026-01-31"]),
    (["export", SAMPLE], "vmscan export", ["Missing option", "--output"]),
    (["--frob"], "vmscan", ["No such option", "--frob"]),
    (["frobnicate"], "vmscan", ["No such command", "frobnicate"]),
    (["collect", "-o", "x.json.gz"], "vmscan collect", ["give --server (repeatable) or --servers-file"]),
    # 1e308 s overflowed the deadline timer once connected: a thread's traceback, then exit 3.
    (["collect", "-s", "127.0.0.1:1", "-u", "u", "--timeout", "1e308", "-o", "x.json.gz"], "vmscan collect",
     ["--timeout", "1e+308", "604800"]),
])
def test_usage_errors_as_a_real_process(tmp_path, args, command, words):
    outcome = run_capped(args, cwd=tmp_path)
    assert outcome.exit_code == 2
    assert outcome.stdout == ""
    line, = _lines(outcome.stderr)
    assert line.startswith(f"{command}: error: ")
    assert line.endswith(f" (see {command} --help)")
    for word in words:  # click words some messages a little differently from version to version
        assert word in line
    assert not list(tmp_path.iterdir())


def test_bare_vmscan_still_shows_the_help():
    result = CliRunner().invoke(main, [])
    assert "Usage:" in result.output
    assert "Commands:" in result.output
