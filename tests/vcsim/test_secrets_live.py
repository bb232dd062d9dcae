"""The vCenter password never appears in any output: files, stdout/stderr (also on failures), cassettes.

A simulator is started with a distinctive password; collect, scan, report, analyze and anonymize
run as real processes; every byte they produce (decompressed, and inside xlsx archives) is
searched for the password and its encoded forms.
"""

from __future__ import annotations

import base64
import gzip
import html
import os
import re
import subprocess
import sys
import urllib.parse
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.vcsim.conftest import require_toolchain
from tests.vcsim.harness import Simulator, Topology

pytestmark = pytest.mark.vcsim

REPO = Path(__file__).resolve().parents[2]
USER = "ro-auditor@vsphere.local"
PASSWORD = "Zq7&<Unique>Pa55w0rd'9931"  # XML/HTML/URL special characters on purpose
CASSETTES = REPO / "tests" / "cassettes"


def encodings(secret: str) -> list[bytes]:
    forms = {secret, html.escape(secret), html.escape(secret, quote=False), urllib.parse.quote(secret),
             urllib.parse.quote_plus(secret), secret.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")}
    out = [f.encode() for f in forms]
    out.append(base64.b64encode(secret.encode()))
    out.append(base64.b64encode(f"{USER}:{secret}".encode()))
    # a distinctive fragment, in case something truncates or re-escapes the rest
    out.append(b"Pa55w0rd'9931")
    return out


def readable_bytes(path: Path) -> Iterator[tuple[str, bytes]]:
    data = path.read_bytes()
    yield str(path), data
    if data.startswith(b"\x1f\x8b"):
        yield f"{path} (gunzipped)", gzip.decompress(data)
    if data.startswith(b"PK"):
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                yield f"{path}!{name}", archive.read(name)


def assert_no_secret(where: str, data: bytes) -> None:
    for form in encodings(PASSWORD):
        assert form not in data, f"password ({form!r}) found in {where}"


@pytest.fixture(scope="module")
def simulator() -> Iterator[Simulator]:
    require_toolchain()
    with Simulator(Topology(clusters=1, standalone_hosts=1, cluster_hosts=1, machines=3),
                   credentials=(USER, PASSWORD)) as sim:
        yield sim


def vmscan(args: list[str], cwd: Path, password: str | None = PASSWORD,
           debug: bool = False) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "VMSCAN_DEBUG"}
    env["PYTHONPATH"] = str(REPO)
    if password is not None:
        env["VC_PASS"] = password
    if debug:
        env["VMSCAN_DEBUG"] = "1"
    argv = [sys.executable, "-m", "scanner", *args]
    assert not any(PASSWORD in a for a in argv)
    return subprocess.run(argv, capture_output=True, cwd=cwd, env=env, timeout=300)


def test_password_appears_in_no_output(simulator: Simulator, tmp_path: Path):
    server = simulator.sdk_url
    auth = ["-s", server, "-u", USER, "--password-env", "VC_PASS"]
    runs = {
        "collect": vmscan(["collect", *auth, "--perf-days", "1", "-o", "estate.json.gz"], tmp_path),
        "scan": vmscan(["scan", "--as-of", "2026-11-25",
                        *auth, "--perf-days", "1", "--out", "scan", "--format", "html,xlsx,csv,json"],
                       tmp_path),
        "analyze": vmscan(["analyze", "--as-of", "2026-11-25",
                           "estate.json.gz", "-o", "assessment.json"], tmp_path),
        "report": vmscan(["report", "--as-of", "2026-11-25",
                          "estate.json.gz", "--out", "report", "--format", "html,xlsx,csv,json"], tmp_path),
        "anonymize": vmscan(["anonymize", "estate.json.gz", "-o", "shared.json.gz", "--map", "map.json"], tmp_path),
        # failures: wrong password, wrong user, unreachable server, also with VMSCAN_DEBUG tracebacks
        "bad-password": vmscan(["collect", *auth, "-o", "x.json.gz"], tmp_path, password=PASSWORD + "x"),
        "bad-password-debug": vmscan(["collect", *auth, "-o", "x.json.gz"], tmp_path, password=PASSWORD + "x",
                                     debug=True),
        "bad-user": vmscan(["collect", "-s", server, "-u", "nobody", "--password-env", "VC_PASS", "-o", "x.json.gz"],
                           tmp_path, debug=True),
        "unreachable": vmscan(["collect", "-s", "http://127.0.0.1:9/sdk", "-u", USER, "--password-env", "VC_PASS",
                               "-o", "x.json.gz"], tmp_path, debug=True),
    }
    for name in ("collect", "scan", "analyze", "report", "anonymize"):
        assert runs[name].returncode == 0, (name, runs[name].stderr.decode())
    for name in ("bad-password", "bad-password-debug", "bad-user", "unreachable"):
        assert runs[name].returncode == 2, (name, runs[name].stderr.decode())
        assert b"Traceback" not in runs[name].stderr
    assert not (tmp_path / "x.json.gz").exists()

    for name, proc in runs.items():
        assert_no_secret(f"{name} stdout", proc.stdout)
        assert_no_secret(f"{name} stderr", proc.stderr)
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert {"estate.json.gz", "assessment.json", "shared.json.gz", "map.json"} <= {p.name for p in files}
    assert any(p.suffix == ".html" for p in files) and any(p.suffix == ".xlsx" for p in files)
    assert any(p.suffix == ".csv" for p in files)
    for path in files:
        for where, data in readable_bytes(path):
            assert_no_secret(where, data)


def test_cassettes_hold_no_credentials_or_session():
    from tests.unit.test_collect_cassette import RECORD_PASSWORD

    cassettes = list(CASSETTES.glob("*.yaml"))
    assert cassettes, "no cassette recorded"
    for path in cassettes:
        text = path.read_bytes()
        assert RECORD_PASSWORD.encode() not in text
        assert base64.b64encode(RECORD_PASSWORD.encode()) not in text
        # every session cookie and the session key of each Login response is the scrubbed placeholder
        for line in text.splitlines():
            if b"vmware_soap_session=" in line:
                assert b'vmware_soap_session="SCRUBBED"' in line, line
        logins = re.findall(rb"<LoginResponse.*?</LoginResponse>", b" ".join(text.split()), flags=re.DOTALL)
        assert logins, "cassette has no Login response to check"
        for login in logins:
            assert re.findall(rb"<key>(.*?)</key>", login) == [b"SCRUBBED"], login


def test_password_is_never_a_command_argument():
    from click.testing import CliRunner

    from scanner.cli import main

    for command in ("collect", "scan"):
        params = {opt for p in main.commands[command].params for opt in getattr(p, "opts", [])}
        assert not {"--password", "-p", "--pwd", "--pass"} & params
        result = CliRunner().invoke(main, [command, "-s", "x", "--password", "secret", "-o", "x"])
        assert result.exit_code == 2 and "No such option" in result.output
