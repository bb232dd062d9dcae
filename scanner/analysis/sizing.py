"""Cloud sizing: how many nodes of each type a target (AVS, VMC, …) needs for a set of VMs.

Pure functions over the typed inventory; every number comes from the ``[sizing]`` tables and the
``targets.<id>`` tables of ``scanner/data/targets.toml`` (overridable with ``--policy``). The
formulas, with a worked example, are in docs/sizing.md; in short:

Basis. ``allocated`` (as on-premises: configured vCPU, RAM, provisioned disk) is used for every
input without a utilisation history. ``performance`` needs a history (``vmscan collect
--perf-days N``: vCenter QueryPerf percentiles); point-in-time values (RVTools vCPU "Overall",
vMemory "Consumed", vCenter quickStats) are never used. ``auto`` = performance when the history's
coverage earns at least ``performance_min_stars`` (Azure Migrate's stars), else allocated.

Capacity per node (vendor units converted explicitly: UNIT_BYTES):

- CPU, allocated (and performance with ``performance_cpu_method = "vcpu"``, Azure Migrate's
  method): cores x hyperthreading_factor x cpu_oversubscription vCPU.
- CPU, performance (``"mhz"``): cores x clock x performance_hyperthreading_factor (1.0 = physical
  cores only: a hyper-thread is not a core) against used MHz x comfort factor.
- Memory: memory GiB x memory_overcommit. Storage: raw TiB x (1 - vsan_slack).
- CPU and memory are then capped at ``*_max_utilisation``.

Headroom: ``host_failures_to_tolerate`` spare hosts per cluster carry no load (N+1); the target's
management reserve (AVS: 46 GHz and 171.88 GiB in the first cluster) is taken from the capacity;
vSAN slack as above. Storage demand in raw TiB = (disk + swap) x RAID factor / (dedupe x
compression); the RAID factor is that of the most capacity-efficient policy of the configured FTT
that the smallest cluster allows.

Node count, closed form (never stepping one node at a time): working hosts k = ceil((demand +
reserve) / usable per node) for CPU and memory; hosts n = k + spares x clusters with clusters =
ceil(k / (max_hosts - spares)); storage needs, per storage policy, ceil(raw demand / usable per
node) hosts and at least the policy's min_hosts per cluster; n is the largest of these, the
target's minimum cluster and the FTT's minimum, then every cluster gets at least min_hosts.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any, NamedTuple, Protocol

from scanner.analysis.model import Assessment, NodeOption, ResourceUse, SizingResult, setting_text, share_text
from scanner.errors import InputError
from scanner.inventory.model import VM, Estate, PerfStats

BASES = ("allocated", "performance", "auto")
# VM dispositions that leave the VM out of the cloud footprint.
OUT_OF_SCOPE_DISPOSITIONS = ("retire", "retain")
PERCENTILE_FIELDS = {50: "p50", 90: "p90", 95: "p95", 99: "p99", 100: "max"}
MEMORY_PERF_COUNTERS = ("mem.consumed", "mem.active")
PERFORMANCE_CPU_METHODS = ("mhz", "vcpu")
CPU_PERF_COUNTERS = ("cpu.usagemhz", "cpu.usage")
AVAILABILITY = ("ga", "limited")
# Physical hardware threads per core: what a single VM's vCPUs may not exceed on one host,
# independent of the capacity factor `hyperthreading_factor`.
THREADS_PER_CORE = 2
# Bytes per unit as vendors publish them. Memory modules are sold in binary "GB" (a 576 GB host
# has 576 GiB); drives in decimal TB (15.20 TB = 13.82 TiB).
UNIT_BYTES = {"GB_dimm": 2**30, "GiB": 2**30, "GB": 10**9, "TB": 10**12, "TiB": 2**40}
MEMORY_UNITS = ("GB_dimm", "GiB")
STORAGE_UNITS = ("TB", "TiB")
MIB_PER_GIB = 1024
BYTES_PER_GIB = 2**30
BYTES_PER_TIB = 2**40
BYTES_PER_MIB = 2**20
BYTES_PER_TB = 10**12
IMPLAUSIBLE_NOTE = "left out of sizing, beyond physical plausibility: "
# VMs left out for implausible sizes named in the terminal; the report's notes list all.
MAX_IMPLAUSIBLE_SHOWN = 5
# Bounds on the plausibility limits themselves, so a policy cannot make the arithmetic unbounded.
PLAUSIBILITY_CEILINGS = {"max_vm_vcpu": 10**6, "max_vm_memory_gib": 2**30, "max_vm_storage_tb": 10**9}


@dataclass(frozen=True)
class StoragePolicy:
    name: str
    ftt: int
    min_hosts: int
    factor: float


@dataclass(frozen=True)
class NodeType:
    name: str
    cores: int
    cpu_mhz: float | None
    memory_gib: float  # converted from the vendor's figure
    storage_tib_raw: float  # converted from the vendor's figure
    first_cluster_allowed: bool
    availability: str
    price_per_node: float | None
    # The vendor's own figures, units and citation, shown next to the converted values.
    facts: dict[str, Any]


@dataclass(frozen=True)
class ClusterLimits:
    min_hosts: int
    max_hosts: int
    max_hosts_per_private_cloud: int | None


@dataclass(frozen=True)
class ManagementReserve:
    """What the target's own management VMs take from the first cluster."""

    cpu_mhz: float
    memory_gib: float
    source: str | None
    as_of: str | None


@dataclass(frozen=True)
class SizingParameters:
    basis: str
    performance_min_stars: int
    percentile: int
    comfort_factor: float
    hyperthreading_factor: float
    cpu_oversubscription: float
    performance_cpu_method: str
    performance_hyperthreading_factor: float
    host_failures_to_tolerate: int
    include_management_reserve: bool
    cpu_max_utilisation: float
    memory_max_utilisation: float
    memory_overcommit: float
    memory_perf_counter: str
    dedupe: float
    compression: float
    vsan_slack: float
    ftt: int
    include_swap: bool
    prefer_generally_available: bool
    max_vm_vcpu: int
    max_vm_memory_gib: float
    max_vm_storage_tb: float
    storage_policies: tuple[StoragePolicy, ...]

    @property
    def storage_reduction(self) -> float:
        return self.dedupe * self.compression


class VmDemand(NamedTuple):
    """One VM's demand, independent of node type except for the CPU conversions.

    Immutable (the targets of one sizing share the demands); a NamedTuple rather than a frozen
    dataclass because one is made per VM, and a frozen dataclass' __init__ costs ~5 times as much."""

    vm_id: str
    vcpu: int
    memory_mib: float  # before overcommit
    storage_bytes: float  # disk (+ swap), before RAID factor and reduction
    # Configured RAM, for the fits-on-a-node test.
    configured_memory_mib: int
    # From the utilisation history (performance basis), after the comfort factor; None = sized on
    # allocated vCPUs. MHz for the "mhz" method, vCPUs (vCPU x utilisation) for the "vcpu" method.
    cpu_used_mhz: float | None
    cpu_used_vcpu: float | None
    coverage: float  # 0..1 share of expected perf samples present (0 without history)
    cpu_source: str  # perf | allocated
    memory_source: str
    storage_source: str


# --------------------------------------------------------------------------------------------
# Parameters


def effective_parameters(config: Mapping[str, Any], target: str) -> dict[str, Any]:
    """``[sizing]`` defaults overlaid with ``[sizing.<target>]`` (other targets' tables dropped)."""
    sizing = config.get("sizing")
    if not isinstance(sizing, Mapping):
        raise InputError("policy: missing [sizing] section")
    target_ids = set(config.get("targets", {}))
    merged = {k: v for k, v in sizing.items() if not (k in target_ids and isinstance(v, Mapping))}
    override = sizing.get(target, {})
    if not isinstance(override, Mapping):
        raise InputError(f"policy: sizing.{target} must be a table")
    merged.update(override)
    return merged


def _number(params: Mapping[str, Any], key: str, where: str, low: float, high: float | None = None) -> float:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # NaN != NaN
        raise InputError(f"policy: {where}.{key} must be a number (got {value!r:.40})")
    if value < low or (high is not None and value > high):
        upper = f" and at most {high}" if high is not None else ""
        raise InputError(f"policy: {where}.{key} = {value} must be at least {low}{upper}")
    return float(value)


def _whole(params: Mapping[str, Any], key: str, where: str, low: int, high: int) -> int:
    value = params.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InputError(f"policy: {where}.{key} must be a whole number from {low} to {high} (got {value!r:.40})")
    return value


def _flag(params: Mapping[str, Any], key: str, where: str) -> bool:
    value = params.get(key)
    if not isinstance(value, bool):
        raise InputError(f"policy: {where}.{key} must be true or false")
    return value


def _choice(params: Mapping[str, Any], key: str, where: str, allowed: tuple[str, ...]) -> str:
    value = params.get(key)
    if value not in allowed:
        raise InputError(f"policy: {where}.{key} must be one of {', '.join(allowed)} (got {value!r:.40})")
    return str(value)


def parse_parameters(params: Mapping[str, Any], target: str, basis: str | None = None) -> SizingParameters:
    """Validate the effective sizing parameters of one target; bad values → InputError naming the key."""
    where = f"sizing.{target}"
    chosen = dict(params)
    if basis is not None:
        chosen["basis"] = basis
    percentile = params.get("percentile")
    if isinstance(percentile, bool) or percentile not in PERCENTILE_FIELDS:
        raise InputError(f"policy: {where}.percentile must be one of 50, 90, 95, 99, 100 (got {percentile!r:.40})")
    ftt = _whole(params, "ftt", where, 0, 3)
    raw_policies = params.get("storage_policies")
    if not isinstance(raw_policies, list) or not raw_policies:
        raise InputError(f"policy: {where}.storage_policies must be a non-empty list of tables")
    policies = []
    for i, raw in enumerate(raw_policies):
        item_where = f"{where}.storage_policies[{i}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            raise InputError(f"policy: {item_where} needs a name")
        policies.append(StoragePolicy(
            name=raw["name"],
            ftt=_whole(raw, "ftt", item_where, 0, 3),
            min_hosts=_whole(raw, "min_hosts", item_where, 1, 64),
            factor=_number(raw, "factor", item_where, 1.0, 10.0),
        ))
    if not any(p.ftt == ftt for p in policies):
        raise InputError(f"policy: {where}.ftt = {ftt} has no entry in {where}.storage_policies")
    return SizingParameters(
        basis=_choice(chosen, "basis", where, BASES),
        performance_min_stars=_whole(params, "performance_min_stars", where, 1, 5),
        percentile=int(percentile),
        comfort_factor=_number(params, "comfort_factor", where, 1.0, 10.0),
        hyperthreading_factor=_number(params, "hyperthreading_factor", where, 1.0, 2.0),
        cpu_oversubscription=_number(params, "cpu_oversubscription", where, 0.1, 64.0),
        performance_cpu_method=_choice(params, "performance_cpu_method", where, PERFORMANCE_CPU_METHODS),
        performance_hyperthreading_factor=_number(params, "performance_hyperthreading_factor", where, 1.0, 2.0),
        host_failures_to_tolerate=_whole(params, "host_failures_to_tolerate", where, 0, 3),
        include_management_reserve=_flag(params, "include_management_reserve", where),
        cpu_max_utilisation=_number(params, "cpu_max_utilisation", where, 0.05, 1.0),
        memory_max_utilisation=_number(params, "memory_max_utilisation", where, 0.05, 1.0),
        memory_overcommit=_number(params, "memory_overcommit", where, 0.1, 10.0),
        memory_perf_counter=_choice(params, "memory_perf_counter", where, MEMORY_PERF_COUNTERS),
        dedupe=_number(params, "dedupe", where, 1.0, 10.0),
        compression=_number(params, "compression", where, 1.0, 10.0),
        vsan_slack=_number(params, "vsan_slack", where, 0.0, 0.95),
        ftt=ftt,
        include_swap=_flag(params, "include_swap", where),
        prefer_generally_available=_flag(params, "prefer_generally_available", where),
        max_vm_vcpu=_whole(params, "max_vm_vcpu", where, 1, PLAUSIBILITY_CEILINGS["max_vm_vcpu"]),
        max_vm_memory_gib=_number(params, "max_vm_memory_gib", where, 1, PLAUSIBILITY_CEILINGS["max_vm_memory_gib"]),
        max_vm_storage_tb=_number(params, "max_vm_storage_tb", where, 0.001,
                                  PLAUSIBILITY_CEILINGS["max_vm_storage_tb"]),
        storage_policies=tuple(policies),
    )


def _vendor_quantity(raw: Mapping[str, Any], key: str, unit_key: str, units: tuple[str, ...], where: str) -> float:
    """The vendor's figure in bytes, from its number and its unit name."""
    unit = raw.get(unit_key)
    if unit not in units:
        raise InputError(f"policy: {where}.{unit_key} must be one of {', '.join(units)} (got {unit!r:.40})")
    return _number(raw, key, where, 0.001, 10**7) * UNIT_BYTES[str(unit)]


def node_memory_gib(raw: Mapping[str, Any], where: str = "node type") -> float:
    """A node type's memory in GiB, converted from the vendor's figure and unit."""
    return _vendor_quantity(raw, "memory", "memory_unit", MEMORY_UNITS, where) / BYTES_PER_GIB


def node_storage_tib(raw: Mapping[str, Any], where: str = "node type") -> float:
    """A node type's raw vSAN capacity in TiB, converted from the vendor's figure and unit."""
    return _vendor_quantity(raw, "storage_raw", "storage_unit", STORAGE_UNITS, where) / BYTES_PER_TIB


def parse_node_types(config: Mapping[str, Any], target: str) -> tuple[list[NodeType], ClusterLimits]:
    target_table = config.get("targets", {}).get(target)
    if not isinstance(target_table, Mapping):
        raise InputError(f"policy: no [targets.{target}] table")
    raw_types = target_table.get("node_types")
    if not isinstance(raw_types, Mapping) or not raw_types:
        raise InputError(f"policy: targets.{target}.node_types is empty")
    node_types = []
    for name, raw in raw_types.items():
        where = f"targets.{target}.node_types.{name}"
        if not isinstance(raw, Mapping):
            raise InputError(f"policy: {where} must be a table")
        price = raw.get("price_per_node")
        mhz = raw.get("cpu_mhz")
        memory_gib = node_memory_gib(raw, where)
        storage_tib = node_storage_tib(raw, where)
        availability = raw.get("availability", "ga")
        if availability not in AVAILABILITY:
            raise InputError(f"policy: {where}.availability must be one of {', '.join(AVAILABILITY)}")
        facts = {
            "cores": int(_number(raw, "cores", where, 1, 10**4)),
            "cpu_model": raw.get("cpu_model"),
            "cpu_mhz": raw.get("cpu_mhz"),
            "memory": raw.get("memory"), "memory_unit": raw.get("memory_unit"),
            "memory_gib": round(memory_gib, 3),
            "storage_raw": raw.get("storage_raw"), "storage_unit": raw.get("storage_unit"),
            "storage_tib_raw": round(storage_tib, 3),
            "source": raw.get("source"), "as_of": str(raw["as_of"]) if raw.get("as_of") is not None else None,
        }
        node_types.append(NodeType(
            name=str(name),
            cores=int(_number(raw, "cores", where, 1, 10**4)),
            cpu_mhz=_number(raw, "cpu_mhz", where, 1, 10**5) if mhz is not None else None,
            memory_gib=memory_gib,
            storage_tib_raw=storage_tib,
            first_cluster_allowed=bool(raw.get("first_cluster_allowed", True)),
            availability=str(availability),
            # 0 (the shipped default) means "no price given".
            price_per_node=_number(raw, "price_per_node", where, 0, 10**9) or None if price is not None else None,
            facts=facts,
        ))
    cluster = target_table.get("cluster", {})
    where = f"targets.{target}.cluster"
    per_cloud = cluster.get("max_hosts_per_private_cloud")
    limits = ClusterLimits(
        min_hosts=_whole(cluster, "min_hosts", where, 1, 64),
        max_hosts=_whole(cluster, "max_hosts", where, 1, 64),
        max_hosts_per_private_cloud=_whole(cluster, "max_hosts_per_private_cloud", where, 1, 10**4)
        if per_cloud is not None else None,
    )
    if limits.max_hosts < limits.min_hosts:
        raise InputError(f"policy: {where}.max_hosts is below min_hosts")
    return node_types, limits


def parse_management_reserve(config: Mapping[str, Any], target: str) -> ManagementReserve:
    raw = config.get("targets", {}).get(target, {}).get("management_reserve")
    if raw is None:
        return ManagementReserve(0.0, 0.0, None, None)
    where = f"targets.{target}.management_reserve"
    if not isinstance(raw, Mapping):
        raise InputError(f"policy: {where} must be a table")
    return ManagementReserve(
        cpu_mhz=_number(raw, "cpu_ghz", where, 0, 10**5) * 1000,
        memory_gib=_number(raw, "memory_gib", where, 0, 10**6),
        source=raw.get("source"),
        as_of=str(raw["as_of"]) if raw.get("as_of") is not None else None,
    )


# --------------------------------------------------------------------------------------------
# Per-VM demand


def _perf_value(vm: VM, counter: str, percentile: int) -> tuple[float | None, float]:
    """(value at the percentile, coverage) of a perf counter; (None, 0) when absent."""
    stats: PerfStats | None = (vm.perf or {}).get(counter)
    if stats is None:
        return None, 0.0
    value = getattr(stats, PERCENTILE_FIELDS[percentile])
    if value is None or not math.isfinite(value) or value < 0:
        return None, 0.0
    return float(value), float(stats.coverage) if stats.coverage is not None else 0.0


def has_history(vm: VM) -> bool:
    """True when the VM carries a utilisation history (QueryPerf percentiles), not one instant."""
    perf = vm.perf
    if not perf:
        return False
    return any(name in perf for name in (*CPU_PERF_COUNTERS, *MEMORY_PERF_COUNTERS))


def vm_history_coverage(vm: VM, params: SizingParameters) -> float:
    """Share of expected samples present, CPU and memory counters averaged (0 without history)."""
    if not vm.perf:
        return 0.0  # what the counters below give: no counter, no coverage (most VMs of an export)
    _, cpu = _perf_value(vm, "cpu.usagemhz", params.percentile)
    if not cpu:
        _, cpu = _perf_value(vm, "cpu.usage", params.percentile)
    _, memory = _perf_value(vm, params.memory_perf_counter, params.percentile)
    return (min(cpu, 1.0) + min(memory, 1.0)) / 2


# "Not given" for a VM's provisioned bytes, which may be None.
_UNSET: Any = object()


def implausibility(vm: VM, params: SizingParameters, provisioned: int | None = _UNSET) -> str | None:
    """Why a VM's sizes are beyond physical plausibility (checked on the integers, before any float).

    ``provisioned``: ``vm.provisioned_bytes`` when the caller has it (read once per VM, not per use)."""
    if provisioned is _UNSET:
        provisioned = vm.provisioned_bytes
    if vm.num_cpu is not None and vm.num_cpu > params.max_vm_vcpu:
        return f"{vm.num_cpu} vCPUs (more than {params.max_vm_vcpu:,})"
    if vm.memory_mib is not None and vm.memory_mib > params.max_vm_memory_gib * MIB_PER_GIB:
        return f"memory above {params.max_vm_memory_gib:,g} GiB"
    limit = params.max_vm_storage_tb * BYTES_PER_TB
    # Provisioned, committed, then the guest's file systems (read only when the others pass).
    committed = vm.storage_committed_bytes
    for label, value in (("provisioned storage", provisioned), ("committed storage", committed)):
        if value is not None and value > limit:
            return f"{label} above {params.max_vm_storage_tb:,g} TB"
    guest_used = _guest_used_bytes(vm) if vm.guest_disks else None
    if guest_used is not None and guest_used > limit:
        return f"guest file systems above {params.max_vm_storage_tb:,g} TB"
    return None


def vm_demand(vm: VM, params: SizingParameters, host_mhz: int | None = None,
              provisioned: int | None = _UNSET) -> VmDemand:
    """``provisioned``: ``vm.provisioned_bytes`` when the caller has it."""
    vcpu = vm.num_cpu or 0
    configured_mib = vm.memory_mib or 0
    performance = params.basis == "performance"

    cpu_used_mhz: float | None = None
    cpu_used_vcpu: float | None = None
    cpu_source = "allocated"
    cpu_coverage = 0.0
    if performance and vcpu:
        mhz, cpu_coverage = _perf_value(vm, "cpu.usagemhz", params.percentile)
        percent, percent_coverage = _perf_value(vm, "cpu.usage", params.percentile)
        if mhz is None and percent is not None:
            cpu_coverage = percent_coverage
            if host_mhz:
                mhz = percent / 100.0 * vcpu * host_mhz
        utilisation = percent / 100.0 if percent is not None else (
            mhz / (vcpu * host_mhz) if mhz is not None and host_mhz else None)
        if mhz is not None:
            cpu_used_mhz = mhz * params.comfort_factor
        if utilisation is not None:
            # Azure Migrate: "4 vCPU allocated but only using 25 %" → 1 vCPU (x comfort factor).
            cpu_used_vcpu = min(float(vcpu), vcpu * utilisation * params.comfort_factor)
        if cpu_used_mhz is not None or cpu_used_vcpu is not None:
            cpu_source = "perf"

    memory = float(configured_mib)
    memory_source = "allocated"
    memory_coverage = 0.0
    if performance:
        used_mib, memory_coverage = _perf_value(vm, params.memory_perf_counter, params.percentile)
        if used_mib is not None:
            memory, memory_source = used_mib * params.comfort_factor, "perf"
            if configured_mib:
                # A VM never needs more than it is configured with; consumed may include overhead.
                memory = min(memory, float(configured_mib))

    swap_bytes = 0.0
    if params.include_swap and configured_mib:
        reserved = vm.memory_reservation_mib or 0
        swap_bytes = max(0, configured_mib - reserved) * BYTES_PER_MIB
    storage: float | None = None
    storage_source = "unknown"
    if performance and cpu_source == "perf":
        # Storage in use is a slow-moving quantity; with a utilisation history it is measured
        # the same day. 0 committed bytes is no measurement (a never-started VM has its .vmx).
        if vm.storage_committed_bytes:
            # Committed bytes already include the swap file of a powered-on VM.
            storage, storage_source, swap_bytes = float(vm.storage_committed_bytes), "used", 0.0
        else:
            guest_used = _guest_used_bytes(vm)
            if guest_used is not None:
                storage, storage_source = float(guest_used), "guest_used"
    if provisioned is _UNSET:
        provisioned = vm.provisioned_bytes
    if storage is None and provisioned is not None:
        storage, storage_source = float(provisioned), "provisioned"
        if (vm.storage_committed_bytes is not None and vm.storage_uncommitted_bytes is not None
                and provisioned == vm.storage_committed_bytes + vm.storage_uncommitted_bytes):
            # vCenter's committed + uncommitted (RVTools 'Provisioned MiB') covers every file of the VM,
            # the swap file included (also the one a powered-off VM will create): counting it again
            # would size the swap twice. Only a sum of disk capacities lacks it.
            swap_bytes = 0.0

    # Positional, in VmDemand's field order (vm_id, vcpu, memory_mib, storage_bytes,
    # configured_memory_mib, cpu_used_mhz, cpu_used_vcpu, coverage, cpu_source, memory_source,
    # storage_source): one per VM, keywords cost a third of the call.
    return VmDemand(vm.id, vcpu, memory, (storage or 0.0) + swap_bytes, configured_mib, cpu_used_mhz, cpu_used_vcpu,
                    (min(cpu_coverage, 1.0) + min(memory_coverage, 1.0)) / 2 if performance else 0.0,
                    cpu_source, memory_source, storage_source)


def _guest_used_bytes(vm: VM) -> int | None:
    disks = vm.guest_disks or []
    if not disks or any(d.capacity_bytes is None or d.free_bytes is None for d in disks):
        return None
    return sum(max(0, (d.capacity_bytes or 0) - (d.free_bytes or 0)) for d in disks)


# --------------------------------------------------------------------------------------------
# Node count (closed form)


def choose_storage_policy(policies: Iterable[StoragePolicy], ftt: int, cluster_hosts: int) -> StoragePolicy | None:
    """Most capacity-efficient policy with this FTT that a cluster of ``cluster_hosts`` supports."""
    allowed = [p for p in policies if p.ftt == ftt and p.min_hosts <= cluster_hosts]
    return min(allowed, key=lambda p: (p.factor, p.min_hosts)) if allowed else None


def ceil_ratio(demand: float, per_node: float) -> int:
    """Nodes for a demand at a per-node capacity; 0 for no demand."""
    if demand <= 0:
        return 0
    # Round away float noise such as 2.0000000000000004 before taking the ceiling.
    return math.ceil(round(demand / per_node, 9))


def cluster_count(nodes: int, limits: ClusterLimits) -> int:
    return max(1, math.ceil(nodes / limits.max_hosts))


def hosts_with_spares(working: int, spares: int, max_hosts: int, at_least: int = 0) -> int:
    """Smallest host count >= at_least with ``working`` hosts left after ``spares`` per cluster.

    n hosts form c = ceil(n / max_hosts) clusters and carry load on n - spares x c of them. For c
    clusters that need holds at n = working + spares x c, valid while n <= c x max_hosts, i.e.
    c >= working / (max_hosts - spares): so c = max(clusters of at_least, that bound).
    """
    if working <= 0:
        return at_least
    clusters = max(math.ceil(at_least / max_hosts), math.ceil(working / (max_hosts - spares)), 1)
    return max(at_least, working + spares * clusters)


def min_hosts_per_cluster(nodes: int, minimum: int, limits: ClusterLimits) -> int:
    """Raise ``nodes`` so that every one of its clusters has at least ``minimum`` hosts."""
    return max(nodes, minimum, cluster_count(nodes, limits) * minimum)


def storage_hosts(raw_logical_tib: float, per_node: float, limits: ClusterLimits,
                  params: SizingParameters) -> int:
    """Fewest hosts whose storage policy (by their smallest cluster) holds the demand, per policy."""
    best: int | None = None
    for policy in params.storage_policies:
        if policy.ftt != params.ftt or policy.min_hosts > limits.max_hosts:
            continue
        nodes = ceil_ratio(raw_logical_tib * policy.factor, per_node)
        nodes = min_hosts_per_cluster(nodes, policy.min_hosts, limits)
        best = nodes if best is None else min(best, nodes)
    if best is None:
        raise InputError(f"policy: no FTT{params.ftt} storage policy fits a cluster of {limits.max_hosts} hosts")
    return best


def size_node_type(demands: list[VmDemand], node: NodeType, limits: ClusterLimits, params: SizingParameters,
                   reserve: ManagementReserve | None = None,
                   totals: dict[tuple[Any, ...], Any] | None = None) -> NodeOption:
    """``totals``: a memo for the node types sized from the same ``demands`` list (held by the memo, so
    its id is never reused): the largest VM and the sums over the VMs placed, which no node fact
    changes but which VMs fit (and the clock, for the MHz method's CPU), are taken once, not once per
    node type. The same sums over the same VMs in the same order: the same floats."""
    memo: dict[tuple[Any, ...], Any] = totals if totals is not None else {}
    reserve = reserve if reserve is not None and params.include_management_reserve else ManagementReserve(0, 0, None,
                                                                                                          None)
    spares = params.host_failures_to_tolerate
    if spares >= limits.max_hosts:
        raise InputError(f"policy: sizing host_failures_to_tolerate = {spares} leaves no host of a "
                         f"{limits.max_hosts}-host cluster")
    threads = node.cores * THREADS_PER_CORE
    node_mib = node.memory_gib * MIB_PER_GIB
    largest_key = ("largest", id(demands))
    largest = memo.get(largest_key)
    if largest is None:
        largest = memo[largest_key] = (max(map(attrgetter("vcpu"), demands), default=0),
                                       max(map(attrgetter("configured_memory_mib"), demands), default=0))
    # Every VM fits when the largest does (the usual case): no pass over the VMs.
    not_fitting = ([] if largest[0] <= threads and largest[1] <= node_mib
                   else [d.vm_id for d in demands if d.vcpu > threads or d.configured_memory_mib > node_mib])
    excluded = set(not_fitting)
    placed = [d for d in demands if d.vm_id not in excluded] if excluded else demands
    placed_key = (id(demands), frozenset(excluded))
    notes: list[str] = []

    # CPU: per-node capacity in the unit of the chosen method.
    vcpu_per_node = node.cores * params.hyperthreading_factor * params.cpu_oversubscription
    mhz_method = params.basis == "performance" and params.performance_cpu_method == "mhz" and node.cpu_mhz is not None
    if params.basis == "performance" and params.performance_cpu_method == "mhz" and node.cpu_mhz is None:
        notes.append("node clock (cpu_mhz) unknown: CPU sized in vCPUs (Azure Migrate's method)")
    if mhz_method:
        clock = float(node.cpu_mhz or 0)
        cpu_unit = "GHz"
        cpu_full = node.cores * clock * params.performance_hyperthreading_factor / 1000
        # A VM without history takes the same share of a node as on the allocated basis.
        cpu_demand = sum(
            min(d.cpu_used_mhz, d.vcpu * clock) / 1000 if d.cpu_used_mhz is not None
            else d.vcpu / vcpu_per_node * cpu_full
            for d in placed)
        cpu_reserved = reserve.cpu_mhz / 1000
    else:
        cpu_unit = "vCPU"
        cpu_full = vcpu_per_node
        performance = params.basis == "performance"
        cpu_key = ("cpu vcpu", performance, *placed_key)
        cpu_total = memo.get(cpu_key)
        if cpu_total is None:
            cpu_total = memo[cpu_key] = float(sum(
                d.cpu_used_vcpu if d.cpu_used_vcpu is not None else d.vcpu for d in placed) if performance
                else sum(map(attrgetter("vcpu"), placed)))
        cpu_demand = cpu_total
        # The reserve is physical GHz: the cores it occupies at the node's clock, in vCPU capacity.
        cpu_reserved = (reserve.cpu_mhz / node.cpu_mhz * params.hyperthreading_factor * params.cpu_oversubscription
                        if node.cpu_mhz else 0.0)
        if reserve.cpu_mhz and not node.cpu_mhz:
            notes.append("node clock (cpu_mhz) unknown: the CPU management reserve is left out")
    cpu_usable = cpu_full * params.cpu_max_utilisation
    memory_full = node.memory_gib * params.memory_overcommit
    memory_usable = memory_full * params.memory_max_utilisation
    memory_key = ("memory", *placed_key)
    memory_demand = memo.get(memory_key)
    if memory_demand is None:
        memory_demand = memo[memory_key] = sum(map(attrgetter("memory_mib"), placed)) / MIB_PER_GIB
    memory_reserved = reserve.memory_gib

    cpu_working = ceil_ratio(cpu_demand + cpu_reserved, cpu_usable)
    memory_working = ceil_ratio(memory_demand + memory_reserved, memory_usable)
    cpu_nodes = hosts_with_spares(cpu_working, spares, limits.max_hosts)
    memory_nodes = hosts_with_spares(memory_working, spares, limits.max_hosts)

    # Storage (TiB raw): the RAID factor depends on the cluster size the count allows.
    storage_per_node = node.storage_tib_raw * (1 - params.vsan_slack)
    storage_key = ("storage", *placed_key)
    storage_logical = memo.get(storage_key)
    if storage_logical is None:
        storage_logical = memo[storage_key] = sum(map(attrgetter("storage_bytes"), placed)) / BYTES_PER_TIB
    reduced_tib = storage_logical / params.storage_reduction
    storage_min = storage_hosts(reduced_tib, storage_per_node, limits, params)

    ftt_min_hosts = min(p.min_hosts for p in params.storage_policies if p.ftt == params.ftt)
    lower_bound = max(limits.min_hosts, ftt_min_hosts, spares + 1, 1)
    nodes = max(lower_bound, storage_min)
    nodes = hosts_with_spares(max(cpu_working, memory_working), spares, limits.max_hosts, nodes)
    nodes = min_hosts_per_cluster(nodes, limits.min_hosts, limits)
    clusters = cluster_count(nodes, limits)
    policy = choose_storage_policy(params.storage_policies, params.ftt, nodes // clusters)
    if policy is None:  # unreachable: storage_hosts guarantees a policy for the count's cluster size
        raise InputError(f"policy: no FTT{params.ftt} storage policy for {nodes // clusters}-host clusters")
    storage_raw = reduced_tib * policy.factor
    storage_nodes = ceil_ratio(storage_raw, storage_per_node)

    # The first resource that alone needs this count binds; storage also when the RAID step (a
    # cheaper scheme from a larger cluster) set the count.
    # The resource that alone needs this count binds (the most utilised one when several do);
    # storage also when the RAID step (a cheaper scheme from a larger cluster) set the count; else
    # the target's (or the FTT's) minimum cluster does.
    raid_step = storage_min == nodes and storage_min > max(storage_nodes, lower_bound)
    needing = {"cpu": cpu_nodes == nodes, "memory": memory_nodes == nodes,
               "storage": storage_logical > 0 and (storage_nodes == nodes or raid_step)}
    working_hosts = nodes - spares * cluster_count(nodes, limits)
    load = {"cpu": (cpu_demand + cpu_reserved) / (cpu_usable * working_hosts),
            "memory": (memory_demand + memory_reserved) / (memory_usable * working_hosts),
            "storage": storage_raw / (storage_per_node * nodes)}
    binding = max((r for r, needs in needing.items() if needs), key=lambda r: load[r], default="minimum_cluster")
    if binding == "storage" and storage_nodes < nodes:
        notes.append(f"storage needs {policy.name}'s cluster size; fewer hosts would need a costlier RAID scheme")
    if binding == "minimum_cluster" and ftt_min_hosts > limits.min_hosts:
        notes.append(f"FTT{params.ftt} needs at least {ftt_min_hosts} hosts per cluster")
    if limits.max_hosts_per_private_cloud and nodes > limits.max_hosts_per_private_cloud:
        clouds = math.ceil(nodes / limits.max_hosts_per_private_cloud)
        notes.append(f"{nodes:,} hosts exceed {limits.max_hosts_per_private_cloud} per private cloud: "
                     f"{clouds:,} needed")
    if not node.first_cluster_allowed:
        notes.append(f"{node.name} cannot form the first cluster; add it next to a cluster of another type")
    if node.availability != "ga":
        notes.append(f"{node.name} is of limited availability (targets.toml); check the region")
    if not_fitting:
        notes.append(f"{len(not_fitting)} VM(s) do not fit one {node.name} node and are left out")

    def use(resource: str, demand: float, usable: float, full: float, reserved: float, unit: str,
            needed: int, hosts: int) -> ResourceUse:
        capacity = usable * hosts - reserved
        return ResourceUse(
            resource=resource, demand=round(demand, 3), capacity=round(capacity, 3), unit=unit,
            nodes_needed=needed,
            utilisation=round(demand / capacity, 4) if capacity > 0 else 0.0,
            reserved=round(reserved, 3),
            utilisation_all_hosts=round((demand + reserved) / (full * nodes), 4) if nodes else 0.0,
        )

    price = node.price_per_node
    return NodeOption(
        node_type=node.name,
        nodes=nodes,
        clusters=clusters,
        binding_resource=binding,
        resources=[
            use("cpu", cpu_demand, cpu_usable, cpu_full, cpu_reserved, cpu_unit, cpu_nodes, working_hosts),
            use("memory", memory_demand, memory_usable, memory_full, memory_reserved, "GiB", memory_nodes,
                working_hosts),
            use("storage", storage_raw, storage_per_node, node.storage_tib_raw, 0.0, "TiB", storage_nodes, nodes),
        ],
        price_per_node=price,
        total_price=round(price * nodes, 2) if price is not None else None,
        vms_not_fitting=sorted(not_fitting),
        storage_policy=policy.name,
        storage_policy_factor=policy.factor,
        recommendable=node.first_cluster_allowed,
        notes=notes,
        spare_hosts=spares * clusters,
        availability=node.availability,
        node_facts=dict(node.facts),
    )


# --------------------------------------------------------------------------------------------
# Estate level


def confidence_stars(coverage: float) -> int:
    """Azure Migrate's rating: 0-20 % one star … 81-100 % five stars."""
    percent = coverage * 100
    for stars, upper in ((1, 20), (2, 40), (3, 60), (4, 80)):
        if percent <= upper:
            return stars
    return 5


def confidence_word(coverage: float, any_history: bool) -> str:
    if not any_history:
        return "none"
    stars = confidence_stars(coverage)
    return "low" if stars <= 2 else "medium" if stars == 3 else "high"


RULE_PRICED = "cheapest total price among node types that can form a first cluster (prices from the policy)"
RULE_FEWEST = ("no prices given: fewest nodes among node types that can form a first cluster and are generally "
               "available; a tie goes to the lower total capacity (cores, then memory, then storage)")
RULE_FEWEST_ANY = ("no prices given and no generally available type fits: fewest nodes among node types that can "
                   "form a first cluster; a tie goes to the lower total capacity")


def _total_capacity(option: NodeOption) -> tuple[float, float, float]:
    facts = option.node_facts
    return (option.nodes * float(facts.get("cores") or 0), option.nodes * float(facts.get("memory_gib") or 0),
            option.nodes * float(facts.get("storage_tib_raw") or 0))


def recommend(options: list[NodeOption], prefer_generally_available: bool = True) -> tuple[NodeOption | None, str]:
    """The recommended option and the rule, in words, that chose it.

    Fewest VMs left out comes first in every rule: a type too small for some VMs is no answer.
    """
    candidates = [o for o in options if o.recommendable]
    if not candidates:
        return None, "no node type can form a first cluster"
    priced = [o for o in candidates if o.total_price is not None]
    if priced:
        return min(priced, key=lambda o: (len(o.vms_not_fitting), o.total_price or 0.0, o.nodes)), RULE_PRICED
    available = [o for o in candidates if o.availability == "ga"] if prefer_generally_available else []
    pool, rule = (available, RULE_FEWEST) if available else (candidates, RULE_FEWEST_ANY)
    if not prefer_generally_available:
        rule = ("no prices given: fewest nodes among node types that can form a first cluster; a tie goes to the "
                "lower total capacity (cores, then memory, then storage)")
    best = min(pool, key=lambda o: (len(o.vms_not_fitting), o.nodes, *_total_capacity(o)))
    return best, rule


def resolve_basis(requested: str, history_vms: int, coverage: float, min_stars: int) -> tuple[str, str]:
    """(basis used, why). Performance only on a utilisation history; never on point-in-time values."""
    stars = confidence_stars(coverage)
    measured = f"utilisation history on {history_vms:,} VM(s), coverage {share_text(coverage)} ({stars}/5 stars)"
    if requested == "allocated":
        return "allocated", "as on-premises (requested)"
    if history_vms == 0:
        why = ("no utilisation history in the input (point-in-time values such as RVTools 'Overall' MHz or "
               "'Consumed' memory are one instant, not a profile; collect one with vmscan collect --perf-days 30)")
        if requested == "performance":
            return "allocated", "performance requested, but " + why + ": sized as on-premises"
        return "allocated", why
    if requested == "performance":
        return "performance", measured + " (requested)"
    if stars < min_stars:
        return "allocated", (f"{measured}: below {min_stars} stars, so sized as on-premises (Azure Migrate's "
                             "advice; --sizing-basis performance to override)")
    return "performance", measured


def _in_scope(estate: Estate, vms: Iterable[VM | str] | None) -> list[VM]:
    if vms is None:
        return estate.all_vms()
    items = list(vms)
    if all(isinstance(item, VM) for item in items):
        return [item for item in items if isinstance(item, VM)]
    wanted = {item.id if isinstance(item, VM) else item for item in items}
    return [vm for vm in estate.all_vms() if vm.id in wanted]


def size_target(
    estate: Estate,
    vms: Iterable[VM | str] | None,
    target: str,
    config: Mapping[str, Any],
    basis: str | None = None,
    shared: dict[tuple[Any, ...], Any] | None = None,
) -> SizingResult:
    """``shared``: a memo for the targets of one :func:`size_estate` call (same ``estate`` and ``vms``):
    the per-VM work that depends on a few parameters only (plausibility, history coverage, demands)
    is done once for the targets whose parameters agree, not once per target."""
    memo: dict[tuple[Any, ...], Any] = shared if shared is not None else {}
    raw_params = effective_parameters(config, target)
    params = parse_parameters(raw_params, target, basis)
    node_types, limits = parse_node_types(config, target)
    reserve = parse_management_reserve(config, target)
    scoped_key: tuple[Any, ...] = ("scoped",)
    if scoped_key not in memo:
        memo[scoped_key] = [vm for vm in _in_scope(estate, vms) if not vm.template]
    scoped: list[VM] = memo[scoped_key]
    plausible_key = ("plausible", params.max_vm_vcpu, params.max_vm_memory_gib, params.max_vm_storage_tb)
    if plausible_key not in memo:
        implausible_found: dict[str, str] = {}
        # Each VM's provisioned bytes read once, for plausibility and demand (a pass over its disks).
        provisioned = [vm.provisioned_bytes for vm in scoped]
        for vm, vm_provisioned in zip(scoped, provisioned, strict=True):
            reason = implausibility(vm, params, vm_provisioned)
            if reason is not None:
                implausible_found[vm.id] = f"{vm.name or vm.id}: {reason}"
        if implausible_found:
            kept = [(vm, p) for vm, p in zip(scoped, provisioned, strict=True) if vm.id not in implausible_found]
            memo[plausible_key] = (implausible_found, [vm for vm, _ in kept], [p for _, p in kept])
        else:
            memo[plausible_key] = (implausible_found, scoped, provisioned)
    implausible: dict[str, str]
    sized: list[VM]
    sized_provisioned: list[int | None]
    implausible, sized, sized_provisioned = memo[plausible_key]

    requested_basis = params.basis
    history_key = (*plausible_key, "history", params.percentile, params.memory_perf_counter)
    if history_key not in memo:
        memo[history_key] = (
            sum(1 for vm in sized if has_history(vm)),
            round(sum(vm_history_coverage(vm, params) for vm in sized) / len(sized), 4) if sized else 0.0)
    history_vms, coverage = memo[history_key]
    chosen, reason = resolve_basis(requested_basis, history_vms, coverage, params.performance_min_stars)
    params = dataclasses.replace(params, basis=chosen)
    # vm_demand reads these parameters only.
    demand_key = (*plausible_key, "demand", chosen, params.percentile, params.comfort_factor,
                  params.memory_perf_counter, params.include_swap)
    if demand_key not in memo:
        host_mhz: dict[tuple[str | None, str | None], int | None] = {
            (h.name, vc.name): h.cpu_mhz for vc in estate.vcenters for h in vc.hosts
        }
        found = [vm_demand(vm, params, host_mhz.get((vm.host, vm.vcenter)), vm_provisioned)
                 for vm, vm_provisioned in zip(sized, sized_provisioned, strict=True)]
        counted: Counter[str] = Counter()
        for d in found:
            counted[f"cpu.{d.cpu_source}"] += 1
            counted[f"memory.{d.memory_source}"] += 1
            counted[f"storage.{d.storage_source}"] += 1
        memo[demand_key] = (found, counted)
    demands: list[VmDemand]
    demands, counted = memo[demand_key]
    sources: Counter[str] = Counter(counted)

    options = [size_node_type(demands, node, limits, params, reserve, memo) for node in node_types]
    best, rule = recommend(options, params.prefer_generally_available)
    fitting_none = set.intersection(*(set(o.vms_not_fitting) for o in options)) if options else set()

    notes = []
    for text in implausible.values():
        notes.append(f"{IMPLAUSIBLE_NOTE}{text} (check the input)")
    unknown_cpu = sum(1 for vm in sized if vm.num_cpu is None)
    unknown_memory = sum(1 for vm in sized if vm.memory_mib is None)
    if unknown_cpu or unknown_memory:
        notes.append(f"{unknown_cpu} VM(s) without a vCPU count and {unknown_memory} without RAM size count as 0")
    if sources["storage.unknown"]:
        notes.append(f"{sources['storage.unknown']} VM(s) without disk sizes count as 0 storage")

    perf_coverage: float | None = None
    stars: int | None = None
    confidence: str | None = None
    if chosen == "performance":
        perf_coverage = coverage
        stars = confidence_stars(coverage)
        confidence = confidence_word(coverage, history_vms > 0)
        if sources["cpu.allocated"]:
            notes.append(f"{sources['cpu.allocated']} VM(s) without a CPU history sized on allocated vCPUs")
    notes.insert(0, f"basis: {chosen} – {reason}")

    shown = {k: v for k, v in raw_params.items() if k not in ("source", "as_of")}
    shown["basis"] = chosen
    shown["basis_requested"] = requested_basis
    shown["source"] = raw_params.get("source")
    shown["cluster"] = {"min_hosts": limits.min_hosts, "max_hosts": limits.max_hosts}
    parameter_sources: dict[str, str] = {}
    if params.include_management_reserve:
        shown["management_reserve_cpu_ghz"] = round(reserve.cpu_mhz / 1000, 3)
        shown["management_reserve_memory_gib"] = reserve.memory_gib
        if reserve.source:
            dated = f"{reserve.source} (as of {reserve.as_of})" if reserve.as_of else reserve.source
            parameter_sources["management_reserve_cpu_ghz"] = dated
            parameter_sources["management_reserve_memory_gib"] = dated
    return SizingResult(
        target=target,
        basis=chosen,
        recommended_node_type=best.node_type if best else None,
        options=options,
        vm_count=len(sized),
        confidence=confidence,
        parameters=shown,
        notes=notes,
        confidence_stars=stars,
        perf_coverage=perf_coverage,
        demand_sources=dict(sorted(sources.items())),
        vms_fitting_no_node_type=sorted(fitting_none),
        basis_reason=reason,
        recommendation_rule=rule,
        parameter_sources=parameter_sources,
        vms_implausible=sorted(implausible),
    )


def size_estate(
    estate: Estate,
    vms: Iterable[VM | str] | None,
    targets: Iterable[str],
    config: Mapping[str, Any],
    basis: str | None = None,
) -> list[SizingResult]:
    """Size the in-scope VMs (VM objects or ids; None = all) for every target.

    ``config`` is the effective configuration: targets.toml deep-merged with the user's policy.
    ``basis`` overrides ``sizing.basis`` when given.
    """
    scoped = _in_scope(estate, vms)
    shared: dict[tuple[Any, ...], Any] = {}
    return [size_target(estate, scoped, target, config, basis, shared) for target in targets]


class HasPolicyData(Protocol):
    """What sizing needs of scanner.policy.Policy: the effective (defaults + user) data."""

    data: dict[str, Any]


def assessment_sizing(
    estate: Estate, assessment: Assessment, policy: HasPolicyData, basis: str | None = None
) -> list[SizingResult]:
    """The engine's sizing hook: size the VMs not dispositioned retire/retain for the assessed targets.

    ``basis`` overrides the policy's ``sizing.basis`` (the CLI's ``--sizing-basis``).
    """
    excluded = {o.vm_id for o in assessment.vms if o.disposition in OUT_OF_SCOPE_DISPOSITIONS}
    scoped = [vm for vm in estate.all_vms() if vm.id not in excluded]
    return size_estate(estate, scoped, assessment.targets, policy.data, basis)


# --------------------------------------------------------------------------------------------
# Words shared by the terminal, the HTML headline and the workbook Summary

# The binding resource in words for the terminal (the JSON keeps the identifiers).
BINDING_WORDS = {"minimum_cluster": "the minimum cluster size"}
BASIS_WORDS = {"allocated": "as on-premises (allocated)", "performance": "performance (utilisation history)"}


def basis_text(result: SizingResult) -> str:
    """Basis and confidence, as printed beside every host count."""
    words = BASIS_WORDS.get(result.basis, result.basis)
    if result.basis == "performance" and result.confidence is not None:
        coverage = f", coverage {share_text(result.perf_coverage)}" if result.perf_coverage is not None else ""
        return (f"{words}, p{result.parameters.get('percentile')} x {result.parameters.get('comfort_factor')}, "
                f"confidence {result.confidence} ({result.confidence_stars}/5{coverage})")
    return f"{words}, confidence n/a (configuration, not measurement)"


def headroom_text(result: SizingResult) -> str:
    """The headroom included in the count, in one line."""
    p = result.parameters
    parts = []
    spares = p.get("host_failures_to_tolerate")
    if spares:
        parts.append(f"N+{spares} per cluster")
    if p.get("include_management_reserve") and (p.get("management_reserve_cpu_ghz")
                                                 or p.get("management_reserve_memory_gib")):
        # Each quantity with its unit named: the CPU reserve is GHz here but enters a vCPU-sized
        # count as vCPU at each node type's clock (shown per node type).
        parts.append(f"management reserve {p.get('management_reserve_cpu_ghz'):g} GHz CPU / "
                     f"{p.get('management_reserve_memory_gib'):g} GiB memory")
    if p.get("vsan_slack") is not None:
        parts.append(f"vSAN slack {setting_text(float(p['vsan_slack']))}")
    parts.append(f"max CPU {setting_text(float(p.get('cpu_max_utilisation', 1)))} / memory "
                 f"{setting_text(float(p.get('memory_max_utilisation', 1)))}")
    return ", ".join(parts)


def host_count_text(result: SizingResult) -> str:
    """'4 x AV36P (1 cluster, 1 spare host)' or 'no node type can be recommended'."""
    option = result.recommended_option()
    if option is None:
        return "no node type can be recommended"
    spare = f", {option.spare_hosts} spare" if option.spare_hosts else ""
    return f"{option.nodes:,} x {option.node_type} ({option.clusters:,} cluster(s){spare})"


def format_sizing_lines(result: SizingResult, with_target: bool = True) -> list[str]:
    """Terminal lines for one target: count with basis and confidence, headroom, the rule."""
    prefix = f"{result.target}: " if with_target else ""
    option = result.recommended_option()
    if option is None:
        return [f"{prefix}no node type can be recommended ({result.recommendation_rule}); "
                f"{basis_text(result)}"]
    binding = BINDING_WORDS.get(option.binding_resource, option.binding_resource)
    bound = next((r for r in option.resources if r.resource == option.binding_resource), None)
    after = f" at {share_text(bound.utilisation)} after headroom" if bound is not None else ""
    first = (f"{prefix}{host_count_text(result)}, bound by {binding}{after}; {basis_text(result)}; "
             f"{result.vm_count:,} VMs, {option.storage_policy}")
    if result.vms_fitting_no_node_type:
        first += f"; {len(result.vms_fitting_no_node_type)} VM(s) fit no node type"
    if result.vms_implausible:
        first += f"; {len(result.vms_implausible)} VM(s) left out (implausible sizes)"
    lines = [first, f"headroom: {headroom_text(result)}", f"rule: {result.recommendation_rule}"]
    left_out = [n for n in result.notes if n.startswith(IMPLAUSIBLE_NOTE)]
    for note in left_out[:MAX_IMPLAUSIBLE_SHOWN]:
        lines.append(note)
    if len(left_out) > MAX_IMPLAUSIBLE_SHOWN:
        lines.append(f"… and {len(left_out) - MAX_IMPLAUSIBLE_SHOWN:,} more left out (see the report's sizing notes)")
    return lines


def format_sizing_line(result: SizingResult, with_target: bool = True) -> str:
    """The first terminal line for one target (host count, binding resource, basis, confidence)."""
    return format_sizing_lines(result, with_target)[0]
