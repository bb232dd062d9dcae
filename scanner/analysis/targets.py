"""Cloud targets as data: which targets exist, which are assessed by default, how they are named.

Every target is a ``[targets.<id>]`` table of ``scanner/data/targets.toml`` (or a user policy);
nothing here names a particular target. Rules declare ``targets=ALL_TARGETS`` to apply to every
VMware cloud target the data lists, or a tuple of target ids to apply to those only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from scanner.analysis.model import TargetInfo
from scanner.errors import InputError

# The --target value (and rule metadata) meaning "every target in the data".
ALL = "all"
ALL_TARGETS = (ALL,)


def target_ids(data: Mapping[str, Any]) -> tuple[str, ...]:
    """Every target the data defines, in the data's order."""
    targets = data.get("targets")
    if not isinstance(targets, Mapping) or not targets:
        raise InputError("policy: no [targets.<id>] table")
    return tuple(str(t) for t in targets)


def default_targets(data: Mapping[str, Any]) -> tuple[str, ...]:
    """[meta] default_targets, in the data's order; every target when the key is absent or empty."""
    known = target_ids(data)
    wanted = data.get("meta", {}).get("default_targets") or list(known)
    unknown = [str(t) for t in wanted if t not in known]
    if unknown:
        raise InputError(f"policy: meta.default_targets names unknown target {unknown[0]!r} "
                         f"(known: {', '.join(known)})")
    return tuple(t for t in known if t in wanted)


def resolve_targets(value: str | Iterable[str] | None, data: Mapping[str, Any]) -> tuple[str, ...]:
    """--target value → target ids: None = the default set, "all" = every target, else a
    comma-separated list of target ids (in the data's order)."""
    known = target_ids(data)
    if value is None:
        return default_targets(data)
    items = [v.strip() for v in (value.split(",") if isinstance(value, str) else value)]
    items = [v for v in items if v]
    if not items:
        return default_targets(data)
    if ALL in items:
        return known
    unknown = [v for v in items if v not in known]
    if unknown:
        raise InputError(f"unknown target {unknown[0]!r}; choose from {', '.join(known)} or {ALL}")
    return tuple(t for t in known if t in items)


def applies_to(rule_targets: Iterable[str], target: str) -> bool:
    """A rule declared for ALL_TARGETS applies to every target; otherwise to those it names."""
    listed = tuple(rule_targets)
    return ALL in listed or target in listed


def target_label(data: Mapping[str, Any], target: str) -> str:
    table = data.get("targets", {}).get(target, {})
    return str(table.get("label") or target)


def target_infos(data: Mapping[str, Any], targets: Iterable[str]) -> list[TargetInfo]:
    """What reports show about each assessed target: names, notes, unconfirmed facts, limits."""
    infos = []
    for target in targets:
        table = data.get("targets", {}).get(target, {})
        cluster = table.get("cluster", {})
        minimums = table.get("licence_minimums", {})
        infos.append(TargetInfo(
            id=target,
            name=str(table.get("name") or target),
            label=str(table.get("label") or target),
            source=str(table.get("source") or ""),
            as_of=str(table.get("as_of") or ""),
            min_hosts=int(cluster["min_hosts"]) if "min_hosts" in cluster else None,
            max_hosts=int(cluster["max_hosts"]) if "max_hosts" in cluster else None,
            migration_methods=[str(m) for m in table.get("migration_methods", [])],
            notes=[str(n) for n in table.get("notes", [])],
            unconfirmed=[str(u) for u in table.get("unconfirmed", [])],
            licence_minimums={str(k): float(v) for k, v in minimums.items()
                              if isinstance(v, int | float) and not isinstance(v, bool)},
        ))
    return infos


@lru_cache(maxsize=1)
def shipped_target_names() -> dict[str, tuple[str, str]]:
    """Target id -> (full name, short label) from the shipped targets.toml (display only; read on first use)."""
    from scanner.policy import load_default_data

    return {str(k): (str(v.get("name") or k), str(v.get("label") or k))
            for k, v in load_default_data()["targets"].items()}


def target_name(target: str, infos: Iterable[TargetInfo] = ()) -> str:
    """A target's full name: from the assessment's target_info, else the shipped data, else its id."""
    for info in infos:
        if info.id == target:
            return info.name
    return shipped_target_names().get(target, (target, target))[0]


def short_label(target: str, infos: Iterable[TargetInfo] = ()) -> str:
    """A target's short label ("AVS Gen 2"): from target_info, else the shipped data, else its id."""
    for info in infos:
        if info.id == target and info.label:
            return info.label
    return shipped_target_names().get(target, (target, target))[1]
