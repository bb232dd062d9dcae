"""`vmscan diff` deliverables: JSON (for CI), an xlsx with a sheet per change kind, a self-contained HTML page.

Every string from an input goes through the same guards as the assessment reports: cells.safe_value
in the workbook, Jinja autoescaping in HTML (with a Content-Security-Policy that allows no script).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from markupsafe import Markup

from scanner import __version__
from scanner.diff.model import DiffResult, PairDiff
from scanner.fsutil import atomic_write
from scanner.reporters import charts
from scanner.reporters.sheets import Sheet, write_table_workbook
from scanner.serde import to_plain

FILE_NAMES = {"html": "diff.html", "xlsx": "diff.xlsx", "json": "diff.json"}
DIFF_FORMATS = tuple(FILE_NAMES)
READINESS_ORDER = ("ready", "ready_with_conditions", "not_ready", "unknown")
READINESS_LABELS = {"ready": "Ready", "ready_with_conditions": "Ready with conditions", "not_ready": "Not ready",
                    "unknown": "Unknown"}


def diff_json(result: DiffResult) -> str:
    plain = to_plain(result)
    for pair, plain_pair in zip(result.pairs, plain["pairs"], strict=True):
        plain_pair["new_blockers"] = [list(item) for item in pair.new_blockers]
    ordered = {"schema": plain.pop("schema"), "schema_version": plain.pop("schema_version"), **plain}
    return json.dumps(ordered, ensure_ascii=False, indent=1, allow_nan=False)


def write_diff_json(result: DiffResult, path: Path) -> None:
    with atomic_write(path) as handle:
        handle.write(diff_json(result) + "\n")


# ---- workbook -----------------------------------------------------------------------------------

def sheet_rows(result: DiffResult) -> dict[str, Sheet]:
    """Sheet name -> (header, rows); one sheet per change kind, each row naming its pair of scans."""

    def pairs() -> Iterator[tuple[str, PairDiff]]:
        for pair in result.pairs:
            yield f"{pair.old} → {pair.new}", pair

    def trend() -> Iterator[list[Any]]:
        for number, scan in enumerate(result.scans, 1):
            row: list[Any] = [number, scan.label, scan.kind, (scan.data_date or "")[:10] or None, scan.vm_count,
                              scan.vms_with_blockers, scan.vms_with_conditions]
            for target in result.targets:
                row += [scan.readiness.get(target, {}).get(key, 0) for key in READINESS_ORDER]
                row.append(scan.sizing.get(target))
            yield row

    def added() -> Iterator[list[Any]]:
        for scans, pair in pairs():
            for vm in pair.added:
                yield [scans, vm.name, vm.vcenter, vm.cluster, vm.power_state, vm.num_cpu, vm.memory_gib,
                       vm.storage_gib, ", ".join(vm.fails)]

    def removed() -> Iterator[list[Any]]:
        for scans, pair in pairs():
            for vm in pair.removed:
                yield [scans, vm.name, vm.vcenter, vm.cluster, vm.power_state, vm.num_cpu, vm.memory_gib,
                       vm.storage_gib, ", ".join(vm.fails)]

    def changes() -> Iterator[list[Any]]:
        for scans, pair in pairs():
            for change in pair.changed:
                for item in change.changes:
                    yield [scans, change.name, change.vcenter, change.matched_by, item.field, item.old, item.new]

    def findings() -> Iterator[list[Any]]:
        for scans, pair in pairs():
            for change in pair.changed:
                for kind, ids in (("cleared", change.findings_cleared), ("new", change.findings_new),
                                  ("no longer checked", change.no_longer_checked)):
                    for rule_id in ids:
                        yield [scans, change.name, change.vcenter, rule_id, kind]

    def readiness() -> Iterator[list[Any]]:
        for scans, pair in pairs():
            for change in pair.changed:
                for target in sorted(set(change.readiness) | set(change.recommended_method)):
                    before, after = change.readiness.get(target, [None, None])
                    method_before, method_after = change.recommended_method.get(target, [None, None])
                    yield [scans, change.name, change.vcenter, target, before, after, method_before, method_after]

    def rules() -> Iterator[list[Any]]:
        for scans, pair in pairs():
            for delta in pair.rules:
                yield [scans, delta.rule_id, delta.title, delta.severity, delta.vms_old, delta.vms_new,
                       delta.cleared, delta.appeared, delta.no_longer_checked]

    trend_header = ["#", "Scan", "Kind", "Data date", "VMs", "VMs with blockers", "VMs with conditions only"]
    for target in result.targets:
        trend_header += [f"{target} {READINESS_LABELS[key]}" for key in READINESS_ORDER] + [f"{target} hosts"]
    vm_header = ["Scans", "VM", "vCenter", "Cluster", "Power state", "vCPU", "Memory GiB", "Storage GiB",
                 "Failing rules"]
    return {
        "Trend": (trend_header, trend()),
        "Added VMs": (vm_header, added()),
        "Removed VMs": (vm_header, removed()),
        "Changed fields": (["Scans", "VM", "vCenter", "Matched by", "Field", "Before", "After"], changes()),
        "Findings": (["Scans", "VM", "vCenter", "Rule", "Change"], findings()),
        "Readiness": (["Scans", "VM", "vCenter", "Target", "Readiness before", "Readiness after",
                       "Method before", "Method after"], readiness()),
        "Rules": (["Scans", "Rule", "Title", "Severity", "VMs failing before", "VMs failing after", "Cleared",
                   "New", "No longer checked"], rules()),
    }


def write_diff_xlsx(result: DiffResult, path: Path) -> None:
    write_table_workbook(sheet_rows(result), path)


# ---- HTML ---------------------------------------------------------------------------------------

def write_diff_html(result: DiffResult, path: Path) -> None:
    from scanner.reporters.html import csp_hash, page_css, template_environment

    css = page_css("diff.css")
    trend = {
        target: [(scan.label, charts.segments([(key, READINESS_LABELS[key], scan.readiness.get(target, {}).get(key, 0))
                                               for key in READINESS_ORDER])) for scan in result.scans]
        for target in result.targets
    }
    blockers = charts.bars([(scan.label, scan.vms_with_blockers, "blocker", "") for scan in result.scans])
    html = template_environment().get_template("diff.html.j2").render(
        result=result, css=Markup(css), csp_style=csp_hash(css),  # noqa: S704 - our own stylesheet
        trend=trend, blockers=blockers,
        readiness_labels=READINESS_LABELS, version=__version__)
    with atomic_write(path) as handle:
        handle.write(html)


def parse_diff_formats(text: str) -> list[str]:
    from scanner.errors import InputError

    chosen = list(dict.fromkeys(item.strip().lower() for item in text.split(",") if item.strip()))
    unknown = [name for name in chosen if name not in DIFF_FORMATS]
    if unknown or not chosen:
        raise InputError(f"--format: {'unknown format ' + repr(unknown[0]) if unknown else 'no format given'}; "
                         f"choose from {', '.join(DIFF_FORMATS)}")
    return chosen


WRITERS = {"json": write_diff_json, "xlsx": write_diff_xlsx, "html": write_diff_html}


def write_diff_reports(result: DiffResult, directory: str | os.PathLike[str], formats: list[str]) -> list[Path]:
    written = []
    for fmt in formats:
        target = Path(directory) / FILE_NAMES[fmt]
        WRITERS[fmt](result, target)
        written.append(target)
    return written
