"""Property tests: whatever the bytes, the loaders return an Estate or raise InputError — nothing else.

An accepted input must also give a sound estate (tests/badinput/invariants.py): no NaN, unique VM
ids, totals that add up, a snapshot that saves and loads back. Files live under the test's tmp_path.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.errors import InputError
from scanner.inventory.io import load_estate
from scanner.inventory.model import Estate
from scanner.rvtools.reader import read_rvtools
from scanner.serde import to_plain
from tests.badinput.invariants import check_estate
from tests.unit.test_anonymize import rich_estate

# tmp_path is shared by a test's examples; each example works in a fresh folder below it.
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=30,
)


def accepted_or_refused(load: Callable[[], Estate], workdir: Path) -> Estate | InputError:
    """The loader's Estate, checked for soundness, or its one-line InputError."""
    try:
        estate = load()
    except InputError as exc:
        assert "\n" not in str(exc)
        return exc
    check_estate(estate, workdir)
    return estate


def load_bytes(data: bytes, name: str, tmp_path: Path) -> Estate | InputError:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return accepted_or_refused(lambda: load_estate(path), Path(folder))


@SETTINGS
@given(st.binary(max_size=2048), st.sampled_from(["x.json", "x.json.gz"]))
def test_snapshot_loader_on_random_bytes(tmp_path, data, name):
    assert isinstance(load_bytes(data, name, tmp_path), Estate | InputError)


@SETTINGS
@given(st.binary(max_size=2048))
def test_snapshot_loader_on_random_gzip_content(tmp_path, data):
    assert isinstance(load_bytes(gzip.compress(data), "x.json.gz", tmp_path), Estate | InputError)


@SETTINGS
@given(json_values)
def test_snapshot_loader_on_random_json(tmp_path, value):
    assert isinstance(load_bytes(json.dumps(value).encode(), "x.json", tmp_path), Estate | InputError)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            out.extend(_paths(child, (*prefix, key)))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            out.extend(_paths(child, (*prefix, index)))
    return out


VALID = to_plain(rich_estate())
VALID_PATHS = [p for p in _paths(VALID) if p]


@SETTINGS
@given(st.sampled_from(VALID_PATHS), json_values)
def test_snapshot_loader_on_a_valid_snapshot_with_one_value_replaced(tmp_path, path, replacement):
    # Mutating one node of a real snapshot reaches deep into the schema check, unlike random JSON.
    document = json.loads(json.dumps(VALID))
    node = document
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = replacement
    result = load_bytes(json.dumps(document).encode(), "x.json", tmp_path)
    assert isinstance(result, Estate | InputError)
    if isinstance(result, Estate) and path[0] == "vcenters" and len(path) > 1 and "vms" not in path:
        # One value changed outside the VM lists: every VM is still there. (Not the vCenter list
        # itself: replaced by [] it is a valid snapshot of no vCenter, hence no VM.)
        assert len(result.all_vms()) == len(rich_estate().all_vms())


# ---------------------------------------------------------------- RVTools reader

HEADERS = ["VM", "Powerstate", "CPUs", "Memory", "Provisioned MiB", "In Use MiB", "Host", "Cluster", "Datacenter",
           "OS according to the configuration file", "Annotation", "VM ID", "VM UUID", "VI SDK Server",
           "VI SDK UUID", "Disk", "Capacity MiB", "Network #1", "Template", "HW version", "Firmware", ""]
cells = (st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False, allow_infinity=False)
         | st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), max_size=30)
         | st.sampled_from(["poweredOn", "poweredOff", "vmx-19", "efi", "True", "False", "1,024", "-1", "n/a"]))
sheet_names = st.sampled_from(["vInfo", "vCPU", "vMemory", "vDisk", "vNetwork", "vHost", "vCluster", "vDatastore",
                               "vSnapshot", "vTools", "vPartition", "vCD", "vUSB", "vSource", "vMetaData", "Other"])


@st.composite
def workbooks(draw: st.DrawFn) -> dict[str, list[list[Any]]]:
    sheets: dict[str, list[list[Any]]] = {}
    for name in draw(st.lists(sheet_names, min_size=1, max_size=4, unique=True)):
        width = draw(st.integers(1, 8))
        header = draw(st.lists(st.sampled_from(HEADERS), min_size=width, max_size=width))
        rows = draw(st.lists(st.lists(cells, min_size=0, max_size=width + 1), max_size=5))
        sheets[name] = [header, *rows]
    return sheets


def read_book(sheets: dict[str, list[list[Any]]], tmp_path: Path) -> Estate | InputError:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / "export.xlsx"
        book = openpyxl.Workbook()
        book.remove(book.active)
        for title, rows in sheets.items():
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append(row)
        book.save(path)
        return accepted_or_refused(lambda: read_rvtools(path), Path(folder))


def read_csv_folder(files: dict[str, bytes], tmp_path: Path) -> Estate | InputError:
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        inputs = Path(folder) / "csv"
        inputs.mkdir()
        for name, data in files.items():
            (inputs / name).write_bytes(data)
        return accepted_or_refused(lambda: read_rvtools(inputs), Path(folder))


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(workbooks())
def test_rvtools_reader_on_random_workbooks(tmp_path, sheets):
    assert isinstance(read_book(sheets, tmp_path), Estate | InputError)


@SETTINGS
@given(st.binary(max_size=4096))
def test_rvtools_reader_on_random_bytes(tmp_path, data):
    with tempfile.TemporaryDirectory(dir=tmp_path) as folder:
        path = Path(folder) / "export.xlsx"
        path.write_bytes(data)
        try:
            read_rvtools(path)
        except InputError:
            return
        raise AssertionError("random bytes were accepted as a workbook")


@SETTINGS
@given(
    st.lists(st.lists(cells.map(lambda v: "" if v is None else str(v)), max_size=6), min_size=1, max_size=6),
    st.sampled_from([",", ";", "\t"]),
    st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
)
def test_rvtools_reader_on_random_csv(tmp_path, rows, separator, encoding):
    lines = [separator.join(["VM", "Powerstate", "CPUs"])] + [separator.join(r) for r in rows]
    data = "\r\n".join(lines).encode(encoding, errors="replace")
    assert isinstance(read_csv_folder({"vInfo.csv": data}, tmp_path), Estate | InputError)


@SETTINGS
@given(st.binary(max_size=2048))
def test_rvtools_reader_on_random_csv_bytes(tmp_path, data):
    assert isinstance(read_csv_folder({"vInfo.csv": data}, tmp_path), Estate | InputError)
