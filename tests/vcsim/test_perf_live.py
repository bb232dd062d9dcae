"""Performance history (QueryPerf) against the simulator, then sizing on what was collected."""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pyVmomi import vim

from scanner.analysis.sizing import size_target
from scanner.cli import main
from scanner.collector.collect import collect_estate
from scanner.collector.perf import (
    MAX_QUERY_METRICS_OPTION,
    WANTED_COUNTERS,
    collect_perf,
    counter_info,
    select_counters,
)
from scanner.inventory.io import load_estate
from scanner.inventory.model import Estate
from tests.unit.test_sizing import shipped_config
from tests.vcsim.harness import Simulator

pytestmark = pytest.mark.vcsim


@pytest.fixture(scope="module")
def perf_estate(vcsim: Simulator, seeded_manifest: Any) -> Estate:
    return collect_estate(vcsim.sdk_url, vcsim.user, vcsim.password, perf_days=30)


def test_powered_on_vms_get_history_with_full_coverage(perf_estate: Estate) -> None:
    vms = perf_estate.all_vms()
    running = [vm for vm in vms if vm.power_state == "powered_on" and not vm.template]
    assert running, "the seeded simulator has powered-on VMs"
    for vm in running:
        assert vm.perf is not None and set(vm.perf) == set(WANTED_COUNTERS), vm.name
        cpu = vm.perf["cpu.usagemhz"]
        # 30 days at the 2-hour rollup = 360 samples; the simulator returns maxSample of them.
        assert (cpu.unit, cpu.samples, cpu.coverage) == ("MHz", 360, 1.0)
        assert cpu.p50 is not None and cpu.p95 is not None and cpu.max is not None
        assert cpu.p50 <= cpu.p95 <= cpu.max
        assert vm.perf["mem.consumed"].unit == "MiB"
        assert vm.perf["cpu.usage"].unit == "percent"
    for vm in vms:
        if vm.power_state != "powered_on":
            assert not vm.perf, vm.name
    detail = perf_estate.vcenters[0].source_detail
    assert (detail["perf_days"], detail["perf_interval_seconds"], detail["perf_batch_metrics"]) == ("30", "7200", "256")
    assert not [i for i in perf_estate.collection_issues if i.property == "perf"]


def test_queries_are_batched_within_max_query_metrics(vcsim_si: Any) -> None:
    content = vcsim_si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        running = [vm for vm in view.view if vm.runtime.powerState == "poweredOn"]
    finally:
        view.DestroyView()
    setting = content.setting
    # 12 metrics per query = 2 VMs x 6 counters.
    setting.UpdateOptions(changedValue=[vim.option.OptionValue(key=MAX_QUERY_METRICS_OPTION, value="12")])
    try:
        result = collect_perf(content, running, 2)
    finally:
        setting.UpdateOptions(changedValue=[vim.option.OptionValue(key=MAX_QUERY_METRICS_OPTION, value="256")])
    assert result.batch_limit == 12
    assert result.queries == math.ceil(len(running) / 2)
    assert set(result.stats) == {vm._moId for vm in running}
    # 2 days at the 30-minute rollup = 96 samples.
    assert result.interval_seconds == 1800
    assert {s["cpu.usagemhz"].samples for s in result.stats.values()} == {96}


# An instant at which the simulator's seeded noise (tests/vcsim/launcher/perf.go) drives one of
# vm-69's 2-day cpu.usagemhz samples below 0, which the simulator clamps to 0: a real sample of 0,
# as an idle VM has. Found by replaying the launcher's seeding and the simulator's noise for
# instants until one clamped (about 1 spec in 6,000 has such a sample in some counter).
ZERO_SAMPLE_INSTANT = datetime.datetime(2026, 12, 7, 4, 54, 31, tzinfo=datetime.UTC)
ZERO_SAMPLE_VM = "vm-69"


def test_a_sample_of_zero_is_counted(vcsim_si: Any) -> None:
    """A 0 is a sample (only -1 means none): it must reach vmscan and be counted.

    govmomi's XML encoder drops 0 elements from a PerfMetricIntSeries (its omitempty applies to
    each slice element), so before the launcher wrote int series itself, the batching test above
    failed with {95, 96} == {96} whenever the noise clamped a sample to 0 (~0.1 % of runs).
    """
    content = vcsim_si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        vm = next(vm for vm in view.view if vm._moId == ZERO_SAMPLE_VM)
    finally:
        view.DestroyView()
    end = ZERO_SAMPLE_INSTANT
    start = end - datetime.timedelta(days=2)
    manager = content.perfManager
    # The counters vmscan asks for, in its order: the launcher seeds the noise from the spec.
    counters = select_counters(counter_info(c) for c in manager.perfCounter)
    spec = vim.PerformanceManager.QuerySpec(
        entity=vm,
        metricId=[vim.PerformanceManager.MetricId(counterId=c.key, instance="") for c in counters.values()],
        intervalId=1800,
        startTime=start,
        endTime=end,
        maxSample=96,
    )
    [answer] = manager.QueryPerf(querySpec=[spec])
    raw = next(list(s.value) for s in answer.value if s.id.counterId == counters["cpu.usagemhz"].key)
    # The fixture holds what this test is about: 96 samples on the wire, one of them 0.
    assert (len(raw), raw.count(0)) == (96, 1)
    for parser in ("stream", "pyvmomi"):
        result = collect_perf(content, [vm], 2, now=end, parser=parser)
        assert result.stats[ZERO_SAMPLE_VM]["cpu.usagemhz"].samples == 96, parser


def test_performance_sizing_on_collected_history(perf_estate: Estate) -> None:
    result = size_target(perf_estate, None, "avs", shipped_config(), "performance")
    running = sum(1 for vm in perf_estate.all_vms() if vm.power_state == "powered_on" and not vm.template)
    assert result.demand_sources["cpu.perf"] == running
    # Coverage is the mean over in-scope VMs: powered-on ones 1.0, the others 0.
    assert result.perf_coverage == pytest.approx(running / result.vm_count, abs=1e-4)
    assert result.recommended_node_type is not None


def test_cli_perf_days(vcsim: Simulator, seeded_manifest: Any, tmp_path: Path) -> None:
    output = tmp_path / "estate.json.gz"
    args = ["collect", "-s", vcsim.sdk_url, "-u", vcsim.user, "--password-env", "VCSIM_PW", "-o", str(output)]
    result = CliRunner().invoke(main, [*args, "--perf-days", "1"], env={"VCSIM_PW": vcsim.password})
    assert result.exit_code == 0, result.output
    assert "performance history" in result.output
    vms = [vm for vm in load_estate(output).all_vms() if vm.power_state == "powered_on"]
    assert vms and all(vm.perf and vm.perf["cpu.usagemhz"].samples == 288 for vm in vms)  # 1 day of 5 minutes
    off = CliRunner().invoke(main, [*args, "--perf-days", "0"], env={"VCSIM_PW": vcsim.password})
    assert off.exit_code == 0, off.output
    assert all(not vm.perf for vm in load_estate(output).all_vms())
