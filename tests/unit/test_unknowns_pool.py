"""The analysis' pool of unknown results (engine.pooled) and the rules' shared gap results (rules.base.gap)."""

from __future__ import annotations

from scanner.analysis.engine import analyze, pooled
from scanner.rules.base import gap
from tests.factories import clean_vm, estate_of


def test_equal_evidence_is_held_once_and_found_again_by_identity() -> None:
    pool: dict = {}
    first = {"missing": "disks"}
    assert pooled(pool, "no disks", first) == ("no disks", first)
    equal = {"missing": "disks"}
    assert pooled(pool, "no disks", equal)[1] is first
    # The same dict under another message is another entry; each message keeps its own.
    assert pooled(pool, "other", first) == ("other", first)
    assert pooled(pool, "no disks", first) == ("no disks", first)
    assert pooled(pool, "other", first) == ("other", first)
    # Evidence that is not text only is not pooled.
    counted = {"count": 2}
    assert pooled(pool, "n", counted)[1] is counted
    assert pooled(pool, "n", {"count": 2})[1] is not counted


def test_a_gap_is_made_once_and_gives_each_vm_the_same_unknown() -> None:
    assert gap("the input carries no NIC details", "nics") is gap("the input carries no NIC details", "nics")
    vms = [clean_vm(f"vc-uuid/vm-{n}", nics=None) for n in (1, 2, 3)]
    assessment = analyze(estate_of(*vms), targets=["avs"])
    held = [w for w in assessment.vcenter_findings if w.rule_id == "net.nic-legacy"]
    assert [(w.status, w.message, w.evidence, w.vm_count) for w in held] == [
        ("unknown", "the input carries no NIC details", {"missing": "nics"}, 3)]
