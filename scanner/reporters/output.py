"""Write a set of reports into an output folder, refusing to clobber a non-empty folder unless forced."""

from __future__ import annotations

import os
from pathlib import Path

from scanner.analysis.model import Assessment
from scanner.errors import InputError, OutputError
from scanner.inventory.model import Estate

FORMATS = ("html", "xlsx", "csv", "json")
FILE_NAMES = {"html": "report.html", "xlsx": "report.xlsx", "json": "assessment.json"}


def parse_formats(text: str) -> list[str]:
    """'html,xlsx' -> ['html', 'xlsx']; unknown names are an InputError naming the bad one."""
    chosen: list[str] = []
    for item in text.split(","):
        name = item.strip().lower()
        if not name:
            continue
        if name not in FORMATS:
            raise InputError(f"--format: unknown format {name!r}; choose from {', '.join(FORMATS)}")
        if name not in chosen:
            chosen.append(name)
    if not chosen:
        raise InputError("--format: no format given")
    return chosen


def check_output_dir(path: str | os.PathLike[str], force: bool) -> Path:
    """Refuse a file or (without ``force``) a non-empty folder at ``path``; creates nothing."""
    directory = Path(path)
    if directory.exists() and not directory.is_dir():
        raise OutputError(f"{directory}: exists and is not a folder")
    if directory.is_dir() and any(directory.iterdir()) and not force:
        raise OutputError(f"{directory}: folder exists and is not empty; use --force to overwrite the reports in it "
                          "or --out to choose another folder")
    return directory


DEMO_FILES = frozenset({FILE_NAMES["html"], FILE_NAMES["xlsx"]})
# What vmscan writes into the head of every HTML report (report.html.j2).
HTML_GENERATOR_MARK = b'<meta name="generator" content="vmscan '


def holds_only_earlier_demo_output(directory: Path) -> bool:
    """True for a folder holding nothing but the report.html and report.xlsx of an earlier
    `vmscan demo` (the HTML carries vmscan's generator mark and the sample's input name)."""
    if not directory.is_dir():
        return False
    entries = list(directory.iterdir())
    if not entries or {e.name for e in entries} - DEMO_FILES or not all(e.is_file() for e in entries):
        return False
    html = directory / FILE_NAMES["html"]
    if not html.is_file():
        return False
    with html.open("rb") as handle:
        head = handle.read(4096)
    return HTML_GENERATOR_MARK in head and b"sample-estate.json.gz" in html.read_bytes()


def prepare_output_dir(path: str | os.PathLike[str], force: bool) -> Path:
    """Create ``path`` if needed; an existing non-empty folder needs ``force`` (files are then replaced)."""
    directory = check_output_dir(path, force)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output folder {directory}: {exc.strerror or exc}") from None
    return directory


def write_reports(estate: Estate, assessment: Assessment, directory: Path, formats: list[str]) -> list[Path]:
    """Write each requested format into ``directory`` (every file atomically); return the paths."""
    written: list[Path] = []
    for fmt in formats:
        if fmt == "html":
            from scanner.reporters.html import write_html

            write_html(estate, assessment, directory / FILE_NAMES["html"])
            written.append(directory / FILE_NAMES["html"])
        elif fmt == "xlsx":
            from scanner.reporters.xlsx import write_xlsx

            write_xlsx(estate, assessment, directory / FILE_NAMES["xlsx"])
            written.append(directory / FILE_NAMES["xlsx"])
        elif fmt == "csv":
            from scanner.reporters.csv import write_csv

            csv_dir = directory / "csv"
            csv_dir.mkdir(exist_ok=True)
            written.extend(write_csv(estate, assessment, csv_dir))
        elif fmt == "json":
            # The same writer as `vmscan analyze -o`, so both produce the identical document.
            from scanner.analysis.io import save_assessment

            save_assessment(assessment, directory / FILE_NAMES["json"])
            written.append(directory / FILE_NAMES["json"])
    return written


def stale_reports(directory: Path, written: list[Path]) -> list[Path]:
    """Report files in ``directory`` this run did not rewrite (left by an earlier run, e.g. with
    another --format); a reader would otherwise take them for this run's results."""
    fresh = {p.resolve() for p in written}
    candidates = [directory / name for name in FILE_NAMES.values()]
    if (directory / "csv").is_dir():
        candidates += sorted((directory / "csv").glob("*.csv"))
    return [p for p in candidates if p.is_file() and p.resolve() not in fresh]
