"""What must hold for any Estate a loader accepts, however odd its input was.

Property tests call :func:`check_estate` on every accepted input: a loader that returns an Estate
with NaN sizes, duplicate VM ids or totals the analysis cannot add up has let bad input through.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from pathlib import Path
from typing import Any

from scanner.analysis.engine import analyze
from scanner.inventory.io import load_estate, save_estate
from scanner.inventory.model import Estate
from scanner.serde import to_plain

AS_OF = dt.date(2026, 11, 25)
POWER_STATES = ("powered_on", "powered_off", "suspended")


def non_finite_numbers(node: Any, path: str = "") -> list[str]:
    """Paths of every NaN or infinite float in a plain (JSON-like) tree."""
    if isinstance(node, float):
        return [] if math.isfinite(node) else [path or "<root>"]
    if isinstance(node, dict):
        return [p for key, child in node.items() for p in non_finite_numbers(child, f"{path}.{key}")]
    if isinstance(node, list):
        return [p for index, child in enumerate(node) for p in non_finite_numbers(child, f"{path}[{index}]")]
    return []


def check_estate(estate: Estate, workdir: Path) -> None:
    plain = to_plain(estate)
    assert non_finite_numbers(plain) == []
    vms = estate.all_vms()
    duplicated = [vm_id for vm_id, count in Counter(vm.id for vm in vms).items() if count > 1]
    assert duplicated == []
    for vm in vms:
        for name in ("num_cpu", "memory_mib", "provisioned_bytes"):
            value = getattr(vm, name)
            assert value is None or value >= 0, (vm.id, name, value)

    # What the reports add up: one outcome per VM, and totals equal to the sums over the VMs.
    assessment = analyze(estate, as_of=AS_OF)
    summary = assessment.summary
    assert summary.vm_count == len(vms) == len(assessment.vms)
    assert sorted(o.vm_id for o in assessment.vms) == sorted(vm.id for vm in vms)
    assert summary.total_vcpu == sum(vm.num_cpu or 0 for vm in vms)
    # The summary shows GiB to two decimals.
    assert math.isclose(summary.total_memory_gib, sum(vm.memory_mib or 0 for vm in vms) / 1024, abs_tol=0.01)
    counts = Counter(vm.power_state for vm in vms if not vm.template)  # the summary counts templates apart
    assert (summary.powered_on, summary.powered_off, summary.suspended) == tuple(counts[s] for s in POWER_STATES)
    assert summary.templates == sum(1 for vm in vms if vm.template)
    assert non_finite_numbers(to_plain(assessment)) == []

    # An accepted estate is one vmscan can save and load back unchanged.
    snapshot = workdir / "accepted.json.gz"
    save_estate(estate, snapshot)
    assert to_plain(load_estate(snapshot)) == plain
