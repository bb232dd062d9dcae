"""Measure an xlsx workbook's sheets before a reader allocates for them.

The Rust reader (calamine) allocates the rectangle spanned by a sheet's cells and reserves the
shared-string table's declared ``uniqueCount`` up front: one cell at XFD1048576 or a declared
count of 4,294,967,295 in a 2 KB file makes it abort the whole process (a Rust allocation
failure cannot be caught). It also copies a shared string into every cell that references it,
so one 32,767-character string referenced 900,000 times needs ~29 GB. None of this is visible in
the zip directory, so this module streams each sheet's XML once (C-speed regular expressions
over 1 MiB chunks, no tree) and checks the measured sizes against scanner.limits before any
reader sees the file. Only cells holding a value count (real exports declare a dimension down to
row 1,048,576 and style empty cells below their data).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from scanner.errors import InputError
from scanner.limits import XLSX_SHARED_STRINGS, XLSX_SHEET_CELLS, XLSX_SHEET_ROWS, XLSX_TEXT_CHARS

CHUNK_BYTES = 1024 * 1024
SHARED_STRINGS_PART = "xl/sharedStrings.xml"
# A cell: <c ... r="BXX100000" ...> (attributes in any order, any namespace prefix).
_CELL_REF = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br\s*=\s*["\']([A-Za-z]{1,7})([0-9]{1,12})["\'][^>]*(?<!/)>')
# Cells without a reference take the next column; a row without r the next row: count them too.
_CELL_WITHOUT_REF = re.compile(rb'<(?:\w+:)?c(?:\s(?:(?!\br\s*=)[^>])*)?(?<!/)>')
_ROW_REF = re.compile(rb'<row\s[^>]*?\br\s*=\s*["\']([0-9]{1,12})["\']')
_ROW_WITHOUT_REF = re.compile(rb'<row(?:\s(?:(?!\br\s*=)[^>])*)?>')
# The shared-string index of a cell of type "s" (t="s" anywhere among its attributes).
_SHARED_CELL = re.compile(rb'<(?:\w+:)?c\s[^>]*?\bt\s*=\s*["\']s["\'][^>]*>'
                          rb'\s*(?:<f[^>]*/>|<f[^>]*>[^<]*</f>)?\s*<v>\s*([0-9]{1,12})\s*</v>')
_SST_OPEN = re.compile(rb"<(?:\w+:)?sst\b[^>]*>")
_COUNT_ATTR = re.compile(rb'\b(uniqueCount|count)\s*=\s*["\']\s*([0-9]{1,30})\s*["\']')
_SI = re.compile(rb"<(?:\w+:)?si\b.*?</(?:\w+:)?si>|<(?:\w+:)?si\s*/>", re.DOTALL)
_TAG = re.compile(rb"<[^>]*>")


@dataclass
class SheetSize:
    rows: int = 0  # highest row number holding a value
    columns: int = 0  # highest column number holding a value
    shared_chars: int = 0  # characters its shared-string cells expand to


def column_number(letters: bytes) -> int:
    number = 0
    for byte in letters.upper():
        number = number * 26 + (byte - 64)
    return number


def _chunks(handle: IO[bytes], boundary: bytes) -> Iterator[bytes]:
    """The part in chunks cut just before the last ``boundary`` (an element start), never inside one."""
    tail = b""
    while True:
        data = handle.read(CHUNK_BYTES)
        if not data:
            if tail:
                yield tail
            return
        buffer = tail + data
        cut = buffer.rfind(boundary)
        if cut <= 0:
            tail = buffer
            continue
        yield buffer[:cut]
        tail = buffer[cut:]


# Every pattern below lies within one cell (<c ...>...</c>) or one shared string (<si>...</si>).
_SHEET_BOUNDARY = b"<c"
_SST_BOUNDARY = b"<si"


def shared_string_lengths(archive: zipfile.ZipFile, origin: str) -> list[int]:
    """Length (upper bound: characters of markup-free XML text) of every shared string."""
    if SHARED_STRINGS_PART not in archive.namelist():
        return []
    limit = XLSX_SHARED_STRINGS.value()
    lengths: list[int] = []
    declared_checked = False
    with archive.open(SHARED_STRINGS_PART) as handle:
        for chunk in _chunks(handle, _SST_BOUNDARY):
            if not declared_checked:
                opening = _SST_OPEN.search(chunk)
                if opening:
                    declared_checked = True
                    for name, value in _COUNT_ATTR.findall(opening.group(0)):
                        if name == b"uniqueCount" and int(value) > limit:
                            raise XLSX_SHARED_STRINGS.refuse(
                                f"{origin}: {SHARED_STRINGS_PART} declares", int(value), limit)
            lengths.extend(len(_TAG.sub(b"", item)) for item in _SI.findall(chunk))
            if len(lengths) > limit:
                raise XLSX_SHARED_STRINGS.refuse(f"{origin}: {SHARED_STRINGS_PART} holds over", limit, limit)
    return lengths


# Fast forms, as Excel, openpyxl, RVTools and calamine's own writer spell them; a chunk with any
# other spelling (attribute order, quotes, prefixes, missing r=, a row number with leading zeros)
# is measured with the general ones.
_FAST_CELL = b'<c r="'
_FAST_CELL_ROW = re.compile(rb'<c r="[A-Z]{1,7}([1-9][0-9]{0,11})"')
_FAST_CELL_COLUMN = re.compile(rb'<c r="([A-Z]{1,7})')
_FAST_SHARED_CELL = re.compile(rb'<c r="[A-Z]{1,7}[0-9]{1,12}"(?: s="[0-9]{1,9}")? t="s"(?: s="[0-9]{1,9}")?>'
                               rb'<v>([0-9]{1,12})</v>')
# Worksheet elements other than cells whose names start with "c" (col, cols, conditionalFormatting,
# cfRule, cfvo, color..., customSheetView..., cellWatch...): none of them spans a cell.
_OTHER_C_ELEMENTS = (b"<co", b"<cf", b"<cu", b"<ce")
# An element named c under a namespace prefix (<x:c ...>): readers match the local name.
_PREFIXED_C = re.compile(rb":c[\s>/]")


def _measure_fast(chunk: bytes, size: SheetSize, lengths: list[int]) -> bool:
    """Measure ``chunk`` with the fast forms; False when it holds a cell they do not cover.

    A few C-speed counts prove that every cell is spelled the fast way (every ``<c`` opening is
    ``<c r="`` or another element, no prefixed ``c``), so the cells are exactly the matches of one
    regular expression; the largest row and column are taken over the distinct values only.
    Styled empty cells count here (an upper bound); a sheet over a limit is measured again exactly.
    """
    cells = chunk.count(_FAST_CELL)
    others = chunk.count(b"<c") - cells
    if others and others != sum(map(chunk.count, _OTHER_C_ELEMENTS)):
        return False
    if _PREFIXED_C.search(chunk):
        return False
    rows = _FAST_CELL_ROW.findall(chunk)
    if len(rows) != cells:
        return False
    shared = _FAST_SHARED_CELL.findall(chunk) if b't="s"' in chunk else []
    if len(shared) != chunk.count(b't="s"'):
        return False
    if rows:
        size.rows = max(size.rows, max(map(int, set(rows))))
        size.columns = max(size.columns, max(map(column_number, set(_FAST_CELL_COLUMN.findall(chunk)))))
    if shared:
        size.shared_chars += _expanded(shared, lengths)
    return True


def _expanded(indexes: list[bytes], lengths: list[int]) -> int:
    numbers = list(map(int, indexes))
    if max(numbers) < len(lengths):
        return sum(map(lengths.__getitem__, numbers))
    return sum(lengths[i] for i in numbers if i < len(lengths))  # a dangling index reads as empty


def measure_sheet(handle: IO[bytes], lengths: list[int], exact: bool = True) -> SheetSize:
    """Rows and columns spanned by the cells holding a value, and their shared-string expansion.

    ``exact=False`` is faster on the usual spelling but counts styled empty cells too.
    """
    size = SheetSize()
    numbered_row = 0
    unnumbered_rows = 0
    for chunk in _chunks(handle, _SHEET_BOUNDARY):
        if not exact and b"<row>" not in chunk and _measure_fast(chunk, size, lengths):
            continue
        refs = _CELL_REF.findall(chunk)
        if refs:
            size.rows = max(size.rows, max(map(int, (number for _letters, number in refs))))
            size.columns = max(size.columns, max(map(column_number, {letters for letters, _number in refs})))
        row_numbers = _ROW_REF.findall(chunk)
        if row_numbers:
            numbered_row = max(numbered_row, max(map(int, row_numbers)))
        # Rows and cells without a reference go after the previous ones: bound them by counting.
        unnumbered_rows += len(_ROW_WITHOUT_REF.findall(chunk))
        if _CELL_WITHOUT_REF.search(chunk):
            widest = max(len(_CELL_WITHOUT_REF.findall(part)) + len(_CELL_REF.findall(part))
                         for part in chunk.split(b"<row"))
            size.columns = max(size.columns, widest)
            size.rows = max(size.rows, numbered_row + unnumbered_rows)
        indexes = _SHARED_CELL.findall(chunk)
        if indexes:
            size.shared_chars += _expanded(indexes, lengths)
    if unnumbered_rows and size.columns:
        size.rows = max(size.rows, numbered_row + unnumbered_rows)
    return size


def sheet_parts(archive: zipfile.ZipFile) -> list[str]:
    return sorted(name for name in archive.namelist()
                  if name.startswith("xl/worksheets/") and name.endswith(".xml") and name.count("/") == 2)


def check_xlsx_sizes(path: Path) -> None:
    """Refuse a workbook whose sheets would make a reader allocate beyond the limits."""
    origin = str(path)
    max_cells, max_rows, max_text = XLSX_SHEET_CELLS.value(), XLSX_SHEET_ROWS.value(), XLSX_TEXT_CHARS.value()
    total_text = 0
    try:
        with zipfile.ZipFile(path) as archive:
            lengths = shared_string_lengths(archive, origin)
            for part in sheet_parts(archive):
                where = f"{origin}: {part}"
                with archive.open(part) as handle:
                    size = measure_sheet(handle, lengths, exact=False)
                if size.rows > max_rows or size.rows * size.columns > max_cells:
                    # Perhaps only styled empty cells reach that far (real exports pad): measure exactly.
                    with archive.open(part) as handle:
                        size = measure_sheet(handle, lengths, exact=True)
                if size.rows > max_rows:
                    raise XLSX_SHEET_ROWS.refuse(f"{where} has", size.rows, max_rows)
                cells = size.rows * size.columns
                if cells > max_cells:
                    raise XLSX_SHEET_CELLS.refuse(
                        f"{where} spans {size.rows:,} rows x {size.columns:,} columns =", cells, max_cells)
                total_text += size.shared_chars
                if total_text > max_text:
                    raise XLSX_TEXT_CHARS.refuse(f"{where}: shared-string cells expand to over", total_text,
                                                 max_text)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, NotImplementedError, zlib.error) as exc:
        raise InputError(f"{origin}: not an Excel .xlsx workbook (unreadable zip entry: {exc})") from None
    except OSError as exc:
        raise InputError(f"{origin}: cannot read: {exc.strerror or exc}") from None
