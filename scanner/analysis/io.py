"""Write the assessment JSON (versioned, atomic)."""

from __future__ import annotations

import json
import os

from scanner.analysis.model import Assessment
from scanner.fsutil import atomic_write
from scanner.serde import to_plain


def assessment_json(assessment: Assessment) -> str:
    plain = to_plain(assessment)
    # Schema name and version first so a reader can dispatch on them without parsing everything.
    ordered = {"schema": plain.pop("schema"), "schema_version": plain.pop("schema_version"), **plain}
    # Compact: a 100k-VM assessment is hundreds of MB; pretty-printing would add a third.
    return json.dumps(ordered, ensure_ascii=False, separators=(",", ":"))


def save_assessment(assessment: Assessment, path: str | os.PathLike[str]) -> None:
    text = assessment_json(assessment)
    with atomic_write(path) as handle:
        handle.write(text)
        handle.write("\n")


def load_assessment(path: str | os.PathLike[str]) -> Assessment:
    """Read an assessment JSON written by :func:`save_assessment`; InputError on any problem."""
    from pathlib import Path

    from scanner.analysis.model import ASSESSMENT_SCHEMA_NAME, ASSESSMENT_SCHEMA_VERSION
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
    if data.get("schema_version") != ASSESSMENT_SCHEMA_VERSION:
        raise InputError(f"{p}: assessment schema_version {data.get('schema_version')!r} is not supported "
                         f"(expected {ASSESSMENT_SCHEMA_VERSION})")
    try:
        return from_plain(Assessment, data)
    except SchemaMismatch as exc:
        raise InputError(f"{p}: {exc}") from None
