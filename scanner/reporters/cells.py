"""Make text safe for spreadsheet cells (xlsx and CSV).

Spreadsheet programs evaluate a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, after
some import paths, a tab or carriage return) as a formula. VM names, notes and custom attributes
are free text typed by anyone with vCenter access, so every text cell is neutralised the way
OWASP recommends ("CSV injection"): prefix a single quote so the value stays text and the
original characters stay readable.
"""

from __future__ import annotations

import re
from typing import Any

# Excel's hard limit for the characters in one cell.
EXCEL_MAX_CELL_CHARS = 32_767
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 forbids (openpyxl refuses them with IllegalCharacterError). Tab, LF and CR
# are legal and kept.
_ILLEGAL_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
TRUNCATION_MARK = "…"


def safe_text(text: str, max_chars: int = EXCEL_MAX_CELL_CHARS) -> str:
    """Strip illegal XML characters, neutralise formula triggers, cap the length."""
    cleaned = _ILLEGAL_XML_CHARS.sub("", text)
    if cleaned.startswith(FORMULA_TRIGGERS):
        cleaned = "'" + cleaned
    if len(cleaned) > max_chars:
        cleaned = cleaned[: max_chars - len(TRUNCATION_MARK)] + TRUNCATION_MARK
    return cleaned


# Separators Excel uses to split a CSV line, depending on the locale (',' in en-US, ';' in most
# of Europe, tab when pasted or chosen). A text field is quoted, so its separators split nothing
# in any of them; a reader that ignores quotes would still start a new cell after one, so a
# trigger right after a separator is guarded too.
CSV_SEPARATORS = ",;\t"
TRIGGER_AFTER_SEPARATOR = re.compile("([,;\t])(?=[=+\\-@\t\r])")


def csv_safe_text(text: str) -> str:
    """:func:`safe_text`, plus a guard after every separator that a trigger follows.

    Write the result with ``csv.QUOTE_NONNUMERIC`` (or ``QUOTE_ALL``) so that no locale splits it.
    """
    return TRIGGER_AFTER_SEPARATOR.sub("\\1'", safe_text(text))


def safe_value(value: Any) -> Any:
    """Pass numbers, booleans, dates and None through; make every string safe."""
    if isinstance(value, str):
        return safe_text(value)
    return value


def join_text(items: list[str] | None, separator: str = ", ") -> str | None:
    """A list for one cell; None (unknown) stays None so the cell is left empty."""
    if items is None:
        return None
    return separator.join(items)
