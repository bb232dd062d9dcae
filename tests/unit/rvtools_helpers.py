"""Helpers shared by the RVTools tests: the real export's location and workbook builders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl

REPO = Path(__file__).resolve().parents[2]
SHARED_KUBEV2V = REPO.parent / "shared" / "data" / "rvtools" / "kubev2v-example1.xlsx"
FIXTURE_KUBEV2V = REPO / "fixtures" / "kubev2v-example1.xlsx"


def kubev2v_path() -> Path:
    """The shared copy when the worktree sits next to shared/, else the identical fixture copy."""
    return SHARED_KUBEV2V if SHARED_KUBEV2V.exists() else FIXTURE_KUBEV2V


def write_workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    return path
