"""Native IaaS alternative (issue 20): the smallest Azure VM size and EC2 instance type that hold a VM.

For VMs dispositioned "replatform" ([native] scope = "all": every VM sized; "none": off). The size
catalogues are data ([native.providers.<id>.families.<family>] in targets.toml, with sources);
"smallest" = fewest vCPUs, then least memory, over every family of the provider.

Demand: the VM's configured vCPU and memory (allocated), or - when the assessment sized on
performance and the VM carries a utilisation history - the sizing percentile x comfort factor of
its CPU use (cpu.usage %, else cpu.usagemhz over its host's core clock) and of mem.consumed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from scanner.analysis.model import Assessment, NativeSize
from scanner.errors import InputError
from scanner.inventory.model import VM, Estate

SCOPES = ("replatform", "all", "none")


def catalogue(data: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Provider id -> sizes, each with its family, kind, confirmed flag and source; checked."""
    providers = data.get("native", {}).get("providers", {})
    result: dict[str, list[dict[str, Any]]] = {}
    for provider, table in providers.items():
        sizes = []
        for family, spec in table.get("families", {}).items():
            for i, size in enumerate(spec.get("sizes", [])):
                where = f"native.providers.{provider}.families.{family}.sizes[{i}]"
                vcpu, memory = size.get("vcpu"), size.get("memory_gib")
                if not isinstance(size.get("name"), str) or not _positive(vcpu) or not _positive(memory):
                    raise InputError(f"policy: {where} needs a name, vcpu > 0 and memory_gib > 0")
                sizes.append({"name": size["name"], "vcpu": float(vcpu), "memory_gib": float(memory),
                              "family": str(family), "kind": str(spec.get("kind", "")),
                              "confirmed": bool(spec.get("confirmed", False)), "source": str(spec.get("source", ""))})
        result[str(provider)] = sorted(sizes, key=lambda s: (s["vcpu"], s["memory_gib"], s["name"]))
    return result


def _positive(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _percentile_value(vm: VM, counter: str, field: str) -> float | None:
    stats = (vm.perf or {}).get(counter)
    value: Any = getattr(stats, field, None) if stats is not None else None
    return float(value) if _positive(value) else None


def vm_demand(vm: VM, performance: bool, params: Mapping[str, Any], host_mhz: int | None) -> tuple[float, float, str]:
    """(vCPU, memory GiB, basis) the native size must hold."""
    vcpu = float(vm.num_cpu or 0)
    memory = (vm.memory_mib or 0) / 1024
    if not performance:
        return vcpu, memory, "allocated"
    field = {50: "p50", 90: "p90", 95: "p95", 99: "p99", 100: "max"}.get(int(params.get("percentile", 95)), "p95")
    comfort = float(params.get("comfort_factor", 1.3))
    used_basis = False
    percent = _percentile_value(vm, "cpu.usage", field)
    mhz = _percentile_value(vm, "cpu.usagemhz", field)
    if percent is not None and vcpu:
        vcpu, used_basis = max(1.0, math.ceil(vcpu * min(percent, 100.0) / 100 * comfort)), True
    elif mhz is not None and host_mhz:
        vcpu, used_basis = max(1.0, math.ceil(mhz * comfort / host_mhz)), True
    consumed = _percentile_value(vm, "mem.consumed", field)
    if consumed is not None:
        memory, used_basis = consumed / 1024 * comfort, True
    return vcpu, memory, "performance" if used_basis else "allocated"


def smallest_fit(sizes: list[dict[str, Any]], vcpu: float, memory_gib: float) -> dict[str, Any] | None:
    return next((s for s in sizes if s["vcpu"] >= vcpu and s["memory_gib"] >= memory_gib), None)


def assign_native_sizes(estate: Estate, assessment: Assessment, data: Mapping[str, Any],
                        scope: str | None = None) -> None:
    """Fill ``native_sizes`` of the VM outcomes in scope (pure data in, fields set on the outcomes)."""
    scope = scope or str(data.get("native", {}).get("scope", "replatform"))
    if scope not in SCOPES:
        raise InputError(f"native sizes: scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if scope == "none":
        return
    sizes = catalogue(data)
    performance = any(s.basis == "performance" for s in assessment.sizing)
    params = data.get("sizing", {})
    vms = {vm.id: vm for vm in estate.all_vms()}
    host_mhz: dict[tuple[str | None, str | None], int | None] = {
        (vc.name, h.name): h.cpu_mhz for vc in estate.vcenters for h in vc.hosts}
    # Many VMs have the same demand: their picks are one (read-only) list, as equal target lists are.
    # The picks depend on the demand and its basis alone; the key holds the numbers' types (a
    # performance vCPU count may be an int, 3 and 3.0 are written differently), and no demand is
    # NaN or -0.0 (of ints, ceilings and positive percentiles), so equal keys are equal JSON.
    picks_for: dict[tuple[Any, ...], list[NativeSize]] = {}
    unknown: list[NativeSize] | None = None
    for outcome in assessment.vms:
        vm = vms.get(outcome.vm_id)
        if vm is None or vm.template or (scope == "replatform" and outcome.disposition != "replatform"):
            continue
        if vm.num_cpu is None or vm.memory_mib is None:
            if unknown is None:
                unknown = [NativeSize(provider=p, size=None, basis="unknown", note="vCPU or memory not known")
                           for p in sizes]
            outcome.native_sizes = unknown
            continue
        vcpu, memory, basis = vm_demand(vm, performance, params, host_mhz.get((vm.vcenter, vm.host)))
        key = (vcpu, memory, basis, type(vcpu), type(memory))
        picks = picks_for.get(key)
        if picks is None:
            picks = picks_for[key] = native_picks(sizes, vcpu, memory, basis)
        outcome.native_sizes = picks


def native_picks(sizes: Mapping[str, list[dict[str, Any]]], vcpu: float, memory: float,
                 basis: str) -> list[NativeSize]:
    """Each provider's smallest size holding ``vcpu`` and ``memory`` GiB (``sizes``: the catalogue)."""
    picks = []
    for provider, catalogue_sizes in sizes.items():
        fit = smallest_fit(catalogue_sizes, vcpu, memory)
        picks.append(NativeSize(
            provider=provider, size=fit["name"] if fit else None, vcpu=fit["vcpu"] if fit else None,
            memory_gib=fit["memory_gib"] if fit else None, family=fit["family"] if fit else None,
            confirmed=bool(fit["confirmed"]) if fit else False, basis=basis,
            demand_vcpu=round(vcpu, 2), demand_memory_gib=round(memory, 2),
            note=None if fit else f"no size in the catalogue holds {vcpu:g} vCPU and {memory:.1f} GiB"))
    return picks


def native_text(outcome_sizes: list[NativeSize]) -> str:
    """One cell: 'azure Standard_E2s_v5; ec2 r6i.large (unconfirmed)'."""
    parts = []
    for pick in outcome_sizes:
        if pick.size is None:
            parts.append(f"{pick.provider}: none fits")
        else:
            parts.append(f"{pick.provider}: {pick.size}" + ("" if pick.confirmed else " (unconfirmed)"))
    return "; ".join(parts)
