"""The terminal summary of `vmscan plan`."""

from __future__ import annotations

from scanner.waves.model import WavePlan

WAVES_SHOWN = 12
METHOD_SHORT = {"hcx_vmotion": "vMotion", "hcx_rav": "RAV", "hcx_bulk": "Bulk", "hcx_cold": "Cold"}


def method_mix(methods: dict[str, int]) -> str:
    return ", ".join(f"{count} {METHOD_SHORT.get(m, m)}" for m, count in methods.items()) or "—"


def format_plan(plan: WavePlan) -> str:
    moving = sum(len(w.vm_ids) for w in plan.waves)
    weeks = max((w.week for w in plan.waves), default=0)
    lines = [f"Wave plan for {plan.target}: {moving} VMs in {len(plan.waves)} waves over {weeks} week(s), "
             f"{len(plan.groups)} move groups; {len(plan.blocked)} blocked, {len(plan.retire)} retire, "
             f"{len(plan.retain)} retain (kept out of the waves)"]
    for wave in plan.waves[:WAVES_SHOWN]:
        lines.append(f"  wave {wave.number:>2} (week {wave.week}, {wave.kind}): {len(wave.vm_ids)} VMs, "
                     f"{wave.data_gib:,.0f} GiB, {method_mix(wave.methods)}; replicate {wave.replication_hours:g} h "
                     f"ahead, window {wave.window_hours:g} h; {len(wave.groups)} group(s)")
    if len(plan.waves) > WAVES_SHOWN:
        rest = plan.waves[WAVES_SHOWN:]
        lines.append(f"  … and {len(rest)} more waves (to week {rest[-1].week}, {sum(len(w.vm_ids) for w in rest)} "
                     "VMs): see plan.html or the Waves sheet")
    waiting = [w.number for w in plan.waves if w.prerequisites]
    if waiting:
        shown = ", ".join(map(str, waiting[:WAVES_SHOWN])) + (" …" if len(waiting) > WAVES_SHOWN else "")
        lines.append(f"  site prerequisites to finish before wave(s) {shown} "
                     "(see the plan's Waves sheet)")
    standard = [t for t in plan.network if t.kind == "standard"]
    if standard:
        lines.append(f"  {len(standard)} port group(s) on standard vSwitches need a distributed switch (or re-IP) "
                     "before their first wave: " + ", ".join(t.network for t in standard[:6])
                     + (" …" if len(standard) > 6 else ""))
    lines.append("Assumptions:")
    lines.extend(f"  {key}: {value}" for key, value in plan.assumptions.items())
    lines.extend(f"Note: {note}" for note in plan.notes)
    return "\n".join(lines) + "\n"
