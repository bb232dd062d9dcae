"""The whole collector, replayed from a vcrpy cassette recorded from the seeded simulator.

Fast and offline. The test only replays (it writes nothing outside its temporary folders); a
missing cassette fails. Recording is a deliberate step that starts the simulator, seeds a small
estate and collects it through vcrpy into ``tests/cassettes/``:
``python -m tests.unit.test_collect_cassette`` (needs golang-go and the govmomi sources).
"""

from __future__ import annotations

import datetime
import email.utils
import json
import re
import threading
import types
from pathlib import Path

import pytest

from scanner.collector import collect, session
from scanner.collector.collect import collect_estate
from scanner.inventory.model import Estate
from tests.pyvmomi_vcr import CASSETTE_DIR, SESSION_COOKIE, pyvmomi_vcr

CASSETTE = "collect_seeded.yaml"
CONDITIONS_FILE = CASSETTE_DIR / "collect_seeded.conditions.json"
RECORD_PASSWORD = "Vcr-Rec0rd-Pa55w0rd"
RECORD_USER = "vcr-recorder"
PAGE_SIZE = 25
# A subset of the seeded conditions, on a 12-VM simulator, keeps the cassette small.
CASSETTE_CONDITIONS = (
    "snapshots_multiple",
    "serial_network",
    "usb",
    "cdrom_iso_connected",
    "multiwriter_disk",
    "bus_sharing_physical",
    "eager_zeroed_disk",
    "hw_version_vmx07",
    "template",
    "pci_passthrough",
    "custom_attributes",
    "annotation_formula",
)
REPLAY_SERVER = "http://127.0.0.1:9/sdk"  # never contacted: every answer comes from the cassette


def record() -> None:
    """Re-record the cassette and its conditions file (replaces both)."""
    from pyVim.connect import Disconnect

    from tests.vcsim.harness import Simulator, Topology, missing_toolchain
    from tests.vcsim.seed import CONDITIONS, seed_estate

    problem = missing_toolchain()
    if problem is not None:
        raise SystemExit(f"cannot record: {problem}")
    for old in (CASSETTE_DIR / CASSETTE, CONDITIONS_FILE):
        old.unlink(missing_ok=True)
    topology = Topology(datacenters=1, clusters=1, standalone_hosts=1, cluster_hosts=1, machines=6)
    with Simulator(topology, credentials=(RECORD_USER, RECORD_PASSWORD)) as simulator:
        si = simulator.connect()
        try:
            manifest = seed_estate(si, {name: CONDITIONS[name] for name in CASSETTE_CONDITIONS})
        finally:
            Disconnect(si)
        CONDITIONS_FILE.write_text(json.dumps(manifest.conditions, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        # Host and port are not matched on replay, so the simulator's random port does not matter.
        with pyvmomi_vcr("once").use_cassette(CASSETTE):
            collect_estate(simulator.sdk_url, RECORD_USER, RECORD_PASSWORD, page_size=PAGE_SIZE)


PROGRESS: list[tuple[str, int]] = []


def recorded_at() -> datetime.datetime:
    """When the cassette was recorded: the simulator's first HTTP Date header."""
    match = re.search(r"Date:\n\s*- (.+)\n", (CASSETTE_DIR / CASSETTE).read_text(encoding="utf-8"))
    assert match, "no Date header in the cassette"
    return email.utils.parsedate_to_datetime(match.group(1))


def clock_stopped_at(moment: datetime.datetime) -> types.ModuleType:
    """A copy of the datetime module whose datetime.now() always answers ``moment``."""

    class StoppedDatetime(datetime.datetime):
        @classmethod
        def now(cls, tz: datetime.tzinfo | None = None) -> StoppedDatetime:  # type: ignore[override]
            at = moment.astimezone(tz) if tz is not None else moment.replace(tzinfo=None)
            return cls.combine(at.date(), at.timetz())

    clock = types.ModuleType("datetime")
    clock.__dict__.update(vars(datetime))
    clock.datetime = StoppedDatetime  # type: ignore[attr-defined]
    return clock


def replay(monkeypatch: pytest.MonkeyPatch, progress: list[tuple[str, int]]) -> Estate:
    """The cassette's collection, replayed (``progress`` hears each progress report)."""
    if not (CASSETTE_DIR / CASSETTE).exists():
        pytest.fail(f"cassette {CASSETTE} missing: record it with python -m tests.unit.test_collect_cassette",
                    pytrace=False)
    # Replay: no server listens; the TCP pre-check is the only socket vmscan opens itself.
    monkeypatch.setattr(session, "_probe_tcp", lambda endpoint, *timeout: None)
    # The collector dates the event history from its own clock: replay at the recording's time,
    # or the recorded power-off events would fall before a history window computed from today.
    monkeypatch.setattr(collect, "datetime", clock_stopped_at(recorded_at()))
    with pyvmomi_vcr("none").use_cassette(CASSETTE, allow_playback_repeats=False) as cassette:
        estate = collect_estate(REPLAY_SERVER, RECORD_USER, "any password", page_size=PAGE_SIZE,
                                progress=lambda what, count: progress.append((what, count)))
        assert cassette.all_played, "the collector skipped recorded requests"
    return estate


@pytest.fixture(scope="module")
def replayed_estate() -> Estate:
    monkeypatch = pytest.MonkeyPatch()
    try:
        return replay(monkeypatch, PROGRESS)
    finally:
        monkeypatch.undo()


def test_replay_collects_the_recorded_estate(replayed_estate: Estate) -> None:
    assert len(replayed_estate.all_vms()) == 12
    assert len(replayed_estate.all_hosts()) == 2
    assert [c.name for c in replayed_estate.all_clusters()] == ["DC0_C0"]
    assert replayed_estate.collection_issues == []
    assert all(vm.disks and vm.nics for vm in replayed_estate.all_vms())


def test_replay_shows_each_condition_on_its_vm(replayed_estate: Estate) -> None:
    from tests.vcsim.conditions import CONDITION_CHECKS

    expected = json.loads(CONDITIONS_FILE.read_text(encoding="utf-8"))
    assert set(expected) == set(CASSETTE_CONDITIONS)
    for condition, vm_name in expected.items():
        matching = [vm.name for vm in replayed_estate.all_vms() if CONDITION_CHECKS[condition](vm)]
        assert matching == [vm_name], condition


def test_cassettes_hold_no_credentials_or_session_cookies() -> None:
    files = sorted(Path(CASSETTE_DIR).glob("*.yaml"))
    assert files, "no cassettes recorded"
    for path in files:
        text = path.read_text(encoding="utf-8")
        assert RECORD_PASSWORD not in text, path
        assert re.search(r"<password[^>]*>SCRUBBED</password>", text) or "<Login " not in text, path
        cookies = re.findall(SESSION_COOKIE + r'=\\?"?([^"\\;\s]*)', text)
        assert cookies and set(cookies) == {"SCRUBBED"}, (path, set(cookies))


def test_replay_reads_power_off_dates_from_events(replayed_estate: Estate):
    """The template is the one powered-off VM: its power-off before MarkAsTemplate is in the event history."""
    (vcenter,) = replayed_estate.vcenters
    assert vcenter.source_detail["power_events"] == "read"
    off = [vm for vm in replayed_estate.all_vms() if vm.power_state == "powered_off"]
    assert [vm.template for vm in off] == [True]
    assert off[0].powered_off_since is not None and off[0].powered_off_before is None
    assert off[0].powered_off_since >= vcenter.source_detail["power_events_since"]


def test_progress_counts_never_go_backwards_under_one_label(replayed_estate: Estate) -> None:
    # "collecting containers: 4", then ": 1", then ": 3" read like a count going backwards.
    last: dict[str, int] = {}
    for what, count in PROGRESS:
        assert count >= last.get(what, 0), f"progress for {what!r} went from {last[what]} to {count}"
        last[what] = count
    assert last["datacenters"] == len(replayed_estate.vcenters[0].datacenters)
    assert last["VMs"] == len(replayed_estate.all_vms())



# Each type's progress, in the order the collector takes the types (one after another before it
# sent the reads after the first at once; the order seen stays the same).
PROGRESS_ORDER = ["folders", "datacenters", "compute resources", "resource pools", "hosts", "clusters",
                  "datastores", "switches", "port groups", "opaque networks", "networks", "VMs", "power events"]


def test_progress_comes_type_after_type_in_the_order_taken(replayed_estate: Estate) -> None:
    labels = [what for index, (what, _) in enumerate(PROGRESS) if index == 0 or PROGRESS[index - 1][0] != what]
    assert labels == PROGRESS_ORDER


def test_reads_after_the_first_are_in_flight_together(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the first read has answered, the others are all sent: the hosts' read is asked for only
    after the networks' (the last small read) was, and still gives the same collection."""
    from pyVmomi import vim

    real_iter_all = collect.iter_all
    networks_asked = threading.Event()
    hosts_waited: list[bool] = []

    def iter_all(content, vim_type, *args, **kwargs):  # type: ignore[no-untyped-def]
        if vim_type is vim.Network:
            networks_asked.set()
        if vim_type is vim.HostSystem:
            # One read after another (as before), this waits in vain: the networks come after the hosts.
            hosts_waited.append(networks_asked.wait(timeout=5))
        return real_iter_all(content, vim_type, *args, **kwargs)

    monkeypatch.setattr(collect, "iter_all", iter_all)
    progress: list[tuple[str, int]] = []
    estate = replay(monkeypatch, progress)
    assert hosts_waited == [True]
    assert len(estate.all_vms()) == 12 and len(estate.all_hosts()) == 2
    labels = [what for index, (what, _) in enumerate(progress) if index == 0 or progress[index - 1][0] != what]
    assert labels == PROGRESS_ORDER


if __name__ == "__main__":
    record()
