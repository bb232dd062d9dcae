"""Sizing engine: hand-worked node counts (the arithmetic is written beside each case), the
published methods reproduced to the node, basis rules and bounded arithmetic.

Shipped facts (scanner/data/targets.toml) the cases use:

AVS AV36: 36 cores @ 2300 MHz, 576 GB (DIMM, = 576 GiB), 15.20 TB raw (decimal: 15.2e12 / 2^40
  = 13.8243 TiB); AV36P: 36 cores @ 2600 MHz, 768 GiB, 19.20 TB = 17.4623 TiB. Cluster 3..16.
  allocated CPU per node = 36 cores x 2 (hyper-threading) x 4 (vCPU per thread) = 288 vCPU
  management reserve (first cluster) = 46 GHz, 171.88 GiB; in vCPU capacity on AV36:
    46000 / 2300 = 20 cores x 2 x 4 = 160 vCPU
  N+1: one spare host per cluster; storage per node = raw TiB x (1 - 0.25 slack)
  storage raw demand = (disk + swap) x RAID factor / 1.5 (dedupe x compression)
VMC i4i.metal: 64 cores, 1024 GiB, 20.46 TiB (vSAN OSA); CPU 64 x 1.25 x 4 x 0.85 = 272 vCPU; reduction 1.875.
"""

from __future__ import annotations

import copy
import math
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import scanner
from scanner.analysis.model import Assessment, NodeOption
from scanner.analysis.sizing import (
    ClusterLimits,
    choose_storage_policy,
    confidence_stars,
    effective_parameters,
    format_sizing_lines,
    hosts_with_spares,
    parse_parameters,
    size_estate,
    size_target,
    vm_demand,
)
from scanner.errors import InputError
from scanner.inventory.model import VM, Disk, Estate, Host, PerfStats, Source, VCenter
from scanner.serde import from_plain, to_plain

GIB = 1024**3
TIB = 1024**4
AV36_STORAGE_TIB = 15.2e12 / TIB  # 13.8243: the decimal TB Microsoft publishes, in TiB
AV36_STORAGE_USABLE = AV36_STORAGE_TIB * 0.75
AV36_RESERVE_VCPU = 46000 / 2300 * 2 * 4  # 160
RESERVE_GIB = 171.88


def shipped_config() -> dict[str, Any]:
    with (Path(scanner.__file__).parent / "data" / "targets.toml").open("rb") as handle:
        return tomllib.load(handle)


def config_with(target: str, node_type: str | None, **sizing: Any) -> dict[str, Any]:
    """The shipped configuration (optionally one node type only), with sizing overrides for `target`."""
    config = copy.deepcopy(shipped_config())
    if node_type is not None:
        types = config["targets"][target]["node_types"]
        config["targets"][target]["node_types"] = {node_type: types[node_type]}
    config["sizing"][target].update(sizing)
    return config


# The published methods' own settings: no spare host, no management reserve (Azure Migrate counts
# neither; "CPU utilization also already accounts for management overhead").
AZURE_MIGRATE = {"host_failures_to_tolerate": 0, "include_management_reserve": False}


def vm(index: int, vcpu: int, memory_gib: float, disk_bytes: int, **extra: Any) -> VM:
    return VM(
        id=f"vc/vm-{index}", name=f"vm{index}", vcenter="vc", host="esx1", power_state="powered_on",
        num_cpu=vcpu, memory_mib=int(memory_gib * 1024), disks=[Disk(capacity_bytes=disk_bytes)], **extra,
    )


def estate_of(vms: list[VM]) -> Estate:
    host = Host(id="vc/host-1", name="esx1", cpu_mhz=2000)
    return Estate(collected_at="2026-01-01T00:00:00Z", source=Source(kind="synthetic"),
                  vcenters=[VCenter(name="vc", hosts=[host], vms=vms)])


def only_option(vms: list[VM], config: dict[str, Any], target: str = "avs", basis: str | None = None) -> NodeOption:
    result = size_target(estate_of(vms), None, target, config, basis)
    assert len(result.options) == 1
    return result.options[0]


def resource(option: NodeOption, name: str) -> Any:
    return next(r for r in option.resources if r.resource == name)


def history(cpu_mhz: float | None = None, memory_mib: float | None = None, cpu_percent: float | None = None,
            coverage: float = 1.0) -> dict[str, PerfStats]:
    stats = {}
    if cpu_mhz is not None:
        stats["cpu.usagemhz"] = PerfStats(unit="MHz", p95=cpu_mhz, coverage=coverage, samples=100)
    if cpu_percent is not None:
        stats["cpu.usage"] = PerfStats(unit="%", p95=cpu_percent, coverage=coverage, samples=100)
    if memory_mib is not None:
        stats["mem.consumed"] = PerfStats(unit="MiB", p95=memory_mib, coverage=coverage, samples=100)
    return stats


# --------------------------------------------------------------------------------------------
# Reference cases (default headroom: N+1, management reserve, vSAN slack)


def test_memory_bound_av36() -> None:
    # 40 x (2 vCPU, 64 GiB, 10 GiB disk):
    #   memory (2560 + 171.88) / 576 = 4.74 -> 5 working hosts, + 1 spare = 6
    #   CPU (80 + 160) / 288 = 0.83 -> 1 working, + 1 = 2
    #   storage (400 GiB + 2560 GiB swap) = 2.8906 TiB / 1.5 x 1.33 (RAID5 from 4 hosts) = 2.563 TiB -> 1
    # Before (no headroom): 2560 / 576 = 4.44 -> 5 nodes.
    option = only_option([vm(i, 2, 64, 10 * GIB) for i in range(40)], config_with("avs", "AV36"))
    assert (option.nodes, option.clusters, option.spare_hosts) == (6, 1, 1)
    assert option.binding_resource == "memory"
    assert option.storage_policy == "FTT1-RAID5"
    memory = resource(option, "memory")
    assert memory.capacity == pytest.approx(5 * 576 - RESERVE_GIB)  # 2708.12 GiB after headroom
    assert memory.utilisation == pytest.approx(2560 / 2708.12, abs=1e-4)  # 94.5 %
    assert memory.utilisation_all_hosts == pytest.approx((2560 + RESERVE_GIB) / (6 * 576), abs=1e-4)
    assert resource(option, "cpu").nodes_needed == 2
    assert resource(option, "storage").demand == pytest.approx(2960 / 1024 / 1.5 * 1.33, abs=1e-3)


def test_cpu_bound_av36() -> None:
    # 100 x (16 vCPU, 8 GiB, 10 GiB): CPU (1600 + 160) / 288 = 6.11 -> 7 working + 1 spare = 8;
    # memory (800 + 171.88) / 576 -> 2 working -> 3. Before: 1600 / 288 = 5.56 -> 6.
    option = only_option([vm(i, 16, 8, 10 * GIB) for i in range(100)], config_with("avs", "AV36"))
    assert (option.nodes, option.binding_resource) == (8, "cpu")
    cpu = resource(option, "cpu")
    assert (cpu.demand, cpu.reserved, cpu.unit) == (1600, AV36_RESERVE_VCPU, "vCPU")
    assert cpu.capacity == pytest.approx(7 * 288 - 160)  # 1856 vCPU after headroom
    assert cpu.utilisation == pytest.approx(1600 / 1856, abs=1e-4)


def test_storage_bound_av36_in_decimal_terabytes() -> None:
    # 10 x (2 vCPU, 4 GiB, 10 TiB): 100 TiB + 40 GiB swap = 100.0391 TiB / 1.5 = 66.693 TiB
    #   RAID5 x 1.33 = 88.70 TiB / (13.8243 x 0.75 = 10.368 TiB per node) = 8.56 -> 9 hosts (>= 4: RAID5 holds)
    #   RAID1 x 2 would need 12.87 -> 13. Before (15.2 read as TiB: 11.4 per node): 88.70 / 11.4 -> 8.
    option = only_option([vm(i, 2, 4, 10 * TIB) for i in range(10)], config_with("avs", "AV36"))
    logical = 10 * (10 + 4 / 1024)
    assert math.ceil(logical / 1.5 * 1.33 / AV36_STORAGE_USABLE) == 9
    assert (option.nodes, option.binding_resource, option.storage_policy) == (9, "storage", "FTT1-RAID5")
    assert option.node_facts["storage_tib_raw"] == pytest.approx(13.824, abs=1e-3)
    assert (option.node_facts["storage_raw"], option.node_facts["storage_unit"]) == (15.2, "TB")


def test_a_vm_larger_than_any_node() -> None:
    # 2048 GiB RAM exceeds every AVS node (largest AV52: 1536 GiB); 200 vCPU exceed 2 x 64 threads.
    vms = [vm(1, 200, 2048, GIB), vm(2, 2, 4, GIB)]
    result = size_target(estate_of(vms), None, "avs", shipped_config(), "allocated")
    assert result.vms_fitting_no_node_type == ["vc/vm-1"]
    assert all(o.vms_not_fitting == ["vc/vm-1"] for o in result.options)
    assert all(resource(o, "cpu").demand == 2 for o in result.options)
    assert "1 VM(s) fit no node type" in format_sizing_lines(result)[0]


def test_cluster_split_at_max_hosts() -> None:
    # 180 x (2 vCPU, 64 GiB, 10 GiB): memory (11520 + 171.88) / 576 = 20.3 -> 21 working hosts;
    # 16-host clusters with one spare each carry 15: ceil(21 / 15) = 2 clusters -> 21 + 2 = 23 hosts.
    # Before: 11520 / 576 = 20 hosts in 2 clusters.
    option = only_option([vm(i, 2, 64, 10 * GIB) for i in range(180)], config_with("avs", "AV36"))
    assert (option.nodes, option.clusters, option.spare_hosts, option.binding_resource) == (23, 2, 2, "memory")
    assert resource(option, "memory").capacity == pytest.approx(21 * 576 - RESERVE_GIB)


def test_issue_case_300_vms_of_2_vcpu_32_gib_50_gib() -> None:
    # AV36P: memory (9600 + 171.88) / 768 = 12.72 -> 13 working + 1 spare = 14 (one cluster).
    #   CPU (600 + 46000/2600 x 8 = 141.5) / 288 -> 3 -> 4. As-on-premises without headroom: 13.
    # VMC i4i.metal (no published reserve): 9600 / 1024 = 9.38 -> 10 working + 1 = 11; CPU 600 / 272 -> 3 -> 4.
    # The performance basis on RVTools instants gave 12 x AV36P and 9 x i4i.metal before.
    vms = [vm(i, 2, 32, 50 * GIB, cpu_usage_mhz=300, memory_consumed_mib=4096) for i in range(300)]
    avs = only_option(vms, config_with("avs", "AV36P"))
    vmc = only_option(vms, config_with("vmc", "i4i.metal"), target="vmc")
    assert (avs.nodes, avs.binding_resource) == (14, "memory")
    assert (vmc.nodes, vmc.binding_resource) == (11, "memory")
    bare = only_option(vms, config_with("avs", "AV36P", **AZURE_MIGRATE))
    assert bare.nodes == 13  # ceil(9600 / 768)


# --------------------------------------------------------------------------------------------
# Published methods reproduced to the node


def test_azure_migrate_limiting_factor_example() -> None:
    # Azure Migrate's AVS assessment doc: 8 VMs on 3 x AV36 use 50 % CPU, 14 % memory, 18 % storage;
    # CPU is the limiting factor. 8 x (54 vCPU, 30 GiB, 500 GiB) as on-premises, its own settings:
    #   CPU 432 / (3 x 288 = 864) = 50 %; memory 240 / 1728 = 13.9 %;
    #   storage 8 x 530 GiB = 4.1406 TiB x 2 (RAID1) / 1.5 = 5.521 / (3 x 10.368) = 17.7 % (the doc: 18 %).
    option = only_option([vm(i, 54, 30, 500 * GIB) for i in range(8)], config_with("avs", "AV36", **AZURE_MIGRATE))
    assert option.nodes == 3
    used = {r.resource: round(r.utilisation, 3) for r in option.resources}
    assert used == {"cpu": 0.5, "memory": 0.139, "storage": 0.177}
    assert max(used, key=lambda k: used[k]) == "cpu"


def test_azure_migrate_performance_examples_in_vcpu() -> None:
    # "if a VM has 4 vCPU allocated but only using 25 % then AVS will size for 1 vCPU";
    # "a 10-core VM with 20 % utilization results in 2 cores; with a comfort factor of 2.0x, 4".
    def used(vcpu: int, percent: float, comfort: float) -> float:
        config = config_with("avs", "AV36", performance_cpu_method="vcpu", comfort_factor=comfort, **AZURE_MIGRATE)
        machine = vm(1, vcpu, 4, GIB, perf=history(cpu_percent=percent, memory_mib=1024))
        return float(resource(only_option([machine], config, basis="performance"), "cpu").demand)

    assert used(4, 25, 1.0) == 1.0
    assert used(10, 20, 1.0) == 2.0
    assert used(10, 20, 2.0) == 4.0


@pytest.mark.parametrize(("ftt", "hosts", "name", "raw_gb"), [
    (1, 3, "FTT1-RAID1", 200.0), (1, 4, "FTT1-RAID5", 133.0), (2, 5, "FTT2-RAID1", 300.0),
    (2, 6, "FTT2-RAID6", 150.0), (3, 7, "FTT3-RAID1", 400.0),
])
def test_azure_migrate_ftt_table(ftt: int, hosts: int, name: str, raw_gb: float) -> None:
    # "A 100GB VM would consume 200GB / 133.33GB / 300GB / 150GB / 400GB."
    params = parse_parameters(effective_parameters(shipped_config(), "avs"), "avs")
    policy = choose_storage_policy(params.storage_policies, ftt, hosts)
    assert policy is not None and policy.name == name
    assert 100 * policy.factor == pytest.approx(raw_gb)


def test_vmc_sizer_documented_parameters() -> None:
    # VMC Sizer API's VMProfile example: 1000 VMs x (2 vCPU, 200 GB RAM, 200 GB vmdk), vCpusPerCore 4,
    # targetRAMRatio 1.25, dedupOrCompressionRatio 1.5; host parameters hyperThreadingWeight 1.25,
    # cpuHeadroom 0.15. On i4i.metal (64 cores, 1024 GiB, 20.46 TiB):
    #   CPU 2000 / (64 x 1.25 x 4 x 0.85 = 272) = 7.35 -> 8
    #   memory 200,000 / (1024 x 1.25 = 1280) = 156.25 -> 157 hosts (10 clusters of <= 16)
    #   storage 195.31 TiB / 1.5 x 1.33 (RAID5) = 173.18 / (20.46 x 0.75 = 15.345) = 11.29 -> 12
    config = config_with("vmc", "i4i.metal", memory_overcommit=1.25, dedupe=1.5, compression=1.0,
                         include_swap=False, **AZURE_MIGRATE)
    option = only_option([vm(i, 2, 200, 200 * GIB) for i in range(1000)], config, target="vmc")
    assert (option.nodes, option.clusters, option.binding_resource) == (157, 10, "memory")
    assert resource(option, "cpu").nodes_needed == 8
    assert resource(option, "storage").nodes_needed == 12


# --------------------------------------------------------------------------------------------
# Basis


def test_rvtools_point_in_time_values_never_make_a_performance_basis() -> None:
    vms = [vm(i, 4, 16, 40 * GIB, cpu_usage_mhz=200, memory_consumed_mib=2048) for i in range(5)]
    for requested in ("auto", "performance"):
        result = size_target(estate_of(vms), None, "avs", shipped_config(), requested)
        assert result.basis == "allocated" and result.confidence is None
        assert "no utilisation history" in (result.basis_reason or "")
        assert resource(result.options[0], "memory").demand == pytest.approx(80)
    line = format_sizing_lines(size_target(estate_of(vms), None, "avs", shipped_config()))[0]
    assert "as on-premises (allocated), confidence n/a" in line


def test_auto_uses_performance_only_with_five_star_coverage() -> None:
    full = [vm(i, 8, 16, GIB, perf=history(cpu_mhz=1000, memory_mib=4096)) for i in range(4)]
    result = size_target(estate_of(full), None, "avs", shipped_config())
    assert (result.basis, result.confidence, result.confidence_stars) == ("performance", "high", 5)
    # Half the VMs without history: coverage 50 % = 3 stars -> as on-premises, reason given.
    half = full[:2] + [vm(9 + i, 8, 16, GIB) for i in range(2)]
    result = size_target(estate_of(half), None, "avs", shipped_config())
    assert result.basis == "allocated"
    assert "coverage 50.0% (3/5 stars): below 5 stars" in (result.basis_reason or "")
    forced = size_target(estate_of(half), None, "avs", shipped_config(), "performance")
    assert (forced.basis, forced.confidence_stars, forced.demand_sources["cpu.allocated"]) == ("performance", 3, 2)


def test_performance_counts_physical_cores_not_hyperthreads() -> None:
    # 20 VMs x 8 vCPU using 10,000 MHz at p95 x 1.3 = 13 GHz each = 260 GHz; AV36 performance
    # capacity 36 cores x 2.3 GHz x 1.0 = 82.8 GHz per node: (260 + 46 reserve) / 82.8 = 3.7 -> 4
    # working + 1 spare = 5. Counting hyper-threads as cores (165.6 GHz per node) gave 2 -> 3.
    vms = [vm(i, 8, 16, GIB, perf=history(cpu_mhz=10_000, memory_mib=8192)) for i in range(20)]
    option = only_option(vms, config_with("avs", "AV36"), basis="performance")
    cpu = resource(option, "cpu")
    assert (cpu.unit, cpu.demand, cpu.reserved) == ("GHz", 260.0, 46.0)
    assert (option.nodes, option.binding_resource) == (5, "cpu")
    counted_threads = only_option(vms, config_with("avs", "AV36", performance_hyperthreading_factor=2.0),
                                  basis="performance")
    assert counted_threads.nodes == 3


# --------------------------------------------------------------------------------------------
# Recommendation rule, parameters, data


def test_recommendation_rule_without_prices_prefers_available_types_and_lower_capacity() -> None:
    # kubev2v-size estate: every first-cluster AVS type needs the 3-host minimum; AV36 and AV48 are
    # of limited availability, AV36P and AV52 tie at 3 nodes: AV36P has less capacity. AV64 never.
    vms = [vm(i, 4, 16, 40 * GIB) for i in range(9)]
    result = size_target(estate_of(vms), None, "avs", shipped_config(), "allocated")
    assert result.recommended_node_type == "AV36P"
    assert "fewest nodes among node types that can form a first cluster and are generally available" in (
        result.recommendation_rule or "")
    assert {o.node_type: o.availability for o in result.options}["AV36"] == "limited"
    priced = shipped_config()
    priced["targets"]["avs"]["node_types"]["AV52"]["price_per_node"] = 100.0
    priced["targets"]["avs"]["node_types"]["AV36P"]["price_per_node"] = 200.0
    cheap = size_target(estate_of(vms), None, "avs", priced, "allocated")
    assert cheap.recommended_node_type == "AV52" and "cheapest" in (cheap.recommendation_rule or "")


def test_headroom_parameters_are_shown_with_their_sources() -> None:
    result = size_target(estate_of([vm(1, 2, 4, GIB)]), None, "avs", shipped_config(), "allocated")
    assert result.parameters["host_failures_to_tolerate"] == 1
    assert result.parameters["management_reserve_cpu_ghz"] == 46.0
    assert result.parameters["management_reserve_memory_gib"] == 171.88
    assert result.parameter_sources["management_reserve_cpu_ghz"].startswith(
        "https://learn.microsoft.com/azure/azure-vmware/architecture-private-clouds")
    lines = format_sizing_lines(result)
    assert lines[1] == ("headroom: N+1 per cluster, management reserve 46 GHz CPU / 171.88 GiB memory, vSAN slack 25%, "
                        "max CPU 100% / memory 100%")


def test_every_node_type_cites_a_source_and_date_in_vendor_units() -> None:
    for target in ("avs", "vmc"):
        for name, node in shipped_config()["targets"][target]["node_types"].items():
            assert node["source"].startswith("https://"), name
            assert node["as_of"], name
            assert node["memory_unit"] in ("GB_dimm", "GiB") and node["storage_unit"] in ("TB", "TiB"), name
    avs = shipped_config()["targets"]["avs"]["node_types"]
    assert avs["AV48"]["storage_raw"] == 25.6 and avs["AV36P"]["storage_unit"] == "TB"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("cpu_oversubscription", 0, "sizing.avs.cpu_oversubscription"),
    ("basis", "guess", "sizing.avs.basis must be one of allocated, performance, auto"),
    ("host_failures_to_tolerate", -1, "sizing.avs.host_failures_to_tolerate"),
    ("cpu_max_utilisation", 1.5, "sizing.avs.cpu_max_utilisation"),
    ("performance_cpu_method", "ghz", "sizing.avs.performance_cpu_method"),
    ("comfort_factor", float("nan"), "sizing.avs.comfort_factor must be a number"),
    ("max_vm_storage_tb", 10**12, "sizing.avs.max_vm_storage_tb"),
])
def test_bad_parameters_name_the_key(key: str, value: Any, message: str) -> None:
    with pytest.raises(InputError, match=message):
        size_target(estate_of([vm(1, 2, 4, GIB)]), None, "avs", config_with("avs", None, **{key: value}))


def test_scope_templates_and_serde_round_trip() -> None:
    vms = [vm(1, 2, 4, GIB), vm(2, 2, 4, GIB, template=True)]
    results = size_estate(estate_of(vms), ["vc/vm-1", "vc/vm-2"], ["avs", "vmc"], shipped_config())
    assert [r.vm_count for r in results] == [1, 1]
    again = [from_plain(type(r), to_plain(r)) for r in results]
    assert again == results


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


def test_swap_is_counted_once() -> None:
    # committed + uncommitted (vCenter summary, RVTools 'Provisioned MiB') holds the swap file already;
    # a sum of disk capacities does not, so swap (memory less its reservation) is added there only.
    params = parse_parameters(effective_parameters(shipped_config(), "avs"), "avs", "allocated")
    from_disks = vm(1, 2, 4, 100 * GIB)
    from_summary = vm(2, 2, 4, 100 * GIB, storage_committed_bytes=30 * GIB, storage_uncommitted_bytes=74 * GIB)
    reserved = vm(3, 2, 4, 100 * GIB, memory_reservation_mib=1024)
    assert vm_demand(from_disks, params).storage_bytes == 104 * GIB
    assert vm_demand(from_summary, params).storage_bytes == 104 * GIB
    assert vm_demand(reserved, params).storage_bytes == 103 * GIB


def test_kubev2v_rvtools_export_matches_the_hand_check_in_docs() -> None:
    # docs/sizing.md: 69 vCPU, 146,713 MiB, 1.4057 TiB provisioned (RVTools 'Provisioned MiB' holds each
    # VM's swap file already) + 40 GiB swap of vm-9 (sized from its disk: no Provisioned MiB) = 1.4448 TiB
    # x 2 (FTT1-RAID1 at 3 hosts) / 1.5 = 1.926 TiB raw (was 2.061 with every swap counted twice).
    # AV36P with headroom: CPU (69 + 141.5) / 288
    # and memory (143.27 + 171.88) / 768 need 1 working host + 1 spare: the 3-host minimum binds.
    from scanner.inputs import load_inputs

    estate, _ = load_inputs([str(Path(__file__).resolve().parents[2] / "fixtures" / "kubev2v-example1.xlsx")])
    option = only_option(estate.all_vms(), config_with("avs", "AV36P"))
    assert (option.nodes, option.binding_resource, option.storage_policy) == (3, "minimum_cluster", "FTT1-RAID1")
    assert resource(option, "cpu").demand == 69
    assert resource(option, "memory").demand == pytest.approx(146713 / 1024, abs=1e-3)
    assert resource(option, "storage").demand == pytest.approx(1.926, abs=1e-3)
    assert resource(option, "cpu").capacity == pytest.approx(2 * 288 - 46000 / 2600 * 8, abs=1e-3)


# --------------------------------------------------------------------------------------------
# Bounded arithmetic (issue 18): implausible sizes named and left out; closed-form counts


def test_implausible_sizes_are_named_and_left_out() -> None:
    huge = [vm(1, 2, 4, 10**300), vm(2, 20_000, 4, GIB), vm(3, 2, 4, GIB)]
    result = size_target(estate_of(huge), None, "avs", shipped_config(), "allocated")
    assert result.vms_implausible == ["vc/vm-1", "vc/vm-2"]
    assert result.vm_count == 1
    assert any("vm1: provisioned storage above 1,000 TB" in n for n in result.notes)
    assert any("vm2: 20000 vCPUs (more than 10,000)" in n for n in result.notes)
    lines = format_sizing_lines(result)
    assert "2 VM(s) left out (implausible sizes)" in lines[0]
    assert lines[3] == ("left out of sizing, beyond physical plausibility: vm1: provisioned storage above 1,000 TB "
                        "(check the input)")
    # A near miss (999 TB) is sized, not left out.
    near = size_target(estate_of([vm(4, 2, 4, 999 * 10**12)]), None, "avs", shipped_config(), "allocated")
    assert near.vms_implausible == [] and near.vm_count == 1


def test_hundred_vms_of_four_pib_are_sized_or_left_out() -> None:
    # Performance is a benchmark matter (docs/benchmarks.md), not a timed unit test: the closed form
    # is proved against stepping by test_closed_form_hosts_match_stepping below.
    vms = [vm(i, 2, 4, 4 * 2**50) for i in range(100)]
    # With a limit that admits them the count is still closed form: 400 PiB -> ~35,000 AV36 hosts.
    config = config_with("avs", "AV36", max_vm_storage_tb=10**6)
    option = only_option(vms, config)
    left_out = size_target(estate_of(vms), None, "avs", shipped_config(), "allocated")
    logical = 100 * (4 * 2**50 + 4 * 2**30) / TIB
    assert option.nodes >= math.ceil(logical / 1.5 * 1.33 / AV36_STORAGE_USABLE)
    assert option.binding_resource == "storage"
    assert len(left_out.vms_implausible) == 100


@settings(max_examples=300, deadline=None)
@given(working=st.integers(0, 500), spares=st.integers(0, 3), max_hosts=st.integers(4, 16),
       at_least=st.integers(0, 60))
def test_closed_form_hosts_match_stepping(working: int, spares: int, max_hosts: int, at_least: int) -> None:
    def fits(n: int) -> bool:
        return n >= at_least and n - spares * max(1, math.ceil(n / max_hosts)) >= working

    expected = next(n for n in range(at_least, 10_000) if working == 0 or fits(n))
    assert hosts_with_spares(working, spares, max_hosts, at_least) == expected


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 32), st.integers(1, 256), st.integers(1, 4096)), min_size=1, max_size=30),
       st.tuples(st.integers(1, 32), st.integers(1, 256), st.integers(1, 4096)))
def test_adding_a_vm_never_lowers_the_node_count(sizes: list[tuple[int, int, int]],
                                                 extra: tuple[int, int, int]) -> None:
    config = config_with("avs", "AV36")
    vms = [vm(i, c, m, d * GIB) for i, (c, m, d) in enumerate(sizes)]
    before = only_option(vms, config).nodes
    after = only_option([*vms, vm(999, extra[0], extra[1], extra[2] * GIB)], config).nodes
    assert after >= before


@pytest.mark.parametrize(("coverage", "stars"), [(0.0, 1), (0.2, 1), (0.21, 2), (0.6, 3), (0.8, 4), (0.81, 5)])
def test_confidence_stars_follow_azure_migrate_bands(coverage: float, stars: int) -> None:
    assert confidence_stars(coverage) == stars


def test_cluster_limits_used_by_the_closed_form() -> None:
    limits = ClusterLimits(min_hosts=3, max_hosts=16, max_hosts_per_private_cloud=96)
    assert hosts_with_spares(15, 1, limits.max_hosts) == 16
    assert hosts_with_spares(16, 1, limits.max_hosts) == 18
