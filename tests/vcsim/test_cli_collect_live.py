"""``vmscan collect`` end to end against the simulator: CliRunner and a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.io import load_estate
from tests.vcsim.harness import Simulator

pytestmark = pytest.mark.vcsim

REPO = Path(__file__).resolve().parents[2]


def test_collect_writes_a_loadable_snapshot(vcsim: Simulator, seeded_manifest: Any, tmp_path: Path) -> None:
    output = tmp_path / "estate.json.gz"
    result = CliRunner().invoke(
        main,
        ["collect", "--server", vcsim.sdk_url, "--user", vcsim.user, "--password-env", "VCSIM_PW", "-o", str(output)],
        env={"VCSIM_PW": vcsim.password},
    )
    assert result.exit_code == 0, result.output
    estate = load_estate(output)
    assert len(estate.all_vms()) == vcsim.topology.vm_count
    assert "collecting VMs" in result.output
    assert vcsim.password not in output.read_bytes().decode("latin-1")


def test_collect_prompts_for_the_password(vcsim: Simulator, tmp_path: Path) -> None:
    output = tmp_path / "estate.json.gz"
    result = CliRunner().invoke(
        main, ["collect", "-s", vcsim.sdk_url, "-o", str(output)], input=f"{vcsim.user}\n{vcsim.password}\n"
    )
    assert result.exit_code == 0, result.output
    assert vcsim.password not in result.output  # hidden input is not echoed
    assert output.exists()


def test_wrong_password_is_one_line_exit_2_and_no_file(vcsim: Simulator, tmp_path: Path) -> None:
    output = tmp_path / "estate.json.gz"
    result = CliRunner().invoke(
        main,
        ["collect", "-s", vcsim.sdk_url, "-u", vcsim.user, "--password-env", "PW", "-o", str(output)],
        env={"PW": "Wr0ng-Secr3t"},
    )
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    # The simulator speaks plain HTTP: one warning says so, then the one-line error.
    assert len(lines) == 2 and lines[0].endswith("plain HTTP, the login and the inventory travel unencrypted")
    assert lines[1].startswith("vmscan: error: login to")
    assert "Wr0ng-Secr3t" not in result.output
    assert not output.exists()
    assert list(tmp_path.iterdir()) == []


def test_subprocess_collect_and_inventory(vcsim: Simulator, tmp_path: Path) -> None:
    output = tmp_path / "sim.json.gz"
    env = dict(os.environ, VCSIM_PW=vcsim.password)
    command = [sys.executable, "-m", "scanner", "collect", "-s", vcsim.sdk_url, "-u", vcsim.user]
    collected = subprocess.run(
        [*command, "--password-env", "VCSIM_PW", "-o", str(output)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert collected.returncode == 0, collected.stderr
    assert "Traceback" not in collected.stderr and vcsim.password not in collected.stderr
    summary = subprocess.run(
        [sys.executable, "-m", "scanner", "inventory", str(output)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert summary.returncode == 0, summary.stderr
    assert str(vcsim.topology.vm_count) in summary.stdout
