"""Faults injected into a live collection against the simulator.

- a connection reset mid-collection (loopback proxy) -> retried with backoff, collection complete
- a call that never answers -> times out after --timeout, retried, collection complete
- a connection that keeps failing -> one-line error, exit 2, no output file
- the session logged out mid-collection (NotAuthenticated) -> logged in again, collection complete
- a VM deleted mid-collection -> the run completes; the VM is absent or carries a collection issue
- Ctrl-C mid-collection -> exit 130, "no output written", no file (and no temp file) left
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.collector import session as session_module
from scanner.collector.collect import collect_estate
from scanner.collector.retry import RetryPolicy
from scanner.errors import CollectionError
from tests.vcsim.conftest import require_toolchain
from tests.vcsim.flaky_proxy import FlakyProxy
from tests.vcsim.harness import Simulator, Topology

pytestmark = pytest.mark.vcsim

REPO = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(attempts=3, initial_delay_s=0.05)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    # Its own simulator: one test deletes a VM.
    require_toolchain()
    with Simulator(Topology(clusters=1, standalone_hosts=1, cluster_hosts=2, machines=4)) as simulator:
        yield simulator


def names(estate) -> set[str]:
    return {vm.name for vm in estate.all_vms()}


def test_connection_reset_mid_collection_is_retried(sim, tmp_path):
    baseline = collect_estate(sim.sdk_url, sim.user, sim.password)
    with FlakyProxy(sim.port, fault="drop", on=b"RetrievePropertiesEx", nth=4) as proxy:
        result = CliRunner().invoke(main, ["collect", "-s", proxy.url(), "-u", sim.user, "--password-env", "P",
                                           "--perf-days", "0", "-o", str(tmp_path / "e.json.gz")],
                                    env={"P": sim.password})
        assert proxy.faults == 1 and proxy.connections >= 2
    assert result.exit_code == 0, result.output
    assert "connection problem" in result.output and "retrying in 1 s" in result.output
    from scanner.inventory.io import load_estate

    estate = load_estate(tmp_path / "e.json.gz")
    assert names(estate) == names(baseline)
    assert estate.vcenters[0].source_detail["retries"] == "1"
    assert any("repeated after a dropped connection" in i.message for i in estate.collection_issues)
    # The report lists it among the collection issues.
    report = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(tmp_path / "e.json.gz"), "--out", str(tmp_path / "r"),
                                       "--format", "html"])
    assert report.exit_code == 0, report.output
    html_text = next((tmp_path / "r").rglob("*.html")).read_text(encoding="utf-8")
    assert "repeated after a dropped connection or expired session" in html_text


def test_unanswered_call_times_out_and_is_retried(sim, tmp_path):
    # The stalled call never answers; every other one answers in milliseconds. A timeout far above
    # that keeps a slow, busy machine from timing out (and retrying) an ordinary call as well.
    timeout_s = 5.0
    with FlakyProxy(sim.port, fault="stall", on=b"RetrievePropertiesEx", nth=2) as proxy:
        started = time.monotonic()
        estate = collect_estate(proxy.url(), sim.user, sim.password, timeout_s=timeout_s, retry=FAST)
        elapsed = time.monotonic() - started
        assert proxy.faults == 1
    assert elapsed >= timeout_s
    assert len(estate.all_vms()) == sim.topology.vm_count
    assert estate.vcenters[0].source_detail["retries"] == "1"


def test_call_that_never_answers_says_to_raise_the_timeout(sim, tmp_path):
    with FlakyProxy(sim.port, fault="stall", on=b"RetrievePropertiesEx", nth=1, times=0) as proxy:
        with pytest.raises(CollectionError, match=r"did not answer within 1 s per call.*raise --timeout"):
            collect_estate(proxy.url(), sim.user, sim.password, timeout_s=1.0, retry=FAST)


def test_connection_that_keeps_failing_ends_in_one_line_and_no_file(sim, tmp_path):
    with FlakyProxy(sim.port, fault="drop", on=b"RetrievePropertiesEx", nth=1, times=0) as proxy:
        with pytest.raises(CollectionError, match="lost during collection"):
            collect_estate(proxy.url(), sim.user, sim.password, retry=FAST)
        assert proxy.faults == FAST.attempts  # first try + every retry, then give up
        result = CliRunner().invoke(main, ["collect", "-s", proxy.url(), "-u", sim.user, "--password-env", "P",
                                           "--perf-days", "0", "--timeout", "5", "-o", str(tmp_path / "e.json.gz")],
                                    env={"P": sim.password})
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].startswith("vmscan: error: connection to")
    assert "Traceback" not in result.output
    assert list(tmp_path.iterdir()) == []


def test_expired_session_is_logged_in_again(sim, monkeypatch):
    sessions = []
    real_connect = session_module.connect

    def capturing_connect(*args, **kwargs):
        service_instance = real_connect(*args, **kwargs)
        sessions.append(service_instance)
        return service_instance

    monkeypatch.setattr(session_module, "connect", capturing_connect)
    logged_out = []

    def progress(what: str, count: int) -> None:
        # On the first read: every other read is sent after it (collect._Collector._send_ahead).
        if what == "folders" and not logged_out:
            # End the collector's own session, as a vCenter session timeout would.
            sessions[0].RetrieveContent().sessionManager.Logout()
            logged_out.append(what)

    estate = collect_estate(sim.sdk_url, sim.user, sim.password, progress=progress, retry=FAST)
    assert logged_out
    assert len(estate.all_vms()) == sim.topology.vm_count
    assert any("1 re-login(s)" in i.message for i in estate.collection_issues)


def test_vm_deleted_mid_collection():
    require_toolchain()
    # Its own simulator, so that the deletion does not change what the other tests see.
    with Simulator(Topology(clusters=1, standalone_hosts=1, cluster_hosts=1, machines=2)) as own:
        deleted, victim_name, before, estate = _delete_one_vm_while_collecting(own)
    assert deleted
    collected = names(estate)
    noted = [i for i in estate.collection_issues if i.object_name == victim_name]
    assert victim_name not in collected or noted
    assert len(collected) in (before - 1, before)


def _delete_one_vm_while_collecting(sim: Simulator):
    from pyVim.connect import Disconnect
    from pyVim.task import WaitForTask
    from pyVmomi import vim

    admin = sim.connect()
    try:
        content = admin.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
        victim = view.view[0]
        victim_name = victim.name
        if victim.runtime.powerState == "poweredOn":
            WaitForTask(victim.PowerOffVM_Task())
        before = len(view.view)
        deleted = []

        def progress(what: str, count: int) -> None:
            # On the first read, before the VMs are listed (they are sent for after it).
            if what == "folders" and not deleted:
                WaitForTask(victim.Destroy_Task())
                deleted.append(victim_name)

        estate = collect_estate(sim.sdk_url, sim.user, sim.password, progress=progress, retry=FAST, perf_days=1)
    finally:
        Disconnect(admin)
    return deleted, victim_name, before, estate


def test_ctrl_c_leaves_no_output(sim, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # Every request is slowed down so that the collection is still running when the signal arrives.
    # (A call that never answers would not do: today the process then waits for the worker thread
    # blocked in that call, up to --timeout, before it exits.)
    with FlakyProxy(sim.port, fault="none", delay_s=0.4) as proxy:
        env = {**os.environ, "PYTHONPATH": str(REPO), "P": sim.password}
        proc = subprocess.Popen([sys.executable, "-m", "scanner", "collect", "-s", proxy.url(), "-u", sim.user,
                                 "--password-env", "P", "-o", str(out / "e.json.gz")],
                                stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True,
                                # A shell's background job inherits SIGINT ignored, and Python keeps
                                # it so; restore the default so that Python turns it into Ctrl-C.
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        assert proc.stderr is not None
        # If no progress line ever comes, the watchdog ends the wait (readline then returns "").
        watchdog = threading.Timer(120, proc.kill)
        watchdog.start()
        try:
            first = proc.stderr.readline()
            if first.startswith("vmscan: warning:"):  # plain HTTP to the simulator
                first = proc.stderr.readline()
            # the first progress line: collection is under way
            assert first.startswith("vmscan: collecting"), first
            proc.send_signal(signal.SIGINT)
            _, rest = proc.communicate(timeout=60)
        finally:
            watchdog.cancel()
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 130, first + rest
    assert "interrupted; no output written" in rest
    assert "Traceback" not in rest
    assert list(out.iterdir()) == []


def test_connection_reset_during_performance_history_is_retried(sim):
    with FlakyProxy(sim.port, fault="drop", on=b"QueryPerf>", nth=1) as proxy:
        estate = collect_estate(proxy.url(), sim.user, sim.password, perf_days=1, retry=FAST)
        assert proxy.faults == 1
    running = [vm for vm in estate.all_vms() if vm.power_state == "powered_on" and not vm.template]
    assert running and all(vm.perf for vm in running)
    assert estate.vcenters[0].source_detail["retries"] == "1"


def test_connection_reset_on_the_first_read_after_login_is_retried(sim):
    # The first call after login (RetrieveServiceContent, #1 is SmartConnect's) is retried like the rest.
    baseline = collect_estate(sim.sdk_url, sim.user, sim.password)
    with FlakyProxy(sim.port, fault="drop", on=b"<RetrieveServiceContent", nth=2) as proxy:
        estate = collect_estate(proxy.url(), sim.user, sim.password, retry=FAST)
        assert proxy.faults == 1
    assert names(estate) == names(baseline)
    assert estate.vcenters[0].instance_uuid
