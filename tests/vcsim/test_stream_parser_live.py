"""The streaming parser against pyVmomi's deserializer on the seeded simulator: identical snapshots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scanner.collector.collect import collect_estate
from scanner.inventory.io import save_estate
from scanner.inventory.model import Estate
from tests.vcsim.conditions import CONDITION_CHECKS
from tests.vcsim.harness import Simulator

pytestmark = pytest.mark.vcsim


def collect(vcsim: Simulator, parser: str, page_size: int = 500) -> Estate:
    estate = collect_estate(vcsim.sdk_url, vcsim.user, vcsim.password, page_size=page_size, parser=parser)
    # The only values that may differ between two collections of an unchanged estate: the time,
    # and where the event history starts (each login is an event; old ones age out).
    estate.collected_at = "2000-01-01T00:00:00Z"
    for vcenter in estate.vcenters:
        vcenter.source_detail["collected_at"] = "2000-01-01T00:00:00Z"
        if "power_events_since" in vcenter.source_detail:
            vcenter.source_detail["power_events_since"] = "history start"
    for vm in estate.all_vms():
        if vm.powered_off_before is not None:
            vm.powered_off_before = "history start"
    return estate


def test_stream_and_pyvmomi_parsers_write_identical_snapshots(
    vcsim: Simulator, seeded_manifest: Any, tmp_path: Path
) -> None:
    streamed = collect(vcsim, "stream", page_size=7)
    reference = collect(vcsim, "pyvmomi", page_size=7)
    save_estate(streamed, tmp_path / "stream.json.gz")
    save_estate(reference, tmp_path / "pyvmomi.json.gz")
    assert (tmp_path / "stream.json.gz").read_bytes() == (tmp_path / "pyvmomi.json.gz").read_bytes()
    # Identical and not trivially so: the seeded conditions (device backings, snapshots,
    # custom attributes, ...) are all there.
    vms = {vm.name: vm for vm in streamed.all_vms()}
    assert len(vms) == vcsim.topology.vm_count
    for condition, vm_name in seeded_manifest.conditions.items():
        if condition in CONDITION_CHECKS:
            assert CONDITION_CHECKS[condition](vms[vm_name]), condition
    assert sum(len(vm.disks or []) for vm in vms.values()) > len(vms)
    assert all(vm.nics for vm in vms.values() if not vm.template)


def test_page_size_does_not_change_the_streamed_snapshot(vcsim: Simulator, seeded_manifest: Any) -> None:
    assert collect(vcsim, "stream", page_size=1) == collect(vcsim, "stream", page_size=1000)


def test_the_parse_worker_changes_nothing_and_its_failure_neither(vcsim: Simulator, seeded_manifest: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.collector import collect as collect_module
    from scanner.collector import parseworker, soapstream

    # Runs of a few VMs, so that the 48-VM answer is cut and the worker takes part of it.
    monkeypatch.setattr(soapstream, "OBJECT_RUN_BYTES", 30_000)
    taken: list[int] = []
    results = parseworker.ParseWorker.results

    def counted(self: parseworker.ParseWorker, count: int) -> list[Any]:
        taken.append(count)
        return results(self, count)

    monkeypatch.setattr(parseworker.ParseWorker, "results", counted)
    with_worker = collect(vcsim, "stream")
    assert sum(taken) >= 10  # the worker did map VMs
    monkeypatch.setattr(collect_module, "USE_PARSE_WORKER", False)
    taken.clear()
    alone = collect(vcsim, "stream")
    assert taken == [] and with_worker == alone

    # The worker failing after it mapped some VMs: the collector reads them all again itself.
    def failing(self: parseworker.ParseWorker, count: int) -> list[Any]:
        taken.append(count)
        if len(taken) == 2:
            raise parseworker.ParseWorkerFailed("the parse worker failed: test")
        return results(self, count)

    monkeypatch.setattr(collect_module, "USE_PARSE_WORKER", True)
    monkeypatch.setattr(parseworker.ParseWorker, "results", failing)
    assert collect(vcsim, "stream") == alone and len(taken) == 2
