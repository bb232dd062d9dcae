"""Results the same on every VM of a vCenter are held once (assessment schema 3, ``vcenter_findings``)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from scanner.analysis.engine import analyze
from scanner.analysis.io import load_assessment, save_assessment
from scanner.analysis.model import Finding, VcenterFinding
from scanner.analysis.wide import VcenterGrouping
from scanner.cli import main
from scanner.inventory.io import save_estate
from tests.factories import AS_OF, clean_vm, estate_of, every_finding_json, unknown_vm
from tests.unit.test_analysis_outcomes import AS_OF_DATE

METHODS = {"hcx_vmotion": "blocks"}
EVIDENCE = {"missing": "usb_devices"}
TARGETS = ["avs", "vmc"]


def finding(vm_id: str, rule_id: str, status: str = "unknown", message: str = "no USB details",
            evidence: dict | None = None) -> Finding:
    return Finding(rule_id, "blocker", TARGETS, vm_id, status, message, METHODS,
                   EVIDENCE if evidence is None else evidence, "remove it")


def mystery(number: int) -> object:
    vm = unknown_vm(f"vc-uuid/vm-{number}")
    vm.vcenter = "vc01"
    vm.name = f"mystery-{number}"
    return vm


def test_a_result_on_every_vm_is_held_once_and_the_rest_stay_with_their_vm() -> None:
    grouping = VcenterGrouping("vc01")
    grouping.add("vm-1", [finding("vm-1", "a"), finding("vm-1", "b", "fail"), finding("vm-1", "c")])
    grouping.add("vm-2", [finding("vm-2", "a"), finding("vm-2", "c", message="other text")])
    own, wide = grouping.finish()
    assert [(w.rule_id, w.vcenter, w.vm_count) for w in wide] == [("a", "vc01", 2)]
    # A failing result is never grouped; c differs on vm-2, so vm-1's c is given back to vm-1.
    assert [(f.vm_id, f.rule_id, f.message) for f in own] == [
        ("vm-1", "b", "no USB details"), ("vm-1", "c", "no USB details"), ("vm-2", "c", "other text")]


def test_a_candidate_that_falls_later_is_given_back_where_each_vm_had_it() -> None:
    grouping = VcenterGrouping("vc01")
    for vm in ("vm-1", "vm-2"):
        grouping.add(vm, [finding(vm, "a"), finding(vm, "b", "fail"), finding(vm, "c")])
    grouping.add("vm-3", [finding("vm-3", "b", "fail"), finding("vm-3", "c")])  # no a
    own, wide = grouping.finish()
    assert [w.rule_id for w in wide] == ["c"]
    assert [(f.vm_id, f.rule_id) for f in own] == [
        ("vm-1", "a"), ("vm-1", "b"), ("vm-2", "a"), ("vm-2", "b"), ("vm-3", "b")]
    assert {f.vm_id for f in own if f.rule_id == "a"} == {"vm-1", "vm-2"}


def test_a_single_vm_keeps_its_own_findings() -> None:
    grouping = VcenterGrouping("vc01")
    grouping.add("vm-1", [finding("vm-1", "a")])
    own, wide = grouping.finish()
    assert wide == [] and [f.rule_id for f in own] == ["a"]


def test_evidence_that_differs_keeps_results_per_vm() -> None:
    grouping = VcenterGrouping("vc01")
    grouping.add("vm-1", [finding("vm-1", "a", evidence={"host": "esx01"})])
    grouping.add("vm-2", [finding("vm-2", "a", evidence={"host": "esx02"})])
    own, wide = grouping.finish()
    assert wide == [] and len(own) == 2


def test_engine_holds_unknowns_of_every_vm_once_and_every_count_reads_the_same() -> None:
    estate = estate_of(mystery(1), mystery(2), mystery(3), clean_vm("vc-uuid/vm-9"))
    assessment = analyze(estate, as_of=AS_OF_DATE)
    # The clean VM knows its USB devices: no unknown is on every VM, so nothing is grouped ...
    assert assessment.vcenter_findings == []
    estate = estate_of(mystery(1), mystery(2), mystery(3))
    assessment = analyze(estate, as_of=AS_OF_DATE)
    # ... while three VMs about which the input says nothing share every unknown.
    assert assessment.vcenter_findings and all(w.vm_count == 3 for w in assessment.vcenter_findings)
    assert all(w.status in ("unknown", "not_in_source") for w in assessment.vcenter_findings)
    grouped = {w.rule_id for w in assessment.vcenter_findings}
    assert not any(f.rule_id in grouped and f.status != "fail" for f in assessment.findings)
    # Per VM, the three outcomes read from every_finding() are the outcome's own lists.
    for outcome in assessment.vms:
        mine = [f for f in assessment.every_finding() if f.vm_id == outcome.vm_id]
        assert sorted({f.rule_id for f in mine if f.status == "fail"}) == outcome.finding_ids
        assert sorted({f.rule_id for f in mine if f.status == "unknown"}) == outcome.unknown_ids
        assert sorted({f.rule_id for f in mine if f.status == "not_in_source"}) == outcome.not_in_source_ids


def test_two_vcenters_of_one_name_keep_every_result_per_vm() -> None:
    estate = estate_of(mystery(1), mystery(2))
    twin = estate_of(mystery(3), mystery(4))
    twin.vcenters[0].instance_uuid = "other-uuid"
    estate.vcenters += twin.vcenters
    assessment = analyze(estate, as_of=AS_OF_DATE)
    assert assessment.vcenter_findings == []


def test_a_vm_of_another_vcenter_naming_this_one_keeps_every_result_per_vm() -> None:
    estate = estate_of(mystery(1), mystery(2))
    other = estate_of(mystery(3), mystery(4))
    other.vcenters[0].name, other.vcenters[0].instance_uuid = "vc02", "other-uuid"
    other.vcenters[0].vms[1].vcenter = "vc02"  # its first VM still says vc01
    estate.vcenters += other.vcenters
    assessment = analyze(estate, as_of=AS_OF_DATE)
    # vc01's results would be given to the stray VM too: kept per VM; vc02's first VM names vc01.
    assert assessment.vcenter_findings == []
    assert len(list(assessment.every_finding())) == len(assessment.findings)


def as_version_2(path: Path, into: Path) -> None:
    """The assessment file as schema 2 wrote it: every result in ``findings``, no ``vcenter_findings``."""
    data = json.loads(path.read_text(encoding="utf-8"))
    data["findings"] = every_finding_json(data)
    del data["vcenter_findings"]
    data["schema_version"] = 2
    into.write_text(json.dumps(data), encoding="utf-8")


def test_a_version_2_assessment_loads_and_diffs_as_version_3(tmp_path: Path) -> None:
    save_estate(estate_of(mystery(1), mystery(2)), tmp_path / "old.json.gz")
    save_estate(estate_of(mystery(1), mystery(2), clean_vm("vc-uuid/vm-3")), tmp_path / "new.json.gz")
    for name in ("old", "new"):
        result = CliRunner().invoke(main, ["analyze", str(tmp_path / f"{name}.json.gz"), "--as-of", AS_OF,
                                           "-o", str(tmp_path / f"{name}.json")])
        assert result.exit_code == 0, result.output
    as_version_2(tmp_path / "old.json", tmp_path / "old-v2.json")
    v3, v2 = load_assessment(tmp_path / "old.json"), load_assessment(tmp_path / "old-v2.json")
    assert v3.vcenter_findings and not v2.vcenter_findings
    key = lambda f: (f.vm_id, f.rule_id, f.status, f.message)  # noqa: E731
    assert sorted(map(key, v3.every_finding())) == sorted(map(key, v2.every_finding()))
    assert v3.vms == v2.vms and v3.coverage == v2.coverage
    diffs = []
    for old in ("old.json", "old-v2.json"):
        out = tmp_path / f"d-{old}"
        result = CliRunner().invoke(main, ["diff", str(tmp_path / old), str(tmp_path / "new.json"), "--as-of", AS_OF,
                                           "--out", str(out)])
        assert result.exit_code == 0, result.output
        pairs = json.loads((out / "diff.json").read_text(encoding="utf-8"))["pairs"]
        diffs.append([{key: value for key, value in pair.items() if key != "old"} for pair in pairs])
    assert diffs[0] == diffs[1] and diffs[0][0]["added"]


def test_the_json_round_trip_keeps_vcenter_findings(tmp_path: Path) -> None:
    assessment = analyze(estate_of(mystery(1), mystery(2)), as_of=AS_OF_DATE)
    save_assessment(assessment, tmp_path / "a.json")
    loaded = load_assessment(tmp_path / "a.json")
    assert loaded == assessment
    assert all(isinstance(w, VcenterFinding) for w in loaded.vcenter_findings)


def rvtools_vm(number: int, vtpm: bool | None = None) -> object:
    vm = clean_vm(f"vc-uuid/vm-{number}", vtpm=vtpm)
    vm.vcenter = "vc01"
    return vm


def test_a_repeated_note_that_falls_later_is_given_back_to_each_vm_that_had_it() -> None:
    # vTPM is data an RVTools export never carries: a note on vm-1, repeated by vm-2 and vm-4 (the
    # engine hands them vm-1's Finding), while vm-3 has a vTPM: no vCenter-wide result, the note per VM.
    estate = estate_of(rvtools_vm(1), rvtools_vm(2), rvtools_vm(3, vtpm=True), rvtools_vm(4))
    estate.vcenters[0].source_kind = "rvtools"
    assessment = analyze(estate, as_of=AS_OF_DATE)
    assert "vm.vtpm" not in {w.rule_id for w in assessment.vcenter_findings}
    vtpm = [(f.vm_id, f.status) for f in assessment.findings if f.rule_id == "vm.vtpm"]
    assert vtpm == [("vc-uuid/vm-1", "not_in_source"), ("vc-uuid/vm-2", "not_in_source"),
                    ("vc-uuid/vm-3", "fail"), ("vc-uuid/vm-4", "not_in_source")]
    gap = next(g for g in assessment.coverage.rules if g.rule_id == "vm.vtpm")
    assert gap.not_in_source and gap.vm_count_unknown == 3
    assert [o.not_in_source_ids.count("vm.vtpm") for o in assessment.vms] == [1, 1, 0, 1]
    # Every VM repeating it: one vCenter-wide note for the four, counted for each.
    estate = estate_of(rvtools_vm(1), rvtools_vm(2), rvtools_vm(3), rvtools_vm(4))
    estate.vcenters[0].source_kind = "rvtools"
    assessment = analyze(estate, as_of=AS_OF_DATE)
    wide = [w for w in assessment.vcenter_findings if w.rule_id == "vm.vtpm"]
    assert [(w.status, w.vm_count) for w in wide] == [("not_in_source", 4)]
    assert next(g for g in assessment.coverage.rules if g.rule_id == "vm.vtpm").vm_count_unknown == 4
