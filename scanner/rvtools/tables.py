"""Read the tabs of an RVTools export (xlsx workbook or folder of CSV files) into plain tables.

Nothing here knows what a column means; it only turns a file into ``Table`` rows safely:
- the declared sheet dimension is never trusted (real exports declare ~1,048,575 rows); a sheet
  ends after a run of ``EMPTY_RUN_ENDS_SHEET`` empty rows, isolated empty rows are skipped;
- the zip directory is checked before a workbook is opened (no zip bombs, no .docx renamed .xlsx);
- wide sheets, oversized cells and unreadable files become an ``InputError`` naming file and sheet.

xlsx reading uses python-calamine (Rust) when it is installed — about 10x faster than openpyxl on
large exports (docs/benchmarks.md) — and openpyxl read-only mode otherwise; both give the same
values after ``_clean_row`` (tests compare them). ``VMSCAN_XLSX_READER=openpyxl`` forces openpyxl.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.errors import InputError, is_rust_panic
from scanner.limits import CSV_ROWS, MAX_VMS, not_a_regular_file
from scanner.rvtools.columns import SHEET_NAMES
from scanner.rvtools.guard import check_xlsx_sizes

# A sheet ends at the first run of this many empty rows (RVTools never leaves gaps; a stray blank
# line is tolerated, a padded million-row dimension is not walked).
EMPTY_RUN_ENDS_SHEET = 16
# RVTools tabs have up to ~100 columns plus one per custom attribute.
MAX_COLUMNS = 2048
# Excel's own cell limit; a longer cell was not written by RVTools or Excel.
MAX_CELL_CHARS = 32767
# A 100,000-VM export unpacks to well under 2 GiB of sheet XML.
MAX_UNCOMPRESSED_BYTES = 4 * 1024**3
# Anything compressing better than this on a large entry is a decompression bomb, not a sheet.
MAX_COMPRESSION_RATIO = 250
MAX_CSV_BYTES = 2 * 1024**3
HEADER_SEARCH_ROWS = 10

_TAB_LOOKUP = {name.casefold(): name for name in SHEET_NAMES}


@dataclass
class Table:
    sheet: str  # canonical tab name, e.g. "vInfo"
    origin: str  # the file the rows came from
    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    # 1-based row number in the file of each row, for error messages
    row_numbers: list[int] = field(default_factory=list)


@dataclass
class Export:
    path: str
    format: str  # xlsx | csv
    tables: dict[str, Table]


def read_export(path: Path) -> Export:
    if path.is_dir():
        return Export(str(path), "csv", read_csv_folder(path))
    return Export(str(path), "xlsx", read_xlsx(path))


# ---------------------------------------------------------------- shared row handling


def _clean_row(values: Any, width: int, strings: dict[str, str]) -> list[Any] | None:
    """The row cut or padded to the header width; None when every cell is empty.

    Equal texts become one object (``strings`` maps each text to its first copy, across the sheets
    of one export): names, versions and vCenter columns repeat on every row, and the readers give
    each cell its own copy - the 20,000-VM workbook held 1.8 million text cells, 250,000 of them
    distinct, 110 MiB vs 17 MiB.
    Cells are not inspected one by one otherwise (that dominated import time); empty strings and
    oversized cells are dealt with when the reader reads a cell.
    """
    shared = strings.setdefault
    row = [shared(value, value) if value.__class__ is str else value for value in values[:width]]
    if not any(row):
        # any() is false for 0, False and "" too: look closer only then.
        if all(value is None or value == "" for value in row):
            return None
    if len(row) < width:
        row.extend([None] * (width - len(row)))
    return row


def collect_table(rows: Iterator[Any], sheet: str, origin: str, strings: dict[str, str] | None = None) -> Table:
    """Find the header row, then read rows until the data ends.

    ``strings``: the texts seen so far, shared by every sheet of one export (each VM tab repeats the
    VM's name, VM ID and UUID on every row); a new one per sheet when None.
    """
    headers: list[str] | None = None
    number = 0
    for raw in rows:
        number += 1
        values = list(raw)
        while values and (values[-1] is None or values[-1] == ""):
            values.pop()
        if values:
            if len(values) > MAX_COLUMNS:
                raise InputError(
                    f"{origin}: sheet {sheet} has {len(values)} columns (limit {MAX_COLUMNS}); not an RVTools export"
                )
            headers = ["" if v is None else str(v).strip() for v in values]
            if any(len(h) > MAX_CELL_CHARS for h in headers):
                raise InputError(f"{origin}: sheet {sheet}: header cell longer than {MAX_CELL_CHARS} characters")
            break
        if number >= HEADER_SEARCH_ROWS:
            break
    if headers is None:
        return Table(sheet, origin, [])
    table = Table(sheet, origin, headers)
    width = len(headers)
    empty_run = 0
    max_vms = MAX_VMS.value() if sheet == "vInfo" else None
    if strings is None:
        strings = {}
    for raw in rows:
        number += 1
        row = _clean_row(raw, width, strings)
        if row is None:
            empty_run += 1
            if empty_run >= EMPTY_RUN_ENDS_SHEET:
                break
            continue
        empty_run = 0
        if max_vms is not None and len(table.rows) >= max_vms:
            raise MAX_VMS.refuse(f"{origin}: sheet vInfo lists over", max_vms, max_vms)
        table.rows.append(row)
        table.row_numbers.append(number)
    return table


# ---------------------------------------------------------------- xlsx


OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _not_a_zip_hint(path: Path) -> str:
    """What a file named .xlsx that is no zip most likely is, from its first bytes ("" if unclear)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4096)
    except OSError:
        return ""
    if head.startswith(OLE2_MAGIC):
        # Excel stores a password-protected (encrypted) .xlsx in an OLE2 container, like an old .xls.
        return ("; it is an OLE2 file: a password-protected .xlsx or an old-format .xls (save it from Excel "
                "as an unprotected .xlsx)")
    text = ""
    for bom, encoding in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"), (b"", "utf-8")):
        if head.startswith(bom):
            text = head[len(bom):].decode(encoding, "ignore")
            break
    if text and "\0" not in text and "\n" in text and any(sep in text.split("\n", 1)[0] for sep in ",;\t"):
        return "; it looks like CSV text: put the RVTools CSV files in one folder and give that folder"
    return ""


def check_xlsx_container(path: Path) -> None:
    """Refuse non-workbooks and decompression bombs before any parser sees the file."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise InputError(
            f"{path}: not an Excel .xlsx workbook (not a readable zip archive: {exc}){_not_a_zip_hint(path)}"
        ) from None
    names = {info.filename for info in infos}
    if "xl/workbook.xml" not in names:
        hint = " (it looks like a Word document)" if "word/document.xml" in names else ""
        raise InputError(f"{path}: not an Excel .xlsx workbook: no xl/workbook.xml inside{hint}")
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 64 * 1024**2 and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
            raise InputError(
                f"{path}: {info.filename} would expand {info.file_size // max(info.compress_size, 1)}x "
                f"to {info.file_size} bytes; refusing a likely decompression bomb"
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError(
            f"{path}: workbook expands to {total} bytes (limit {MAX_UNCOMPRESSED_BYTES}); refusing"
        )


def xlsx_engine() -> str:
    forced = os.environ.get("VMSCAN_XLSX_READER", "").strip().lower()
    if forced in ("openpyxl", "calamine"):
        return forced
    try:
        import python_calamine  # noqa: F401
    except ImportError:
        return "openpyxl"
    return "calamine"


def read_xlsx(path: Path, engine: str | None = None) -> dict[str, Table]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    check_xlsx_container(path)
    # Declared and actual sheet sizes, shared strings and their expansion (scanner/rvtools/guard.py).
    check_xlsx_sizes(path)
    chosen = engine or xlsx_engine()
    if chosen == "calamine":
        return _read_xlsx_calamine(path)
    return _read_xlsx_openpyxl(path)


# What Rust's f64 parser (calamine) takes as a number: ASCII digits, an optional sign, point and
# exponent, and inf / infinity / nan in any case. Anything else in a numeric cell calamine keeps as text.
_CALAMINE_NUMBER = re.compile(r"[+-]?(?:inf|infinity|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)",
                              re.IGNORECASE | re.ASCII)


@contextlib.contextmanager
def _numbers_read_as_calamine_reads_them() -> Iterator[None]:
    """While openpyxl parses sheets, read a numeric cell's raw text as calamine does.

    openpyxl casts it with int()/float() and lets the error end the whole sheet: a raw ``NaN`` or
    ``INF`` (which calamine reads as a float, then left unknown with a collection issue) stopped the
    run with exit 2. Text that is no number stays text, as in calamine; a date-formatted cell whose
    value is no number becomes openpyxl's own unreadable-date error cell instead of a TypeError.
    """
    from openpyxl.worksheet import _reader

    cast, to_date = _reader._cast_number, _reader.from_excel

    def cast_like_calamine(value: str) -> Any:
        if _CALAMINE_NUMBER.fullmatch(value) is None:
            return value
        try:
            number = cast(value)
        except ValueError:  # nan, inf, infinity: int() refuses them
            return float(value)
        if number.__class__ is int and not -(2**63) <= number < 2**63:
            return float(value)  # calamine: past 64 bits a float (400 digits: inf), never a huge int
        return number

    def date_of_a_number(value: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            raise ValueError(f"not a date serial: {value!r}")  # openpyxl makes it an error cell
        return to_date(value, *args, **kwargs)

    _reader._cast_number, _reader.from_excel = cast_like_calamine, date_of_a_number
    try:
        yield
    finally:
        _reader._cast_number, _reader.from_excel = cast, to_date


def _read_xlsx_openpyxl(path: Path) -> dict[str, Table]:
    # openpyxl warns (several lines on stderr) about each cell it reads as unreadable; the reader
    # reports those cells itself, as a collection issue per sheet and column.
    with _numbers_read_as_calamine_reads_them(), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return _read_xlsx_openpyxl_cells(path)


def _read_xlsx_openpyxl_cells(path: Path) -> dict[str, Table]:
    import openpyxl

    origin = str(path)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types (KeyError, ValueError, lxml errors...)
        raise InputError(f"{origin}: cannot open workbook: {exc.__class__.__name__}: {exc}") from None
    tables: dict[str, Table] = {}
    strings: dict[str, str] = {}
    try:
        for title in workbook.sheetnames:
            sheet = _TAB_LOOKUP.get(title.strip().casefold())
            if sheet is None or sheet in tables:
                continue
            worksheet = workbook[title]
            if not hasattr(worksheet, "reset_dimensions"):
                continue  # a chartsheet named like a tab
            # The stored dimension is padded in real exports; forget it so rows are not padded to it.
            worksheet.reset_dimensions()
            try:
                tables[sheet] = collect_table(worksheet.iter_rows(values_only=True), sheet, origin, strings)
            except InputError:
                raise
            except Exception as exc:
                raise InputError(
                    f"{origin}: sheet {title} is unreadable: {exc.__class__.__name__}: {exc}"
                ) from None
    finally:
        workbook.close()
    return tables


@contextlib.contextmanager
def _stderr_held_back(held: list[bytes]) -> Iterator[None]:
    """Point file descriptor 2 at a temporary file; what was written there is left in ``held``.

    Rust's panic hook writes "thread '<unnamed>' panicked at ..." (and a backtrace when
    RUST_BACKTRACE is set) straight to file descriptor 2, before Python sees the exception.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with tempfile.TemporaryFile() as capture:
            os.dup2(capture.fileno(), 2)
            try:
                yield
            finally:
                sys.stderr.flush()
                os.dup2(saved, 2)
                capture.seek(0)
                held.append(capture.read())
    finally:
        os.close(saved)


def _read_xlsx_calamine(path: Path) -> dict[str, Table]:
    held: list[bytes] = []
    try:
        with _stderr_held_back(held):
            return _read_xlsx_calamine_unguarded(path)
    except BaseException as exc:
        if not is_rust_panic(exc):
            raise
        held.clear()  # only the panic's own report: the cell is read again below
    finally:
        if held and held[0]:
            os.write(2, held[0])
    # calamine panics on some cells it cannot convert (a date cell holding -1e20 overflows its
    # TimeDelta); openpyxl reads the same cell as unreadable, so that value is left unknown with a
    # collection issue, as every other unparsable cell is.
    return _read_xlsx_openpyxl(path)


def _read_xlsx_calamine_unguarded(path: Path) -> dict[str, Table]:
    from python_calamine import CalamineWorkbook

    origin = str(path)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error classes for every malformed part
        raise InputError(f"{origin}: cannot open workbook: {exc.__class__.__name__}: {exc}") from None
    tables: dict[str, Table] = {}
    strings: dict[str, str] = {}
    try:
        for title in workbook.sheet_names:
            sheet = _TAB_LOOKUP.get(title.strip().casefold())
            if sheet is None or sheet in tables:
                continue
            try:
                rows = workbook.get_sheet_by_name(title).iter_rows()
                tables[sheet] = collect_table(rows, sheet, origin, strings)
            except InputError:
                raise
            except Exception as exc:
                raise InputError(
                    f"{origin}: sheet {title} is unreadable: {exc.__class__.__name__}: {exc}"
                ) from None
    finally:
        close = getattr(workbook, "close", None)
        if close is not None:
            close()
    return tables


# ---------------------------------------------------------------- CSV folder


def csv_tab_name(file_name: str) -> str | None:
    """``vInfo.csv``, ``RVTools_tabvInfo.csv``, ``export_vInfo.csv`` -> ``vInfo``; others -> None."""
    stem = file_name[:-4] if file_name.lower().endswith(".csv") else None
    if stem is None:
        return None
    lowered = stem.casefold()
    for key, name in _TAB_LOOKUP.items():
        # "tab" prefix or a separator must precede the tab name, so dvPort is not read as vPort.
        if re.search(rf"(?:^|[^a-z0-9]|tab){re.escape(key)}$", lowered):
            return name
    return None


def decode_csv(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252 (localized RVTools)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def sniff_separator(text: str) -> str:
    first_line = text.split("\n", 1)[0]
    # Headers are plain words; count separators outside quotes.
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {sep: unquoted.count(sep) for sep in (";", ",", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","


def read_csv_file(path: Path, sheet: str, strings: dict[str, str] | None = None) -> Table:
    origin = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_CSV_BYTES:
            raise InputError(f"{origin}: {size} bytes is larger than the {MAX_CSV_BYTES}-byte limit for one CSV tab")
        data = path.read_bytes()
    except PermissionError:
        raise InputError(f"{origin}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{origin}: cannot read: {exc.strerror or exc}") from None
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(f"{origin}: binary data, not an RVTools CSV file")
    text = decode_csv(data)
    # Rows are held as lists of cells: bound them before parsing (a 1,000,000-row vInfo needed 16 GB).
    max_rows = CSV_ROWS.value()
    if text.count("\n") > max_rows + HEADER_SEARCH_ROWS:
        raise CSV_ROWS.refuse(f"{origin}: over", max_rows, max_rows)
    separator = sniff_separator(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
    try:
        return collect_table(reader, sheet, origin, strings)
    except csv.Error as exc:
        raise InputError(f"{origin}: malformed CSV near line {reader.line_num}: {exc}") from None


def read_csv_folder(folder: Path) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    strings: dict[str, str] = {}
    try:
        entries = sorted(folder.iterdir())
    except OSError as exc:
        raise InputError(f"{folder}: cannot list folder: {exc.strerror or exc}") from None
    for entry in entries:
        sheet = csv_tab_name(entry.name)
        if sheet is None or entry.is_dir() or not entry.exists():  # a folder or a broken link: not a tab
            continue
        if not entry.is_file():
            # A FIFO is never opened (it would wait for good) and a device never read; said, rather than
            # "no vInfo CSV file" when the tab is there.
            raise not_a_regular_file(entry, f"the RVTools CSV file of tab {sheet}")
        if sheet in tables:
            raise InputError(
                f"{folder}: two CSV files for tab {sheet} ({Path(tables[sheet].origin).name} and {entry.name}); "
                "put one RVTools export per folder"
            )
        tables[sheet] = read_csv_file(entry, sheet, strings)
    return tables
