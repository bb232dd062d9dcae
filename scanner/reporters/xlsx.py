"""The Excel workbook: summary with native charts, one sheet per table, formula-injection safe.

openpyxl (write-only mode) writes the workbook skeleton: summary and charts, styles, headers,
frozen panes, filters, conditional fills, the About sheet. The table rows themselves are streamed
as SpreadsheetML into the sheet parts afterwards, because openpyxl's per-cell path is far too slow
for 100,000 VMs (docs/benchmarks.md); memory stays flat either way. Every string goes through
``cells.safe_text``; numbers stay numbers, dates are real dates with a format.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import operator
import os
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, DoughnutChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import column_index_from_string, get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from scanner import __version__
from scanner.analysis.dates import data_date_line, stale_data_notice
from scanner.analysis.disposition import lift_and_shift_line
from scanner.analysis.model import DISPOSITIONS, READINESS, SHARE_FORMAT_XLSX, Assessment
from scanner.analysis.sizing import basis_text, headroom_text
from scanner.analysis.text import source_limits_lines
from scanner.fsutil import atomic_path
from scanner.inventory.model import Estate
from scanner.reporters import tables
from scanner.reporters.html import label
from scanner.textsafety import safe_text

HEADER_FILL = PatternFill("solid", start_color="0B2545", end_color="0B2545")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=16, color="0B2545")
SECTION_FONT = Font(bold=True, size=12, color="0B2545")
BOLD = Font(bold=True)
STALE_FONT = Font(bold=True, color="9C5700")
WRAP = Alignment(wrap_text=True, vertical="top")
TOP = Alignment(vertical="top")
READINESS_FILLS = {
    "Ready": PatternFill("solid", start_color="E3F4EA", end_color="E3F4EA"),
    "Ready with conditions": PatternFill("solid", start_color="FDF3DC", end_color="FDF3DC"),
    "Not ready": PatternFill("solid", start_color="FBE4E2", end_color="FBE4E2"),
    "Unknown": PatternFill("solid", start_color="EEF1F4", end_color="EEF1F4"),
}
# Booleans: Excel shows TRUE/FALSE whatever the format; LibreOffice showed 1 and 0 without this one.
NUMBER_FORMATS = {"float": "#,##0.00", "pct": SHARE_FORMAT_XLSX, "date": "yyyy-mm-dd hh:mm", "int": "#,##0",
                  "bool": '"TRUE";"TRUE";"FALSE"'}


def _cell(ws: WriteOnlyWorksheet, value: Any, font: Font | None = None, number_format: str | None = None,
          alignment: Alignment | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value=safe_text(value) if isinstance(value, str) else value)
    if font is not None:
        cell.font = font
    if number_format is not None:
        cell.number_format = number_format
    if alignment is not None:
        cell.alignment = alignment
    return cell


# Column width (in characters) printed per landscape page: about 150 fit at 100 %; a sheet wider
# than this prints over several pages across (the header row and the frozen name columns repeat on
# each) rather than shrunk to one unreadable page (the VMs sheet is ~700 characters wide).
PRINT_WIDTH_PER_PAGE = 230


def print_pages_wide(widths: list[float]) -> int:
    """Pages across for a sheet whose columns have these widths (1 for all but the widest sheets)."""
    return max(1, math.ceil(sum(widths) / PRINT_WIDTH_PER_PAGE))


def _print_setup(ws: WriteOnlyWorksheet, last_cell: str, pages_wide: int, title_columns: int = 0,
                 header_row: bool = True) -> None:
    """Landscape, fitted to ``pages_wide`` pages across (as many down as needed), the header row
    repeated on every page, the used range as print area. Must run before the sheet's first row."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = pages_wide
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.5
    if header_row:
        ws.print_title_rows = "1:1"
    if title_columns and pages_wide > 1:
        ws.print_title_cols = f"A:{get_column_letter(title_columns)}"
    ws.print_area = f"A1:{last_cell}"
    ws.oddFooter.center.text = "&A – page &P of &N"


def _table_sheet(wb: Workbook, table: tables.Table, last_cell: str) -> tuple[WriteOnlyWorksheet, list[str]]:
    """Create the sheet with its header, views, filter, fills and print setup; return it and each
    column's style attr.

    The data rows are not written through openpyxl (its per-cell path costs ~10 µs, over a minute
    at 100,000 VMs) but streamed as XML into the saved file by ``_inject_rows``.
    """
    ws = wb.create_sheet(table.name)
    columns = table.columns
    for index, column in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    # Write-only sheets stream their XML: views and page setup must be set before the first row.
    ws.freeze_panes = f"{get_column_letter(table.frozen_columns + 1)}2"
    printed = columns[:table.print_columns] if table.print_columns else columns
    if table.print_columns:
        last_cell = get_column_letter(len(printed)) + "".join(ch for ch in last_cell if ch.isdigit())
    _print_setup(ws, last_cell, print_pages_wide([c.width for c in printed]), table.frozen_columns)
    header = [_cell(ws, c.header, HEADER_FONT, alignment=WRAP) for c in columns]
    header_lines = max(text_lines(c.header, c.width, bold=True) for c in columns)
    if header_lines > 1:
        ws.row_dimensions[1].height = ROW_HEIGHT_PER_LINE * header_lines
    for cell in header:
        cell.fill = HEADER_FILL
    ws.append(header)
    style_attrs = []
    # In a table with wrapped text every cell sits at the top of its row, beside the first line.
    top = any(column.wrap for column in columns)
    for column in columns:
        number_format = NUMBER_FORMATS.get(column.kind)
        if number_format is None and not top:
            style_attrs.append("")
            continue
        probe = WriteOnlyCell(ws)
        if number_format is not None:
            probe.number_format = number_format
        if top:
            probe.alignment = WRAP if column.wrap else TOP
        style_attrs.append(f' s="{probe.style_id}"')  # registers the format in the workbook's styles
    last = f"{get_column_letter(len(columns))}{table.count + 1}"
    ws.auto_filter.ref = f"A1:{last}"
    if table.opening_filter is not None:
        filter_column, value = table.opening_filter
        ws.auto_filter.add_filter_column([c.header for c in columns].index(filter_column), [value])
        # Said on the printout too, in the footer (LibreOffice drew a page header over the first row):
        # a reader of the paper cannot see the filter.
        ws.oddFooter.center.text = f"&A, rows with {filter_column} = {value} (the sheet's filter) – page &P of &N"
    for index, column in enumerate(columns, start=1):
        if column.kind == "readiness" and table.count:
            letter = get_column_letter(index)
            cell_range = f"{letter}2:{letter}{table.count + 1}"
            for text, fill in READINESS_FILLS.items():
                ws.conditional_formatting.add(
                    cell_range, CellIsRule(operator="equal", formula=[f'"{text}"'], fill=fill)
                )
    return ws, style_attrs


EXCEL_EPOCH = datetime(1899, 12, 30)
# Deflate level of the saved workbook: level 1 compresses the 100,000-VM sheets ~3x faster than
# zlib's default 6 for a file ~25 % larger (measured, docs/benchmarks.md); the parts are the same.
XLSX_DEFLATE_LEVEL = 1


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def text_lines(text: str, width: float, bold: bool = False) -> int:
    """Lines a text wraps onto in a column this wide. About 1.1 characters of Calibri 11 fit per unit
    of width; counted as 1.0 (0.9 in bold) for the wider fonts LibreOffice substitutes where Calibri
    is not installed. Words are not broken."""
    per_line = max(1, int(width * (0.9 if bold else 1.0)))
    return sum(max(1, len(textwrap.wrap(part, per_line, break_long_words=False))) for part in text.split("\n"))


ROW_HEIGHT_PER_LINE = 15  # points, Calibri 11


# Line counts of wrapped texts already computed, per column and value, and (_CellMemo) every cell's
# XML: names, states, rule titles, messages and remediation texts repeat across hundreds of
# thousands of rows, and guarding, escaping and wrapping each copy again was most of the writer's
# time. Bounded, so that a workbook of unique long texts cannot grow them without end.
TEXT_CACHE_CHARS = 8_000_000


class _ColumnMemo:
    """A value computed once per (column, text), forgotten wholesale past TEXT_CACHE_CHARS."""

    def __init__(self, columns: int, compute: Callable[[int, str], Any]) -> None:
        self.memos: list[dict[str, Any]] = [{} for _ in range(columns)]
        self.compute = compute
        self.chars = 0

    def get(self, index: int, text: str) -> Any:
        memo = self.memos[index]
        found = memo.get(text)
        if found is None:
            found = self.compute(index, text)
            self.chars += len(text)
            if self.chars > TEXT_CACHE_CHARS:
                for other in self.memos:
                    other.clear()
                self.chars = len(text)
            memo[text] = found
        return found


# Stands for the row number in a memorised cell: the same cell XML serves every row, and the row's
# XML gets its number in one replace (of bytes: three times faster than of str, and no encoding of
# the sheet afterwards). Never in a cell's text: safe_text removes every control character XML
# cannot hold, NUL among them.
ROW_MARK = "\x00"


class _MemoBudget:
    """The characters held by a table's cell memos; past TEXT_CACHE_CHARS all are forgotten."""

    def __init__(self) -> None:
        self.memos: list[_CellMemo] = []
        self.chars = 0

    def spend(self, chars: int) -> None:
        self.chars += chars
        if self.chars > TEXT_CACHE_CHARS:
            for memo in self.memos:
                memo.clear()
            self.chars = chars


class _CellMemo(dict[Any, bytes]):
    """One column's cell XML (UTF-8, row number as ROW_MARK) per value, for values of one type only: 1,
    1.0 and True are equal dict keys but different cells. A lookup is one C call
    (``memo.__getitem__``); ``__missing__`` computes and keeps what is not there yet."""

    def __init__(self, compute: Callable[[Any], str], budget: _MemoBudget) -> None:
        super().__init__()
        self.compute = compute
        self.budget = budget
        budget.memos.append(self)

    def __missing__(self, value: Any) -> bytes:
        cell = self.compute(value).encode("utf-8")
        self.budget.spend(len(cell))
        self[value] = cell
        return cell


def _cell_xml(table: tables.Table, index: int, style: str, value: Any) -> str:
    """The XML of one non-empty cell of column ``index`` (its row number as ROW_MARK); a non-finite
    float is no cell."""
    ref = get_column_letter(index + 1) + ROW_MARK
    if isinstance(value, str):
        text = safe_text(value)
        space = ' xml:space="preserve"' if text != text.strip() else ""
        return f'<c r="{ref}" t="inlineStr"{style}><is><t{space}>{_xml_text(text)}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{ref}"{style}><v>{value}</v></c>'
    if isinstance(value, float):
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>' if math.isfinite(value) else ""
    if isinstance(value, datetime):
        serial = (value - EXCEL_EPOCH).total_seconds() / 86400
        return f'<c r="{ref}"{style}><v>{serial!r}</v></c>'
    raise TypeError(f"{table.name}: unsupported cell value {type(value).__name__}")


# The "cell" of an empty value: nothing.
_NO_CELL = {None: b""}.__getitem__
# Distinct rows of value types (which columns are empty, mostly) kept per table, at most.
MAX_ROW_SHAPES = 10_000


def _rows_xml(table: tables.Table, styles: list[str]) -> Iterator[bytes]:
    """SpreadsheetML <row> elements (UTF-8) for the table's data rows (row 2 onwards): one table per sheet,
    nothing below it, so the filter and the print area cover every row.

    Each cell is looked up in a memo of its column and its value's type, chosen once per shape of
    row (the tuple of the row's value types), so a row costs C-level calls only unless it holds a
    value not seen yet in its column; the row number goes in once per row.

    A row with wrapped text gets its height: neither Excel nor LibreOffice sizes the rows of a
    streamed sheet, and the wrapped lines were drawn over the next row."""
    columns = table.columns
    wrapped = [(index, column.width) for index, column in enumerate(columns) if column.wrap]
    # Rows the opening filter leaves out are hidden: Excel and LibreOffice show a saved filter's
    # result as stored, they do not re-apply it on opening.
    shown: tuple[int, str] | None = None
    if table.opening_filter is not None:
        shown = ([c.header for c in columns].index(table.opening_filter[0]), table.opening_filter[1])
    widths = [column.width for column in columns]
    budget = _MemoBudget()
    memos: dict[tuple[int, type], Callable[[Any], bytes]] = {}

    def memo(index: int, kind: type) -> Callable[[Any], bytes]:
        if kind is type(None):
            return _NO_CELL
        if not issubclass(kind, (str, int, float, datetime)):
            # Refused by _cell_xml with the table's name (an unhashable one would fail in a memo).
            return lambda value: _cell_xml(table, index, styles[index], value).encode("utf-8")
        if (index, kind) not in memos:
            style = styles[index]
            memos[index, kind] = _CellMemo(lambda value: _cell_xml(table, index, style, value), budget).__getitem__
        return memos[index, kind]

    shapes: dict[tuple[type, ...], list[Callable[[Any], bytes]]] = {}
    line_counts = _ColumnMemo(len(columns), lambda index, value: text_lines(value, widths[index]))
    call = operator.call
    mark = ROW_MARK.encode()
    for row_number, row in enumerate(table.rows(), start=2):
        shape = tuple(map(type, row))
        cells = shapes.get(shape)
        if cells is None:
            if len(shape) != len(columns):
                raise ValueError(f"{table.name}: a row of {len(shape)} values for {len(columns)} columns")
            if len(shapes) >= MAX_ROW_SHAPES:
                shapes.clear()
            cells = shapes[shape] = [memo(index, kind) for index, kind in enumerate(shape)]
        head = b'<row r="' + mark + b'"'
        if wrapped:
            lines = max((line_counts.get(i, row[i]) for i, _ in wrapped if isinstance(row[i], str)), default=1)
            if lines > 1:
                head += f' ht="{ROW_HEIGHT_PER_LINE * lines}" customHeight="1"'.encode()
        if shown is not None and row[shown[0]] != shown[1]:
            head += b' hidden="1"'
        yield (head + b">" + b"".join(map(call, cells, row)) + b"</row>").replace(mark, b"%d" % row_number)


def _inject_rows(skeleton: Path, target: Path, bodies: dict[str, tuple[str, Iterator[bytes]]]) -> None:
    """Copy the openpyxl-written workbook, streaming the data rows into the named sheet parts.

    ``bodies`` maps a part name to (used range, row XML). The used range goes into <dimension>,
    which Excel does not need but streaming readers (openpyxl read-only) rely on.
    """
    with (zipfile.ZipFile(skeleton) as source,
          zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=XLSX_DEFLATE_LEVEL) as out):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename not in bodies:
                out.writestr(info, data)
                continue
            used_range, body = bodies[info.filename]
            head, tail = data.split(b"</sheetData>", 1)
            # CT_Worksheet order: sheetPr, dimension, sheetViews.
            head = head.replace(b"<sheetViews>", f'<dimension ref="{used_range}"/><sheetViews>'.encode(), 1)
            with out.open(info.filename, "w", force_zip64=True) as part:
                part.write(head)
                chunk: list[bytes] = []
                for row_xml in body:
                    chunk.append(row_xml)
                    if len(chunk) >= 2000:
                        part.write(b"".join(chunk))
                        chunk.clear()
                part.write(b"".join(chunk))
                part.write(b"</sheetData>" + tail)


# Summary layout: tables in A-E, the three charts stacked from column G. Printed fitted to the
# page width, any page holds at least the first ~19 cm of the sheet, so charts of this size
# anchored this many rows apart all print whole on the first page (a manual page break would be
# ignored by Excel under fit-to-width).
SUMMARY_WIDTHS = {"A": 50, "B": 22, "C": 9, "D": 22, "E": 9, "F": 2}
SUMMARY_CHART_COLUMN = "G"
SUMMARY_CHART_SIZE_CM = (5.0, 12.0)  # height, width
SUMMARY_CHART_ROWS = 12  # rows between chart anchors: 12 rows are 5.4 cm (LibreOffice) to 6.4 cm (Excel)
SUMMARY_PRINT_LAST_COLUMN = "N"  # a 12 cm chart from G spans about seven default-width columns
SUMMARY_CHART_COLUMN_WIDTH = 9  # G to N, set so the printed width is known: 8 x 9 (12 cm is ~65)
SUMMARY_PRINT_WIDTH = sum(SUMMARY_WIDTHS.values()) + 8 * SUMMARY_CHART_COLUMN_WIDTH
PCT = SHARE_FORMAT_XLSX


def _wrapped(ws: WriteOnlyWorksheet, text: str, width: float, row: int, font: Font | None = None) -> WriteOnlyCell:
    """A wrapping text cell with its row made tall enough: neither Excel nor LibreOffice sizes the
    rows of a streamed sheet, and a long rule title was cut off at the column edge. About 1.1
    characters of Calibri 11 fit per unit of column width, 1.0 in bold."""
    per_line = width * (1.0 if font is not None and font.b else 1.1)
    lines = max(1, math.ceil(len(text) / per_line))
    if lines > 1:
        ws.row_dimensions[row].height = 15 * lines
    return _cell(ws, text, font, alignment=WRAP)


def _banner(ws: WriteOnlyWorksheet, text: str, row: int, font: Font | None = None) -> WriteOnlyCell:
    """A line above the tables and charts, merged across the printed width and wrapped in it: the
    lift-and-shift and not-in-source lines ran past the page edge and were cut off in print."""
    ws.merged_cells.add(f"A{row}:{SUMMARY_PRINT_LAST_COLUMN}{row}")
    return _wrapped(ws, text, SUMMARY_PRINT_WIDTH, row, font)


def _share(count: int, total: int) -> float:
    return count / total if total else 0.0


def _summary_sheet(wb: Workbook, estate: Estate, assessment: Assessment) -> None:
    ws = wb.create_sheet("Summary")
    summary = assessment.summary
    total = summary.vm_count
    for letter, width in SUMMARY_WIDTHS.items():
        ws.column_dimensions[letter].width = width
    for index in range(column_index_from_string(SUMMARY_CHART_COLUMN), column_index_from_string(
            SUMMARY_PRINT_LAST_COLUMN) + 1):
        ws.column_dimensions[get_column_letter(index)].width = SUMMARY_CHART_COLUMN_WIDTH
    rows: list[list[Any]] = []
    rows.append([_cell(ws, "Migration readiness assessment", TITLE_FONT)])
    rows.append([_banner(ws, f"vmscan {assessment.vmscan_version} · as of {assessment.as_of} · targets "
                         + ", ".join(label(t) for t in assessment.targets), len(rows) + 1)])
    rows.append([_banner(ws, data_date_line(assessment), len(rows) + 1)])
    notice = stale_data_notice(assessment)
    if notice:
        rows.append([_banner(ws, f"Old data: {notice}", len(rows) + 1, STALE_FONT)])
    for ts in summary.targets:
        rows.append([_banner(ws, f"Lift-and-shift to {label(ts.target)}: {lift_and_shift_line(ts, summary.vm_count)}",
                             len(rows) + 1, BOLD)])
    # Stated once here (and in Data coverage), never as a condition on each VM.
    limits = source_limits_lines(assessment.coverage)
    for line in limits:
        rows.append([_banner(ws, line.strip(), len(rows) + 1, BOLD if not line.startswith(" ") else None)])
    # The charts sit beside the figures (row 4 under the two title lines); they move down with the
    # header lines above them.
    chart_offset = len(rows) - 2
    rows.append([])
    rows.append([_cell(ws, "Key figures", SECTION_FONT)])
    figures: list[tuple[str, Any, str | None]] = [
        ("Virtual machines", summary.vm_count, "#,##0"),
        ("Powered on", summary.powered_on, "#,##0"),
        ("Powered off", summary.powered_off, "#,##0"),
        ("Suspended", summary.suspended, "#,##0"),
        ("Templates", summary.templates, "#,##0"),
        ("ESXi hosts", summary.host_count, "#,##0"),
        ("Clusters", summary.cluster_count, "#,##0"),
        ("Datastores", summary.datastore_count, "#,##0"),
        ("vCenters", summary.vcenter_count, "#,##0"),
        ("vCPU allocated", summary.total_vcpu, "#,##0"),
        ("Memory allocated (GiB)", round(summary.total_memory_gib, 1), "#,##0.0"),
        ("Storage provisioned (TiB)", round(summary.total_provisioned_tib, 2), "#,##0.00"),
        ("Inventory collected (UTC)", tables.parse_time(estate.collected_at), "yyyy-mm-dd hh:mm"),
    ]
    shares = {"Powered on", "Powered off", "Suspended", "Templates"}
    for name, value, fmt in figures:
        row = [_cell(ws, name), _cell(ws, value, BOLD, fmt)]
        if name in shares:
            row.append(_cell(ws, _share(value, total), number_format=PCT))
        rows.append(row)
    rows.append([])

    # Readiness: per target a count column (chart data) and its share of all VMs beside it.
    rows.append([_cell(ws, "Readiness (VMs)", SECTION_FONT)])
    readiness_header_row = len(rows) + 1
    header = [_cell(ws, "Readiness", BOLD)]
    for t in summary.targets:
        header += [_cell(ws, label(t.target), BOLD), _cell(ws, "%", BOLD)]
    rows.append(header)
    for key in READINESS:
        row = [_cell(ws, label(key))]
        for t in summary.targets:
            count = t.readiness.get(key, 0)
            row += [count, _cell(ws, _share(count, total), number_format=PCT)]
        rows.append(row)
    readiness_last_row = len(rows)
    rows.append([])

    rows.append([_cell(ws, "Disposition (VMs)", SECTION_FONT)])
    disposition_header_row = len(rows) + 1
    rows.append([_cell(ws, "Disposition", BOLD), _cell(ws, "VMs", BOLD), _cell(ws, "%", BOLD)])
    for key in DISPOSITIONS:
        count = summary.dispositions.get(key, 0)
        rows.append([_cell(ws, label(key)), count, _cell(ws, _share(count, total), number_format=PCT)])
    disposition_last_row = len(rows)
    rows.append([])

    rows.append([_cell(ws, "Top blockers", SECTION_FONT)])
    blockers_header_row = len(rows) + 1
    rows.append([_cell(ws, "Rule", BOLD), _cell(ws, "VMs", BOLD), _cell(ws, "%", BOLD), _cell(ws, "Rule id", BOLD)])
    for rc in summary.top_blockers:
        rows.append([_wrapped(ws, rc.title, SUMMARY_WIDTHS["A"], len(rows) + 1), rc.vm_count,
                     _cell(ws, _share(rc.vm_count, total), number_format=PCT), _cell(ws, rc.rule_id)])
    blockers_last_row = len(rows)
    rows.append([])

    for target_summary in summary.targets:
        rows.append([_cell(ws, f"Recommended HCX method – {label(target_summary.target)}", SECTION_FONT)])
        for method, count in sorted(target_summary.recommended_methods.items(), key=lambda item: -item[1]):
            rows.append([_cell(ws, label(method)), count, _cell(ws, _share(count, total), number_format=PCT)])
        rows.append([])

    # The host count is the second question after readiness; the Sizing sheet has the detail
    # (binding resource, basis, utilisation). Columns A-E only: the charts sit from column G.
    if assessment.sizing:
        rows.append([_cell(ws, "Recommended hosts (Sizing sheet)", SECTION_FONT)])
        rows.append([_cell(ws, h, BOLD) for h in ("Target", "Hosts", "Node type")])
        for result in assessment.sizing:
            option = result.recommended_option()
            rows.append([_cell(ws, label(result.target)),
                         None if option is None else _cell(ws, option.nodes, BOLD, "#,##0"),
                         _cell(ws, "none fits" if option is None else option.node_type)])
        # Basis and confidence beside every host count, then the headroom and the rule that chose.
        for result in assessment.sizing:
            text = (f"{label(result.target)}: {basis_text(result)}; headroom: {headroom_text(result)}; "
                    f"rule: {result.recommendation_rule}")
            rows.append([_wrapped(ws, text, sum(SUMMARY_WIDTHS.values()), len(rows) + 1)])
            ws.merged_cells.add(f"A{len(rows)}:F{len(rows)}")
        rows.append([])

    # Under the title lines (more of them with old data or RVTools limits), one below the other.
    anchors = (f"{SUMMARY_CHART_COLUMN}{3 + chart_offset + i * SUMMARY_CHART_ROWS}" for i in range(3))
    chart_height, chart_width = SUMMARY_CHART_SIZE_CM
    if summary.targets:
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "clustered"
        chart.title = "Readiness per target"
        chart.y_axis.title = "VMs"
        for index in range(len(summary.targets)):
            column = 2 + 2 * index  # count columns; the share sits beside each
            chart.add_data(Reference(ws, min_col=column, min_row=readiness_header_row, max_row=readiness_last_row),
                           titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=readiness_header_row + 1, max_row=readiness_last_row))
        chart.height, chart.width = chart_height, chart_width
        ws.add_chart(chart, next(anchors))
    doughnut = DoughnutChart()
    doughnut.title = "Disposition"
    doughnut.add_data(Reference(ws, min_col=2, min_row=disposition_header_row, max_row=disposition_last_row),
                      titles_from_data=True)
    doughnut.set_categories(Reference(ws, min_col=1, min_row=disposition_header_row + 1, max_row=disposition_last_row))
    # Percent only: LibreOffice otherwise adds series name, category and value to every label.
    # One decimal like the table beside it (the chart's own 0 % format showed 61.7 % as 62 %).
    doughnut.dataLabels = DataLabelList(numFmt=PCT, showPercent=True, showVal=False, showCatName=False,
                                        showSerName=False, showLegendKey=False)
    doughnut.height, doughnut.width = chart_height, chart_width
    ws.add_chart(doughnut, next(anchors))
    if summary.top_blockers:
        blockers = BarChart()
        blockers.type = "bar"
        blockers.title = "Top blockers (VMs affected)"
        blockers.add_data(Reference(ws, min_col=2, min_row=blockers_header_row, max_row=blockers_last_row),
                          titles_from_data=True)
        # Rule ids label the bars: titles are too long for the axis, which then skipped every other one.
        blockers.set_categories(Reference(ws, min_col=4, min_row=blockers_header_row + 1, max_row=blockers_last_row))
        blockers.legend = None
        blockers.height, blockers.width = chart_height, chart_width
        ws.add_chart(blockers, next(anchors))
    _print_setup(ws, f"{SUMMARY_PRINT_LAST_COLUMN}{max(len(rows), 3 + chart_offset + 3 * SUMMARY_CHART_ROWS)}",
                 pages_wide=1,
                 header_row=False)
    for row in rows:
        ws.append(row)


def _about_sheet(wb: Workbook, estate: Estate, assessment: Assessment) -> None:
    ws = wb.create_sheet("About")
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 60
    ws.column_dimensions["C"].width = 16
    ws.column_dimensions["D"].width = 40
    ws.column_dimensions["E"].width = 10
    facts: list[tuple[str, Any, str | None]] = [
        ("Assessed by", f"vmscan {assessment.vmscan_version}", None),
        ("Workbook written by", f"vmscan {__version__}", None),
        ("Assessment generated (UTC)", tables.parse_time(assessment.generated_at), "yyyy-mm-dd hh:mm"),
        ("Workbook written (local time)", datetime.now().replace(microsecond=0), "yyyy-mm-dd hh:mm"),
        ("As-of date", tables.parse_time(assessment.as_of), "yyyy-mm-dd"),
        ("Targets", ", ".join(label(t) for t in assessment.targets), None),
        ("Inventory source", estate.source.kind + (f" ({estate.source.tool})" if estate.source.tool else ""), None),
        ("Inventory collected (UTC)", tables.parse_time(estate.collected_at), "yyyy-mm-dd hh:mm"),
        ("Policy", tables.policy_description(assessment.policy)[0], None),
    ]
    overrides = tables.policy_description(assessment.policy)[1]
    if overrides is not None:
        facts.append(("Policy overrides", overrides, None))
    _print_setup(ws, f"E{1 + len(facts) + 3 + len(assessment.inputs)}", pages_wide=1, header_row=False)
    ws.append([_cell(ws, "About this workbook", TITLE_FONT)])
    for name, value, fmt in facts:
        ws.append([_cell(ws, name, BOLD), _cell(ws, value, number_format=fmt, alignment=WRAP)])
    ws.append([])
    ws.append([_cell(ws, "Inputs", SECTION_FONT)])
    ws.append([_cell(ws, h, BOLD) for h in ("Kind", "Input file", "VMs", "vCenters")])
    for item in assessment.inputs:
        ws.append([_cell(ws, item.kind), _cell(ws, item.path), item.vm_count, _cell(ws, ", ".join(item.vcenters))])


# Excel's rows per sheet. 100,000 VMs of a vInfo-only export carry ~2.5 million findings: the Findings table goes on as
# many sheets as it needs ("Findings", "Findings 2", ...), each with its header, filter and panes.
EXCEL_MAX_ROWS = 1_048_576


def _sheet_parts(table: tables.Table) -> list[tables.Table]:
    """The table as one sheet, or cut into consecutive sheets of at most EXCEL_MAX_ROWS rows.

    The parts share one pass over the table's rows (rows are generated, not stored), so they must be
    written in order; a part started before the previous one is finished is refused.
    """
    per_sheet = EXCEL_MAX_ROWS - 1
    if table.count <= per_sheet:
        return [table]
    source: list[Iterator[list[Any]]] = []
    done = [0]  # rows handed out so far

    def part_rows(start: int, count: int) -> Callable[[], Iterator[list[Any]]]:
        def rows() -> Iterator[list[Any]]:
            if done[0] != start:
                raise RuntimeError(f"{table.name}: sheet parts written out of order")
            if not source:
                source.append(table.rows())
            for row in itertools.islice(source[0], count):
                done[0] += 1
                yield row
        return rows

    return [dataclasses.replace(table, name=table.name if index == 0 else f"{table.name} {index + 1}",
                                rows=part_rows(start, min(per_sheet, table.count - start)),
                                count=min(per_sheet, table.count - start))
            for index, start in enumerate(range(0, table.count, per_sheet))]


def _filled(table: tables.Table) -> tables.Table:
    """The table, or its one row for "there are none" when it has no rows and says one."""
    if table.count or table.row_when_empty is None:
        return table
    row = table.row_when_empty
    return dataclasses.replace(table, rows=lambda: iter([row]), count=1, opening_filter=None)


def write_xlsx(estate: Estate, assessment: Assessment, path: str | os.PathLike[str]) -> None:
    """Write the workbook atomically (a failed run leaves no partial .xlsx behind)."""
    wb = Workbook(write_only=True)
    _summary_sheet(wb, estate, assessment)
    report_tables = [part for whole in tables.report_tables(estate, assessment, readiness_labels=True)
                     for part in _sheet_parts(_filled(whole))]
    used_ranges = {table.name: f"A1:{get_column_letter(len(table.columns))}{table.count + 1}"
                   for table in report_tables}
    sheets = [(table, *_table_sheet(wb, table, used_ranges[table.name].split(":")[1])) for table in report_tables]
    _about_sheet(wb, estate, assessment)
    with atomic_path(path) as tmp:
        skeleton = tmp.with_name(tmp.name + ".skeleton")
        try:
            wb.save(skeleton)
            # Sheet part names are assigned by openpyxl during save.
            bodies = {}
            for table, ws, styles in sheets:
                bodies[ws.path.lstrip("/")] = (used_ranges[table.name], _rows_xml(table, styles))
            _inject_rows(skeleton, tmp, bodies)
        finally:
            skeleton.unlink(missing_ok=True)
