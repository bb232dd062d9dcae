"""The rule catalogue. ``load_catalogue()`` imports the family modules, which register their rules."""

from __future__ import annotations

import importlib

from scanner.rules.base import (
    REGISTRY,
    DuplicateRuleError,
    Registry,
    RuleContext,
    RuleResult,
    RuleSpec,
    fail,
    rule,
    unknown,
)

FAMILY_MODULES = ("disk", "devices", "vm", "guest", "host", "network", "annotation", "upkeep", "licensing")

__all__ = [
    "FAMILY_MODULES",
    "REGISTRY",
    "DuplicateRuleError",
    "Registry",
    "RuleContext",
    "RuleResult",
    "RuleSpec",
    "fail",
    "load_catalogue",
    "rule",
    "unknown",
]


def load_catalogue() -> Registry:
    """Import every family module (each registers its rules once) and return the registry."""
    for name in FAMILY_MODULES:
        importlib.import_module(f"scanner.rules.{name}")
    return REGISTRY
