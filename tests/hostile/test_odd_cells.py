"""Odd cell values in an RVTools workbook, as real processes: a value is left unknown or the run is
refused in one line, never a traceback (docs/hardening.md, "Bad input")."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

from scanner.rvtools.writer import write_rvtools
from scanner.synthetic import generate_estate
from tests.hostile.runner import run_capped


def small_export(path: Path) -> Path:
    write_rvtools(generate_estate(6, seed=1), path)
    return path


def set_cell(path: Path, sheet: str, header: str, value: object, row: int = 2) -> None:
    book = openpyxl.load_workbook(path)
    worksheet = book[sheet]
    column = [cell.value for cell in worksheet[1]].index(header) + 1
    worksheet.cell(row=row, column=column).value = value
    book.save(path)


def test_out_of_range_number_in_a_date_cell_is_an_unknown_value(tmp_path):
    # PowerOn is a date-formatted column; -1e20 days overflows the Rust reader's TimeDelta, which
    # panicked (pyo3 PanicException, a BaseException): a 160-line traceback and exit 1.
    export = small_export(tmp_path / "dates.xlsx")
    set_cell(export, "vInfo", "PowerOn", -10**20)
    # RUST_BACKTRACE=1 made the panic print ~60 lines of backtrace to stderr on top.
    listed = run_capped(["inventory", "dates.xlsx"], cwd=tmp_path, env={"RUST_BACKTRACE": "1"})
    assert listed.exit_code == 0, listed.stderr
    assert listed.stderr == ""
    assert "unreadable cell(s) in sheet vInfo column 'PowerOn' (first at row 2" in listed.stdout
    assessed = run_capped(["analyze", "--as-of", "2026-11-25", "dates.xlsx", "-o", "a.json"], cwd=tmp_path)
    assert assessed.exit_code == 0, assessed.stderr
    assert "Traceback" not in assessed.stderr and "panicked" not in assessed.stderr
    assert len(json.loads((tmp_path / "a.json").read_text())["vms"]) == 6


class PanicException(BaseException):
    """Named like pyo3's, which derives from BaseException (not Exception)."""


def test_a_panic_anywhere_else_is_one_internal_error_line(monkeypatch, tmp_path):
    from click.testing import CliRunner

    import scanner.inputs
    from scanner.cli import main

    def panic(paths):
        raise PanicException("index out of bounds")

    monkeypatch.delenv("VMSCAN_DEBUG", raising=False)
    monkeypatch.setattr(scanner.inputs, "load_inputs", panic)
    result = CliRunner().invoke(main, ["inventory", str(small_export(tmp_path / "x.xlsx"))])
    assert result.exit_code == 3
    assert result.output.strip() == ("vmscan: internal error: PanicException: index out of bounds "
                                     "(set VMSCAN_DEBUG=1 for a traceback)")


RAW_NON_FINITE = {
    ("vInfo", "CPUs", 2): "NaN",
    ("vInfo", "Memory", 3): "INF",
    ("vInfo", "Provisioned MiB", 4): "-Infinity",
    ("vDisk", "Capacity MiB", 2): "nan",
    ("vHost", "# Cores", 2): "inf",
    ("vInfo", "HW version", 5): "abc",  # text in a number cell: calamine keeps it as text
    ("vInfo", "Total disk capacity MiB", 6): "1_000",  # Python would read 1000, calamine (Rust) does not
    ("vHost", "# Memory", 3): "9" * 400,  # openpyxl made it an int too large for a float: exit 3
}


def _run(engine: str, args: list[str], monkeypatch) -> str:
    from click.testing import CliRunner

    from scanner.cli import main

    monkeypatch.setenv("VMSCAN_XLSX_READER", engine)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_openpyxl_fallback_reads_raw_nan_and_inf_as_calamine_does(tmp_path, monkeypatch):
    # openpyxl cast a numeric cell's raw text with int(): "NaN" stopped the whole sheet ("sheet vInfo
    # is unreadable: ValueError: invalid literal for int()", exit 2) where calamine left the cell unknown.
    from tests.hostile.craft import with_raw_numbers

    workbook = with_raw_numbers(small_export(tmp_path / "base.xlsx"), tmp_path / "odd.xlsx", RAW_NON_FINITE)
    assessments = {}
    for engine in ("calamine", "openpyxl"):
        output = tmp_path / f"{engine}.json"
        _run(engine, ["analyze", "--as-of", "2026-11-25", str(workbook), "-o", str(output)], monkeypatch)
        assessments[engine] = json.loads(output.read_text())
        assessments[engine].pop("generated_at")
    assert assessments["openpyxl"] == assessments["calamine"]
    listed = {engine: _run(engine, ["inventory", str(workbook)], monkeypatch) for engine in ("calamine", "openpyxl")}
    assert listed["openpyxl"] == listed["calamine"]
    for (sheet, header, row), raw in RAW_NON_FINITE.items():
        if raw == "1_000":
            continue  # the same reading of it is what matters
        assert f"unreadable cell(s) in sheet {sheet} column '{header}' (first at row {row}" in listed["openpyxl"]


def test_the_openpyxl_fallback_leaves_a_date_cell_of_text_unknown(tmp_path):
    # A date-formatted cell holding text went on to openpyxl's date conversion: TypeError, sheet unreadable.
    from scanner.rvtools.tables import _read_xlsx_openpyxl
    from tests.hostile.craft import with_raw_numbers

    workbook = with_raw_numbers(small_export(tmp_path / "base.xlsx"), tmp_path / "odd.xlsx",
                                {("vInfo", "PowerOn", 2): "abc", ("vInfo", "PowerOn", 3): "NaN"})
    table = _read_xlsx_openpyxl(workbook)["vInfo"]
    column = table.headers.index("PowerOn")
    assert [table.rows[0][column], table.rows[1][column]] == ["#VALUE!", "#VALUE!"]  # openpyxl's error cell


def test_a_date_cell_of_nan_or_zero_is_unknown_not_excels_day_zero(tmp_path, monkeypatch):
    # calamine read a raw NaN in a date cell as 1899-12-30 and openpyxl read 0 so: a power-on date
    # found where the cell held none (three outcomes: it is unknown, with a collection issue).
    from scanner.rvtools.reader import read_rvtools
    from tests.hostile.craft import with_raw_numbers

    base = small_export(tmp_path / "base.xlsx")
    dated = {vm.name: vm.boot_time for vm in read_rvtools(base).all_vms()}
    workbook = with_raw_numbers(base, tmp_path / "odd.xlsx", {("vInfo", "PowerOn", 2): "NaN",
                                                              ("vInfo", "PowerOn", 3): "0"})
    for engine in ("calamine", "openpyxl"):
        monkeypatch.setenv("VMSCAN_XLSX_READER", engine)
        estate = read_rvtools(workbook)
        read = {vm.name: vm.boot_time for vm in estate.all_vms()}
        changed = {name for name in read if read[name] != dated[name]}
        assert len(changed) == 2, engine
        assert all(read[name] is None for name in changed), engine
        assert any("2 unreadable cell(s) in sheet vInfo column 'PowerOn' (first at row 2" in issue.message
                   for issue in estate.collection_issues), engine
