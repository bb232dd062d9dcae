"""Run vmscan as a real process under a memory cap and a deadline; report exit code, time, peak memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MEMORY_CAP_BYTES = 2 * 1024**3
DEADLINE_S = 60.0


@dataclass
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mib: float


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))


def run_capped(args: list[str], cwd: Path, env: dict[str, str] | None = None,
               deadline_s: float = DEADLINE_S, stdin: int | None = subprocess.DEVNULL) -> Outcome:
    """``python -m scanner ARGS`` with RLIMIT_AS at 2 GiB; killed (exit -9) after ``deadline_s``."""
    environment = {**os.environ, "PYTHONPATH": str(REPO), **(env or {})}
    environment.pop("VMSCAN_DEBUG", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.monotonic()
        process = subprocess.Popen([sys.executable, "-m", "scanner", *args], cwd=cwd, env=environment,
                                   stdout=out, stderr=err, stdin=stdin, preexec_fn=_cap_memory)
        usage = None
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - start > deadline_s:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.monotonic() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Outcome(process.returncode, out.read().decode("utf-8", "replace"),
                       err.read().decode("utf-8", "replace"), seconds, usage.ru_maxrss / 1024)
