"""Equal lists, dicts and texts of an assessment held once (read-only, shared between its objects).

One pool per analysis: the findings' target lists, the VM outcomes' rule-id lists, readiness
reasons, verdicts and per-target tables - most VMs of an export lack the same data, so these are
equal across hundreds of thousands of objects. The assessment reader pools the target lists it
loads the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class SharedValues:
    """The held list or text equal to the one asked for; callers read what they get, never mutate it."""

    def __init__(self) -> None:
        self.lists: dict[tuple[str, ...], list[str]] = {}
        self.texts: dict[str, str] = {}
        self.dicts: dict[tuple[Any, ...], dict[str, Any]] = {}

    def list_of(self, values: Sequence[str]) -> list[str]:
        """The held list equal to ``values`` (a copy of it when new); its texts held once too."""
        key = tuple(values)
        known = self.lists.get(key)
        if known is None:
            texts = self.texts
            known = self.lists[key] = [texts.setdefault(value, value) for value in values]
        return known

    def text(self, value: str) -> str:
        return self.texts.setdefault(value, value)

    def dict_of(self, table: dict[str, Any]) -> dict[str, Any]:
        """The held dict with the same keys, in the same order, and the very same values as ``table``
        (``table`` itself when new). Values are compared by identity (held values: texts, lists of
        this pool, shared method tables); the held dict keeps them alive, so no id is reused."""
        key = (*table, *map(id, table.values()))
        known = self.dicts.get(key)
        if known is None:
            known = self.dicts[key] = table
        return known
