"""``vmscan collect`` failures that need no server: one line on stderr, exit 2, no file."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["collect", *args], env=env or {"PW": "Secr3t!"})
    return result.exit_code, result.output


def assert_one_line_error(code: int, output: str) -> None:
    assert code == 2, output
    lines = output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vmscan: error:"), output
    assert "Traceback" not in output and "Secr3t!" not in output


def test_refused_port(tmp_path: Path) -> None:
    output = tmp_path / "e.json.gz"
    code, text = run(
        ["-s", f"https://127.0.0.1:{free_port()}/sdk", "-u", "u", "--password-env", "PW", "-o", str(output)]
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


def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in, even as root (CI runs as root)."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return Path("/proc")  # a pseudo file system: no new files, whatever the permissions
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    return locked


def test_output_folder_not_writable(tmp_path: Path) -> None:
    folder = unwritable_folder(tmp_path)
    try:
        code, text = run(["-s", "vc.example.com", "-u", "u", "--password-env", "PW", "-o", str(folder / "e.json.gz")])
        assert_one_line_error(code, text)
        assert "cannot write" in text
        assert not (folder / "e.json.gz").exists()
    finally:
        if folder != Path("/proc"):
            folder.chmod(0o700)


def test_password_env_not_set(tmp_path: Path) -> None:
    code, text = run(["-s", "vc.example.com", "-u", "u", "--password-env", "NOPE", "-o", str(tmp_path / "e.json.gz")])
    assert_one_line_error(code, text)
    assert "NOPE" in text


def test_no_password_option() -> None:
    result = CliRunner().invoke(main, ["collect", "--help"])
    assert result.exit_code == 0
    assert "--password " not in result.output and "--password-env" in result.output
