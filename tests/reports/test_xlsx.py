import datetime

import openpyxl
import pytest

from scanner.reporters.xlsx import write_xlsx
from scanner.synthetic import generate_estate
from tests.reports.factory import assess

VM_COUNT = 200


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    estate = generate_estate(VM_COUNT, seed=11)
    assessment = assess(estate)
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    write_xlsx(estate, assessment, path)
    return estate, assessment, openpyxl.load_workbook(path)


def header(ws):
    return [c.value for c in ws[1]]


def column(ws, name):
    index = header(ws).index(name)
    return [row[index] for row in ws.iter_rows(min_row=2)]


def test_sheets(workbook):
    _, _, wb = workbook
    assert wb.sheetnames == ["Summary", "VMs", "Site tasks", "Findings", "Rules", "Data coverage",
                             "Data coverage inputs", "Hosts", "Clusters", "Datastores", "Sizing",
                             "Collection issues", "About"]


def test_row_counts_match_the_model(workbook):
    estate, assessment, wb = workbook
    assert wb["VMs"].max_row == VM_COUNT + 1
    assert wb["Findings"].max_row == len(assessment.findings) + 1
    assert wb["Rules"].max_row == len(assessment.rules) + 1
    assert wb["Hosts"].max_row == len(estate.all_hosts()) + 1
    assert wb["Clusters"].max_row == len(estate.all_clusters()) + 1
    assert wb["Datastores"].max_row == len(estate.all_datastores()) + 1
    assert wb["Collection issues"].max_row == len(estate.collection_issues) + 1


def test_frozen_header_and_autofilter(workbook):
    _, _, wb = workbook
    ws = wb["VMs"]
    assert ws.freeze_panes == "B2"
    assert ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{VM_COUNT + 1}"
    assert wb["Findings"].freeze_panes == "B2"


def test_values_and_number_types(workbook):
    estate, assessment, wb = workbook
    ws = wb["VMs"]
    vms = estate.all_vms()
    ids = column(ws, "VM id")
    assert [c.value for c in ids] == [o.vm_id for o in assessment.vms]
    cpus = column(ws, "vCPU")
    assert all(c.data_type == "n" and isinstance(c.value, int) for c in cpus)
    assert [c.value for c in cpus] == [vm.num_cpu for vm in vms]
    memory = column(ws, "Memory GiB")
    assert [c.value for c in memory] == [round(vm.memory_mib / 1024, 2) for vm in vms]
    assert memory[0].number_format == "#,##0.00"
    boots = [c for c in column(ws, "Boot time (UTC)") if c.value is not None]
    assert boots and all(isinstance(c.value, datetime.datetime) and c.is_date for c in boots)
    readiness = [c.value for c in column(ws, "Readiness AVS")]
    assert set(readiness) <= {"Ready", "Ready with conditions", "Not ready", "Unknown"}
    assert readiness.count("Not ready") == sum(1 for o in assessment.vms if o.readiness["avs"] == "not_ready")
    used = column(wb["Datastores"], "Used")
    assert all(isinstance(c.value, float) and 0 <= c.value <= 1 and c.number_format == "0.0%" for c in used)


def test_readiness_columns_have_conditional_fills(workbook):
    _, _, wb = workbook
    ws = wb["VMs"]
    letter = ws.cell(1, header(ws).index("Readiness AVS") + 1).column_letter
    ranges = [str(cf.sqref) for cf in ws.conditional_formatting]
    assert f"{letter}2:{letter}{VM_COUNT + 1}" in ranges


def test_formula_injection_is_stored_as_text(workbook):
    _, _, wb = workbook
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
    names = column(wb["VMs"], "VM")
    by_value = {c.value: c for c in names}
    assert by_value["'=HYPERLINK(\"http://example.invalid\",\"x\")"].data_type == "s"
    assert by_value["'@SUM(1)"].data_type == "s"
    assert "<script>alert(1)</script>" in by_value  # not a formula trigger: unchanged
    notes = [c.value for c in column(wb["VMs"], "Annotation") if c.value]
    assert max(len(n) for n in notes) == 32_767


def test_summary_has_native_charts_and_key_figures(workbook):
    _, assessment, wb = workbook
    ws = wb["Summary"]
    assert len(ws._charts) == 3
    figures = {row[0].value: row[1].value for row in ws.iter_rows(min_row=4, max_row=20) if row[0].value}
    assert figures["Virtual machines"] == VM_COUNT
    assert figures["vCPU allocated"] == assessment.summary.total_vcpu
    assert isinstance(figures["Inventory collected (UTC)"], datetime.datetime)


def test_sizing_sheet_names_binding_resource(workbook):
    _, assessment, wb = workbook
    ws = wb["Sizing"]
    binding = [r for r in ws.iter_rows(min_row=2, values_only=True) if r[header(ws).index("Binding")]]
    assert {(r[0], r[7]) for r in binding} == {(s.target, "cpu") for s in assessment.sizing}


def test_no_sizing_sheet_without_sizing(tmp_path):
    estate = generate_estate(10, seed=1)
    write_xlsx(estate, assess(estate, with_sizing=False), tmp_path / "r.xlsx")
    assert "Sizing" not in openpyxl.load_workbook(tmp_path / "r.xlsx").sheetnames


def test_hostile_text_round_trips_exactly(workbook):
    from scanner.synthetic import HOSTILE_STRINGS

    _, _, wb = workbook
    names = [c.value for c in column(wb["VMs"], "VM")][: len(HOSTILE_STRINGS)]
    expected = []
    for text in HOSTILE_STRINGS:
        cleaned = "".join(ch for ch in text if ch in "\t\n\r" or ord(ch) >= 32)
        expected.append("'" + cleaned if cleaned.startswith(("=", "+", "-", "@", "\t", "\r")) else cleaned)
    assert names == expected
