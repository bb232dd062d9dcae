"""The streamed row XML of the workbook's tables: the memorised cells write, for every value, the
XML a plain per-cell dispatch writes, whatever the column declares and however often the memos are
forgotten."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

import pytest

from scanner.reporters import tables, xlsx
from scanner.textsafety import safe_text

STYLES = ["", ' s="3"', ' s="4"', ' s="5"', ' s="6"', ""]
COLUMNS = [tables.Column("Name"), tables.Column("Count", "int"), tables.Column("Size", "float"),
           tables.Column("Seen", "date"), tables.Column("Flag", "bool"), tables.Column("Note", wrap=True, width=8)]


class Label(str):
    """A str subclass: written like any text."""


# Values of every kind in every column, the column's own and others: an int in the float column, a
# bool in the int column (equal to 1 as a dict key), 1.0 and 1 and True side by side, non-finite
# floats (no cell), texts that need escaping, a formula trigger, surrounding spaces.
CELLS: list[Any] = [
    "web01", 1, 1.0, True, False, 0, 0.0, None, math.nan, math.inf, -math.inf, 2.5, 10**20,
    datetime(2026, 12, 7, 5, 30), datetime(1999, 1, 1), "a < b & c > d\r", "=SUM(A1)", " padded ",
    Label("label"), "long text " * 5, "",
]


def reference_row(row_number: int, row: list[Any]) -> str:
    """The plain per-cell dispatch the memos replaced (same tags, same attribute order)."""
    rn = str(row_number)
    lines = max((xlsx.text_lines(row[5], COLUMNS[5].width),) if isinstance(row[5], str) else (1,))
    height = f' ht="{xlsx.ROW_HEIGHT_PER_LINE * lines}" customHeight="1"' if lines > 1 else ""
    parts = [f'<row r="{rn}"{height}>']
    for index, value in enumerate(row):
        ref, style = xlsx.get_column_letter(index + 1) + rn, STYLES[index]
        if value is None:
            continue
        if isinstance(value, str):
            text = safe_text(value)
            space = ' xml:space="preserve"' if text != text.strip() else ""
            parts.append(f'<c r="{ref}" t="inlineStr"{style}><is><t{space}>{xlsx._xml_text(text)}</t></is></c>')
        elif isinstance(value, bool):
            parts.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
        elif isinstance(value, int):
            parts.append(f'<c r="{ref}"{style}><v>{value}</v></c>')
        elif isinstance(value, float):
            if math.isfinite(value):
                parts.append(f'<c r="{ref}"{style}><v>{value!r}</v></c>')
        else:
            serial = (value - xlsx.EXCEL_EPOCH).total_seconds() / 86400
            parts.append(f'<c r="{ref}"{style}><v>{serial!r}</v></c>')
    return "".join(parts) + "</row>"


def rows() -> list[list[Any]]:
    # Every value in every column, shifted row by row, so that each (column, type) meets each value.
    count = len(CELLS)
    return [[CELLS[(start + offset * 7) % count] for offset in range(len(COLUMNS))]
            for start in range(count * 3)]


def table(values: list[list[Any]]) -> tables.Table:
    return tables.Table("Mixed", COLUMNS, lambda: iter(values), len(values))


@pytest.mark.parametrize("cache_chars, shapes", [(xlsx.TEXT_CACHE_CHARS, xlsx.MAX_ROW_SHAPES), (120, 2)])
def test_rows_are_the_plain_dispatch_xml(monkeypatch, cache_chars, shapes):
    # The second case forgets the memos and the row shapes every few rows.
    monkeypatch.setattr(xlsx, "TEXT_CACHE_CHARS", cache_chars)
    monkeypatch.setattr(xlsx, "MAX_ROW_SHAPES", shapes)
    values = rows()
    written = [row.decode("utf-8") for row in xlsx._rows_xml(table(values), STYLES)]
    assert written == [reference_row(number, row) for number, row in enumerate(values, start=2)]


def test_an_unsupported_value_is_refused_with_the_table_name():
    with pytest.raises(TypeError, match="Mixed: unsupported cell value dict"):
        list(xlsx._rows_xml(table([["x", 1, 1.0, None, True, {"a": 1}]]), STYLES))


def test_a_row_of_the_wrong_width_is_refused():
    with pytest.raises(ValueError, match="Mixed: a row of 2 values for 6 columns"):
        list(xlsx._rows_xml(table([["x", 1]]), STYLES))
