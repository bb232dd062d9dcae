"""Two dates: ages (snapshot age, time powered off) at the data's own date, end of support at --as-of."""

from __future__ import annotations

import dataclasses
import datetime as dt

import openpyxl
from click.testing import CliRunner

from scanner.analysis.dates import data_date_line, stale_data_notice
from scanner.analysis.engine import analyze
from scanner.cli import main
from scanner.inventory.model import Snapshot
from scanner.reporters.html import render_html
from scanner.rvtools.reader import read_rvtools
from tests.factories import clean_vm, estate_of
from tests.unit.rvtools_helpers import variant_sheets, write_workbook

AS_OF = dt.date(2026, 11, 25)


def snapshot_finding(assessment, name):
    vm_id = next(o.vm_id for o in assessment.vms if o.name == name)
    return next(f for f in assessment.findings if f.vm_id == vm_id and f.rule_id == "vm.snapshots")


def test_snapshot_age_is_measured_at_the_export_date_not_the_assessment_date(tmp_path):
    # vMetaData says the export was taken 2025-01-02; db01's snapshot is from 2024-03-01: 307 days
    # old on the export's date (2024 is a leap year), 999 days at the assessment date.
    estate = read_rvtools(write_workbook(tmp_path / "rv.xlsx", variant_sheets("4.7")))
    assessment = analyze(estate, as_of=AS_OF)
    assert snapshot_finding(assessment, "db01").evidence["oldest_age_days"] == 307
    [date] = assessment.data_dates
    assert date.taken_at.startswith("2025-01-02") and date.age_days == 692
    assert "RVTools export" in date.basis


def test_old_export_is_called_out_and_a_recent_one_is_not(tmp_path):
    estate = read_rvtools(write_workbook(tmp_path / "rv.xlsx", variant_sheets("4.7")))
    old = analyze(estate, as_of=AS_OF)
    notice = stale_data_notice(old)
    assert notice is not None and "692 days old" in notice and "taken 2025-01-02" in notice
    recent = analyze(estate, as_of=dt.date(2025, 1, 31))  # 29 days: within the 30-day threshold
    assert stale_data_notice(recent) is None
    assert data_date_line(recent).startswith("Data date: 2025-01-02 (RVTools export")
    assert "assessed as of 2025-01-31" in data_date_line(recent)
    # 31 days: called out.
    assert stale_data_notice(analyze(estate, as_of=dt.date(2025, 2, 2))) is not None


def test_export_without_a_date_says_so_and_ages_at_the_assessment_date(tmp_path):
    sheets = variant_sheets("4.7")
    del sheets["vMetaData"]
    estate = read_rvtools(write_workbook(tmp_path / "rv.xlsx", sheets))
    assessment = analyze(estate, as_of=AS_OF)
    assert snapshot_finding(assessment, "db01").evidence["oldest_age_days"] == 999
    [date] = assessment.data_dates
    assert date.taken_at is None and date.age_days is None and "not in the export" in date.basis
    assert stale_data_notice(assessment) is None


def test_live_collection_measures_snapshot_age_at_its_collection_time():
    vm = clean_vm(snapshots=[Snapshot(name="s", created="2026-11-20T00:00:00Z")], snapshot_count=1)
    estate = estate_of(vm)  # collected 2026-11-25
    estate.vcenters[0].source_kind = "vcenter"
    estate.vcenters[0].source_detail["collected_at"] = "2026-11-22T10:00:00Z"
    assessment = analyze(estate, as_of=dt.date(2030, 1, 1))
    assert snapshot_finding(assessment, "app01").evidence["oldest_age_days"] == 2  # 2026-11-20 to 2026-11-22


def test_powered_off_time_is_measured_at_the_data_date():
    vm = clean_vm(power_state="powered_off", powered_off_since="2026-10-01T00:00:00Z")
    estate = estate_of(vm)  # collected 2026-11-25: off 55 days (threshold 90)
    ids = {f.rule_id for f in analyze(estate, as_of=dt.date(2027, 6, 1)).findings if f.status == "fail"}
    assert "vm.powered-off-long" not in ids
    estate.collected_at = "2027-01-01T00:00:00Z"  # 92 days
    ids = {f.rule_id for f in analyze(estate, as_of=dt.date(2027, 6, 1)).findings if f.status == "fail"}
    assert "vm.powered-off-long" in ids


def test_end_of_support_is_measured_at_the_assessment_date():
    vm = clean_vm(guest_id="windows8Server64Guest", guest_id_tools="windows8Server64Guest",
                  guest_full_name="Microsoft Windows Server 2012 (64-bit)",
                  guest_full_name_tools="Microsoft Windows Server 2012 R2 Datacenter")
    estate = estate_of(vm)
    estate.collected_at = "2020-01-01T00:00:00Z"  # data before the 2023-10-10 end of support
    before = analyze(estate, as_of=dt.date(2023, 10, 9))
    after = analyze(estate, as_of=dt.date(2023, 10, 10))
    assert "vm.guest-os-end-of-support" not in {f.rule_id for f in before.findings}
    assert "vm.guest-os-end-of-support" in {f.rule_id for f in after.findings}


def test_terminal_html_and_workbook_headers_show_both_dates(tmp_path):
    rv = write_workbook(tmp_path / "rv.xlsx", variant_sheets("4.7"))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", str(rv), "--out", str(out), "--as-of", "2026-11-25",
                                       "--format", "html,xlsx"])
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Data date: 2025-01-02 (RVTools export (vMetaData creation time))" in html
    assert 'id="stale-data"' in html and "692 days old" in html
    summary = openpyxl.load_workbook(out / "report.xlsx")["Summary"]
    texts = [str(c.value) for row in summary.iter_rows() for c in row if c.value is not None]
    assert any(t.startswith("Data date: 2025-01-02") for t in texts)
    assert any(t.startswith("Old data: The data is 692 days old") for t in texts)
    analyzed = CliRunner().invoke(main, ["analyze", str(rv), "--as-of", "2026-11-25"])
    assert "Data date: 2025-01-02" in analyzed.output and "WARNING: The data is 692 days old" in analyzed.output


def test_fresh_html_has_no_old_data_callout():
    estate = estate_of(clean_vm())
    html = render_html(estate, analyze(estate, as_of=AS_OF))
    assert 'id="stale-data"' not in html and "Data date: 2026-11-25" in html


def test_merged_inputs_keep_each_vcenters_date(tmp_path):
    first = read_rvtools(write_workbook(tmp_path / "a.xlsx", variant_sheets("4.7")))
    second = read_rvtools(write_workbook(tmp_path / "b.xlsx", variant_sheets("4.7", server="vc2.example.com",
                                                                             sdk_uuid="sdk-uuid-2")))
    second.vcenters[0].source_detail["exported_at"] = "2026-11-20T00:00:00+00:00"
    from scanner.inventory.merge import merge_estates
    merged = merge_estates([first, second], ["a.xlsx", "b.xlsx"])
    assessment = analyze(merged, as_of=AS_OF)
    assert sorted(d.age_days for d in assessment.data_dates) == [5, 692]
    assert dataclasses.asdict(assessment.data_dates[0])["vcenter"] == "vc1.example.com"
