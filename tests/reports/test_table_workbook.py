"""The diff and plan workbooks (scanner/reporters/sheets.py): one filterable, printable table per sheet."""

from pathlib import Path

import openpyxl

from scanner.reporters.sheets import write_table_workbook


def test_each_sheet_is_one_filtered_table_printed_whole(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    write_table_workbook({"Waves": (["Wave", "VMs", "Note"], [[1, 3, "=cmd"], [2, 5, "x"]]),
                          "Empty": (["Group"], [])}, path)
    wb = openpyxl.load_workbook(path)
    assert wb["Waves"].auto_filter.ref == "A1:C3" and wb["Empty"].auto_filter.ref == "A1:A1"
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.page_setup.orientation == "landscape" and ws.sheet_properties.pageSetUpPr.fitToPage
        assert int(ws.page_setup.fitToWidth) == 1 and int(ws.page_setup.fitToHeight) == 0
        assert ws.print_title_rows == "$1:$1"
    assert (wb["Waves"].print_area, wb["Empty"].print_area) == ("'Waves'!$A$1:$C$3", "'Empty'!$A$1")
    assert wb["Waves"]["C2"].value == "'=cmd"  # the formula guard
