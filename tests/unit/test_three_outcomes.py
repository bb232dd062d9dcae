"""Found, unknown, not in source: three outcomes kept apart in the analysis and every report.

RVTools 4.x exports have no vFloppy tab and never carry vTPM, encryption, passthrough or
serial/parallel ports. By default (policy [analysis] unavailable_in_source_as = "note") that
changes no VM: a VM with nothing found is Ready and HCX vMotion is recommended when it is powered
on. The reports say so once; "VMs affected" counts found (fail) only.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest

from scanner.analysis.engine import analyze
from scanner.analysis.io import load_assessment, save_assessment
from scanner.inventory.model import Snapshot
from scanner.policy import build_policy, load_default_data
from scanner.reporters.csv import write_csv
from scanner.reporters.html import _rules_view, render_html
from scanner.reporters.xlsx import write_xlsx
from scanner.rvtools.reader import read_rvtools
from scanner.rvtools.writer import write_rvtools
from tests.factories import AS_OF, clean_vm, estate_of, every_finding_json

AS_OF_DATE = dt.date.fromisoformat(AS_OF)
# What an RVTools 4.x export can never answer; floppy because 4.x writes no vFloppy tab.
NOT_IN_RVTOOLS_4X = ["device.floppy-connected", "device.parallel-port", "device.passthrough", "device.serial-port",
                     "vm.encrypted", "vm.vtpm"]


def policy(value: str):
    return build_policy(load_default_data(), {"analysis": {"unavailable_in_source_as": value}}, "policy.toml")


def rvtools_export(tmp_path: Path, *vms, version: str = "4.7.1.4", drop: tuple[str, ...] = ("vFloppy",)) -> Path:
    """An RVTools-shaped export of ``vms`` as RVTools ``version`` writes it (4.x: no vFloppy tab)."""
    path = tmp_path / f"rvtools-{version}.xlsx"
    write_rvtools(estate_of(*vms), path)
    workbook = openpyxl.load_workbook(path)
    for tab in drop:
        del workbook[tab]
    meta = workbook["vMetaData"]
    for row in meta.iter_rows(min_row=2):
        row[1].value = version
    workbook.save(path)
    return path


def three_vms():
    """app01: nothing found; db01: nothing found, powered off; snap01: one snapshot (a warning found)."""
    snap = clean_vm("vc-uuid/vm-102", name="snap01", instance_uuid="uuid-snap01", bios_uuid="bios-snap01",
                    snapshots=[Snapshot(name="before-patch", created="2026-11-01T10:00:00Z")], snapshot_count=1)
    return [clean_vm(),
            clean_vm("vc-uuid/vm-101", name="db01", power_state="powered_off", instance_uuid="uuid-db01",
                     bios_uuid="bios-db01"),
            snap]


@pytest.fixture
def export_4x(tmp_path):
    return read_rvtools(rvtools_export(tmp_path, *three_vms()))


def test_nothing_found_on_a_4x_export_without_vfloppy_is_ready_with_vmotion(export_4x):
    (vcenter,) = export_4x.vcenters
    assert "vFloppy" in vcenter.missing_tabs and vcenter.source_detail["rvtools_version"] == "4.7.1.4"
    assessment = analyze(export_4x, as_of=AS_OF_DATE)
    outcomes = {o.name: o for o in assessment.vms}
    app01, db01, snap01 = outcomes["app01"], outcomes["db01"], outcomes["snap01"]
    for target in ("avs", "vmc"):
        assert (app01.readiness[target], app01.recommended_method[target]) == ("ready", "hcx_vmotion")
        assert set(app01.methods[target].values()) == {"eligible"}
        assert (db01.readiness[target], db01.recommended_method[target]) == ("ready", "hcx_cold")
        # The snapshot is found (a warning): conditions, vMotion still recommended.
        assert snap01.readiness[target] == "ready_with_conditions"
        assert snap01.readiness_reasons[target] == ["vm.snapshots"]
        assert snap01.recommended_method[target] == "hcx_vmotion"
    for o in assessment.vms:
        assert o.unknown_ids == []
        assert set(NOT_IN_RVTOOLS_4X) <= set(o.not_in_source_ids)
    assert (app01.finding_ids, snap01.finding_ids) == ([], ["vm.snapshots"])
    floppy = {f.status for f in assessment.every_finding() if f.rule_id == "device.floppy-connected"}
    assert floppy == {"not_in_source"}
    summary = {ts.target: ts for ts in assessment.summary.targets}
    assert summary["avs"].readiness == {"ready": 2, "ready_with_conditions": 1, "not_ready": 0, "unknown": 0}
    assert summary["avs"].recommended_methods == {"hcx_vmotion": 2, "hcx_rav": 0, "hcx_bulk": 0, "hcx_cold": 1,
                                                  "none": 0}
    (entry,) = assessment.coverage.inputs
    assert "vFloppy" not in entry.missing_tabs and entry.needed_tabs == []
    assert "floppy drives" in entry.not_in_source and entry.vms_with_unknowns == 0


def test_a_3x_export_without_its_vfloppy_tab_is_unknown_not_not_in_source(tmp_path):
    """RVTools 3.x did write vFloppy: without it the export lacks data a re-export has (unknown)."""
    estate = read_rvtools(rvtools_export(tmp_path, clean_vm(), version="3.11.9.0"))
    assessment = analyze(estate, as_of=AS_OF_DATE)
    (o,) = assessment.vms
    assert "device.floppy-connected" in o.unknown_ids
    assert "device.floppy-connected" not in o.not_in_source_ids
    # A warning that could block vMotion: that method is unknown, the others recommended.
    assert o.methods["avs"]["hcx_vmotion"] == "unknown" and o.recommended_method["avs"] == "hcx_bulk"
    (entry,) = assessment.coverage.inputs
    assert entry.needed_tabs == ["vFloppy"]


def test_a_4x_export_keeping_a_vfloppy_tab_is_read(tmp_path):
    """vmscan's own export writes vFloppy: the data is there, so the rule is evaluated (near miss)."""
    estate = read_rvtools(rvtools_export(tmp_path, clean_vm(), drop=()))
    (o,) = analyze(estate, as_of=AS_OF_DATE).vms
    assert "device.floppy-connected" not in o.not_in_source_ids + o.unknown_ids + o.finding_ids


@pytest.mark.parametrize(("value", "readiness", "vmotion", "recommended"), [
    ("note", "ready", "eligible", "hcx_vmotion"),
    ("condition", "ready_with_conditions", "conditional", "hcx_vmotion"),
    ("unknown", "unknown", "unknown", None),
])
def test_the_strict_policies_keep_the_strict_reading(export_4x, value, readiness, vmotion, recommended):
    assessment = analyze(export_4x, as_of=AS_OF_DATE, policy=policy(value))
    assert assessment.coverage.unavailable_in_source_as == value
    app01 = next(o for o in assessment.vms if o.name == "app01")
    assert app01.readiness["avs"] == readiness
    assert app01.methods["avs"]["hcx_vmotion"] == vmotion
    assert app01.recommended_method["avs"] == recommended
    # The finding says what it is whatever the policy counts.
    assert set(NOT_IN_RVTOOLS_4X) <= set(app01.not_in_source_ids) and app01.finding_ids == []
    expected = {"note": "note", "condition": "condition", "unknown": "unknown"}[value]
    assert {g.counts_as for g in assessment.coverage.rules if g.not_in_source} == {expected}
    if value == "note":
        assert app01.readiness_details["avs"] == []
    else:
        assert "vm.vtpm" in app01.readiness_reasons["avs"]


def test_vms_affected_counts_found_only(export_4x, tmp_path):
    assessment = analyze(export_4x, as_of=AS_OF_DATE)
    # By hand: snap01 alone has a snapshot; no VM has vTPM found, all 3 cannot be checked for it.
    views = {v["rule"].id: v for v in _rules_view(assessment)}
    assert (views["vm.snapshots"]["vm_count"], views["vm.snapshots"]["unknown_count"]) == (1, 0)
    assert (views["vm.vtpm"]["vm_count"], views["vm.vtpm"]["not_in_source_count"]) == (0, 3)
    assert views["device.floppy-connected"]["vm_count"] == 0

    path = tmp_path / "report.xlsx"
    write_xlsx(export_4x, assessment, path)
    workbook = openpyxl.load_workbook(path, read_only=True)
    rules = list(workbook["Rules"].iter_rows(values_only=True))
    header = rules[0]
    by_rule = {row[0]: dict(zip(header, row, strict=True)) for row in rules[1:]}
    assert (by_rule["vm.vtpm"]["VMs affected"], by_rule["vm.vtpm"]["VMs unknown"],
            by_rule["vm.vtpm"]["VMs not in source"]) == (0, 0, 3)
    assert by_rule["vm.snapshots"]["VMs affected"] == 1
    vms = list(workbook["VMs"].iter_rows(values_only=True))
    columns = vms[0]
    rows = {row[0]: dict(zip(columns, row, strict=True)) for row in vms[1:]}
    assert rows["snap01"]["Findings"] == "vm.snapshots" and rows["app01"]["Findings"] in (None, "")
    assert "vm.vtpm" in rows["app01"]["Not in source"]
    # Stated once at the top of the Summary sheet.
    summary = [row[0] for row in workbook["Summary"].iter_rows(values_only=True) if row and row[0]]
    # 6 the format never carries, plus db01's power-off date (vCenter events only): 7.
    top = next(i for i, text in enumerate(summary) if str(text).startswith("not in this source"))
    # Within the header lines (title, version, data date, lift-and-shift per target).
    assert top <= 6 and summary[top].startswith("not in this source: 7 check(s) the input format cannot make")
    assert sum("not in this source" in str(text) for text in summary) == 1

    page = render_html(export_4x, assessment)
    assert page.count('id="source-limits"') == 1
    assert 'id="coverage-callout"' not in page  # nothing the input could carry is missing


def test_html_findings_column_agrees_with_the_workbook(export_4x, tmp_path):
    assessment = analyze(export_4x, as_of=AS_OF_DATE)
    page = render_html(export_4x, assessment)
    island = page[page.index('id="vm-data">') + len('id="vm-data">'):]
    data = json.loads(island[:island.index("</script>")])
    # Row layout: 1 name, 13 rules found, 15 rules unknown, 16 rules not in source (report.js C).
    found = {row[1]: len(row[13]) for row in data["rows"]}
    assert found == {"app01": 0, "db01": 0, "snap01": 1}
    assert all(row[15] == [] and len(row[16]) >= len(NOT_IN_RVTOOLS_4X) for row in data["rows"])
    path = tmp_path / "report.xlsx"
    write_xlsx(export_4x, assessment, path)
    vms = list(openpyxl.load_workbook(path, read_only=True)["VMs"].iter_rows(values_only=True))
    index = vms[0].index("Findings")
    workbook = {row[0]: len([r for r in (row[index] or "").split(", ") if r]) for row in vms[1:]}
    assert workbook == found


def test_csv_and_json_say_which_outcome(export_4x, tmp_path):
    assessment = analyze(export_4x, as_of=AS_OF_DATE)
    (tmp_path / "csv").mkdir()
    write_csv(export_4x, assessment, tmp_path / "csv")
    with (tmp_path / "csv" / "findings.csv").open(encoding="utf-8") as handle:
        statuses = {(row["Rule"], row["Status"]) for row in csv.DictReader(handle)}
    assert ("vm.vtpm", "not_in_source") in statuses and ("vm.snapshots", "fail") in statuses
    assert not any(status == "unknown" for _, status in statuses)
    path = tmp_path / "assessment.json"
    save_assessment(assessment, path)
    loaded = load_assessment(path)
    assert loaded.vms[0].not_in_source_ids == assessment.vms[0].not_in_source_ids
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["coverage"]["unavailable_in_source_as"] == "note"
    assert {f["status"] for f in every_finding_json(raw)} == {"fail", "not_in_source"}
