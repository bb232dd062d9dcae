"""Sizing engine: hand-worked node counts, properties, performance vs allocated.

Every expected number below is derived in the comments from the formulas in
scanner/analysis/sizing.py and the shipped defaults in scanner/data/targets.toml:

AVS AV36: 36 cores, 576 GiB, 15.2 TiB raw, 2300 MHz; cluster 3..16 hosts.
  allocated CPU per node   = 36 cores x 2 (hyper-threading) x 4 (oversubscription) x (1 - 0) = 288 vCPU
  performance CPU per node = 36 x 2 x (1 - 0)                                                 = 72 cores
  memory per node          = 576 GiB x 1.0 (overcommit) x (1 - 0)                             = 576 GiB
  storage per node         = 15.2 TiB x (1 - 0.25 slack)                                      = 11.4 TiB
  storage raw demand       = (disk + swap) x RAID factor / (dedupe 1.5 x compression 1.0)
VMC i3.metal: 36 cores, 512 GiB, 10.4 TiB raw; cluster 2..16 hosts.
  allocated CPU per node   = 36 x 1.25 x 4 x (1 - 0.15) = 153 vCPU
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scanner
from scanner.analysis.model import Assessment, NodeOption
from scanner.analysis.sizing import (
    choose_storage_policy,
    confidence_stars,
    effective_parameters,
    format_sizing_line,
    parse_parameters,
    size_estate,
    size_target,
)
from scanner.errors import InputError
from scanner.inventory.model import VM, Disk, Estate, Host, PerfStats, Source, VCenter
from scanner.serde import from_plain, to_plain

GIB = 1024**3
TIB = 1024**4


def shipped_config() -> dict[str, Any]:
    with (Path(scanner.__file__).parent / "data" / "targets.toml").open("rb") as handle:
        return tomllib.load(handle)


def config_with(target: str, node_type: str, **sizing: Any) -> dict[str, Any]:
    """The shipped configuration restricted to one node type, with sizing overrides for `target`."""
    config = copy.deepcopy(shipped_config())
    types = config["targets"][target]["node_types"]
    config["targets"][target]["node_types"] = {node_type: types[node_type]}
    config["sizing"][target].update(sizing)
    return config


def vm(
    index: int,
    vcpu: int,
    memory_gib: float,
    disk_bytes: int,
    **extra: Any,
) -> VM:
    return VM(
        id=f"vc/vm-{index}",
        name=f"vm{index}",
        vcenter="vc",
        host="esx1",
        power_state="powered_on",
        num_cpu=vcpu,
        memory_mib=int(memory_gib * 1024),
        disks=[Disk(capacity_bytes=disk_bytes)],
        **extra,
    )


def estate_of(vms: list[VM]) -> Estate:
    host = Host(id="vc/host-1", name="esx1", cpu_mhz=2000)
    return Estate(
        collected_at="2026-01-01T00:00:00Z",
        source=Source(kind="synthetic"),
        vcenters=[VCenter(name="vc", hosts=[host], vms=vms)],
    )


def only_option(vms: list[VM], config: dict[str, Any], target: str = "avs", basis: str | None = None) -> NodeOption:
    result = size_target(estate_of(vms), None, target, config, basis)
    assert len(result.options) == 1
    return result.options[0]


def resource(option: NodeOption, name: str) -> Any:
    return next(r for r in option.resources if r.resource == name)


# --------------------------------------------------------------------------------------------
# Hand-worked cases


def test_cpu_bound_avs36() -> None:
    # 100 VMs x 12 vCPU = 1200 vCPU; 1200 / 288 = 4.17 -> 5 nodes.
    # memory 100 x 4 GiB = 400 GiB / 576 -> 1 node.
    # storage (10 GiB disk + 4 GiB swap) x 100 = 1400 GiB = 1.367 TiB; at 5 hosts FTT1-RAID5 1.33:
    #   1.367 x 1.33 / 1.5 = 1.212 TiB / 11.4 -> 1 node.
    # nodes = max(5, 1, 1, 3 minimum) = 5, one cluster, CPU binds, utilisation 1200 / 1440 = 0.8333.
    option = only_option([vm(i, 12, 4, 10 * GIB) for i in range(100)], config_with("avs", "AV36"))
    assert (option.nodes, option.clusters, option.binding_resource) == (5, 1, "cpu")
    assert option.storage_policy == "FTT1-RAID5"
    cpu = resource(option, "cpu")
    assert (cpu.demand, cpu.capacity, cpu.nodes_needed, cpu.unit) == (1200, 1440, 5, "vCPU")
    assert cpu.utilisation == pytest.approx(0.8333, abs=1e-4)
    assert resource(option, "memory").nodes_needed == 1
    assert resource(option, "storage").demand == pytest.approx(1400 / 1024 * 1.33 / 1.5, abs=1e-3)


def test_memory_bound_avs36() -> None:
    # 20 VMs x 128 GiB = 2560 GiB; 2560 / 576 = 4.44 -> 5 nodes. CPU 40 vCPU / 288 -> 1 node.
    # storage 20 x (10 GiB + 128 GiB swap) = 2760 GiB = 2.695 TiB x 1.33 / 1.5 = 2.390 / 11.4 -> 1.
    option = only_option([vm(i, 2, 128, 10 * GIB) for i in range(20)], config_with("avs", "AV36"))
    assert (option.nodes, option.binding_resource) == (5, "memory")
    assert resource(option, "memory").utilisation == pytest.approx(2560 / (576 * 5), abs=1e-4)


def test_storage_bound_avs36_walks_up_to_a_fixed_point() -> None:
    # include_swap off: 10 VMs x 10 TiB = 100 TiB logical; / 1.5 dedupe = 66.667 TiB.
    # n=3: FTT1-RAID1 2x -> 133.3 / 11.4 = 11.7 -> 12 > 3, step up.
    # n=4..7: FTT1-RAID5 1.33x -> 88.667 / 11.4 = 7.78 -> 8 > n, step up.
    # n=8: 8 <= 8 -> 8 nodes, storage binds.
    option = only_option([vm(i, 2, 4, 10 * TIB) for i in range(10)], config_with("avs", "AV36", include_swap=False))
    assert (option.nodes, option.binding_resource, option.storage_policy) == (8, "storage", "FTT1-RAID5")
    assert resource(option, "storage").nodes_needed == 8


def test_storage_raid_step_binds_when_a_smaller_cluster_needs_raid1() -> None:
    # 30 TiB logical / 1.5 = 20 TiB. At 3 hosts RAID1: 40 / 11.4 = 3.5 -> 4 > 3 (does not fit).
    # At 4 hosts RAID5: 26.6 / 11.4 = 2.33 -> 3 <= 4: 4 nodes. Storage alone at RAID5 would be 3,
    # but 3 hosts cannot run RAID5, so 4 is the smallest fixed point and storage binds.
    option = only_option([vm(1, 2, 4, 30 * TIB)], config_with("avs", "AV36", include_swap=False))
    assert (option.nodes, option.binding_resource, option.storage_policy) == (4, "storage", "FTT1-RAID5")
    assert resource(option, "storage").nodes_needed == 3


def test_minimum_cluster_bound_avs_and_vmc() -> None:
    # One 2 vCPU / 4 GiB / 40 GiB VM needs one node of anything; AVS minimum is 3 hosts (RAID1
    # at 3), VMC minimum is 2 hosts (VMC's table allows FTT1-RAID1 on 2 hosts).
    small = [vm(1, 2, 4, 40 * GIB)]
    avs = only_option(small, config_with("avs", "AV36"))
    assert (avs.nodes, avs.binding_resource, avs.storage_policy) == (3, "minimum_cluster", "FTT1-RAID1")
    vmc = only_option(small, config_with("vmc", "i3.metal"), target="vmc")
    assert (vmc.nodes, vmc.binding_resource, vmc.storage_policy) == (2, "minimum_cluster", "FTT1-RAID1")


def test_ftt2_raises_the_minimum_to_five_hosts() -> None:
    # FTT2 needs FTT2-RAID1 (5 hosts) at least: 3 and 4 hosts have no FTT2 policy.
    option = only_option([vm(1, 2, 4, 40 * GIB)], config_with("avs", "AV36", ftt=2))
    assert (option.nodes, option.binding_resource, option.storage_policy) == (5, "minimum_cluster", "FTT2-RAID1")


def test_multi_cluster_beyond_sixteen_hosts() -> None:
    # 250 VMs x 20 vCPU = 5000 vCPU / 288 = 17.36 -> 18 nodes > 16 per cluster -> 2 clusters of 9;
    # memory 250 x 2 GiB = 500 GiB -> 1 node. Smallest cluster 9 hosts -> RAID5.
    option = only_option([vm(i, 20, 2, 10 * GIB) for i in range(250)], config_with("avs", "AV36"))
    assert (option.nodes, option.clusters, option.binding_resource) == (18, 2, "cpu")
    assert option.storage_policy == "FTT1-RAID5"


def test_vmc_cpu_boundary_is_exact() -> None:
    # i3.metal: 36 x 1.25 x 4 x 0.85 = 153 vCPU per node. 18 VMs x 17 vCPU = 306 vCPU -> exactly
    # 2 nodes (a tie with the 2-host minimum: the resource is named); one more vCPU -> 3 nodes.
    config = config_with("vmc", "i3.metal")
    exact = only_option([vm(i, 17, 1, GIB) for i in range(18)], config, target="vmc")
    assert (exact.nodes, exact.binding_resource) == (2, "cpu")
    over = only_option([vm(i, 17, 1, GIB) for i in range(18)] + [vm(99, 1, 1, GIB)], config, target="vmc")
    assert (over.nodes, over.binding_resource) == (3, "cpu")


def test_vm_too_large_for_a_node() -> None:
    # AV36/AV36P have 72 hardware threads: an 80 vCPU VM fits neither, but fits AV48 (96) and AV52 (104).
    # A 2048 GiB VM exceeds every AVS node's RAM (largest AV52 1536 GiB): it fits no node type.
    big_cpu = vm(1, 80, 64, 100 * GIB)
    big_ram = vm(2, 8, 2048, 100 * GIB)
    normal = vm(3, 4, 16, 100 * GIB)
    result = size_target(estate_of([big_cpu, big_ram, normal]), None, "avs", shipped_config())
    by_type = {o.node_type: o for o in result.options}
    assert by_type["AV36"].vms_not_fitting == ["vc/vm-1", "vc/vm-2"]
    assert by_type["AV48"].vms_not_fitting == ["vc/vm-2"]
    assert by_type["AV52"].vms_not_fitting == ["vc/vm-2"]
    assert result.vms_fitting_no_node_type == ["vc/vm-2"]
    # The VM left out does not count in that node type's demand: AV36 sees only the 4 vCPU VM.
    assert resource(by_type["AV36"], "cpu").demand == 4
    assert resource(by_type["AV48"], "cpu").demand == 84


def test_recommendation_fewest_hosts_then_cheapest_and_never_av64_first() -> None:
    # Memory-bound estate: 40 x 128 GiB = 5120 GiB.
    # AV36 576 -> 9, AV36P 768 -> 7, AV48 1024 -> 5, AV52 1536 -> 4 (3.33), AV64 1024 -> 5.
    vms = [vm(i, 2, 128, 10 * GIB) for i in range(40)]
    result = size_target(estate_of(vms), None, "avs", shipped_config())
    nodes = {o.node_type: o.nodes for o in result.options}
    assert nodes == {"AV36": 9, "AV36P": 7, "AV48": 5, "AV52": 4, "AV64": 5}
    assert result.recommended_node_type == "AV52"
    av64 = next(o for o in result.options if o.node_type == "AV64")
    assert not av64.recommendable
    # With prices, the cheapest total wins: AV48 5 x 10 = 50 beats AV52 4 x 20 = 80.
    config = shipped_config()
    prices = {"AV36": 9.0, "AV36P": 12.0, "AV48": 10.0, "AV52": 20.0, "AV64": 1.0}
    for name, price in prices.items():
        config["targets"]["avs"]["node_types"][name]["price_per_node"] = price
    priced = size_target(estate_of(vms), None, "avs", config)
    assert priced.recommended_node_type == "AV48"
    assert priced.recommended_option() is not None
    assert priced.recommended_option().total_price == 50.0  # type: ignore[union-attr]


# --------------------------------------------------------------------------------------------
# Performance-based


def perf(p95: float, coverage: float, unit: str) -> PerfStats:
    return PerfStats(unit=unit, p50=p95 / 2, p90=p95 * 0.9, p95=p95, p99=p95 * 1.1, max=p95 * 1.2, coverage=coverage)


def test_performance_based_vs_allocated() -> None:
    # 400 VMs x 8 vCPU / 4 GiB / 20 GiB provisioned, 8 GiB committed; p95 CPU 1150 MHz, mem 1024 MiB.
    # allocated: CPU 3200 vCPU / 288 = 11.1 -> 12 nodes (memory 1600 GiB / 576 -> 3): 12, CPU-bound.
    # performance: CPU 1150 x 1.3 = 1495 MHz / 2300 MHz = 0.65 cores x 400 = 260 cores / 72 = 3.6 -> 4;
    #   memory 1024 MiB x 1.3 x 400 / 1024 = 520 GiB -> 1; storage 400 x 8 GiB (committed, swap
    #   already in it) = 3.125 TiB -> 1. 4 nodes, CPU-bound. Coverage 0.9 -> 90 % -> 5 stars, high.
    vms = [
        vm(
            i,
            8,
            4,
            20 * GIB,
            storage_committed_bytes=8 * GIB,
            storage_uncommitted_bytes=12 * GIB,
            perf={"cpu.usagemhz": perf(1150, 0.9, "MHz"), "mem.consumed": perf(1024, 0.9, "MiB")},
        )
        for i in range(400)
    ]
    config = config_with("avs", "AV36")
    allocated = size_target(estate_of(vms), None, "avs", config, "allocated")
    performance = size_target(estate_of(vms), None, "avs", config, "performance")
    assert (allocated.options[0].nodes, allocated.options[0].binding_resource) == (12, "cpu")
    assert allocated.confidence is None
    option = performance.options[0]
    assert (option.nodes, option.binding_resource) == (4, "cpu")
    assert resource(option, "cpu").demand == pytest.approx(260.0)
    assert resource(option, "cpu").unit == "cores"
    assert resource(option, "memory").demand == pytest.approx(520.0)
    assert resource(option, "storage").demand == pytest.approx(400 * 8 / 1024 * 1.33 / 1.5, abs=1e-3)
    assert (performance.confidence, performance.confidence_stars, performance.perf_coverage) == ("high", 5, 0.9)
    assert performance.demand_sources["cpu.perf"] == 400


def test_performance_fallbacks_and_confidence() -> None:
    # vm-1 has history (coverage 1.0); vm-2 only a point-in-time quickStats 2300 MHz; vm-3 nothing.
    # CPU cores: vm-1 2300 x 1.3 / 2300 = 1.3; vm-2 the same 1.3 from quickStats;
    #   vm-3 4 vCPU / 4 oversubscription = 1.0. Total 3.6 cores.
    # Coverage (1.0 + 0 + 0) / 3 = 0.333 -> 2 stars -> low.
    with_history = vm(
        1, 4, 4, GIB, perf={"cpu.usagemhz": perf(2300, 1.0, "MHz"), "mem.consumed": perf(1024, 1.0, "MiB")}
    )
    quickstats = vm(2, 4, 4, GIB, cpu_usage_mhz=2300, memory_consumed_mib=2048)
    nothing = vm(3, 4, 4, GIB)
    result = size_target(
        estate_of([with_history, quickstats, nothing]), None, "avs", config_with("avs", "AV36"), "performance"
    )
    assert resource(result.options[0], "cpu").demand == pytest.approx(3.6)
    # memory: 1024 x 1.3 + 2048 x 1.3 + 4096 (allocated) MiB = 8089.6 MiB = 7.9 GiB
    assert resource(result.options[0], "memory").demand == pytest.approx(8089.6 / 1024, abs=1e-3)
    assert (result.confidence, result.confidence_stars) == ("low", 2)
    assert result.demand_sources["cpu.quickstats"] == 1
    assert result.demand_sources["cpu.allocated"] == 1


def test_powered_off_point_in_time_zero_is_not_a_measurement() -> None:
    # RVTools gives powered-off VMs 0 MHz / 0 MiB "usage": they fall back to allocated values:
    # CPU 4 vCPU / 4 oversubscription = 1 core; memory 4 GiB.
    off = vm(1, 4, 4, GIB, cpu_usage_mhz=0, memory_consumed_mib=0)
    off.power_state = "powered_off"
    result = size_target(estate_of([off]), None, "avs", config_with("avs", "AV36"), "performance")
    assert resource(result.options[0], "cpu").demand == pytest.approx(1.0)
    assert resource(result.options[0], "memory").demand == pytest.approx(4.0)
    assert result.demand_sources["cpu.allocated"] == 1


def test_cpu_usage_percent_uses_the_host_clock() -> None:
    # No cpu.usagemhz, cpu.usage p95 = 50 % of 4 vCPU on a 2000 MHz host = 4000 MHz x 1.3 = 5200 MHz
    # -> 5200 / 2300 = 2.26 cores on AV36.
    machine = vm(1, 4, 4, GIB, perf={"cpu.usage": perf(50.0, 1.0, "percent")})
    result = size_target(estate_of([machine]), None, "avs", config_with("avs", "AV36"), "performance")
    assert resource(result.options[0], "cpu").demand == pytest.approx(5200 / 2300, abs=1e-3)


def test_no_history_anywhere_is_confidence_none() -> None:
    result = size_target(estate_of([vm(1, 4, 4, GIB)]), None, "avs", config_with("avs", "AV36"), "performance")
    assert (result.confidence, result.confidence_stars, result.perf_coverage) == ("none", 1, 0.0)


@pytest.mark.parametrize(
    ("coverage", "stars"), [(0.0, 1), (0.2, 1), (0.21, 2), (0.4, 2), (0.5, 3), (0.61, 4), (0.8, 4), (0.81, 5), (1, 5)]
)
def test_confidence_stars_follow_azure_migrate_bands(coverage: float, stars: int) -> None:
    assert confidence_stars(coverage) == stars


# --------------------------------------------------------------------------------------------
# Parameters, scope, output


def test_storage_policy_choice_by_cluster_size() -> None:
    params = parse_parameters(effective_parameters(shipped_config(), "avs"), "avs")
    names = {
        hosts: getattr(choose_storage_policy(params.storage_policies, 1, hosts), "name", None)
        for hosts in (2, 3, 4, 16)
    }
    assert names == {2: None, 3: "FTT1-RAID1", 4: "FTT1-RAID5", 16: "FTT1-RAID5"}
    assert choose_storage_policy(params.storage_policies, 2, 6).name == "FTT2-RAID6"  # type: ignore[union-attr]
    assert choose_storage_policy(params.storage_policies, 3, 7).name == "FTT3-RAID1"  # type: ignore[union-attr]


def test_target_overrides_and_shown_parameters() -> None:
    config = shipped_config()
    vmc = effective_parameters(config, "vmc")
    avs = effective_parameters(config, "avs")
    assert (vmc["hyperthreading_factor"], vmc["cpu_headroom"], vmc["compression"]) == (1.25, 0.15, 1.25)
    assert (avs["hyperthreading_factor"], avs["dedupe"]) == (2.0, 1.5)
    assert "avs" not in vmc and "vmc" not in avs
    result = size_target(estate_of([vm(1, 2, 2, GIB)]), None, "vmc", config)
    assert result.parameters["cpu_oversubscription"] == 4.0
    assert result.parameters["source"] == "https://vmc.vmware.com/sizer"


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("cpu_oversubscription", 0, "sizing.avs.cpu_oversubscription"),
        ("percentile", 97, "sizing.avs.percentile"),
        ("basis", "guess", "sizing.avs.basis"),
        ("ftt", 4, "sizing.avs.ftt = 4"),
        ("memory_perf_counter", "mem.granted", "sizing.avs.memory_perf_counter"),
        ("dedupe", "lots", "sizing.avs.dedupe"),
    ],
)
def test_bad_parameters_name_the_key(key: str, value: Any, message: str) -> None:
    config = shipped_config()
    config["sizing"]["avs"][key] = value
    with pytest.raises(InputError, match=message.replace(".", r"\.")):
        size_target(estate_of([vm(1, 2, 2, GIB)]), None, "avs", config)


def test_scope_by_ids_templates_excluded_and_serde_round_trip() -> None:
    vms = [vm(1, 2, 2, GIB), vm(2, 2, 2, GIB), vm(3, 2, 2, GIB, template=True)]
    estate = estate_of(vms)
    results = size_estate(estate, ["vc/vm-2", "vc/vm-3"], ["avs", "vmc"], shipped_config())
    assert [r.vm_count for r in results] == [1, 1]
    assessment = Assessment(
        generated_at="t", vmscan_version="0", as_of="2026-01-01", targets=["avs", "vmc"], sizing=results
    )
    again = from_plain(Assessment, to_plain(assessment))
    assert again.sizing == results
    line = format_sizing_line(results[0])
    assert line.startswith("avs: 3 x AV36 in 1 cluster(s), bound by the minimum cluster size")


# --------------------------------------------------------------------------------------------
# Properties

vm_specs = st.lists(
    st.tuples(st.integers(1, 64), st.integers(1, 1024), st.integers(0, 8 * 1024)),  # vCPU, GiB, disk GiB
    min_size=0,
    max_size=30,
)


def vms_from(specs: list[tuple[int, int, int]]) -> list[VM]:
    return [vm(i, c, m, d * GIB) for i, (c, m, d) in enumerate(specs)]


@settings(max_examples=60, deadline=None)
@given(specs=vm_specs, extra=st.tuples(st.integers(1, 64), st.integers(1, 1024), st.integers(0, 8 * 1024)))
def test_adding_a_vm_never_lowers_the_node_count(
    specs: list[tuple[int, int, int]], extra: tuple[int, int, int]
) -> None:
    config = shipped_config()
    for target in ("avs", "vmc"):
        before = size_target(estate_of(vms_from(specs)), None, target, config)
        after = size_target(estate_of(vms_from([*specs, extra])), None, target, config)
        for old, new in zip(before.options, after.options, strict=True):
            assert new.nodes >= old.nodes, (target, old.node_type)


@settings(max_examples=60, deadline=None)
@given(
    specs=vm_specs,
    low=st.floats(0.5, 5.0),
    raise_by=st.floats(0.0, 5.0),
    oversub=st.floats(1.0, 8.0),
)
def test_raising_overcommit_never_raises_the_node_count(
    specs: list[tuple[int, int, int]], low: float, raise_by: float, oversub: float
) -> None:
    estate = estate_of(vms_from(specs))
    base = config_with("avs", "AV52", memory_overcommit=low, cpu_oversubscription=oversub)
    higher = config_with("avs", "AV52", memory_overcommit=low + raise_by, cpu_oversubscription=oversub + raise_by)
    assert only_option(estate.all_vms(), higher).nodes <= only_option(estate.all_vms(), base).nodes


def test_auto_basis_uses_performance_only_when_use_was_measured() -> None:
    config = config_with("avs", "AV36")
    plain = size_target(estate_of([vm(1, 4, 4, GIB)]), None, "avs", config)
    assert (plain.basis, plain.confidence, plain.parameters["basis_requested"]) == ("allocated", None, "auto")
    measured = size_target(estate_of([vm(1, 4, 4, GIB, cpu_usage_mhz=500)]), None, "avs", config)
    assert measured.basis == "performance"
    assert "basis auto: performance (measured use found)" in measured.notes


def test_assessment_hook_leaves_out_retire_and_retain() -> None:
    from types import SimpleNamespace

    from scanner.analysis.model import VmOutcome
    from scanner.analysis.sizing import assessment_sizing

    vms = [vm(i, 4, 4, GIB) for i in range(4)]
    outcomes = [
        VmOutcome(vm_id=v.id, name=v.name, vcenter="vc", datacenter=None, cluster=None, power_state=None, disposition=d)
        for v, d in zip(vms, ["rehost", "retire", "retain", "remediate"], strict=True)
    ]
    assessment = Assessment(generated_at="t", vmscan_version="0", as_of="2026-01-01", targets=["vmc"], vms=outcomes)
    results = assessment_sizing(estate_of(vms), assessment, SimpleNamespace(data=shipped_config()))
    assert [(r.target, r.vm_count) for r in results] == [("vmc", 2)]
    assert resource(results[0].options[0], "cpu").demand == 8  # vm-0 and vm-3, 4 vCPU each


def test_zero_committed_bytes_fall_back_to_provisioned() -> None:
    # committed 0 is no measurement: 10 GiB provisioned + 4 GiB swap = 14 GiB logical,
    # x 2 (RAID1 at 3 hosts) / 1.5 = 18.667 GiB raw.
    machine = vm(1, 2, 4, 10 * GIB, storage_committed_bytes=0, cpu_usage_mhz=100)
    result = size_target(estate_of([machine]), None, "avs", config_with("avs", "AV36"), "performance")
    assert result.demand_sources["storage.provisioned"] == 1
    assert resource(result.options[0], "storage").demand == pytest.approx(14 / 1024 * 2 / 1.5, abs=1e-3)


def test_kubev2v_rvtools_export_matches_the_hand_check_in_docs() -> None:
    # docs/sizing.md works this through: 69 vCPU, 146,713 MiB, 1.4057 TiB provisioned + 0.1399 TiB
    # swap = 1.5456 TiB x 2 (FTT1-RAID1 at 3 hosts) / 1.5 = 2.061 TiB raw -> 3 x AV36, minimum_cluster.
    from scanner.inputs import load_inputs

    estate, _ = load_inputs([str(Path(__file__).resolve().parents[2] / "fixtures" / "kubev2v-example1.xlsx")])
    option = only_option(estate.all_vms(), config_with("avs", "AV36"), basis="allocated")
    assert (option.nodes, option.binding_resource, option.storage_policy) == (3, "minimum_cluster", "FTT1-RAID1")
    assert resource(option, "cpu").demand == 69
    assert resource(option, "memory").demand == pytest.approx(146713 / 1024, abs=1e-3)
    assert resource(option, "storage").demand == pytest.approx(2.061, abs=1e-3)
    assert resource(option, "cpu").utilisation == pytest.approx(69 / 864, abs=1e-4)
