"""The xlsx size guard: measured sizes of the real export, and the limits' environment overrides."""

from __future__ import annotations

import zipfile

import pytest

from scanner.errors import InputError
from scanner.rvtools.guard import check_xlsx_sizes, column_number, measure_sheet, shared_string_lengths
from scanner.rvtools.reader import read_rvtools
from tests.hostile import craft
from tests.unit.rvtools_helpers import kubev2v_path


def test_column_numbers():
    assert [column_number(c) for c in (b"A", b"Z", b"AA", b"BXX", b"XFD")] == [1, 26, 27, 2000, 16384]


def test_real_export_measures_its_used_area_not_its_padded_dimension():
    # The kubev2v export declares A1:CL1048576 on vInfo; its values fill 10 rows x 79 columns
    # (openpyxl agrees, below).
    with zipfile.ZipFile(kubev2v_path()) as archive:
        lengths = shared_string_lengths(archive, "kubev2v")
        with archive.open("xl/worksheets/sheet1.xml") as handle:
            size = measure_sheet(handle, lengths)
    assert (size.rows, size.columns) == (10, 79)
    import openpyxl

    sheet = openpyxl.load_workbook(kubev2v_path(), read_only=True)["vInfo"]
    sheet.reset_dimensions()
    filled = [(cell.row, cell.column) for row in sheet.iter_rows() for cell in row
              if getattr(cell, "value", None) not in (None, "")]
    assert (max(r for r, _ in filled), max(c for _, c in filled)) == (10, 79)
    assert len(lengths) == 297  # the file's own uniqueCount
    check_xlsx_sizes(kubev2v_path())


def test_each_limit_can_be_lowered_and_names_its_variable(monkeypatch):
    for variable, value in (("VMSCAN_XLSX_MAX_TEXT_CHARS", "1000"), ("VMSCAN_XLSX_MAX_ROWS", "5"),
                            ("VMSCAN_XLSX_MAX_CELLS", "100"), ("VMSCAN_XLSX_MAX_SHARED_STRINGS", "10")):
        monkeypatch.setenv(variable, value)
        with pytest.raises(InputError, match=variable):
            read_rvtools(kubev2v_path())
        monkeypatch.delenv(variable)
    monkeypatch.setenv("VMSCAN_XLSX_MAX_ROWS", "lots")
    with pytest.raises(InputError, match="VMSCAN_XLSX_MAX_ROWS='lots': expected a positive whole number"):
        read_rvtools(kubev2v_path())


def test_raised_limit_lets_a_far_cell_through(tmp_path, monkeypatch):
    path = craft.far_cell_xlsx(tmp_path / "far.xlsx", "Z5000")
    monkeypatch.setenv("VMSCAN_XLSX_MAX_CELLS", "100")
    with pytest.raises(InputError, match="5,000 rows x 26 columns"):
        read_rvtools(path)
    monkeypatch.setenv("VMSCAN_XLSX_MAX_CELLS", "1000000")
    estate = read_rvtools(path)
    assert [vm.name for vm in estate.all_vms()] == ["web01"]


def test_cells_without_references_are_counted(tmp_path):
    # Rows and cells may omit r=; readers then place them one after another.
    row = "<row>" + "<c><v>1</v></c>" * 3000 + "</row>"
    path = craft.raw_xlsx(tmp_path / "noref.xlsx", craft.HEADER_ROW + row * 3)
    with zipfile.ZipFile(path) as archive, archive.open("xl/worksheets/sheet1.xml") as handle:
        size = measure_sheet(handle, [])
    assert size.columns == 3000 and size.rows == 4


def test_attribute_order_does_not_hide_a_far_cell(tmp_path):
    path = craft.raw_xlsx(tmp_path / "order.xlsx", craft.HEADER_ROW +
                          '<row r="900000"><c s="0" t="n" r="XFD900000"><v>1</v></c></row>')
    with pytest.raises(InputError, match="VMSCAN_XLSX_MAX_CELLS"):
        check_xlsx_sizes(path)


@pytest.mark.parametrize("cells", [
    # A longer spelling of a small row number must not hide the far cell before it.
    '<c r="XFD900000"><v>1</v></c><c r="A000000000002"><v>1</v></c><c r="B2"><v>1</v></c>',
    # A prefixed cell whose name is followed by a tab, not a space.
    '<x:c\tr="XFD900000"><x:v>1</x:v></x:c>',
    # ... or by a newline, in an otherwise plain sheet.
    '<c r="A2"><v>1</v></c><x:c\nr="XFD900000"><x:v>1</x:v></x:c>',
])
def test_unusual_spellings_do_not_hide_a_far_cell(tmp_path, cells):
    path = craft.raw_xlsx(tmp_path / "spelling.xlsx", craft.HEADER_ROW + f'<row r="2">{cells}</row>')
    with pytest.raises(InputError, match="VMSCAN_XLSX_MAX_CELLS"):
        check_xlsx_sizes(path)
