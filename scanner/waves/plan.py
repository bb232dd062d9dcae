"""Pack move groups into waves under the team's limits; durations from data size, method and bandwidth.

Order: powered-on VMs first ("live" waves), powered-off VMs after them ("cold" waves); within a kind,
groups whose VMs are all Ready go first and small groups before large ones (a pilot wave of simple,
small applications). Groups are never split unless larger than one wave. VMs that cannot move on the
target (not ready, no HCX method) stay out with their blockers; retire and retain candidates are
listed apart.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from scanner.analysis.model import Assessment, VmOutcome
from scanner.errors import InputError
from scanner.inventory.model import VM, Estate
from scanner.waves.groups import group_of, grouping_chain
from scanner.waves.model import MoveGroup, NetworkTask, PlannedVm, Wave, WavePlan

GIB = 1024**3
TIB_IN_GIB = 1024
BANDWIDTH_UNITS = {"": 1.0, "k": 1e-3, "m": 1.0, "g": 1e3, "t": 1e6}
NETWORK_ACTIONS = {
    "distributed": "extend (HCX Network Extension)",
    "opaque": "extend (HCX Network Extension, NSX segment)",
    "standard": "distributed switch first (HCX Network Extension cannot extend a standard vSwitch port group) "
                "or re-IP",
}


def parse_bandwidth(text: str) -> float:
    """'1Gbps', '500 Mbit/s', '10G' -> megabits per second; a bare number is Mbps."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)\s*(?:bps|bit/s|b/s|bits?)?\s*", text, re.IGNORECASE)
    if not found or float(found.group(1)) <= 0:
        raise InputError(f"--bandwidth {text!r}: expected a rate such as 1Gbps or 500Mbps")
    mbps = float(found.group(1)) * BANDWIDTH_UNITS[found.group(2).lower()]
    if not math.isfinite(mbps) or mbps > 1e7:
        raise InputError(f"--bandwidth {text!r}: not a plausible link speed")
    return mbps


@dataclass(frozen=True)
class PlanSettings:
    target: str
    bandwidth_mbps: float
    group_by: str
    max_vms_per_wave: int
    max_tib_per_wave: float
    waves_per_week: int
    link_efficiency: float
    switchover_allowance_hours: float
    methods: dict[str, dict[str, Any]]
    group_file: dict[tuple[str, str], str] | None = None


def plan_settings(policy_data: dict[str, Any], target: str, bandwidth_mbps: float,
                  overrides: dict[str, Any], group_file: dict[tuple[str, str], str] | None) -> PlanSettings:
    """The policy's [waves] defaults with the command line's values over them, checked."""
    data = {**policy_data["waves"], **{k: v for k, v in overrides.items() if v is not None}}
    settings = PlanSettings(
        target=target, bandwidth_mbps=bandwidth_mbps, group_by=str(data["group_by"]),
        max_vms_per_wave=int(data["max_vms_per_wave"]), max_tib_per_wave=float(data["max_tib_per_wave"]),
        waves_per_week=int(data["waves_per_week"]), link_efficiency=float(data["link_efficiency"]),
        switchover_allowance_hours=float(data["switchover_allowance_hours"]),
        methods=dict(data["methods"]), group_file=group_file)
    if settings.max_vms_per_wave < 1 or settings.waves_per_week < 1:
        raise InputError("wave limits: VMs per wave and waves per week must be at least 1")
    if not (0 < settings.max_tib_per_wave < 1e6) or not (0 < settings.link_efficiency <= 1):
        raise InputError("wave limits: TiB per wave must be above 0 and link efficiency in (0, 1]")
    return settings


def data_gib(vm: VM) -> float:
    """What a migration copies: used (committed) storage when known, else what is provisioned.

    A committed size of 0 is not a measurement (simulators, a summary not yet refreshed).
    """
    size = vm.storage_committed_bytes or vm.provisioned_bytes
    return round((size or 0) / GIB, 2)


def planned_vm(vm: VM, outcome: VmOutcome, target: str, group: str) -> PlannedVm:
    return PlannedVm(
        vm_id=vm.id, name=vm.name, vcenter=vm.vcenter, cluster=vm.cluster, group=group,
        method=outcome.recommended_method.get(target), readiness=outcome.readiness.get(target, "unknown"),
        power_state=vm.power_state, data_gib=data_gib(vm), memory_gib=round((vm.memory_mib or 0) / 1024, 2),
        networks=sorted({nic.network for nic in vm.nics or [] if nic.network}),
    )


def build_plan(estate: Estate, assessment: Assessment, settings: PlanSettings) -> WavePlan:
    if settings.target not in assessment.targets:
        raise InputError(f"--target {settings.target}: the assessment covers {', '.join(assessment.targets)}")
    hint = grouping_chain(settings.group_by)
    vms = {vm.id: vm for vm in estate.all_vms()}
    plan = WavePlan(target=settings.target, bandwidth_mbps=settings.bandwidth_mbps,
                    assumptions=assumptions(settings))
    movers: dict[tuple[str, str], list[PlannedVm]] = defaultdict(list)  # (kind, group) -> VMs
    group_rules: dict[str, str] = {}
    unknown_size = 0
    for outcome in assessment.vms:
        vm = vms.get(outcome.vm_id) or VM(id=outcome.vm_id, name=outcome.name, vcenter=outcome.vcenter)
        group, how = group_of(vm, hint, settings.group_by, settings.group_file)
        item = planned_vm(vm, outcome, settings.target, group)
        plan.vms.append(item)
        if outcome.disposition in ("retire", "retain"):
            item.reasons = list(outcome.disposition_reasons)
            (plan.retire if outcome.disposition == "retire" else plan.retain).append(vm.id)
            continue
        if item.readiness == "not_ready" or item.method is None:
            item.reasons = list(outcome.readiness_details.get(settings.target) or
                                outcome.readiness_reasons.get(settings.target) or ["no HCX method possible"])
            plan.blocked.append(vm.id)
            continue
        if item.readiness != "ready":
            item.reasons = list(outcome.readiness_reasons.get(settings.target, []))
        if not vm.storage_committed_bytes and vm.provisioned_bytes is None:
            unknown_size += 1
        kind = "live" if vm.power_state == "powered_on" else "cold"
        movers[(kind, group)].append(item)
        group_rules[group] = how
    by_id = {item.vm_id: item for item in plan.vms}
    for kind in ("live", "cold"):
        pieces = sorted(((g, members) for (k, g), members in movers.items() if k == kind),
                        key=lambda gm: (any(m.readiness != "ready" for m in gm[1]),
                                        sum(m.data_gib for m in gm[1]), len(gm[1]), gm[0]))
        for group_name, members in pieces:
            chunks = split_group(members, settings)
            plan.groups.append(MoveGroup(name=group_name, rule=group_rules[group_name], kind=kind,
                                         vm_ids=[m.vm_id for m in members],
                                         data_gib=round(sum(m.data_gib for m in members), 2), split_into=len(chunks)))
            for chunk in chunks:
                place(plan.waves, chunk, group_name, kind, settings)
    prerequisites = site_prerequisites(assessment, settings.target)
    for index, wave in enumerate(plan.waves):
        wave.number = index + 1
        wave.week = index // settings.waves_per_week + 1
        durations(wave, [by_id[i] for i in wave.vm_ids], settings)
        wave.prerequisites = sorted({text for i in wave.vm_ids for text in prerequisites.get(i, ())})
    plan.network = network_tasks(estate, plan, by_id)
    if unknown_size:
        plan.notes.append(f"{unknown_size} VM(s) have no known storage size: their copy time counts as zero")
    split = [g.name for g in plan.groups if g.split_into > 1]
    if split:
        plan.notes.append(f"{len(split)} move group(s) larger than one wave were split: {', '.join(split[:5])}"
                          + (" …" if len(split) > 5 else ""))
    return plan


def site_prerequisites(assessment: Assessment, target: str) -> dict[str, list[str]]:
    """VM id -> the site prerequisites (found or unknown) that must be done before the VM can move."""
    needed: dict[str, list[str]] = defaultdict(list)
    for task in assessment.site_tasks:
        relevant = not task.targets or target in task.targets
        if task.kind != "prerequisite" or task.status == "not_in_source" or not relevant:
            continue
        text = f"{task.message}: {task.action}" if task.status == "fail" else f"to verify: {task.message}"
        for vm_id in task.vm_ids:
            needed[vm_id].append(text)
    return needed


def split_group(members: list[PlannedVm], settings: PlanSettings) -> list[list[PlannedVm]]:
    """The group whole when it fits one wave, else consecutive chunks (by name) that each fit."""
    limit_gib = settings.max_tib_per_wave * TIB_IN_GIB
    if len(members) <= settings.max_vms_per_wave and sum(m.data_gib for m in members) <= limit_gib:
        return [members]
    chunks: list[list[PlannedVm]] = [[]]
    for member in sorted(members, key=lambda m: (m.name or "", m.vm_id)):
        current = chunks[-1]
        if current and (len(current) >= settings.max_vms_per_wave
                        or sum(m.data_gib for m in current) + member.data_gib > limit_gib):
            chunks.append([])
        chunks[-1].append(member)
    return chunks


def place(waves: list[Wave], chunk: list[PlannedVm], group: str, kind: str, settings: PlanSettings) -> None:
    """First wave of the same kind with room for the whole chunk, else a new wave."""
    size = sum(m.data_gib for m in chunk)
    limit_gib = settings.max_tib_per_wave * TIB_IN_GIB
    wave = next((w for w in waves if w.kind == kind and len(w.vm_ids) + len(chunk) <= settings.max_vms_per_wave
                 and w.data_gib + size <= limit_gib), None)
    if wave is None:
        wave = Wave(number=0, week=0, kind=kind)
        waves.append(wave)
    if group not in wave.groups:
        wave.groups.append(group)
    wave.vm_ids.extend(m.vm_id for m in chunk)
    wave.data_gib = round(wave.data_gib + size, 2)


def durations(wave: Wave, members: list[PlannedVm], settings: PlanSettings) -> None:
    """Hours to copy ahead of the window (replication) and inside it, at the effective link rate."""
    gib_per_hour = settings.bandwidth_mbps * settings.link_efficiency * 1e6 / 8 * 3600 / GIB
    ahead = inside = 0.0
    replicated = False
    methods: dict[str, int] = defaultdict(int)
    for member in members:
        method = member.method or "hcx_bulk"
        methods[method] += 1
        facts = settings.methods.get(method, {})
        copied = member.data_gib + (member.memory_gib if facts.get("copies_memory") else 0.0)
        if facts.get("during_window", True):
            inside += copied
        else:
            ahead += copied
            replicated = True
    wave.methods = dict(sorted(methods.items()))
    wave.replication_hours = round(ahead / gib_per_hour, 1)
    wave.window_hours = round(inside / gib_per_hour + (settings.switchover_allowance_hours if replicated else 0), 1)
    wave.networks = sorted({n for m in members for n in m.networks})


def network_tasks(estate: Estate, plan: WavePlan, by_id: dict[str, PlannedVm]) -> list[NetworkTask]:
    """Per port group: what it needs before its first wave, and the wave after which it can be cut over."""
    kinds: dict[str, str | None] = {}
    for network in estate.all_networks():
        if network.name and kinds.get(network.name) is None:
            kinds[network.name] = network.kind
    for vm in estate.all_vms():
        for nic in vm.nics or []:
            if nic.network and kinds.get(nic.network) is None:
                kinds[nic.network] = nic.network_kind
    wave_of = {vm_id: wave.number for wave in plan.waves for vm_id in wave.vm_ids}
    staying = set(plan.blocked) | set(plan.retain)
    tasks = []
    for name in sorted({n for item in plan.vms for n in item.networks}):
        users = [item for item in plan.vms if name in item.networks]
        waves = [wave_of[u.vm_id] for u in users if u.vm_id in wave_of]
        stays = sum(1 for u in users if u.vm_id in staying)
        kind = kinds.get(name)
        tasks.append(NetworkTask(
            network=name, kind=kind, action=NETWORK_ACTIONS.get(kind or "", "check the switch type in vCenter"),
            vm_count=len(users), first_wave=min(waves) if waves else None,
            cutover_after_wave=max(waves) if waves and not stays else None, staying_vms=stays))
    return tasks


def assumptions(settings: PlanSettings) -> dict[str, str]:
    effective = settings.bandwidth_mbps * settings.link_efficiency
    return {
        "target": settings.target,
        "move groups": f"by {settings.group_by}" + (" (group file first)" if settings.group_file else ""),
        "limits": f"{settings.max_vms_per_wave} VMs and {settings.max_tib_per_wave:g} TiB per wave, "
                  f"{settings.waves_per_week} wave(s) per week",
        "link": f"{settings.bandwidth_mbps:g} Mbps × {settings.link_efficiency:g} efficiency = {effective:g} Mbps "
                "for migration traffic",
        "data copied": "used (committed) storage when the input has it, else provisioned; vMotion also copies memory",
        "window": "vMotion and Cold copy inside the switchover window, one VM after another; Bulk and RAV "
                  f"replicate ahead of it, then {settings.switchover_allowance_hours:g} h per wave to switch over",
    }
