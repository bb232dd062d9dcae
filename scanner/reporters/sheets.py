"""A small workbook of plain tables (one sheet each) for the diff and plan deliverables.

Header row styled, frozen and filtered; every text value through the formula-injection guard;
columns sized to their content; each sheet prints landscape, one page wide, header repeated.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from scanner import __version__
from scanner.fsutil import atomic_path
from scanner.textsafety import safe_value

HEADER_FILL = PatternFill("solid", start_color="0B2545", end_color="0B2545")
HEADER_FONT = Font(bold=True, color="FFFFFF")
MAX_COLUMN_WIDTH = 60

Sheet = tuple[list[str], Iterable[list[Any]]]


def write_table_workbook(sheets: dict[str, Sheet], path: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, (header, rows) in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.append(header)
        for cell in sheet[1]:
            cell.fill, cell.font = HEADER_FILL, HEADER_FONT
        widths = [len(h) + 2 for h in header]
        for row in rows:
            sheet.append([safe_value(value) for value in row])
            widths = [min(MAX_COLUMN_WIDTH, max(w, len(str(v)) + 2 if v is not None else 0))
                      for w, v in zip(widths, row, strict=False)]
        for index, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
        sheet.freeze_panes = "A2"
        used = f"A1:{get_column_letter(len(header))}{max(sheet.max_row, 1)}"
        sheet.auto_filter.ref = used
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_title_rows = "1:1"
        sheet.print_area = used
        sheet.oddFooter.center.text = "&A – page &P of &N"
    workbook.properties.creator = f"vmscan {__version__}"
    with atomic_path(path) as tmp:
        workbook.save(tmp)
