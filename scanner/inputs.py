"""Open whatever the user points vmscan at: snapshots, RVTools xlsx files, RVTools CSV folders."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import InputError
from scanner.inventory.io import is_snapshot_file, load_estate
from scanner.inventory.merge import merge_estates
from scanner.inventory.model import Estate
from scanner.limits import not_a_regular_file


@dataclass
class LoadedInput:
    path: str
    kind: str  # snapshot | rvtools_xlsx | rvtools_csv
    estate: Estate


def input_kind(path: Path) -> str:
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        return "rvtools_csv"
    if not path.is_file():
        # A FIFO was waited on for good; /dev/zero or /dev/urandom read until memory ran out.
        raise not_a_regular_file(path, "a vmscan snapshot (.json.gz), an RVTools .xlsx or a folder of RVTools CSV "
                                       "files")
    name = path.name.lower()
    if name.endswith((".xlsx", ".xlsm")):
        return "rvtools_xlsx"
    if name.endswith((".json.gz", ".json")) or is_snapshot_file(path):
        return "snapshot"
    if name.endswith(".csv"):
        # One tab of an RVTools CSV export: the reader needs the folder (vInfo plus the other tabs).
        raise InputError(f"{path}: a single CSV file; give the folder of the RVTools CSV export instead "
                         f"(vmscan analyze {shlex.quote(str(path.parent))})")
    if name.endswith(".xls"):
        raise InputError(f"{path}: an old-format .xls workbook; RVTools exports are .xlsx (re-export, or save "
                         "it as .xlsx)")
    raise InputError(
        f"{path}: unrecognised input; expected a vmscan snapshot (.json.gz), an RVTools .xlsx "
        "or a folder of RVTools CSV files"
    )


def load_input(path_text: str) -> LoadedInput:
    path = Path(path_text)
    kind = input_kind(path)
    if kind == "snapshot":
        return LoadedInput(path_text, kind, load_estate(path))
    # Imported lazily: the RVTools reader is only needed for RVTools input.
    from scanner.rvtools.reader import read_rvtools

    return LoadedInput(path_text, kind, read_rvtools(path))


def load_inputs(paths: list[str]) -> tuple[Estate, list[LoadedInput]]:
    """Load every input and merge them into one estate (duplicates counted once)."""
    if not paths:
        raise InputError("no input given")
    loaded = [load_input(p) for p in paths]
    # Named by file name: the duplicate-VM notes become collection issues in the reports.
    estate = merge_estates([item.estate for item in loaded], [Path(item.path).name or item.path for item in loaded])
    return estate, loaded
