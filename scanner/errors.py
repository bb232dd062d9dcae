"""Errors that end a command with a one-line message and exit code 2.

Anything raised as a ``VmscanError`` is shown to the user as ``vmscan: error: <message>``;
the message must be one line, must name the offending file/sheet/column/key, and must never
contain a secret.
"""

from __future__ import annotations


class VmscanError(Exception):
    """Base class for expected, user-facing failures (exit code 2)."""

    exit_code = 2


class InputError(VmscanError):
    """An input file, folder or policy is missing, unreadable or malformed."""


class OutputError(VmscanError):
    """An output path cannot be written."""


class CollectionError(VmscanError):
    """vCenter could not be reached, refused the login, or failed mid-collection."""


def is_rust_panic(exc: BaseException) -> bool:
    """A panic inside a Rust extension (pyo3's PanicException derives from BaseException, not Exception)."""
    return type(exc).__name__ == "PanicException"
