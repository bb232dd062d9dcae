"""Cell value parsers: RVTools cells arrive as str (CSV, and xlsx text), int/float, bool or datetime.

Every parser returns None for an empty cell and raises ``BadValue`` for a value it cannot read, so
the reader can record an unreadable cell as unknown (plus one collection issue per column) instead
of guessing.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from typing import Any


class BadValue(ValueError):
    """A cell that is not empty but cannot be read as the expected type."""


MIB = 1024 * 1024

_TRUE = {"true", "yes", "1", "on", "enabled"}
_FALSE = {"false", "no", "0", "off", "disabled"}
_INT_RE = re.compile(r"^[+-]?\d+$")
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}([ ,.\u00a0\u202f']\d{3})+$")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%d.%m.%Y %H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%Y-%m-%d",
)


def text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, dt.datetime):
        return value.isoformat()
    result = str(value).strip()
    return result or None


def number(value: Any) -> float | None:
    kind = value.__class__
    if kind is int or kind is float:  # the common case, checked first for speed
        if kind is float and not math.isfinite(value):
            raise BadValue(f"expected a number, got {value!r}")
        return float(value)
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise BadValue(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise BadValue(f"expected a number, got {value!r}")
        return float(value)
    if isinstance(value, str):
        raw = value.strip()
        if not raw:
            return None
        try:
            if _INT_RE.match(raw):
                return float(int(raw))
            if _THOUSANDS_RE.match(raw):
                return float(re.sub(r"[^\d+-]", "", raw))
        except (OverflowError, ValueError):
            # A 400-digit number is no size or count; int() also refuses over 4,300 digits.
            raise BadValue(f"number out of range: {_show(value)}") from None
        candidate = raw
        if "," in raw and "." not in raw and raw.count(",") == 1:
            candidate = raw.replace(",", ".")  # decimal comma of localized CSV exports
        try:
            result = float(candidate)
        except ValueError:
            raise BadValue(f"expected a number, got {_show(value)}") from None
        if not math.isfinite(result):
            raise BadValue(f"expected a number, got {_show(value)}")
        return result
    raise BadValue(f"expected a number, got {value.__class__.__name__}")


def integer(value: Any) -> int | None:
    result = number(value)
    if result is None:
        return None
    if abs(result) > 2**62:
        raise BadValue(f"number {result!r} out of range")
    return round(result)


def count(value: Any) -> int | None:
    """A count or size that cannot be negative (vCPUs, cores, MiB of memory), in whole units: 2.5
    vCPUs or 4096.5 MiB is no value vSphere holds (it was rounded to 2 without a word), so it is
    refused like any other bad value. Only limits use -1 (vSphere's "unlimited"), so they are
    read with :func:`integer`."""
    result = number(value)
    if result is None:
        return None
    if result < 0:
        raise BadValue(f"expected zero or more, got {_show(value)}")
    if not result.is_integer():
        raise BadValue(f"expected a whole number, got {_show(value)}")
    if result > 2**62:
        raise BadValue(f"number {result!r} out of range")
    return int(result)


def percent(value: Any) -> float | None:
    """A usage percentage: 0 to 100."""
    result = number(value)
    if result is not None and not 0 <= result <= 100:
        raise BadValue(f"expected a percentage from 0 to 100, got {_show(value)}")
    return result


def size_mib_to_bytes(value: Any) -> int | None:
    """A capacity or usage in MiB, as bytes; a negative size is refused like any other bad value."""
    result = mib_to_bytes(value)
    if result is not None and result < 0:
        raise BadValue(f"expected a size of zero or more, got {_show(value)}")
    return result


def mib_to_bytes(value: Any) -> int | None:
    result = number(value)
    if result is None:
        return None
    if abs(result) > 2**42:  # 4 EiB
        raise BadValue(f"size {result!r} MiB out of range")
    return round(result * MIB)


_BOOL_TEXT = {"True": True, "False": False}


def boolean(value: Any) -> bool | None:
    if value.__class__ is str and value in _BOOL_TEXT:  # RVTools writes exactly these
        return _BOOL_TEXT[value]
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        raw = value.strip().casefold()
        if not raw:
            return None
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
    raise BadValue(f"expected True or False, got {_show(value)}")


# No vSphere object has a date before this; an earlier one is a reader's rendering of a bad cell.
EARLIEST_DATE_YEAR = 1900


def timestamp(value: Any) -> str | None:
    """ISO 8601 text. RVTools writes local time without a zone; it is kept as written (no zone)."""
    if value is None:
        return None
    if isinstance(value, dt.date) and value.year < EARLIEST_DATE_YEAR:
        # Excel's day 0 (1899-12-30) is what both readers make of a date cell holding 0 or NaN, not a date.
        raise BadValue(f"expected a date, got {value.isoformat()} (before {EARLIEST_DATE_YEAR})")
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day).isoformat()
    if isinstance(value, str):
        raw = value.strip()
        if not raw:
            return None
        try:
            return dt.datetime.fromisoformat(raw).replace(microsecond=0).isoformat()
        except ValueError:
            pass
        for fmt in _DATE_FORMATS:
            try:
                return dt.datetime.strptime(raw, fmt).isoformat()
            except ValueError:
                continue
    raise BadValue(f"expected a date, got {_show(value)}")


@functools.lru_cache(maxsize=4096)
def camel_to_snake(value: str) -> str:
    """``poweredOn`` -> ``powered_on``, ``notConfigured`` -> ``not_configured``."""
    spaced = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", value.strip())
    return re.sub(r"[\s\-]+", "_", spaced).lower()


def hw_version(value: Any) -> int | None:
    """``vmx-19``, ``19``, ``19.0`` -> 19."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return integer(value)
    raw = str(value).strip()
    if not raw:
        return None
    match = re.fullmatch(r"(?:vmx-?)?(\d{1,3})(?:\.0)?", raw, flags=re.IGNORECASE)
    if match is None:
        raise BadValue(f"expected a hardware version like vmx-19, got {_show(value)}")
    return int(match.group(1))


def split_list(value: Any) -> list[str]:
    """Comma/semicolon separated cell ("10.0.0.1, 10.0.0.2") -> items."""
    raw = text(value)
    if raw is None:
        return []
    return [item.strip() for item in re.split(r"[,;]", raw) if item.strip()]


def _show(value: Any) -> str:
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."
