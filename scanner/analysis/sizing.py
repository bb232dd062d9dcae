"""Cloud sizing: how many nodes of each type a target (AVS, VMC) needs for a set of VMs.

Pure functions over the typed inventory; every number comes from the ``[sizing]`` section and the
``targets.<id>.node_types`` tables of ``scanner/data/targets.toml`` (overridable with ``--policy``).

Per VM (``basis`` = ``allocated`` | ``performance`` | ``auto``; auto = performance when any
in-scope VM has measured use, history or point-in-time, else allocated; templates are never sized):

- CPU. allocated: demand in vCPU = configured vCPUs. performance: used MHz = the chosen percentile
  of ``perf["cpu.usagemhz"]`` (else ``perf["cpu.usage"]`` % x vCPUs x host clock), x comfort
  factor, capped at vCPUs x node clock; it becomes "cores at the node's clock" = MHz / node MHz.
  Without history the point-in-time ``cpu_usage_mhz`` (vCenter quickStats, RVTools vCPU
  "Overall") of a powered-on VM is used the same way but counts as 0 % perf coverage (a
  powered-off VM's 0 is no measurement); without that the VM is sized
  on allocated vCPUs (a vCPU = 1 / cpu_oversubscription cores).
- Memory. allocated: configured MiB. performance: percentile of ``perf[memory_perf_counter]``
  (MiB) x comfort factor, capped at configured MiB; else point-in-time consumed/active of a
  powered-on VM; else configured MiB.
- Storage. allocated: provisioned bytes (committed + uncommitted, else disk capacities).
  performance: used bytes (committed when above 0, else guest file-system used, else provisioned).
  Swap (configured RAM minus memory reservation) is added when ``include_swap``, except where used
  bytes come from ``storage_committed_bytes`` (vCenter counts the .vswp file in it already).

Per node type (cores C, memory M GiB, raw storage S TiB, clock F MHz):

- CPU capacity per node: allocated C x hyperthreading_factor x cpu_oversubscription
  x (1 - cpu_headroom) vCPUs; performance C x hyperthreading_factor x (1 - cpu_headroom) cores
  (measured use is already net of idle time, so oversubscription does not apply to it).
- Memory capacity per node: M x 1024 x memory_overcommit x (1 - memory_headroom) MiB.
- Storage capacity per node: S x (1 - vsan_slack) TiB. Storage demand in raw TiB
  = (disk + swap) x FTT/RAID factor / (dedupe x compression).
- nodes = the smallest n >= max(cpu nodes, memory nodes, cluster minimum) for which the storage
  demand at the RAID factor of n's smallest cluster fits in n nodes. The storage policy is the
  most capacity-efficient one with the configured FTT whose ``min_hosts`` the smallest cluster
  meets (FTT1: RAID-1 2x at 3 hosts, RAID-5 1.33x from 4). Because a bigger cluster allows a
  cheaper RAID scheme, the search walks n upwards until n is a fixed point.
- clusters = ceil(n / max_hosts), each with at least min_hosts.
- binding resource: the first of cpu, memory, storage whose own node count equals n; storage when
  the RAID step forced n up; otherwise ``minimum_cluster``.
- VMs that do not fit one node (vCPU > 2 x cores hardware threads, or RAM > node RAM) are listed
  and left out of that node type's demand.

Recommendation per target: among node types allowed as the first cluster, the one that leaves the
fewest VMs out, then the cheapest when the policy gives ``price_per_node`` for node types, else
the fewest nodes.

Confidence (performance basis only), like Azure Migrate: coverage = mean over VMs of the fraction
of expected perf samples present (CPU and memory counters averaged; 0 for a VM without history).
Stars: 0-20 % 1, 21-40 % 2, 41-60 % 3, 61-80 % 4, 81-100 % 5. Words: ``none`` when no VM has
history, ``low`` for 1-2 stars, ``medium`` for 3, ``high`` for 4-5.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from scanner.analysis.model import Assessment, NodeOption, ResourceUse, SizingResult
from scanner.errors import InputError
from scanner.inventory.model import VM, Estate, PerfStats

BASES = ("allocated", "performance", "auto")
# VM dispositions that leave the VM out of the cloud footprint.
OUT_OF_SCOPE_DISPOSITIONS = ("retire", "retain")
PERCENTILE_FIELDS = {50: "p50", 90: "p90", 95: "p95", 99: "p99", 100: "max"}
MEMORY_PERF_COUNTERS = ("mem.consumed", "mem.active")
# Physical hardware threads per core: what a single VM's vCPUs may not exceed on one host,
# independent of the capacity factor `hyperthreading_factor`.
THREADS_PER_CORE = 2
MIB_PER_GIB = 1024
BYTES_PER_TIB = 1024**4
BYTES_PER_MIB = 1024**2


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
    memory_gib: float
    storage_tib_raw: float
    cpu_mhz: float | None
    first_cluster_allowed: bool
    price_per_node: float | None


@dataclass(frozen=True)
class ClusterLimits:
    min_hosts: int
    max_hosts: int
    max_hosts_per_private_cloud: int | None


@dataclass(frozen=True)
class SizingParameters:
    basis: str
    percentile: int
    comfort_factor: float
    cpu_oversubscription: float
    hyperthreading_factor: float
    cpu_headroom: float
    memory_overcommit: float
    memory_headroom: float
    memory_perf_counter: str
    dedupe: float
    compression: float
    vsan_slack: float
    ftt: int
    include_swap: bool
    storage_policies: tuple[StoragePolicy, ...]

    @property
    def storage_reduction(self) -> float:
        return self.dedupe * self.compression


@dataclass(frozen=True)
class VmDemand:
    """One VM's demand, independent of node type except for CPU MHz → cores."""

    vm_id: str
    vcpu: int
    memory_mib: float  # before overcommit
    storage_bytes: float  # disk (+ swap), before RAID factor and reduction
    # Measured CPU use in MHz after comfort factor and cap; None = sized on allocated vCPUs.
    cpu_used_mhz: float | None
    # Configured RAM, for the fits-on-a-node test.
    configured_memory_mib: int
    coverage: float  # 0..1 share of expected perf samples present (0 without history)
    cpu_source: str  # perf | quickstats | allocated
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
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"policy: {where}.{key} must be a number (got {value!r:.40})")
    if value < low or (high is not None and value > high):
        upper = f" and at most {high}" if high is not None else ""
        raise InputError(f"policy: {where}.{key} = {value} must be at least {low}{upper}")
    return float(value)


def parse_parameters(params: Mapping[str, Any], target: str, basis: str | None = None) -> SizingParameters:
    """Validate the effective sizing parameters of one target; bad values → InputError naming the key."""
    where = f"sizing.{target}"
    chosen_basis = basis if basis is not None else params.get("basis")
    if chosen_basis not in BASES:
        raise InputError(f"policy: {where}.basis must be one of {', '.join(BASES)} (got {chosen_basis!r:.40})")
    percentile = params.get("percentile")
    if isinstance(percentile, bool) or percentile not in PERCENTILE_FIELDS:
        raise InputError(f"policy: {where}.percentile must be one of 50, 90, 95, 99, 100 (got {percentile!r:.40})")
    counter = params.get("memory_perf_counter")
    if counter not in MEMORY_PERF_COUNTERS:
        raise InputError(
            f"policy: {where}.memory_perf_counter must be one of {', '.join(MEMORY_PERF_COUNTERS)} "
            f"(got {counter!r:.40})"
        )
    ftt = params.get("ftt")
    if isinstance(ftt, bool) or not isinstance(ftt, int) or ftt < 0:
        raise InputError(f"policy: {where}.ftt must be a whole number >= 0 (got {ftt!r:.40})")
    include_swap = params.get("include_swap")
    if not isinstance(include_swap, bool):
        raise InputError(f"policy: {where}.include_swap must be true or false")
    raw_policies = params.get("storage_policies")
    if not isinstance(raw_policies, list) or not raw_policies:
        raise InputError(f"policy: {where}.storage_policies must be a non-empty list of tables")
    policies = []
    for i, raw in enumerate(raw_policies):
        item_where = f"{where}.storage_policies[{i}]"
        if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str):
            raise InputError(f"policy: {item_where} needs a name")
        policies.append(
            StoragePolicy(
                name=raw["name"],
                ftt=int(_number(raw, "ftt", item_where, 0)),
                min_hosts=int(_number(raw, "min_hosts", item_where, 1)),
                factor=_number(raw, "factor", item_where, 1.0),
            )
        )
    if not any(p.ftt == ftt for p in policies):
        raise InputError(f"policy: {where}.ftt = {ftt} has no entry in {where}.storage_policies")
    return SizingParameters(
        basis=str(chosen_basis),
        percentile=int(percentile),
        comfort_factor=_number(params, "comfort_factor", where, 1.0, 10.0),
        cpu_oversubscription=_number(params, "cpu_oversubscription", where, 0.1, 64.0),
        hyperthreading_factor=_number(params, "hyperthreading_factor", where, 1.0, 2.0),
        cpu_headroom=_number(params, "cpu_headroom", where, 0.0, 0.95),
        memory_overcommit=_number(params, "memory_overcommit", where, 0.1, 10.0),
        memory_headroom=_number(params, "memory_headroom", where, 0.0, 0.95),
        memory_perf_counter=str(counter),
        dedupe=_number(params, "dedupe", where, 1.0, 10.0),
        compression=_number(params, "compression", where, 1.0, 10.0),
        vsan_slack=_number(params, "vsan_slack", where, 0.0, 0.95),
        ftt=ftt,
        include_swap=include_swap,
        storage_policies=tuple(policies),
    )


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
        node_types.append(
            NodeType(
                name=str(name),
                cores=int(_number(raw, "cores", where, 1)),
                memory_gib=_number(raw, "memory_gib", where, 1),
                storage_tib_raw=_number(raw, "storage_tib_raw", where, 0.001),
                cpu_mhz=_number(raw, "cpu_mhz", where, 1) if mhz is not None else None,
                first_cluster_allowed=bool(raw.get("first_cluster_allowed", True)),
                # 0 (the shipped default) means "no price given".
                price_per_node=_number(raw, "price_per_node", where, 0) or None if price is not None else None,
            )
        )
    cluster = target_table.get("cluster", {})
    where = f"targets.{target}.cluster"
    per_cloud = cluster.get("max_hosts_per_private_cloud")
    limits = ClusterLimits(
        min_hosts=int(_number(cluster, "min_hosts", where, 1)),
        max_hosts=int(_number(cluster, "max_hosts", where, 1)),
        max_hosts_per_private_cloud=int(_number(cluster, "max_hosts_per_private_cloud", where, 1))
        if per_cloud is not None
        else None,
    )
    if limits.max_hosts < limits.min_hosts:
        raise InputError(f"policy: {where}.max_hosts is below min_hosts")
    return node_types, limits


# --------------------------------------------------------------------------------------------
# Per-VM demand


def _perf_value(vm: VM, counter: str, percentile: int) -> tuple[float | None, float]:
    """(value at the percentile, coverage) of a perf counter; (None, 0) when absent."""
    stats: PerfStats | None = (vm.perf or {}).get(counter)
    if stats is None:
        return None, 0.0
    value = getattr(stats, PERCENTILE_FIELDS[percentile])
    if value is None:
        return None, 0.0
    return float(value), float(stats.coverage) if stats.coverage is not None else 0.0


def vm_demand(vm: VM, params: SizingParameters, host_mhz: int | None = None) -> VmDemand:
    vcpu = vm.num_cpu or 0
    configured_mib = vm.memory_mib or 0
    performance = params.basis == "performance"
    # A powered-off VM reports 0 point-in-time use (RVTools, quickStats): that is no measurement.
    running = vm.power_state == "powered_on"

    cpu_used: float | None = None
    cpu_source = "allocated"
    cpu_coverage = 0.0
    if performance:
        mhz, cpu_coverage = _perf_value(vm, "cpu.usagemhz", params.percentile)
        if mhz is None:
            percent, cpu_coverage = _perf_value(vm, "cpu.usage", params.percentile)
            if percent is not None and host_mhz and vcpu:
                mhz = percent / 100.0 * vcpu * host_mhz
        if mhz is not None:
            cpu_used, cpu_source = mhz * params.comfort_factor, "perf"
        elif vm.cpu_usage_mhz is not None and running:
            cpu_used, cpu_source = vm.cpu_usage_mhz * params.comfort_factor, "quickstats"

    memory = float(configured_mib)
    memory_source = "allocated"
    memory_coverage = 0.0
    if performance:
        used_mib, memory_coverage = _perf_value(vm, params.memory_perf_counter, params.percentile)
        point = vm.memory_consumed_mib if params.memory_perf_counter == "mem.consumed" else vm.memory_active_mib
        if not running:
            point = None
        if used_mib is not None:
            memory, memory_source = used_mib * params.comfort_factor, "perf"
        elif point is not None:
            memory, memory_source = point * params.comfort_factor, "quickstats"
        if memory_source != "allocated" and configured_mib:
            # A VM never needs more than it is configured with; consumed may include overhead.
            memory = min(memory, float(configured_mib))

    swap_bytes = 0.0
    if params.include_swap and configured_mib:
        reserved = vm.memory_reservation_mib or 0
        swap_bytes = max(0, configured_mib - reserved) * BYTES_PER_MIB
    storage: float | None = None
    storage_source = "unknown"
    if performance:
        # 0 committed bytes is no measurement: every VM has at least its .vmx and logs on disk
        # (seen in simulators and in RVTools rows of never-started VMs).
        if vm.storage_committed_bytes:
            # Committed bytes already include the swap file of a powered-on VM.
            storage, storage_source, swap_bytes = float(vm.storage_committed_bytes), "used", 0.0
        else:
            guest_used = _guest_used_bytes(vm)
            if guest_used is not None:
                storage, storage_source = float(guest_used), "guest_used"
    if storage is None and vm.provisioned_bytes is not None:
        storage, storage_source = float(vm.provisioned_bytes), "provisioned"
    storage_total = (storage or 0.0) + swap_bytes

    return VmDemand(
        vm_id=vm.id,
        vcpu=vcpu,
        memory_mib=memory,
        storage_bytes=storage_total,
        cpu_used_mhz=cpu_used,
        configured_memory_mib=configured_mib,
        coverage=(cpu_coverage + memory_coverage) / 2 if performance else 0.0,
        cpu_source=cpu_source,
        memory_source=memory_source,
        storage_source=storage_source,
    )


def _guest_used_bytes(vm: VM) -> int | None:
    disks = vm.guest_disks or []
    if not disks or any(d.capacity_bytes is None or d.free_bytes is None for d in disks):
        return None
    return sum(max(0, (d.capacity_bytes or 0) - (d.free_bytes or 0)) for d in disks)


# --------------------------------------------------------------------------------------------
# Node count


def choose_storage_policy(policies: Iterable[StoragePolicy], ftt: int, cluster_hosts: int) -> StoragePolicy | None:
    """Most capacity-efficient policy with this FTT that a cluster of ``cluster_hosts`` supports."""
    allowed = [p for p in policies if p.ftt == ftt and p.min_hosts <= cluster_hosts]
    return min(allowed, key=lambda p: (p.factor, p.min_hosts)) if allowed else None


def _ceil_div(demand: float, per_node: float) -> int:
    if demand <= 0:
        return 0
    # Round away float noise such as 2.0000000000000004 before taking the ceiling.
    return math.ceil(round(demand / per_node, 9))


def _cluster_count(nodes: int, limits: ClusterLimits) -> int:
    return max(1, math.ceil(nodes / limits.max_hosts))


def fit_storage(
    lower_bound: int, storage_tib: float, storage_per_node: float, limits: ClusterLimits, params: SizingParameters
) -> tuple[int, StoragePolicy]:
    """Smallest node count >= lower_bound whose storage policy (chosen by the smallest cluster's
    size) makes ``storage_tib`` x the policy factor fit; returns it with that policy.

    A bigger cluster may allow a cheaper RAID scheme, so the count is walked up one node at a time
    until it is a fixed point (the count that the storage demand at its own policy fits in).
    """
    if not any(p.ftt == params.ftt and p.min_hosts <= limits.max_hosts for p in params.storage_policies):
        raise InputError(f"policy: no FTT{params.ftt} storage policy fits a cluster of {limits.max_hosts} hosts")
    nodes = lower_bound
    while True:
        clusters = _cluster_count(nodes, limits)
        nodes = max(nodes, clusters * limits.min_hosts)
        policy = choose_storage_policy(params.storage_policies, params.ftt, nodes // clusters)
        if policy is not None and _ceil_div(storage_tib * policy.factor, storage_per_node) <= nodes:
            return nodes, policy
        nodes += 1


def size_node_type(
    demands: list[VmDemand], node: NodeType, limits: ClusterLimits, params: SizingParameters
) -> NodeOption:
    performance = params.basis == "performance"
    threads = node.cores * THREADS_PER_CORE
    node_mib = node.memory_gib * MIB_PER_GIB
    not_fitting = [d.vm_id for d in demands if d.vcpu > threads or d.configured_memory_mib > node_mib]
    excluded = set(not_fitting)
    placed = [d for d in demands if d.vm_id not in excluded]
    notes: list[str] = []

    # CPU
    if performance:
        cpu_unit = "cores"
        cpu_per_node = node.cores * params.hyperthreading_factor * (1 - params.cpu_headroom)
        cpu_demand = 0.0
        for d in placed:
            if d.cpu_used_mhz is not None and node.cpu_mhz:
                cpu_demand += min(d.cpu_used_mhz, d.vcpu * node.cpu_mhz) / node.cpu_mhz
            else:
                cpu_demand += d.vcpu / params.cpu_oversubscription
        if node.cpu_mhz is None and any(d.cpu_used_mhz is not None for d in placed):
            notes.append("node clock (cpu_mhz) unknown: CPU sized on allocated vCPUs")
    else:
        cpu_unit = "vCPU"
        cpu_per_node = (
            node.cores * params.hyperthreading_factor * params.cpu_oversubscription * (1 - params.cpu_headroom)
        )
        cpu_demand = float(sum(d.vcpu for d in placed))
    cpu_nodes = _ceil_div(cpu_demand, cpu_per_node)

    # Memory (GiB)
    memory_per_node = node.memory_gib * params.memory_overcommit * (1 - params.memory_headroom)
    memory_demand = sum(d.memory_mib for d in placed) / MIB_PER_GIB
    memory_nodes = _ceil_div(memory_demand, memory_per_node)

    # Storage (TiB raw): demand depends on the RAID factor, which depends on the cluster size.
    storage_per_node = node.storage_tib_raw * (1 - params.vsan_slack)
    storage_logical = sum(d.storage_bytes for d in placed) / BYTES_PER_TIB

    def storage_raw(policy: StoragePolicy) -> float:
        return storage_logical * policy.factor / params.storage_reduction

    # The configured FTT needs a minimum cluster size of its own (FTT2: 5 hosts).
    ftt_min_hosts = min(p.min_hosts for p in params.storage_policies if p.ftt == params.ftt)
    lower_bound = max(cpu_nodes, memory_nodes, limits.min_hosts, ftt_min_hosts, 1)
    reduced_tib = storage_logical / params.storage_reduction
    nodes, policy = fit_storage(lower_bound, reduced_tib, storage_per_node, limits, params)
    storage_nodes = _ceil_div(storage_raw(policy), storage_per_node)
    clusters = _cluster_count(nodes, limits)

    if nodes == cpu_nodes:
        binding = "cpu"
    elif nodes == memory_nodes:
        binding = "memory"
    elif nodes == storage_nodes or nodes > lower_bound:
        binding = "storage" if storage_logical > 0 else "minimum_cluster"
    else:
        binding = "minimum_cluster"
    if nodes > lower_bound and binding == "storage" and storage_nodes < nodes:
        notes.append(f"storage needs {policy.name}'s cluster size; fewer hosts would need a costlier RAID scheme")
    if binding == "minimum_cluster" and ftt_min_hosts > limits.min_hosts:
        notes.append(f"FTT{params.ftt} needs at least {ftt_min_hosts} hosts per cluster")
    if limits.max_hosts_per_private_cloud and nodes > limits.max_hosts_per_private_cloud:
        clouds = math.ceil(nodes / limits.max_hosts_per_private_cloud)
        notes.append(f"{nodes} hosts exceed {limits.max_hosts_per_private_cloud} per private cloud: {clouds} needed")
    if not node.first_cluster_allowed:
        notes.append(f"{node.name} cannot form the first cluster; add it next to a cluster of another type")
    if not_fitting:
        notes.append(f"{len(not_fitting)} VM(s) do not fit one {node.name} node and are left out")

    def use(resource: str, demand: float, per_node: float, unit: str, needed: int) -> ResourceUse:
        capacity = per_node * nodes
        return ResourceUse(
            resource=resource,
            demand=round(demand, 3),
            capacity=round(capacity, 3),
            unit=unit,
            nodes_needed=needed,
            utilisation=round(demand / capacity, 4) if capacity else 0.0,
        )

    price = node.price_per_node
    return NodeOption(
        node_type=node.name,
        nodes=nodes,
        clusters=clusters,
        binding_resource=binding,
        resources=[
            use("cpu", cpu_demand, cpu_per_node, cpu_unit, cpu_nodes),
            use("memory", memory_demand, memory_per_node, "GiB", memory_nodes),
            use("storage", storage_raw(policy), storage_per_node, "TiB", storage_nodes),
        ],
        price_per_node=price,
        total_price=round(price * nodes, 2) if price is not None else None,
        vms_not_fitting=sorted(not_fitting),
        storage_policy=policy.name,
        storage_policy_factor=policy.factor,
        recommendable=node.first_cluster_allowed,
        notes=notes,
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


def recommend(options: list[NodeOption]) -> NodeOption | None:
    candidates = [o for o in options if o.recommendable]
    if not candidates:
        return None
    priced = [o for o in candidates if o.total_price is not None]
    if priced:
        return min(priced, key=lambda o: (len(o.vms_not_fitting), o.total_price or 0.0, o.nodes))
    return min(candidates, key=lambda o: (len(o.vms_not_fitting), o.nodes))


def has_usage_data(vm: VM) -> bool:
    """True when performance-based sizing has something measured for this VM."""
    if any(name in (vm.perf or {}) for name in ("cpu.usagemhz", "cpu.usage", "mem.consumed", "mem.active")):
        return True
    return vm.power_state == "powered_on" and (vm.cpu_usage_mhz is not None or vm.memory_consumed_mib is not None)


def resolve_basis(basis: str, vms: Iterable[VM]) -> str:
    """``auto`` → performance when any VM has measured use (history or point-in-time), else allocated."""
    if basis != "auto":
        return basis
    return "performance" if any(has_usage_data(vm) for vm in vms) else "allocated"


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
) -> SizingResult:
    raw_params = effective_parameters(config, target)
    params = parse_parameters(raw_params, target, basis)
    node_types, limits = parse_node_types(config, target)
    scoped = [vm for vm in _in_scope(estate, vms) if not vm.template]
    requested_basis = params.basis
    params = dataclasses.replace(params, basis=resolve_basis(params.basis, scoped))
    host_mhz: dict[tuple[str | None, str | None], int | None] = {
        (h.name, vc.name): h.cpu_mhz for vc in estate.vcenters for h in vc.hosts
    }
    demands = [vm_demand(vm, params, host_mhz.get((vm.host, vm.vcenter))) for vm in scoped]

    options = [size_node_type(demands, node, limits, params) for node in node_types]
    best = recommend(options)
    fitting_none = set.intersection(*(set(o.vms_not_fitting) for o in options)) if options else set()

    sources: Counter[str] = Counter()
    for d in demands:
        sources[f"cpu.{d.cpu_source}"] += 1
        sources[f"memory.{d.memory_source}"] += 1
        sources[f"storage.{d.storage_source}"] += 1
    notes = []
    unknown_cpu = sum(1 for vm in scoped if vm.num_cpu is None)
    unknown_memory = sum(1 for vm in scoped if vm.memory_mib is None)
    if unknown_cpu or unknown_memory:
        notes.append(f"{unknown_cpu} VM(s) without a vCPU count and {unknown_memory} without RAM size count as 0")
    if sources["storage.unknown"]:
        notes.append(f"{sources['storage.unknown']} VM(s) without disk sizes count as 0 storage")

    coverage: float | None = None
    stars: int | None = None
    confidence: str | None = None
    if params.basis == "performance":
        coverage = round(sum(d.coverage for d in demands) / len(demands), 4) if demands else 0.0
        stars = confidence_stars(coverage)
        confidence = confidence_word(coverage, any(d.coverage > 0 for d in demands))
        fallback = sources["cpu.quickstats"] + sources["cpu.allocated"]
        if fallback:
            notes.append(f"{fallback} VM(s) without CPU history sized on point-in-time use or allocated vCPUs")

    if requested_basis == "auto":
        why = "measured use found" if params.basis == "performance" else "no measured use"
        notes.append(f"basis auto: {params.basis} ({why})")
    shown = {k: v for k, v in raw_params.items() if k != "source"}
    shown["basis"] = params.basis
    shown["basis_requested"] = requested_basis
    shown["source"] = raw_params.get("source")
    shown["cluster"] = {"min_hosts": limits.min_hosts, "max_hosts": limits.max_hosts}
    return SizingResult(
        target=target,
        basis=params.basis,
        recommended_node_type=best.node_type if best else None,
        options=options,
        vm_count=len(scoped),
        confidence=confidence,
        parameters=shown,
        notes=notes,
        confidence_stars=stars,
        perf_coverage=coverage,
        demand_sources=dict(sorted(sources.items())),
        vms_fitting_no_node_type=sorted(fitting_none),
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
    return [size_target(estate, scoped, target, config, basis) for target in targets]


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


# The binding resource in words for the terminal (the JSON keeps the identifiers).
BINDING_WORDS = {"minimum_cluster": "the minimum cluster size"}


def format_sizing_line(result: SizingResult, with_target: bool = True) -> str:
    """One terminal line per target for ``vmscan analyze``."""
    prefix = f"{result.target}: " if with_target else ""
    option = result.recommended_option()
    if option is None:
        return f"{prefix}no node type can be recommended"
    text = (
        f"{prefix}{option.nodes} x {option.node_type} in {option.clusters} cluster(s), "
        f"bound by {BINDING_WORDS.get(option.binding_resource, option.binding_resource)} "
        f"({result.basis}, {result.vm_count} VMs, {option.storage_policy})"
    )
    if result.confidence is not None:
        text += f", confidence {result.confidence} ({result.confidence_stars}/5)"
    if result.vms_fitting_no_node_type:
        text += f"; {len(result.vms_fitting_no_node_type)} VM(s) fit no node type"
    return text
