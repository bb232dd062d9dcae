"""The whole collector, replayed from a vcrpy cassette recorded from the seeded simulator.

Fast and offline. When the cassette is missing (and CI is not set) the test records it: it starts
the simulator, seeds a small estate and collects it through vcrpy. Delete
``tests/cassettes/collect_seeded.yaml`` (and its ``.conditions.json``) to re-record.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scanner.collector import session
from scanner.collector.collect import collect_estate
from scanner.inventory.model import Estate
from tests.pyvmomi_vcr import CASSETTE_DIR, SESSION_COOKIE, pyvmomi_vcr, record_mode

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


def _record() -> None:
    from pyVim.connect import Disconnect

    from tests.vcsim.conftest import require_toolchain
    from tests.vcsim.harness import Simulator, Topology
    from tests.vcsim.seed import CONDITIONS, seed_estate

    require_toolchain()
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


@pytest.fixture(scope="module")
def replayed_estate() -> Estate:
    monkeypatch = pytest.MonkeyPatch()
    try:
        if not (CASSETTE_DIR / CASSETTE).exists():
            if record_mode() == "none":
                pytest.fail(f"cassette {CASSETTE} missing and CI=true forbids recording", pytrace=False)
            _record()
        # Replay: no server listens; the TCP pre-check is the only socket vmscan opens itself.
        monkeypatch.setattr(session, "_probe_tcp", lambda endpoint, *timeout: None)
        with pyvmomi_vcr("none").use_cassette(CASSETTE, allow_playback_repeats=False) as cassette:
            estate = collect_estate(REPLAY_SERVER, RECORD_USER, "any password", page_size=PAGE_SIZE,
                                    progress=lambda what, count: PROGRESS.append((what, count)))
            assert cassette.all_played, "the collector skipped recorded requests"
        return estate
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
