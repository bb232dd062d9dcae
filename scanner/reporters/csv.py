"""CSV files, one per table (vms.csv, findings.csv, …), UTF-8 with BOM so Excel detects the encoding.

The columns are those of the Excel sheets (scanner.reporters.tables), with the raw vmscan
vocabulary for readiness ("not_ready") so scripts can filter on it. Every text value goes through
the same formula-injection guard as the workbook, because Excel evaluates CSV cells too.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from scanner.analysis.model import Assessment
from scanner.fsutil import atomic_write
from scanner.inventory.model import Estate
from scanner.reporters import tables
from scanner.textsafety import csv_safe_text


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, str):
        return csv_safe_text(value)
    return value


def file_name(table: tables.Table) -> str:
    return table.name.lower().replace(" ", "_") + ".csv"


def write_table_csv(table: tables.Table, path: str | os.PathLike[str]) -> None:
    write_rows_csv([c.header for c in table.columns], table.rows(), path)


def write_rows_csv(header: list[str], rows: Iterable[list[Any]], path: str | os.PathLike[str]) -> None:
    """One CSV file (atomically), every text value through the formula-injection guard."""
    with atomic_write(path, encoding="utf-8-sig", newline="") as handle:
        # Every text field quoted: a separator inside it splits nothing in any locale (',' ';' tab).
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC)
        writer.writerow([csv_safe_text(h) for h in header])
        for row in rows:
            writer.writerow([_csv_value(v) for v in row])


def write_csv(estate: Estate, assessment: Assessment, directory: str | os.PathLike[str]) -> list[Path]:
    """Write every table into ``directory``; return the paths written."""
    written = []
    for table in tables.report_tables(estate, assessment, readiness_labels=False):
        path = Path(directory) / file_name(table)
        write_table_csv(table, path)
        written.append(path)
    return written
