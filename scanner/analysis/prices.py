"""The user's price file (`--prices FILE`): prices per node type, per hour or month, per term.

vmscan ships no prices (no public, dated list price could be cited for every node type); without a
price file no cost is shown and no number is invented. Format: docs/examples/prices.toml.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from scanner.analysis.model import NodePrice
from scanner.errors import InputError
from scanner.limits import POLICY_BYTES, read_bounded_text

TERMS = ("on-demand", "1-year", "3-year")
PER = ("hour", "month")
# Cloud price lists convert an hourly rate at 730 hours per month (8,760 hours / 12).
DEFAULT_HOURS_PER_MONTH = 730.0
MAX_PRICE = 10**9


def _positive(value: Any, where: str, upper: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) \
            or value <= 0 or value > upper:
        raise InputError(f"{where} must be a number above 0 and at most {upper:g}, got {value!r}")
    return float(value)


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}.{key} must be non-empty text")
    return value.strip()


def parse_prices(data: Mapping[str, Any], name: str, config: Mapping[str, Any]) -> list[NodePrice]:
    """Validate the parsed TOML against the targets and node types of ``config`` (the effective policy)."""
    where = f"price file {name}"
    allowed = {"currency", "source", "hours_per_month", "price"}
    extra = sorted(set(data) - allowed)
    if extra:
        raise InputError(f"{where}: unknown key '{extra[0]}' (expected {', '.join(sorted(allowed))})")
    currency = _text(data, "currency", where)
    source = str(data.get("source", "")).strip()
    hours = _positive(data.get("hours_per_month", DEFAULT_HOURS_PER_MONTH), f"{where}: hours_per_month", 744)
    entries = data.get("price")
    if not isinstance(entries, list) or not entries:
        raise InputError(f"{where}: no [[price]] entries")
    targets = config.get("targets", {})
    prices: list[NodePrice] = []
    seen: set[tuple[str, str, str]] = set()
    for i, raw in enumerate(entries, start=1):
        at = f"{where}: [[price]] #{i}"
        if not isinstance(raw, Mapping):
            raise InputError(f"{at} must be a table")
        extra = sorted(set(raw) - {"target", "node_type", "term", "per", "amount"})
        if extra:
            raise InputError(f"{at}: unknown key '{extra[0]}'")
        target, node_type = _text(raw, "target", at), _text(raw, "node_type", at)
        if target not in targets:
            raise InputError(f"{at}: unknown target {target!r} (known: {', '.join(targets)})")
        if node_type not in targets[target].get("node_types", {}):
            raise InputError(f"{at}: {target} has no node type {node_type!r} "
                             f"(known: {', '.join(targets[target].get('node_types', {}))})")
        term, per = _text(raw, "term", at), _text(raw, "per", at)
        if term not in TERMS:
            raise InputError(f"{at}: term must be one of {', '.join(TERMS)}, got {term!r}")
        if per not in PER:
            raise InputError(f"{at}: per must be hour or month, got {per!r}")
        if (target, node_type, term) in seen:
            raise InputError(f"{at}: a second {term} price for {target} {node_type}")
        seen.add((target, node_type, term))
        amount = _positive(raw.get("amount"), f"{at}: amount", MAX_PRICE)
        monthly = amount * hours if per == "hour" else amount
        prices.append(NodePrice(target=target, node_type=node_type, term=term, monthly=round(monthly, 4),
                                currency=currency, amount=amount, per=per,
                                source=f"{name}" + (f" ({source})" if source else "")))
    return prices


def load_prices(path: str, config: Mapping[str, Any]) -> list[NodePrice]:
    """Read and check a price file; a bad file is a one-line InputError naming it by file name."""
    name = Path(path).name
    try:
        # Bounded like a policy file: a regular file of at most 1 MiB (never /dev/zero or a FIFO).
        text = read_bounded_text(Path(path), POLICY_BYTES, "price file")
    except InputError as exc:
        raise InputError(str(exc).replace(str(path), name)) from None
    except IsADirectoryError:
        raise InputError(f"price file {name} is a folder, expected a TOML file") from None
    except OSError as exc:
        raise InputError(f"cannot read price file {name}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputError(f"price file {name} is not UTF-8 text") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"price file {name} is not valid TOML: {exc}") from None
    return parse_prices(data, name, config)


def apply_prices(config: dict[str, Any], prices: list[NodePrice]) -> None:
    """Set each priced node type's price_per_node (per month) so sizing recommends the cheapest.

    The recommendation uses one term per node type: the shortest commitment priced (on-demand,
    then 1-year, then 3-year); the comparison shows every term given.
    """
    for price in sorted(prices, key=lambda p: TERMS.index(p.term), reverse=True):
        config["targets"][price.target]["node_types"][price.node_type]["price_per_node"] = price.monthly
