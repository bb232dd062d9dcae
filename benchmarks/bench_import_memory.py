"""Resident memory of `vmscan report` stage by stage on one RVTools workbook (issue 19).

    python benchmarks/bench_import_memory.py WORKBOOK.xlsx

Prints RSS and peak RSS (VmRSS / VmHWM of this process) and CPU time after each tab is read,
after mapping to the inventory, after the tables are dropped, after the assessment and after each
report writer (HTML, xlsx, assessment JSON, written to a temporary folder). One process: the
peak is the whole report's. Results in docs/benchmarks.md, "Import memory per VM".
"""

from __future__ import annotations

import datetime as dt
import gc
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import scanner.rvtools.tables as tables
from scanner import pipeline
from scanner.gcpause import cyclic_gc_paused
from scanner.reporters.output import write_reports
from scanner.rvtools.reader import build_estate

_START = time.process_time()


def note(label: str) -> None:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    rss, peak = (int(status[key].split()[0]) // 1024 for key in ("VmRSS", "VmHWM"))
    print(f"{label:42s} rss {rss:6d} MiB  peak {peak:6d} MiB  cpu {time.process_time() - _START:7.1f} s",
          flush=True)


def main(path: Path) -> None:
    collect = tables.collect_table

    def collect_noted(rows: Iterator[Any], sheet: str, origin: str, *rest: Any) -> tables.Table:
        table = collect(rows, sheet, origin, *rest)
        note(f"  read tab {sheet} ({len(table.rows)} rows)")
        return table

    tables.collect_table = collect_noted  # type: ignore[assignment]
    note("start")
    settings = pipeline.assess_settings(None, None, dt.date(2026, 12, 7))
    with cyclic_gc_paused():
        export = tables.read_export(path)
        note("read (all tabs)")
        estate = build_estate(export)
        note("mapped to the inventory")
        del export
        note("tables dropped")
    gc.collect()
    note("gc.collect()")
    assessment = pipeline.assess(estate, [pipeline.input_info(str(path), "rvtools_xlsx", estate)], settings)
    note("assessed")
    out = Path(tempfile.mkdtemp(prefix="vmscan-import-memory-"))
    try:
        for fmt in ("html", "xlsx", "json"):
            with cyclic_gc_paused():
                write_reports(estate, assessment, out, [fmt])
            note(f"wrote {fmt}")
    finally:
        shutil.rmtree(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
