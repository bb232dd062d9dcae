"""No CSV cell vmscan writes becomes a formula, whichever separator the spreadsheet splits on.

Excel opens CSV with ',' in en-US, ';' in most European locales, and tab on paste; a VM name
'web01;=cmd|...' written unquoted became a formula cell under ';' (issue 18, item 4).
"""

from __future__ import annotations

import csv
import io

from scanner.anonymize import AnonymizationMap, _deanonymize_csv
from scanner.reporters.csv import write_csv
from scanner.synthetic import generate_estate
from scanner.textsafety import FORMULA_TRIGGERS
from tests.reports.factory import assess

HOSTILE_NAMES = [
    "web01;=cmd|' /C calc'!A0;x",
    "db01,=HYPERLINK(\"http://example.invalid\")",
    "app01\t@SUM(1)\tx",
    "a;+1;-2,@3\t=4",
    "x;\t=tab-then-formula",
    "plain-name",  # near miss: a hyphen inside a name, not after a separator
]


def cells_in_every_locale(text: str) -> dict[str, list[str]]:
    """The cells a spreadsheet would see: quote-aware per separator, and naive splitting."""
    seen: dict[str, list[str]] = {}
    for separator in (",", ";", "\t"):
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        seen[f"quoted {separator!r}"] = [cell for row in rows for cell in row]
        # A reader that ignores quotes: every separator starts a cell; strip the opening quote.
        seen[f"naive {separator!r}"] = [piece.lstrip('"') for line in text.splitlines()
                                        for piece in line.split(separator)]
    return seen


def assert_no_formula_cell(text: str) -> None:
    for how, cells in cells_in_every_locale(text).items():
        formulas = [cell for cell in cells if cell.startswith(FORMULA_TRIGGERS)]
        assert not formulas, (how, formulas[:5])


def test_report_csv_has_no_formula_cell_under_any_separator(tmp_path):
    estate = generate_estate(12, seed=3)
    vms = estate.all_vms()
    for vm, name in zip(vms, HOSTILE_NAMES, strict=False):
        vm.name = name
    write_csv(estate, assess(estate), tmp_path)
    text = (tmp_path / "vms.csv").read_text(encoding="utf-8-sig")
    assert_no_formula_cell(text)
    # Still readable: the names come back with the guard quote in front of each trigger only.
    names = [row[0] for row in csv.reader(io.StringIO(text, newline=""))][1:]
    assert "web01;'=cmd|' /C calc'!A0;x" in names
    assert "plain-name" in names  # unchanged
    assert "a;'+1;'-2,'@3\t'=4" in names


def test_unguarded_writer_would_fail_this_check():
    # The check itself can fail: the old output (csv.writer defaults, leading-character guard only).
    buffer = io.StringIO()
    csv.writer(buffer).writerow(["web01;=cmd|' /C calc'!A0;x", 1])
    try:
        assert_no_formula_cell(buffer.getvalue())
    except AssertionError as exc:
        assert "quoted ';'" in str(exc)
    else:
        raise AssertionError("the check accepted a formula cell")


def test_deanonymized_csv_quotes_and_guards_restored_names():
    mapping = AnonymizationMap.new()
    pseudonyms = [mapping.name("vm", name) for name in HOSTILE_NAMES]
    text = "\ufeff" + "VM,CPUs\r\n" + "".join(f"{p},2\r\n" for p in pseudonyms)
    restored, count = _deanonymize_csv(text, mapping)
    assert count == len(HOSTILE_NAMES)
    assert_no_formula_cell(restored.lstrip("\ufeff"))
    rows = list(csv.reader(io.StringIO(restored.lstrip("\ufeff"), newline="")))
    assert rows[1] == ["web01;'=cmd|' /C calc'!A0;x", "2"]
    assert rows[-1] == ["plain-name", "2"]
