"""`vmscan plan` deliverables: plan.html (timeline, drill-down), plan.xlsx, plan.json, move-groups.csv
(edit it and feed it back with --groups) and one CSV per wave shaped for HCX mobility groups."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from markupsafe import Markup

from scanner import __version__
from scanner.fsutil import atomic_write
from scanner.reporters.csv import write_rows_csv
from scanner.reporters.sheets import Sheet, write_table_workbook
from scanner.serde import to_plain
from scanner.waves.model import PlannedVm, WavePlan
from scanner.waves.text import METHOD_SHORT, method_mix

HCX_METHOD_NAMES = {"hcx_vmotion": "vMotion", "hcx_rav": "Replication Assisted vMotion",
                    "hcx_bulk": "Bulk Migration", "hcx_cold": "Cold Migration"}
WAVE_CSV_HEADER = ["VM Name", "Source vCenter", "Source Cluster", "Source Network", "Target Network",
                   "Network Action", "Migration Type", "Mobility Group", "Switchover Window"]


def plan_json(plan: WavePlan) -> str:
    plain = to_plain(plan)
    ordered = {"schema": plain.pop("schema"), "schema_version": plain.pop("schema_version"), **plain}
    return json.dumps(ordered, ensure_ascii=False, indent=1, allow_nan=False)


def move_group_rows(plan: WavePlan) -> Iterator[list[Any]]:
    rule_of = {(g.name, g.kind): g.rule for g in plan.groups}
    for vm in sorted(plan.vms, key=lambda v: (v.group, v.name or "")):
        kind = "live" if vm.power_state == "powered_on" else "cold"
        yield [vm.name, vm.vcenter, vm.group, rule_of.get((vm.group, kind), "kept out of the waves")]


def wave_csv_rows(plan: WavePlan, number: int) -> Iterator[list[Any]]:
    wave = plan.waves[number - 1]
    vms = {vm.vm_id: vm for vm in plan.vms}
    actions = {task.network: task.action for task in plan.network}
    window = f"wave {wave.number}, week {wave.week} ({wave.window_hours:g} h)"
    for vm_id in wave.vm_ids:
        vm = vms[vm_id]
        networks = vm.networks or [""]
        for network in networks:
            yield [vm.name, vm.vcenter, vm.cluster, network, network, actions.get(network, ""),
                   HCX_METHOD_NAMES.get(vm.method or "", vm.method), f"wave-{wave.number:02d} {vm.group}", window]


def kept_out(plan: WavePlan) -> list[tuple[str, PlannedVm]]:
    vms = {vm.vm_id: vm for vm in plan.vms}
    return ([("blocked", vms[i]) for i in plan.blocked] + [("retire", vms[i]) for i in plan.retire]
            + [("retain", vms[i]) for i in plan.retain])


def sheets(plan: WavePlan) -> dict[str, Sheet]:
    vms = {vm.vm_id: vm for vm in plan.vms}
    return {
        "Waves": (["Wave", "Week", "Kind", "VMs", "Data GiB", "Methods", "Replication h (ahead)", "Window h",
                   "Move groups", "Port groups", "Site prerequisites first"],
                  ([w.number, w.week, w.kind, len(w.vm_ids), w.data_gib, method_mix(w.methods), w.replication_hours,
                    w.window_hours, ", ".join(w.groups), ", ".join(w.networks), "; ".join(w.prerequisites)]
                   for w in plan.waves)),
        "Wave VMs": (["Wave", "VM", "vCenter", "Cluster", "Move group", "Method", "Readiness", "Data GiB",
                      "Memory GiB", "Conditions"],
                     ([w.number, vms[i].name, vms[i].vcenter, vms[i].cluster, vms[i].group,
                       METHOD_SHORT.get(vms[i].method or "", vms[i].method), vms[i].readiness, vms[i].data_gib,
                       vms[i].memory_gib, "; ".join(vms[i].reasons)] for w in plan.waves for i in w.vm_ids)),
        "Move groups": (["Move group", "Kind", "Formed by", "VMs", "Data GiB", "Split into waves"],
                        ([g.name, g.kind, g.rule, len(g.vm_ids), g.data_gib, g.split_into] for g in plan.groups)),
        "Network": (["Port group", "Switch type", "Action", "VMs", "First wave", "Cut over after wave",
                     "VMs staying behind"],
                    ([t.network, t.kind, t.action, t.vm_count, t.first_wave, t.cutover_after_wave, t.staying_vms]
                     for t in plan.network)),
        "Kept out": (["Why", "VM", "vCenter", "Cluster", "Readiness", "Reasons"],
                     ([why, vm.name, vm.vcenter, vm.cluster, vm.readiness, "; ".join(vm.reasons)]
                      for why, vm in kept_out(plan))),
        "Assumptions": (["Assumption", "Value"], ([k, v] for k, v in plan.assumptions.items())),
    }


def write_plan_html(plan: WavePlan, path: Path) -> None:
    from scanner.reporters.html import csp_hash, page_css, template_environment

    css = page_css("plan.css")
    weeks = max((w.week for w in plan.waves), default=1)
    vms = {vm.vm_id: vm for vm in plan.vms}
    html = template_environment().get_template("plan.html.j2").render(
        plan=plan, vms=vms, weeks=weeks, kept_out=kept_out(plan), method_mix=method_mix, short=METHOD_SHORT,
        css=Markup(css), csp_style=csp_hash(css), version=__version__)  # noqa: S704 - our own stylesheet
    with atomic_write(path) as handle:
        handle.write(html)


def write_plan(plan: WavePlan, directory: str | os.PathLike[str]) -> list[Path]:
    """Every plan file into ``directory`` (each atomically); the paths written, in order."""
    folder = Path(directory)
    written = [folder / "plan.html", folder / "plan.xlsx", folder / "plan.json", folder / "move-groups.csv"]
    write_plan_html(plan, written[0])
    write_table_workbook(sheets(plan), written[1])
    with atomic_write(written[2]) as handle:
        handle.write(plan_json(plan) + "\n")
    write_rows_csv(["VM", "vCenter", "Group", "Formed by"], move_group_rows(plan), written[3])
    if plan.waves:
        (folder / "waves").mkdir(exist_ok=True)
    for wave in plan.waves:
        target = folder / "waves" / f"wave-{wave.number:02d}.csv"
        write_rows_csv(WAVE_CSV_HEADER, wave_csv_rows(plan, wave.number), target)
        written.append(target)
    return written
