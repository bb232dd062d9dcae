"""Size limits on untrusted input, each overridable by an environment variable for real giants.

Every limit has a default sized well above the largest real estate vmscan was measured on
(100,000 VMs, docs/benchmarks.md) and well below what would exhaust a 2 GB machine. A refusal
names the limit's environment variable so that a user with a genuine giant knows what to raise.
The table of limits is in docs/hardening.md.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import InputError


@dataclass(frozen=True)
class Limit:
    env: str
    default: int
    what: str  # "cells", "characters", ... for messages

    def value(self) -> int:
        text = os.environ.get(self.env, "").strip()
        if not text:
            return self.default
        try:
            number = int(text.replace("_", ""))
        except ValueError:
            number = 0
        if number <= 0:
            raise InputError(f"{self.env}={text!r}: expected a positive whole number of {self.what}")
        return number

    def refuse(self, subject: str, amount: int, limit: int | None = None) -> InputError:
        """The one-line error for ``subject`` having ``amount`` over this limit."""
        bound = self.value() if limit is None else limit
        return InputError(f"{subject} {amount:,} {self.what}, more than the limit of {bound:,} ({self.env}); "
                          "refusing (raise the variable for a genuine giant)")


# --- xlsx workbooks (scanner/rvtools/guard.py) ---------------------------------------------------
# Rows × columns of the area a sheet's cells span: calamine allocates that rectangle at once.
XLSX_SHEET_CELLS = Limit("VMSCAN_XLSX_MAX_CELLS", 60_000_000, "cells")
# Highest row number in one sheet (a 100,000-VM export has ~300,000 vDisk rows).
XLSX_SHEET_ROWS = Limit("VMSCAN_XLSX_MAX_ROWS", 1_000_000, "rows")
# Declared and actual entries of the shared-string table (calamine reserves the declared count).
XLSX_SHARED_STRINGS = Limit("VMSCAN_XLSX_MAX_SHARED_STRINGS", 20_000_000, "shared strings")
# Characters all shared-string cells expand to (one long string referenced a million times).
XLSX_TEXT_CHARS = Limit("VMSCAN_XLSX_MAX_TEXT_CHARS", 1_000_000_000, "characters")

# --- RVTools exports (xlsx and CSV) ------------------------------------------------------------
# VMs (vInfo rows) of one export: 100,000 VMs take ~1.1 GB to analyze and report (docs/benchmarks.md);
# a 1,000,000-row vInfo ran out of 16 GB. Checked while the rows are read, before any VM is built.
MAX_VMS = Limit("VMSCAN_MAX_VMS", 150_000, "VMs")

# --- RVTools CSV folders ------------------------------------------------------------------------
CSV_ROWS = Limit("VMSCAN_CSV_MAX_ROWS", 1_000_000, "rows")

# --- deanonymize: reports handed back by a third party ----------------------------------------
# One report file, also decompressed (the HTML report of 100,000 VMs is 223 MB).
REPORT_FILE_BYTES = Limit("VMSCAN_MAX_REPORT_BYTES", 512 * 1024**2, "bytes")

# --- policy files and anonymization maps ----------------------------------------------------------
POLICY_BYTES = Limit("VMSCAN_MAX_POLICY_BYTES", 1024**2, "bytes")
MAP_BYTES = Limit("VMSCAN_MAX_MAP_BYTES", 1024**3, "bytes")
# `vmscan plan --groups` (VM, Group CSV; ~40 bytes a VM) and `--servers-file` (one vCenter a line).
GROUP_FILE_BYTES = Limit("VMSCAN_MAX_GROUP_FILE_BYTES", 64 * 1024**2, "bytes")
SERVERS_FILE_BYTES = Limit("VMSCAN_MAX_SERVERS_FILE_BYTES", 1024**2, "bytes")

# --- vCenter responses (scanner/collector) ---------------------------------------------------------
# One SOAP response body after decompression; a 10,000-VM RetrievePropertiesEx page is ~120 MB.
SOAP_RESPONSE_BYTES = Limit("VMSCAN_MAX_SOAP_RESPONSE_BYTES", 1024**3, "bytes")
# The API-version document pyVmomi reads before the login (vimServiceVersions.xml, ~1 KB on vCenter
# 6.7-8.0), parsed whole into an ElementTree.
VERSIONS_DOCUMENT_BYTES = Limit("VMSCAN_MAX_VERSIONS_DOCUMENT_BYTES", 1024**2, "bytes")
# A compressed response decoding past this many bytes at more than SOAP_MAX_RATIO times its
# size on the wire is a decompression bomb (SOAP XML compresses ~10-20x).
SOAP_RATIO_FLOOR_BYTES = 64 * 1024**2
SOAP_MAX_RATIO = 250
# One ObjectContent (one VM with its devices is tens of KB).
SOAP_OBJECT_BYTES = Limit("VMSCAN_MAX_SOAP_OBJECT_BYTES", 64 * 1024**2, "bytes")
# One answer read ahead and held whole while an earlier one is parsed (soapstream.ObjectSetAnswers):
# a part of 500 VMs is ~6 MB; at most three are held at once.
READ_AHEAD_ANSWER_BYTES = Limit("VMSCAN_MAX_READ_AHEAD_BYTES", 256 * 1024**2, "bytes")


def not_a_regular_file(path: Path | str, expected: str) -> InputError:
    """The one-line error for an input that is a device, FIFO or socket: a FIFO would be waited on
    for good, /dev/zero read until memory runs out. ``expected`` names what was wanted ("a policy file")."""
    return InputError(f"{path}: not a regular file (a device, FIFO or socket); expected {expected}")


def read_bounded_bytes(path: Path, limit: Limit, what: str) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes (never a device, FIFO or folder).

    ``/dev/zero`` as a policy or map would otherwise be read until memory runs out.
    """
    mode = path.stat().st_mode  # FileNotFoundError / PermissionError for the caller's message
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(21, "Is a directory", str(path))
    if not stat.S_ISREG(mode):
        raise not_a_regular_file(path, f"a {what}")
    bound = limit.value()
    with open(path, "rb") as handle:
        try:
            data = handle.read(bound + 1)
        except OSError as exc:  # a read error names no file (/proc/self/mem: EIO): name it
            raise OSError(exc.errno, exc.strerror, str(path)) from None
    if len(data) > bound:
        raise limit.refuse(f"{path}: {what} of over", bound, bound)
    return data


def read_bounded_text(path: Path, limit: Limit, what: str) -> str:
    return read_bounded_bytes(path, limit, what).decode("utf-8")
