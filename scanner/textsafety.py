"""Text from inventories made safe for where vmscan shows it: spreadsheet cells, CSV, the terminal,
and any report that could show a password typed into VM notes.

VM and host names, notes and custom attributes are free text typed by anyone with vCenter access (or
edited into a customer's RVTools export). One module holds every guard so that each output applies
the same one:

- cells (xlsx, CSV): a cell starting with ``=``, ``+``, ``-`` or ``@`` (and, after some import paths, a
  tab or carriage return) is evaluated as a formula; it is neutralised the way OWASP recommends ("CSV
  injection"), with a leading single quote, so the value stays text and readable;
- terminal: control and format characters are shown as escapes, never sent raw;
- secrets: password-like values in notes are masked in every report.
"""

from __future__ import annotations

import re
import unicodedata
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


def one_line(text: str) -> str:
    return terminal_safe(" ".join(text.split())[:2000])


def terminal_safe(text: str) -> str:
    """Show control and format characters from inventory data as escapes, never raw.

    Host and VM names come from vCenter or a customer's RVTools export; an ESC sequence in one
    would otherwise recolour, retitle or rewrite the user's terminal, and a bidi override would
    reorder the line.
    """
    return "".join(
        c if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf")
        else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        for c in text
    )


# "password: hunter2", "pwd=...", "root password is x", "api_key: ...", German/French words included.
SECRET_PATTERN = re.compile(
    r"(?P<key>\b(?:passwor[dt]|passwd|pwd|pw|pass|secret|api[_ -]?key|token|kennwort|passwort|"
    r"mot de passe|credentials?)\b)\s*(?:[:=]|\bis\b)\s*(?P<value>\S+)",
    re.IGNORECASE,
)
SECRET_KEY_NAMES = re.compile(r"passw|pwd|secret|token|api[_ -]?key|kennwort|credential", re.IGNORECASE)
MASK = "********"


# Each key word of SECRET_PATTERN holds one of these in lower case ("passwd", "mot de passe": "pass";
# "pwd": "pw"; "api key": "api"; "credentials": "credential").
_SECRET_KEY_PARTS = ("pass", "pw", "secret", "api", "token", "kennwort", "credential")
# The only characters besides ASCII letters that re.IGNORECASE matches to an ASCII letter (İ, dotless
# ı, long ſ, Kelvin K; tests/unit/test_textsafety.py checks every code point).
FOLDING_TO_ASCII_LETTERS = "\u0130\u0131\u017f\u212a"


def may_hold_secret_key(text: str) -> bool:
    """False when SECRET_PATTERN cannot match ``text``: none of its key words' parts is in the text's
    lower case, and no character other than an ASCII letter could stand for a letter of them. Scans
    in C, where the case-insensitive regex tries each position (a 32 KB note: ~1.6 ms)."""
    lowered = text.lower()
    for part in _SECRET_KEY_PARTS:
        if part in lowered:
            return True
    return not text.isascii() and any(char in text for char in FOLDING_TO_ASCII_LETTERS)


def find_secrets(text: str) -> list[str]:
    """Masked descriptions of password-like strings; the secret itself never leaves this function."""
    if not may_hold_secret_key(text):
        return []
    return [f"{m.group('key')}={MASK}" for m in SECRET_PATTERN.finditer(text) if len(m.group("value")) >= 3]


def mask_secrets(text: str | None) -> str | None:
    """``text`` with each password-like value replaced by the mask, for display in reports.

    A value already masked (e.g. inside an anonymized note's "(contains pwd=********)") is kept.
    """
    if not text:
        return text

    def masked(match: re.Match[str]) -> str:
        value = match.group("value")
        if len(value) < 3 or value.startswith(MASK):
            return match.group(0)
        return match.group(0)[: match.start("value") - match.start()] + MASK

    return SECRET_PATTERN.sub(masked, text)
