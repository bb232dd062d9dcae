"""VMs whose texts come from OutcomeTexts (held per finding tables and deciding messages) get, field
for field, the outcome that outcome_for builds for the VM alone, without any pool or memo."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

import scanner.analysis.engine as engine
from scanner.analysis.engine import OutcomeTexts, analyze
from scanner.inventory.io import load_estate
from scanner.inventory.model import PassthroughDevice, Snapshot
from scanner.policy import default_policy, load_policy
from scanner.serde import to_plain
from scanner.synthetic import generate_estate
from tests.factories import clean_vm, estate_of

AS_OF = dt.date(2026, 11, 25)
SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-estate.json.gz"


def device(key: int, kind: str) -> PassthroughDevice:
    return PassthroughDevice(key=key, label=f"PCI {key}", kind=kind)


def snapshots(count: int) -> dict[str, Any]:
    return {"snapshots": [Snapshot(name=f"s{i}", created="2026-11-20T00:00:00Z") for i in range(count)],
            "snapshot_count": count}


def variants() -> list[Any]:
    """VMs of few finding shapes: equal shapes with equal and with other messages, and a rule whose
    disposition steer reads each failure's evidence (device.passthrough: a vGPU is refactor, an SR-IOV
    NIC remediate), once and twice per VM, in both orders."""
    vms = []
    kinds = [("vgpu",), ("sriov_nic",), ("vgpu", "sriov_nic"), ("sriov_nic", "vgpu"), ("sriov_nic", "sriov_nic")]
    for i in range(40):
        changes: dict[str, Any] = {"name": f"app{i}"}
        if i % 3:
            changes["passthrough_devices"] = [device(k, kind) for k, kind in enumerate(kinds[i % 5], start=1)]
        if i % 4 == 0:
            changes.update(snapshots(1 + i % 8 // 4))
        if i % 5 == 1:
            changes["power_state"] = "suspended"
        vms.append(clean_vm(f"vc-uuid/vm-{i}", **changes))
    return vms


def checked_analysis(monkeypatch: pytest.MonkeyPatch, estate: Any, **options: Any) -> tuple[int, int]:
    """Analyze ``estate`` with every outcome compared to outcome_for's for the VM alone; returns how
    many VMs had usable plans and how many of them took held texts."""
    original = engine.outcome_for
    plans: list[OutcomeTexts] = []
    made = engine.OutcomeTexts.of.__func__  # type: ignore[attr-defined]

    def plan(cls: type, *args: Any) -> OutcomeTexts:
        plans.append(made(cls, *args))
        return plans[-1]

    usable = 0

    def compared(vm, findings, targets, policy, rules, causes=None, switches=None, readiness=None, shared=None):  # type: ignore[no-untyped-def]
        nonlocal usable
        outcome, results = original(vm, findings, targets, policy, rules, causes, switches, readiness, shared)
        alone, alone_results = original(vm, findings, targets, policy, rules, causes, switches, None, None)
        assert to_plain(outcome) == to_plain(alone)
        assert results == alone_results
        usable += any(p.usable and p.known for p in plans)
        return outcome, results

    monkeypatch.setattr(engine, "outcome_for", compared)
    monkeypatch.setattr(engine.OutcomeTexts, "of", classmethod(plan))
    assessment = analyze(estate, as_of=AS_OF, **options)
    assert len(assessment.vms) == sum(len(vc.vms) for vc in estate.vcenters)
    return sum(1 for p in plans if p.usable), sum(len(p.known) for p in plans if p.usable)


def test_held_texts_equal_the_vms_own_with_steers_that_read_the_evidence(monkeypatch):
    vms = variants()
    usable, held = checked_analysis(monkeypatch, estate_of(*vms))
    # Not vacuous: plans were used, and fewer texts built than VMs (the rest were held ones).
    assert usable >= 4 and held < len(vms)
    outcomes = {o.name: o for o in analyze(estate_of(*vms), as_of=AS_OF).vms}
    # The steer read each failure: an SR-IOV NIC then a vGPU (app8) is refactor by the second device,
    # the same shape with the vGPU first (app7) by the first; an SR-IOV NIC alone (app1) remediate.
    assert outcomes["app8"].disposition_reasons[0].startswith("device.passthrough: vgpu device PCI 2 ")
    assert outcomes["app7"].disposition_reasons[0].startswith("device.passthrough: vgpu device PCI 1 ")
    assert outcomes["app8"].target_dispositions == {"avs": "refactor", "vmc": "refactor"}
    assert outcomes["app1"].disposition == "remediate"


@pytest.mark.parametrize("targets", [None, "all"])
def test_held_texts_equal_the_vms_own_on_generated_and_sample_estates(monkeypatch, targets):
    policy = default_policy()
    chosen = list(policy.data["targets"]) if targets == "all" else None
    usable, held = checked_analysis(monkeypatch, generate_estate(300, seed=3), targets=chosen)
    assert usable and held
    checked_analysis(monkeypatch, load_estate(SAMPLE), targets=chosen)


def test_a_policy_that_retains_by_name_builds_each_vms_texts(monkeypatch, tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text('[retain]\nname_patterns = ["app1*"]\nfolders = ["/DC1/vm/Keep"]\n', encoding="utf-8")
    policy = load_policy(str(path))
    usable, _held = checked_analysis(monkeypatch, estate_of(*variants()), policy=policy)
    assert usable == 0
    outcomes = {o.name: o for o in analyze(estate_of(*variants()), as_of=AS_OF, policy=policy).vms}
    assert outcomes["app12"].disposition == "retain"
    # Near miss: same findings, a name the policy does not retain.
    assert outcomes["app22"].disposition != "retain"


def test_vms_alike_but_for_repeated_findings_share_tables_and_keep_their_own_texts(monkeypatch):
    from tests.factories import clean_disk

    def disks(count: int, mode: str = "persistent") -> list[Any]:
        return [clean_disk(key=2000 + i, label=f"Hard disk {i + 1}", provisioning="thick_eager", mode=mode)
                for i in range(count)]

    # One, two and three eager-zeroed disks: the same rule, status, methods and targets once, twice and
    # three times (alike); then independent disks too (another rule each time: not alike).
    vms = [clean_vm(f"vc-uuid/vm-{count}", name=f"app{count}", disks=disks(count)) for count in (1, 2, 3)]
    vms += [clean_vm(f"vc-uuid/vm-{count}i", name=f"app{count}i", disks=disks(count, "independent_persistent"))
            for count in (1, 2)]
    made = []
    original = engine.finding_tables

    def counted(*args: Any) -> Any:
        made.append(args[0].name)
        return original(*args)

    monkeypatch.setattr(engine, "finding_tables", counted)
    checked_analysis(monkeypatch, estate_of(*vms))
    # Tables made for the first VM of each alike group only (checked_analysis made each VM's alone too).
    assert made.count("app1") == 2 and made.count("app2") == 1 and made.count("app3") == 1
    assert made.count("app1i") == 2 and made.count("app2i") == 1
    outcomes = {o.name: o for o in analyze(estate_of(*vms), as_of=AS_OF).vms}
    assert outcomes["app3"].readiness is outcomes["app1"].readiness
    assert outcomes["app3"].finding_ids == ["disk.thick-eager-zeroed"]
    # Near miss: independent disks are another rule's findings too, so other tables.
    assert outcomes["app2i"].finding_ids == ["disk.independent", "disk.thick-eager-zeroed"]
    assert outcomes["app2i"].readiness == {"avs": "ready_with_conditions", "vmc": "ready_with_conditions"}
