"""Random cell contents never make the reader fail with anything but InputError."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.errors import InputError
from scanner.rvtools.reader import read_rvtools
from scanner.rvtools.tables import read_csv_folder
from scanner.serde import to_plain
from tests.badinput.invariants import non_finite_numbers
from tests.unit.rvtools_helpers import variant_sheets, write_csv_folder, write_workbook

# openpyxl refuses control characters in cells, so keep text to printable characters.
cell_text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)
cells = st.one_of(
    st.none(), cell_text, st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.sampled_from(["True", "False", "vmx-19", "poweredOn", "1,5", "1.234.567", "-1", "NaN", "inf", "=1+1"]),
)
TEMPLATE = variant_sheets("4.7")


def mutate(data, sheet_names):
    sheets = {name: [list(row) for row in TEMPLATE[name]] for name in sheet_names}
    for rows in sheets.values():
        for row in rows[1:]:
            for index in range(len(row)):
                row[index] = data.draw(cells)
    return sheets


# tmp_path is shared by a test's examples; each example works in a fresh folder below it.
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_random_cells_in_xlsx(tmp_path, data):
    sheets = mutate(data, ["vInfo", "vCPU", "vMemory", "vDisk", "vNetwork", "vSnapshot", "vHost", "vDatastore"])
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = write_workbook(Path(folder) / "random.xlsx", sheets)
        try:
            estate = read_rvtools(path)
        except InputError as exc:
            assert "\n" not in str(exc)
            return
        # The template has two vInfo rows; a row whose VM name came out blank is skipped.
        named = [row for row in sheets["vInfo"][1:] if str(row[0] if row[0] is not None else "").strip()]
        assert len(estate.all_vms()) <= len(named) <= 2
        assert non_finite_numbers(to_plain(estate)) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), raw=st.binary(max_size=400))
def test_random_csv_bytes(tmp_path, data, raw):
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        root = write_csv_folder(Path(folder) / "csv", mutate(data, ["vInfo", "vDisk"]), encoding="utf-8")
        (root / "RVTools_tabvCPU.csv").write_bytes(raw)
        try:
            read_csv_folder(root)
            estate = read_rvtools(root)
        except InputError as exc:
            assert "\n" not in str(exc)
            return
        assert len(estate.all_vms()) <= 2
        assert non_finite_numbers(to_plain(estate)) == []
