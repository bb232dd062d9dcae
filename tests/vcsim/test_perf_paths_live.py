"""The fast QueryPerf path (streaming parser, concurrent batches) gives exactly the old results.

The launcher seeds the simulator's sample noise per query spec, so the same question gets the
same samples however the queries are parsed, batched or ordered. Two fresh simulators with the
same topology (hence the same VM morefs and samples): one answers like govmomi (one element per
sample), the other in CSV like vCenter.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from pyVim.connect import Disconnect
from pyVmomi import vim

from scanner.collector.perf import MAX_QUERY_METRICS_OPTION, PerfCollection, collect_perf
from scanner.collector.retry import Retrier, RetryPolicy
from scanner.collector.session import connect, disconnect
from tests.vcsim.conftest import require_toolchain
from tests.vcsim.harness import Simulator, Topology

pytestmark = pytest.mark.vcsim

TOPOLOGY = Topology(datacenters=1, clusters=1, standalone_hosts=1, cluster_hosts=1, machines=5)
NOW = datetime.datetime(2026, 11, 1, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture(scope="module")
def simulators() -> Iterator[tuple[Simulator, Simulator]]:
    require_toolchain()
    with Simulator(TOPOLOGY) as plain, Simulator(TOPOLOGY, perf_csv=True) as csv:
        yield plain, csv


def running_vms(content: Any) -> list[Any]:
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        return sorted((vm for vm in view.view if vm.runtime.powerState == "poweredOn"), key=lambda vm: vm._moId)
    finally:
        view.DestroyView()


def history(simulator: Simulator, parser: str, workers: int, days: int = 30, offload: bool = False) -> PerfCollection:
    si = connect(simulator.sdk_url, simulator.user, simulator.password)  # read-only guarded
    try:
        content = si.RetrieveContent()
        return collect_perf(content, running_vms(content), days, now=NOW, parser=parser, workers=workers,
                            offload=offload)  # fmt: skip
    finally:
        disconnect(si)


def test_stream_parser_and_pyvmomi_give_identical_history(simulators: tuple[Simulator, Simulator]) -> None:
    for simulator in simulators:
        old = history(simulator, "pyvmomi", workers=1)  # the path before: pyVmomi, one call at a time
        new = history(simulator, "stream", workers=4)
        assert new.stats == old.stats
        assert len(new.stats) == TOPOLOGY.vm_count
        # Same counters in the same order (the snapshot is written in dict order).
        assert all(list(per) == list(old.stats[moref]) for moref, per in new.stats.items())
        # Not trivially equal: the samples carry noise, so VMs differ from one another.
        assert len({per["cpu.usagemhz"].p50 for per in new.stats.values()}) > 1
        assert {per["cpu.usagemhz"].samples for per in new.stats.values()} == {360}


def test_csv_and_per_sample_answers_give_identical_history(simulators: tuple[Simulator, Simulator]) -> None:
    plain, csv = simulators
    si = csv.connect()
    try:
        content = si.RetrieveContent()
        spec = vim.PerformanceManager.QuerySpec(
            entity=running_vms(content)[0], metricId=[vim.PerformanceManager.MetricId(counterId=6, instance="")],
            intervalId=7200, maxSample=3, format="csv",
        )  # fmt: skip
        answer = content.perfManager.QueryPerf(querySpec=[spec])
        assert isinstance(answer[0], vim.PerformanceManager.EntityMetricCSV)  # really CSV on the wire
    finally:
        Disconnect(si)
    assert history(csv, "stream", workers=4).stats == history(plain, "stream", workers=4).stats


def test_batch_limit_and_order_do_not_change_results(simulators: tuple[Simulator, Simulator]) -> None:
    plain, _ = simulators
    default = history(plain, "stream", workers=1, days=7)
    si = plain.connect()
    setting = si.RetrieveContent().setting
    # 12 metrics per query = 2 VMs x 6 counters: 5x more queries, completing in any order.
    setting.UpdateOptions(changedValue=[vim.option.OptionValue(key=MAX_QUERY_METRICS_OPTION, value="12")])
    try:
        small = history(plain, "stream", workers=4, days=7)
    finally:
        setting.UpdateOptions(changedValue=[vim.option.OptionValue(key=MAX_QUERY_METRICS_OPTION, value="256")])
        Disconnect(si)
    assert (default.batch_limit, small.batch_limit) == (256, 12)
    assert small.queries > default.queries == 1
    assert small.stats == default.stats
    assert {per["mem.consumed"].samples for per in small.stats.values()} == {336}  # 7 days at 30 minutes



def collected_with_history(simulator: Simulator, retrier: Any = None) -> Any:
    """collect_vcenter with 30 days of history: each VM's perf, the vCenter's detail, the issues."""
    from scanner.collector.collect import collect_vcenter

    si = connect(simulator.sdk_url, simulator.user, simulator.password)
    try:
        vcenter, issues = collect_vcenter(si, "vc", perf_days=30, retrier=retrier)
    finally:
        disconnect(si)
    return {vm.moref: vm.perf for vm in vcenter.vms}, vcenter.source_detail, issues


def test_history_started_during_the_inventory_same_as_after_it(
    simulators: tuple[Simulator, Simulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queries sent while the VM pages arrive give what attach_perf after the inventory gives,
    also when an early query fails (then attach_perf reads the whole history again)."""
    import functools

    from scanner.collector import perf

    early_history = perf.EarlyHistory
    # The window's end fixed on both paths: the simulator's samples are seeded by the window.
    monkeypatch.setattr(perf, "EarlyHistory", functools.partial(early_history, now=NOW))
    monkeypatch.setattr(perf, "collect_perf", functools.partial(perf.collect_perf, now=NOW))
    _, csv = simulators
    early = collected_with_history(csv)
    assert sum(1 for per in early[0].values() if per) == TOPOLOGY.vm_count  # all powered on
    with monkeypatch.context() as patch:
        # No history from the early queries: attach_perf after the inventory, as before.
        patch.setattr(early_history, "attach", lambda self, vcenter, progress=None: self.cancel())
        after = collected_with_history(csv)
    assert after == early
    assert [list(per) for per in early[0].values()] == [list(per) for per in after[0].values()]  # counter order
    queried = perf._query_batch
    calls: list[int] = []

    def first_call_drops(*args: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionResetError("dropped")
        return queried(*args)

    monkeypatch.setattr(perf, "_query_batch", first_call_drops)
    retrier = Retrier(RetryPolicy(attempts=2, initial_delay_s=0))
    assert collected_with_history(csv, retrier) == early
    assert len(calls) == 2  # the early call that failed, then attach_perf's (10 VMs: one batch each)
    assert retrier.retries == 1  # recorded as a retry, as a drop after the inventory always was


def test_history_read_partly_by_the_worker_process_is_the_same(
    simulators: tuple[Simulator, Simulator], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Answers handed to the history worker process give the same statistics, also when the
    worker is killed mid-history (the answers it held, and the rest, are then read here)."""
    from scanner.collector.parseworker import HistoryWorker

    submit = HistoryWorker.submit
    handed: list[HistoryWorker] = []
    kill_at = 0  # 0: never

    def counted(self: HistoryWorker, body: bytes) -> Any:
        handed.append(self)
        if len(handed) == kill_at:
            self.process.kill()
        return submit(self, body)

    monkeypatch.setattr(HistoryWorker, "submit", counted)
    for simulator in simulators:
        reference = history(simulator, "stream", workers=4)
        assert not handed
        si = simulator.connect()
        setting = si.RetrieveContent().setting
        # 12 metrics per query = 2 VMs x 6 counters: several answers, some of them the worker's.
        setting.UpdateOptions(changedValue=[vim.option.OptionValue(key=MAX_QUERY_METRICS_OPTION, value="12")])
        try:
            for kill_at in (0, 2):
                handed.clear()
                offloaded = history(simulator, "stream", workers=4, offload=True)
                assert len(handed) >= 2 and offloaded.queries > 2
                assert offloaded.stats == reference.stats
                assert all(list(per) == list(reference.stats[moref]) for moref, per in offloaded.stats.items())
                assert (handed[0].failed == "it was closed") == (not kill_at)  # else: "it ended" (killed)
                assert handed[0].process.returncode is not None  # reaped
        finally:
            setting.UpdateOptions(changedValue=[vim.option.OptionValue(key=MAX_QUERY_METRICS_OPTION, value="256")])
            Disconnect(si)
        handed.clear()
        kill_at = 0
