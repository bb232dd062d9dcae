"""Build and run govmomi's vCenter simulator (vcsim) for live tests.

Nothing happens at import time. ``ensure_launcher()`` builds ``tests/vcsim/launcher`` once per
source hash (the binary is cached under ``tests/vcsim/bin/``, which git ignores);
``Simulator.start()`` runs it on a free loopback port and parses the URL it prints.

The toolchain comes from Debian: ``golang-go`` and ``golang-github-vmware-govmomi-dev`` (govmomi
0.24 sources under ``/usr/share/gocode``). Builds are offline (``GO111MODULE=off``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LAUNCHER_SOURCE_DIR = HERE / "launcher"
BIN_DIR = HERE / "bin"
DEFAULT_GOPATH = "/usr/share/gocode"
GOVMOMI_SIMULATOR_SUBDIR = "src/github.com/vmware/govmomi/simulator"
URL_LINE_PREFIX = "VCSIM_URL="


class ToolchainMissing(RuntimeError):
    """The Go compiler or the govmomi sources are not installed."""


class SimulatorFailed(RuntimeError):
    """The simulator did not build or did not start."""


def gopath() -> Path:
    return Path(os.environ.get("VMSCAN_GOPATH", DEFAULT_GOPATH))


def missing_toolchain() -> str | None:
    """Return a message naming what is missing to build the launcher, or None when all is there."""
    if shutil.which("go") is None:
        return "'go' not found on PATH (apt-get install golang-go)"
    simulator_dir = gopath() / GOVMOMI_SIMULATOR_SUBDIR
    if not simulator_dir.is_dir():
        return f"govmomi sources not found at {simulator_dir} (apt-get install golang-github-vmware-govmomi-dev)"
    return None


def _source_hash() -> str:
    digest = hashlib.sha256()
    for path in sorted(LAUNCHER_SOURCE_DIR.rglob("*.go")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    # A govmomi package upgrade changes the simulator; key the cache on its version marker too.
    go_mod = gopath() / "src/github.com/vmware/govmomi/go.mod"
    if go_mod.is_file():
        digest.update(str(go_mod.stat().st_mtime_ns).encode())
    return digest.hexdigest()[:16]


_build_lock = threading.Lock()


def ensure_launcher() -> Path:
    """Build the launcher if no binary matches the current source hash; return its path."""
    problem = missing_toolchain()
    if problem is not None:
        raise ToolchainMissing(problem)
    binary = BIN_DIR / f"vcsim-launcher-{_source_hash()}"
    with _build_lock:
        if binary.is_file():
            return binary
        BIN_DIR.mkdir(parents=True, exist_ok=True)
        partial = binary.with_name(binary.name + f".tmp{os.getpid()}")
        env = dict(os.environ, GO111MODULE="off", GOPATH=str(gopath()), GOFLAGS="")
        result = subprocess.run(
            ["go", "build", "-o", str(partial), "."],
            cwd=LAUNCHER_SOURCE_DIR,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SimulatorFailed(f"go build failed:\n{result.stderr}")
        os.replace(partial, binary)
        return binary


@dataclasses.dataclass(frozen=True)
class Topology:
    """Simulator inventory size. VMs = datacenters * (standalone hosts + clusters) * machines."""

    datacenters: int = 1
    clusters: int = 1
    standalone_hosts: int = 1
    cluster_hosts: int = 3
    machines: int = 2

    @property
    def vm_count(self) -> int:
        return self.datacenters * (self.standalone_hosts + self.clusters) * self.machines

    def args(self) -> list[str]:
        return [
            f"-dc={self.datacenters}",
            f"-cluster={self.clusters}",
            f"-host={self.standalone_hosts}",
            f"-cluster-host={self.cluster_hosts}",
            f"-machine={self.machines}",
        ]


@dataclasses.dataclass
class Simulator:
    """A running simulator process. Use as a context manager or call start()/stop()."""

    topology: Topology = dataclasses.field(default_factory=Topology)
    # The only user name/password pair Login accepts.
    credentials: tuple[str, str] = ("user", "pass")
    # Answer QueryPerf format "csv" in CSV as vCenter does (the simulator's own answer is one
    # element per sample whatever the format).
    perf_csv: bool = False
    startup_timeout: float = 120.0
    process: subprocess.Popen[str] | None = None
    url: str = ""

    @property
    def parsed(self) -> urllib.parse.SplitResult:
        return urllib.parse.urlsplit(self.url)

    @property
    def host(self) -> str:
        return self.parsed.hostname or "127.0.0.1"

    @property
    def port(self) -> int:
        port = self.parsed.port
        assert port is not None
        return port

    @property
    def user(self) -> str:
        return urllib.parse.unquote(self.parsed.username or "")

    @property
    def password(self) -> str:
        return urllib.parse.unquote(self.parsed.password or "")

    @property
    def sdk_url(self) -> str:
        """The URL without credentials, as a user would pass it to ``vmscan collect --server``."""
        return f"{self.parsed.scheme}://{self.host}:{self.port}{self.parsed.path}"

    def start(self) -> Simulator:
        binary = ensure_launcher()
        self.process = subprocess.Popen(
            [
                str(binary),
                "-listen=127.0.0.1:0",
                f"-username={self.credentials[0]}",
                f"-password={self.credentials[1]}",
                *self.topology.args(),
                *(["-perf-csv"] if self.perf_csv else []),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        # readline blocks; a watchdog kills the process if it never prints its URL.
        watchdog = threading.Timer(self.startup_timeout, self.process.kill)
        watchdog.start()
        try:
            line = self.process.stdout.readline()
        finally:
            watchdog.cancel()
        if not line.startswith(URL_LINE_PREFIX):
            self.stop()
            raise SimulatorFailed(f"simulator did not print its URL (got {line!r})")
        self.url = line[len(URL_LINE_PREFIX) :].strip()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        process = self.process
        if process is None:
            return
        self.process = None
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if process.stdout is not None:
            process.stdout.close()

    def connect(self) -> Any:
        """Return a pyVmomi ServiceInstance logged in to this simulator (caller disconnects)."""
        from pyVim.connect import SmartConnect

        return SmartConnect(
            host=self.host,
            port=self.port,
            user=self.user,
            pwd=self.password,
            protocol="http",
            disableSslCertValidation=True,
        )

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    """``python tests/vcsim/harness.py [machines]``: start a simulator, print its URL, wait."""
    machines = int(argv[1]) if len(argv) > 1 else 2
    with Simulator(Topology(machines=machines)) as sim:
        print(sim.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
