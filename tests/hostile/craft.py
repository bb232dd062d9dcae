"""Crafted hostile inputs (a few KB each), built in the tests rather than stored."""

from __future__ import annotations

import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="vInfo" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def raw_xlsx(path: Path, sheet_data: str, shared: list[str] | None = None, dimension: str = "A1:C2",
             shared_counts: tuple[str, str] | None = None) -> Path:
    """A minimal vInfo workbook whose sheet XML and shared strings are given verbatim."""
    strings = shared or []
    count, unique = shared_counts or (str(len(strings)), str(len(strings)))
    shared_xml = (f'<?xml version="1.0" encoding="UTF-8"?><sst {_NS} count="{count}" uniqueCount="{unique}">'
                  + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings) + "</sst>")
    sheet = (f'<?xml version="1.0" encoding="UTF-8"?><worksheet {_NS}><dimension ref="{dimension}"/>'
             f"<sheetData>{sheet_data}</sheetData></worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
        archive.writestr("xl/sharedStrings.xml", shared_xml)
    return path


HEADER_ROW = '<row r="1">' + inline("A1", "VM") + inline("B1", "CPUs") + inline("C1", "Memory") + "</row>"


def vm_row(number: int, name: str, cpus: str = "2", memory: str = "4096") -> str:
    return (f'<row r="{number}">' + inline(f"A{number}", name) + f'<c r="B{number}"><v>{cpus}</v></c>'
            f'<c r="C{number}"><v>{memory}</v></c></row>')


def far_cell_xlsx(path: Path, ref: str = "XFD1048576") -> Path:
    """One VM row plus a single cell far away: the bounding box is what some readers allocate."""
    row = int("".join(c for c in ref if c.isdigit()))
    return raw_xlsx(path, HEADER_ROW + vm_row(2, "web01") + f'<row r="{row}"><c r="{ref}"><v>1</v></c></row>',
                    dimension=f"A1:{ref}")


def huge_shared_count_xlsx(path: Path) -> Path:
    """A shared-string table that declares 4,294,967,295 entries and holds one."""
    return raw_xlsx(path, HEADER_ROW + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>', shared=["web01"],
                    shared_counts=("4294967295", "4294967295"))


def _column_name(index: int) -> str:
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def shared_string_amplification_xlsx(path: Path, rows: int = 60_000, columns: int = 15) -> Path:
    """One 32,767-character shared string referenced by rows x columns cells (~1.7 MB zipped)."""
    heads = "".join(inline(f"{_column_name(i)}1", "VM" if i == 0 else f"Col{i}") for i in range(columns))
    body = [f'<row r="1">{heads}</row>']
    for number in range(2, rows + 2):
        cells = "".join(f'<c r="{_column_name(i)}{number}" t="s"><v>0</v></c>' for i in range(columns))
        body.append(f'<row r="{number}">{cells}</row>')
    return raw_xlsx(path, "".join(body), shared=["x" * 32_767], dimension=f"A1:{_column_name(columns - 1)}{rows + 1}")


def vcenter_name_xlsx(path: Path, vcenter: str) -> Path:
    """One VM whose 'VI SDK Server' cell holds ``vcenter`` as written in the sheet XML."""
    head = ('<row r="1">' + inline("A1", "VM") + inline("B1", "CPUs") + inline("C1", "Memory")
            + inline("D1", "VI SDK Server") + "</row>")
    row = ('<row r="2">' + inline("A2", "web01") + '<c r="B2"><v>2</v></c><c r="C2"><v>4096</v></c>'
           + f'<c r="D2" t="inlineStr"><is><t>{vcenter}</t></is></c></row>')
    return raw_xlsx(path, head + row, dimension="A1:D2")


def long_number_xlsx(path: Path, digits: int = 400) -> Path:
    """CPUs and Memory written as text of ``digits`` nines (as a CSV-converted export would)."""
    row = '<row r="2">' + inline("A2", "web01") + inline("B2", "9" * digits) + inline("C2", "9" * digits) + "</row>"
    return raw_xlsx(path, HEADER_ROW + row)


def with_raw_numbers(source: Path, target: Path, cells: dict[tuple[str, str, int], str]) -> Path:
    """Copy a workbook written by openpyxl with raw ``<v>`` texts put into numeric cells.

    ``cells`` maps (sheet, header, row) to the raw text, such as ``NaN`` or ``INF``: what a non-Excel
    writer may leave in a cell, which no spreadsheet API writes.
    """
    import re

    import openpyxl

    book = openpyxl.load_workbook(source, read_only=True)
    edits: dict[str, dict[str, str]] = {}
    for (sheet, header, row), raw in cells.items():
        headers = [cell.value for cell in next(book[sheet].iter_rows(max_row=1))]
        letter = _column_name(headers.index(header))
        part = f"xl/worksheets/sheet{book.sheetnames.index(sheet) + 1}.xml"
        edits.setdefault(part, {})[f"{letter}{row}"] = raw
    book.close()
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            data = original.read(info)
            for ref, raw in edits.get(info.filename, {}).items():
                text = data.decode()
                cell = re.search(rf'<c r="{ref}"([^>]*?)(?:/>|>.*?</c>)', text)
                assert cell is not None, ref
                attributes = re.sub(r'\s+t="[^"]*"', "", cell.group(1))  # a number cell: no type
                data = (text[:cell.start()] + f'<c r="{ref}"{attributes}><v>{escape(raw)}</v></c>'
                        + text[cell.end():]).encode()
            copy.writestr(info, data)
    return target
