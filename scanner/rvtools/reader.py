"""RVTools export reader (xlsx workbook or folder of CSV files) -> Inventory.

Being implemented under the RVTools import issue; until then RVTools input is refused clearly.
"""

from __future__ import annotations

from pathlib import Path

from scanner.errors import InputError
from scanner.inventory.model import Estate


def read_rvtools(path: Path) -> Estate:
    raise InputError(f"{path}: RVTools import is not available in this build yet")
