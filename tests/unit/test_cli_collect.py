"""``vmscan collect`` failures that need no server: one line on stderr, exit 2, no file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main
from tests.ci import require


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["collect", *args], env=env or {"PW": "Secr3t!"})
    return result.exit_code, result.output


def assert_one_line_error(code: int, output: str) -> None:
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmscan: error:"), output
    assert "Traceback" not in output and "Secr3t!" not in output


def test_refused_port(tmp_path: Path, refused_port: int) -> None:
    output = tmp_path / "e.json.gz"
    code, text = run(
        ["-s", f"https://127.0.0.1:{refused_port}/sdk", "-u", "u", "--password-env", "PW", "-o", str(output)]
    )
    assert_one_line_error(code, text)
    assert "connection refused" in text
    assert not output.exists()


def test_output_folder_missing(tmp_path: Path) -> None:
    output = tmp_path / "no-such-dir" / "e.json.gz"
    code, text = run(["-s", "vc.example.com", "-u", "u", "--password-env", "PW", "-o", str(output)])
    assert_one_line_error(code, text)
    assert "output folder does not exist" in text


def test_output_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    code, text = run(["-s", "vc.example.com", "-u", "u", "--password-env", "PW", "-o", str(blocker / "e.json.gz")])
    assert_one_line_error(code, text)


def without_root_override(command: list[str]) -> list[str]:
    """Root ignores folder permissions (CI runs as root); without CAP_DAC_OVERRIDE they apply to it too."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return command
    setpriv = shutil.which("setpriv")
    require(None if setpriv else "setpriv (util-linux) not found: cannot make a folder unwritable for root")
    return [str(setpriv), "--bounding-set=-dac_override,-dac_read_search", "--", *command]


def test_output_folder_not_writable(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        done = subprocess.run(
            without_root_override([sys.executable, "-m", "scanner", "collect", "-s", "vc.example.com", "-u", "u",
                                   "--password-env", "PW", "-o", str(folder / "e.json.gz")]),
            env={**os.environ, "PW": "Secr3t!"}, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )
        assert_one_line_error(done.returncode, done.stderr)
        assert "cannot write" in done.stderr and done.stdout == ""
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_password_env_not_set(tmp_path: Path) -> None:
    code, text = run(["-s", "vc.example.com", "-u", "u", "--password-env", "NOPE", "-o", str(tmp_path / "e.json.gz")])
    assert_one_line_error(code, text)
    assert "NOPE" in text


def test_no_password_option() -> None:
    result = CliRunner().invoke(main, ["collect", "--help"])
    assert result.exit_code == 0
    assert "--password " not in result.output and "--password-env" in result.output
