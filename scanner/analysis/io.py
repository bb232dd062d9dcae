"""Write the assessment JSON (versioned, atomic, streamed)."""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from scanner.analysis.model import (
    ASSESSMENT_SCHEMA_NAME,
    ASSESSMENT_SCHEMA_VERSION,
    Assessment,
    Finding,
    VcenterFinding,
    VmOutcome,
)
from scanner.analysis.shared import SharedValues
from scanner.fsutil import atomic_write
from scanner.jsontext import ENCODER, JsonTexts
from scanner.serde import to_plain

# Compact (jsontext.ENCODER): a 100k-VM assessment is hundreds of MB; pretty-printing would add a third.
# The per-VM lists are encoded this many items per piece (~40-130 KB of text): a piece's string and
# its UTF-8 bytes are then re-used heap blocks, not fresh pages (2000 items, ~1.7 MB, cost ~2,000
# page faults per 1,000 VMs), and one non-ASCII name widens only its own piece to UCS-2.
_SLICE = 100
# Fields written first so a reader can dispatch on them without parsing everything.
_HEAD = ("schema", "schema_version")
# Streamed one slice at a time instead of as one plain tree and one string.
_STREAMED = ("vms", "findings")
# A VM outcome's adjacent fields from readiness to target_verdicts: the engine gives VMs with equal
# findings tables and deciding messages the very same objects there (FindingTables, OutcomeTexts), so
# their text is remembered as one (JsonTexts spans).
_HELD_TOGETHER: dict[type, tuple[str, str]] = {VmOutcome: ("readiness", "target_verdicts")}
# A VM outcome's id and name: one per VM, so encoded without a memo that would only grow.
_UNIQUE: dict[type, tuple[str, ...]] = {VmOutcome: ("vm_id", "name")}


def assessment_json(assessment: Assessment) -> str:
    """The whole assessment JSON as one string (tests, small estates); the same text as the file."""
    return "".join(assessment_json_parts(assessment))


def assessment_json_parts(assessment: Assessment) -> Iterator[str]:
    """The assessment JSON in pieces, byte for byte what ``json.dumps`` of ``to_plain`` gives.

    The VM outcomes and findings (almost all of the size) are encoded a slice at a time, so the
    whole text is never held in memory; each repeated value's text is encoded once (JsonTexts).
    """
    texts = JsonTexts(spans=_HELD_TOGETHER, unique=_UNIQUE)
    names = [f.name for f in dataclasses.fields(assessment)]
    order = [*_HEAD, *(name for name in names if name not in _HEAD)]
    yield "{"
    for index, name in enumerate(order):
        value = getattr(assessment, name)
        yield ("," if index else "") + ENCODER.encode(name) + ":"
        if name in _STREAMED:
            item_type: type = type(value[0]) if value else object
            yield from _list_parts(value, texts.encoder(item_type))
        elif value and type(value) is list and dataclasses.is_dataclass(value[0]):
            # The rules, sizing, site tasks...: each object's text put together from its fields' texts
            # (jsontext) rather than a plain copy encoded; the same text.
            yield from _list_parts(value, texts.encoder(type(value[0])))
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            yield texts.encoder(type(value))(value)
        else:
            yield ENCODER.encode(to_plain(value))
    yield "}"


def _list_parts(items: list[Any], encode: Callable[[Any], str]) -> Iterator[str]:
    """A list's text, one piece per slice: "[" + the items' texts joined by "," + "]"."""
    if not items:
        yield "[]"
    for start in range(0, len(items), _SLICE):
        yield ("," if start else "[") + ",".join(map(encode, items[start:start + _SLICE]))
    if items:
        yield "]"


def save_assessment(assessment: Assessment, path: str | os.PathLike[str]) -> None:
    with atomic_write(path) as handle:
        for part in assessment_json_parts(assessment):
            handle.write(part)
        handle.write("\n")


def load_assessment(path: str | os.PathLike[str]) -> Assessment:
    """Read an assessment JSON written by :func:`save_assessment`; InputError on any problem."""
    from pathlib import Path

    from scanner.errors import InputError
    from scanner.serde import SchemaMismatch, from_plain

    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{p}: not a readable assessment JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != ASSESSMENT_SCHEMA_NAME:
        raise InputError(f"{p}: not a vmscan assessment (schema {ASSESSMENT_SCHEMA_NAME!r} expected)")
    version = data.get("schema_version")
    if version not in READABLE_VERSIONS:
        raise InputError(f"{p}: assessment schema_version {version!r} is not supported "
                         f"(expected {' or '.join(map(str, READABLE_VERSIONS))})")
    if version == 1:
        data = upgraded_from_v1(data)
    try:
        assessment = from_plain(Assessment, data)
    except SchemaMismatch as exc:
        raise InputError(f"{p}: {exc}") from None
    share_target_lists(assessment)
    return assessment


# Version 1 (one finding per target, ``target``) and 2 (no ``vcenter_findings``: every result per VM)
# are read too: `vmscan diff` compares with earlier scans.
READABLE_VERSIONS = (1, 2, ASSESSMENT_SCHEMA_VERSION)


def upgraded_from_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version 1 assessment as version 3: each finding's ``target`` becomes ``targets`` = [target].

    Findings of one result on several targets stay apart (one per target): every count reads the
    same from them, and the file is only read. Anything malformed is left for from_plain to name.
    """
    findings = data.get("findings")
    if not isinstance(findings, list):
        return data
    upgraded = []
    for finding in findings:
        if isinstance(finding, dict) and "target" in finding and "targets" not in finding:
            finding = {("targets" if key == "target" else key): ([value] if key == "target" else value)
                       for key, value in finding.items()}
        upgraded.append(finding)
    return {**data, "schema_version": ASSESSMENT_SCHEMA_VERSION, "findings": upgraded}


def share_target_lists(assessment: Assessment) -> None:
    """One list object per distinct targets list of the findings, as the engine makes them."""
    lists = SharedValues()
    held: Iterable[Finding | VcenterFinding] = itertools.chain(assessment.findings, assessment.vcenter_findings)
    for finding in held:
        finding.targets = lists.list_of(finding.targets)
