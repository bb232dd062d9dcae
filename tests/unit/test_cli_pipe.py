"""A reader that goes away (`vmscan rules | head -1`) ends vmscan quietly, never with 'internal error'."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_closed_stdout_is_a_quiet_sigpipe_exit() -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before vmscan writes
    try:
        result = subprocess.run([sys.executable, "-m", "scanner", "rules", "--format", "markdown"],
                                stdout=write_end, stderr=subprocess.PIPE, cwd=REPO, timeout=120,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        os.close(write_end)
    assert result.returncode == 141
    assert result.stderr == b""
