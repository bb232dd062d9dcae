"""vmscan run with the wall clock set to 2030 (libfaketime), the way the whole suite is run by
scripts/run_tests_at.sh: a pinned --as-of makes the assessment independent of the clock, and without
it "today" is the clock's date everywhere it matters (end of support, data age, the stale-data warning).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ci import require

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "fixtures" / "sample-estate.json.gz"  # taken 2026-12-06T23:22:40Z
CLOCK_2030 = "2030-06-01 12:00:00"


@pytest.fixture(scope="module")
def faketime() -> str:
    path = shutil.which("faketime")
    require(None if path else "faketime not found (.ci/run installs the Debian package faketime)")
    assert path is not None
    return path


def analyze(out: Path, *args: str, clock: list[str] | None = None) -> tuple[dict, str]:
    environment = {**os.environ, "PYTHONPATH": str(REPO), "TZ": "UTC"}
    if clock:  # under scripts/run_tests_at.sh, faketime must start from the real clock, not the faked one
        environment = {k: v for k, v in environment.items() if not k.startswith("FAKETIME") and k != "LD_PRELOAD"}
    result = subprocess.run([*(clock or []), sys.executable, "-m", "scanner", "analyze", str(SAMPLE), "-o", str(out),
                             *args], env=environment, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(out.read_text(encoding="utf-8")), result.stdout


def eos_findings(assessment: dict, os_name: str) -> list[dict]:
    return [f for f in assessment["findings"]
            if f["rule_id"] == "vm.guest-os-end-of-support" and f["evidence"]["os_name"] == os_name]


def test_a_pinned_as_of_gives_the_same_assessment_in_2030(tmp_path, faketime):
    today, _ = analyze(tmp_path / "today.json", "--as-of", "2026-12-06")
    in_2030, _ = analyze(tmp_path / "2030.json", "--as-of", "2026-12-06", clock=[faketime, CLOCK_2030])
    assert in_2030.pop("generated_at").startswith("2030-06-01T12:00")  # the clock did move
    today.pop("generated_at")
    assert in_2030 == today


def test_without_as_of_the_clock_date_is_today(tmp_path, faketime):
    before, _ = analyze(tmp_path / "before.json", "--as-of", "2026-12-06")
    assessment, printed = analyze(tmp_path / "2030.json", clock=[faketime, CLOCK_2030])
    assert assessment["as_of"] == "2030-06-01"
    assert [d["age_days"] for d in assessment["data_dates"]] == [1273]  # 2026-12-06 .. 2030-06-01
    assert printed.splitlines()[0].startswith("vmscan assessment as of 2030-06-01: 120 VMs")
    assert "WARNING: The data is 1273 days old (taken 2026-12-06, assessed 2030-06-01; " in printed
    # Windows Server 2019 ended support on 2029-01-09 (scanner/data): past in 2030, not on the sample's date.
    assert eos_findings(before, "Windows Server 2019") == []
    ws2019 = eos_findings(assessment, "Windows Server 2019")
    assert ws2019 and {f["evidence"]["days_past"] for f in ws2019} == {508}
    assert {f["message"] for f in ws2019} == {"Windows Server 2019 reached end of support on 2029-01-09"}
