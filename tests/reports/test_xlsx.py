import datetime
import itertools
from collections import Counter

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
                             "Sizing by node type", "Sizing parameters", "Sizing sources", "Sizing notes",
                             "Targets", "Collection issues", "About"]


def test_row_counts_match_the_model(workbook):
    estate, assessment, wb = workbook
    assert wb["VMs"].max_row == VM_COUNT + 1
    assert wb["Findings"].max_row == len(assessment.findings) + len(assessment.vcenter_findings) + 1
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
    figures = {row[0].value: row[1].value for row in ws.iter_rows(min_row=4, max_row=ws.max_row) if row[0].value}
    assert figures["Virtual machines"] == VM_COUNT
    assert figures["vCPU allocated"] == assessment.summary.total_vcpu
    assert isinstance(figures["Inventory collected (UTC)"], datetime.datetime)


def test_sizing_by_node_type_names_binding_resource_and_units(workbook):
    _, assessment, wb = workbook
    ws = wb["Sizing by node type"]
    names = header(ws)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    binding = [r for r in rows if r[names.index("Binding")]]
    assert {(r[0], r[1], r[names.index("Resource")]) for r in binding} == {
        (s.target, o.node_type, o.binding_resource) for s in assessment.sizing for o in s.options
        if o.binding_resource in ("cpu", "memory", "storage")}
    # Each row's quantities in the unit the row names; storage is raw vSAN capacity.
    assert names[names.index("Unit") + 1:names.index("Unit") + 4] == [
        "Demand (in Unit)", "Capacity after headroom (in Unit)", "Management reserve (in Unit)"]
    units = {(r[names.index("Resource")], r[names.index("Unit")]) for r in rows}
    assert units == {("cpu", "vCPU"), ("memory", "GiB"), ("storage", "TiB raw")}


def test_sizing_sheet_gives_one_row_per_target_with_basis_confidence_and_headroom(workbook):
    from scanner.analysis.sizing import basis_text, headroom_text

    _, assessment, wb = workbook
    ws = wb["Sizing"]
    names = header(ws)
    rows = {r[0]: dict(zip(names, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == [s.target for s in assessment.sizing]
    for result in assessment.sizing:
        option = result.recommended_option()
        row = rows[result.target]
        assert (row["Recommended hosts"], row["Node type"]) == (option.nodes, option.node_type)
        assert row["Basis"] == result.basis and row["Confidence"] == (result.confidence or "n/a")
        assert row["Basis and confidence"] == basis_text(result)
        assert row["Headroom included"] == headroom_text(result)
        assert row["Recommendation rule"] == result.recommendation_rule
    # The long sentences wrap within their columns instead of running into the next one.
    for name in ("Basis and confidence", "Headroom included", "Recommendation rule"):
        assert ws.cell(2, names.index(name) + 1).alignment.wrap_text, name


def test_every_table_sheet_is_one_filterable_table(workbook, tmp_path):
    """The Sizing sheet stacked four tables under one header and filtered only the first."""
    _, _, wb = workbook
    for ws in wb.worksheets:
        if ws.title in ("Summary", "About"):
            continue
        last = openpyxl.utils.get_column_letter(ws.max_column)
        # One filter from the header to the last row and column that hold data, nothing below it.
        assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}", ws.title
        assert not ws.tables, ws.title
        assert ws.freeze_panes and ws.freeze_panes.endswith("2"), ws.title
        assert all(c.value for c in ws[1]), ws.title  # a header for every column
        for row in ws.iter_rows(min_row=2):
            assert any(c.value is not None for c in row), (ws.title, row[0].row)  # no gap, no second block
        assert ws.print_area == f"'{ws.title}'!$A$1:${ws.print_area.split('$')[-2]}${ws.max_row}", ws.title


def test_one_autofilter_element_per_table_sheet(tmp_path):
    import re
    import zipfile

    estate = generate_estate(40, seed=3)
    path = tmp_path / "r.xlsx"
    write_xlsx(estate, assess(estate), path)
    with zipfile.ZipFile(path) as archive:
        parts = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        counts = [len(re.findall(rb"<autoFilter ", archive.read(n))) for n in parts]
    # Every sheet but Summary and About: exactly one filter.
    assert sorted(counts) == [0, 0] + [1] * (len(parts) - 2)


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


def test_every_sheet_prints_landscape_fitted_with_its_header_repeated(workbook):
    """Without a print setup the demo printed as 110 pages, columns cut over pages and charts split."""
    _, _, wb = workbook
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToHeight == 0, ws.title  # as many pages down as the rows need
        assert ws.print_area, ws.title
    tables = [ws for ws in wb.worksheets if ws.title not in ("Summary", "About")]
    for ws in tables:
        assert ws.print_title_rows == "$1:$1", ws.title
    # Pages across from the printed columns' widths (~230 characters a page, ~70 % scale in
    # Excel): a narrow sheet prints one page wide, the VMs sheet three with its name column repeated.
    for ws in tables:
        last = openpyxl.utils.cell.range_boundaries(ws.print_area.split("!")[1].replace("$", ""))[2]
        width = sum(ws.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i in range(1, last + 1))
        assert int(ws.page_setup.fitToWidth) == max(1, -(-width // 230)), (ws.title, width)
    assert int(wb["VMs"].page_setup.fitToWidth) == 3
    assert {ws.title for ws in wb.worksheets if int(ws.page_setup.fitToWidth) == 1} >= {
        "Summary", "Findings", "Clusters", "Datastores", "Collection issues", "About"}
    assert wb["VMs"].print_title_cols == "$A:$A"


def test_print_areas_cover_the_rows_and_leave_out_long_technical_columns(workbook):
    _, assessment, wb = workbook
    # Up to the column before the notes (then the notes and the long readiness reasons).
    last = openpyxl.utils.get_column_letter(header(wb["VMs"]).index("Annotation"))
    assert wb["VMs"].print_area == f"'VMs'!$A$1:${last}${VM_COUNT + 1}"
    assert "Readiness AVS" in header(wb["VMs"])[:header(wb["VMs"]).index("Annotation")]
    rows = len(assessment.findings) + len(assessment.vcenter_findings) + 1
    assert wb["Findings"].print_area == f"'Findings'!$A$1:$K${rows}"
    assert header(wb["Findings"])[10] == "Message"
    rules = wb["Rules"]  # a narrow table prints whole
    last = openpyxl.utils.get_column_letter(rules.max_column)
    assert rules.print_area == f"'Rules'!$A$1:${last}${len(assessment.rules) + 1}"
    for name in ("Sizing", "Sizing by node type", "Sizing parameters", "Sizing sources", "Sizing notes"):
        ws = wb[name]  # each a table of its own, printed whole
        last = openpyxl.utils.get_column_letter(ws.max_column)
        assert ws.print_area == f"'{name}'!$A$1:${last}${ws.max_row}", name


def test_summary_headers_fit_their_columns_and_shares_stand_beside_counts(workbook):
    _, assessment, wb = workbook
    ws = wb["Summary"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    start = next(i for i, row in enumerate(rows) if row[0] == "Readiness")
    assert rows[start][:5] == ["Readiness", "Azure VMware Solution", "%", "VMware Cloud on AWS", "%"]
    for column, text in zip("BD", ("Azure VMware Solution", "VMware Cloud on AWS"), strict=True):
        assert ws.column_dimensions[column].width >= len(text) + 1, column
    ready = rows[start + 1]
    avs = assessment.summary.targets[0].readiness["ready"]
    assert ready[1] == avs and ready[2] == pytest.approx(avs / VM_COUNT)
    assert ws.cell(start + 2, 3).number_format == "0.0%"


def test_summary_blocker_titles_too_long_for_column_a_wrap_onto_taller_rows(tmp_path):
    # Column A is 50 wide; about 55 characters of Calibri 11 fit on one line (its average letter is
    # narrower than the digit that defines the unit). The sample's longest blocker title (54,
    # "PCI passthrough, DirectPath I/O, SR-IOV or vGPU device") stays one line; one VM given more
    # vCPUs than any node has threads adds the 65-character vm.cpu-exceeds-node title: two lines, 30 pt.
    estate = generate_estate(VM_COUNT, seed=11)
    next(vm for vm in estate.all_vms() if not vm.template).num_cpu = 4096
    assessment = assess(estate)
    path = tmp_path / "report.xlsx"
    write_xlsx(estate, assessment, path)
    ws = openpyxl.load_workbook(path)["Summary"]
    heights = {row[0].value: ws.row_dimensions[row[0].row].height for row in ws.iter_rows()
               if row[0].value in {rc.title for rc in assessment.summary.top_blockers}}
    assert ws.column_dimensions["A"].width == 50
    assert heights["VM has more vCPUs than the largest node of the target has threads"] == 30
    assert heights["PCI passthrough, DirectPath I/O, SR-IOV or vGPU device"] is None
    assert heights["Guest OS not supported on the target's ESXi version"] is None
    assert [title for title, height in heights.items() if height is not None] == [
        "VM has more vCPUs than the largest node of the target has threads"]


def test_summary_charts_sit_beside_the_tables_on_the_first_page(workbook):
    _, _, wb = workbook
    anchors = [chart.anchor._from for chart in wb["Summary"]._charts]
    assert [a.col for a in anchors] == [6, 6, 6]  # column G, right of the tables (A-E)
    rows = [a.row for a in anchors]
    assert rows == sorted(rows) and all(b - a >= 12 for a, b in itertools.pairwise(rows))
    assert rows[-1] <= 30  # within the first page at any fit-to-width scale


def test_findings_open_filtered_on_failing_checks_the_rest_one_click_away(workbook):
    """A synthetic 233-VM estate printed 56 pages of findings, 79 % of them unknown or not-in-source rows."""
    _, assessment, wb = workbook
    ws = wb["Findings"]
    status = header(ws).index("Status")
    assert [(c.colId, c.filters.filter) for c in ws.auto_filter.filterColumn] == [(status, ["fail"])]
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    assert len(rows) == len(assessment.findings) + len(assessment.vcenter_findings)  # every row is in the sheet
    hidden = [ws.row_dimensions[number].hidden for number in range(2, len(rows) + 2)]
    assert [row[status] != "fail" for row in rows] == hidden
    assert 0 < hidden.count(False) < len(rows)
    assert "Status = fail" in ws.oddFooter.center.text


def test_findings_without_a_failing_check_open_unfiltered(tmp_path):
    estate = generate_estate(10, seed=1)
    assessment = assess(estate)
    assessment.findings = [f for f in assessment.findings if f.status != "fail"]
    assert assessment.findings  # unknown and not-in-source rows only
    write_xlsx(estate, assessment, tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "r.xlsx")["Findings"]
    assert not ws.auto_filter.filterColumn
    assert not any(ws.row_dimensions[n].hidden for n in range(2, ws.max_row + 1))


def test_a_table_longer_than_excel_allows_goes_on_as_many_sheets_as_it_needs(tmp_path, monkeypatch):
    # 100,000 VMs carry ~1.9 million findings, past Excel's 1,048,576 rows per sheet (the writer
    # failed there); shown here with the limit lowered.
    import scanner.reporters.xlsx as xlsx_writer

    estate = generate_estate(40, seed=11)
    assessment = assess(estate)
    findings = len(assessment.findings) + len(assessment.vcenter_findings)
    monkeypatch.setattr(xlsx_writer, "EXCEL_MAX_ROWS", 31)  # 30 data rows per sheet
    path = tmp_path / "report.xlsx"
    write_xlsx(estate, assessment, path)
    wb = openpyxl.load_workbook(path)
    parts = ["Findings", *(f"Findings {i}" for i in range(2, -(-findings // 30) + 1))]
    assert len(parts) > 2
    names = wb.sheetnames
    assert names[names.index("Findings"):names.index("Findings") + len(parts)] == parts
    rows = []
    for name in parts:
        ws = wb[name]
        assert header(ws) == header(wb["Findings"]) and ws.freeze_panes == "B2"
        assert ws.max_row <= 31 and ws.auto_filter.ref == f"A1:{ws.cell(1, ws.max_column).column_letter}{ws.max_row}"
        rows += [r for r in ws.iter_rows(min_row=2, values_only=True)]
    # Every finding once, in order.
    columns = header(wb["Findings"])
    vm_id, targets, rule = columns.index("VM id"), columns.index("Targets"), columns.index("Rule")
    assert [(r[vm_id], r[targets], r[rule]) for r in rows] == [
        *((f.vm_id, ", ".join(f.targets), f.rule_id) for f in assessment.findings),
        *((None, ", ".join(w.targets), w.rule_id) for w in assessment.vcenter_findings)]
    # 30 data rows do not hold 40 VMs: the VMs sheet is cut too.
    assert wb["VMs"].max_row == 31 and wb["VMs 2"].max_row == 11


def test_a_result_the_same_on_every_vm_of_a_vcenter_is_one_row_saying_how_many_vms(workbook):
    """A tab the export lacks made the same unknown on each VM: one row per vCenter, not one per VM."""
    _, assessment, wb = workbook
    assert assessment.vcenter_findings  # generate_estate's vCenters carry no consolidation state
    ws = wb["Findings"]
    columns = header(ws)
    rows = list(ws.iter_rows(min_row=2, values_only=True))
    wide = [dict(zip(columns, r, strict=True)) for r in rows if r[columns.index("VM")] == "(all VMs of the vCenter)"]
    vms_of = Counter(o.vcenter for o in assessment.vms)
    assert [(r["vCenter"], r["VMs"], r["Rule"], r["Status"]) for r in wide] == [
        (w.vcenter, vms_of[w.vcenter], w.rule_id, w.status) for w in assessment.vcenter_findings]
    assert all(r["VM id"] is None and r["Status"] != "fail" for r in wide)
    per_vm = [r for r in rows if r[columns.index("VM")] != "(all VMs of the vCenter)"]
    assert {r[columns.index("VMs")] for r in per_vm} == {1}
    # The Rules sheet counts the VMs of a vCenter-wide result, as if each VM carried it.
    rules = wb["Rules"]
    rule_columns = header(rules)
    unknown = {r[0]: r[rule_columns.index("VMs unknown")] for r in rules.iter_rows(min_row=2, values_only=True)}
    expected = Counter()
    for f in {(f.rule_id, f.vm_id) for f in assessment.every_finding() if f.status == "unknown"}:
        expected[f[0]] += 1
    assert {rule: count for rule, count in unknown.items() if count} == dict(expected)


def test_collection_issues_sheet_says_there_were_none(tmp_path):
    # It was a header alone, which reads as "not filled in"; the HTML report said "Every property was read."
    from scanner.reporters.html import write_html
    from scanner.reporters.tables import NO_COLLECTION_ISSUES

    estate = generate_estate(5, seed=3)
    estate.collection_issues = []
    assessment = assess(estate)
    write_xlsx(estate, assessment, tmp_path / "report.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "report.xlsx")["Collection issues"]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["vCenter", "Object id", "Object", "Property", "Message"]
    assert rows[1:] == [[None, None, None, None, "None: every property was read."]]
    assert sheet.auto_filter.ref == "A1:E2"
    write_html(estate, assessment, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    section = html[html.index('<section id="issues">'):]
    assert NO_COLLECTION_ISSUES in section[:section.index("</section>")]


def test_collection_issues_csv_stays_header_only_when_there_are_none(tmp_path):
    import csv

    from scanner.reporters.csv import write_csv

    estate = generate_estate(5, seed=3)
    estate.collection_issues = []
    paths = write_csv(estate, assess(estate), tmp_path)
    issues = next(path for path in paths if "collection" in path.name.lower())
    rows = list(csv.reader(issues.open(encoding="utf-8-sig")))
    assert len(rows) == 1
