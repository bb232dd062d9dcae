"""Effective policy: the bundled ``data/targets.toml`` with a user's ``--policy FILE`` merged over it.

The user file uses the same keys as targets.toml. Every key it sets must exist in the defaults
(a typo must not silently do nothing) and have the same type. Two exceptions keep the data
extensible without code: a table whose entries are all tables (a collection such as node types
or guest OS families) accepts new entries shaped like their siblings.

Sections that exist only in a policy file:

- ``[rules."<rule id>"]`` with ``enabled = false``, ``severity = "warning"`` and/or
  ``disposition = "remediate"`` (the disposition a failing finding steers the VM to)
- ``[retain]`` with ``name_patterns = ["glob", ...]``, ``folders = ["/DC/vm/Keep", ...]`` and
  ``custom_attributes = { key = "value" }``: VMs that stay on premises.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from scanner.errors import InputError
from scanner.limits import POLICY_BYTES, read_bounded_text
from scanner.patterns import check_user_pattern

SEVERITIES = ("blocker", "warning", "info")
RULE_OVERRIDE_KEYS = {"enabled": bool, "severity": str, "disposition": str}
RULE_DISPOSITIONS = ("rehost", "remediate", "replatform", "refactor", "retire")
RETAIN_KEYS = ("name_patterns", "folders", "custom_attributes")
# [analysis] unknown_as: how a rule that could not be evaluated counts (see targets.toml).
UNKNOWN_AS_VALUES = ("unknown", "condition")
# [analysis] unavailable_in_source_as: the same for data the input format never carries (vTPM in RVTools).
UNAVAILABLE_IN_SOURCE_AS_VALUES = ("note", "condition", "unknown")


def load_default_data() -> dict[str, Any]:
    """Read the bundled targets.toml (works from a source tree and an installed wheel)."""
    text = resources.files("scanner").joinpath("data/targets.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@dataclass
class RuleOverride:
    enabled: bool = True
    severity: str | None = None
    # The disposition a failing finding of this rule steers the VM to ("rehost" = none).
    disposition: str | None = None


@dataclass
class RetainPolicy:
    name_patterns: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    custom_attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class Policy:
    """Everything the analysis reads that is data rather than code."""

    data: dict[str, Any]
    rule_overrides: dict[str, RuleOverride] = field(default_factory=dict)
    retain: RetainPolicy = field(default_factory=RetainPolicy)
    # Where the user's overrides came from, and what they were (for the assessment record).
    source: str | None = None
    user_data: dict[str, Any] = field(default_factory=dict)
    # Values derived from ``data`` once per analysis (compiled regexes, largest nodes).
    derived: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def cached(self, key: str, factory: Callable[[], Any]) -> Any:
        if key not in self.derived:
            self.derived[key] = factory()
        return self.derived[key]

    def threshold(self, name: str) -> Any:
        return self.data["rules"]["thresholds"][name]

    def target_data(self, target: str) -> dict[str, Any]:
        targets: dict[str, Any] = self.data["targets"]
        return dict(targets[target])

    def hcx_methods(self) -> dict[str, dict[str, Any]]:
        return dict(self.data["hcx"]["methods"])

    def guest_families(self) -> dict[str, dict[str, Any]]:
        return dict(self.data["guest_os"]["families"])

    def record(self) -> dict[str, Any]:
        """A JSON-safe description of the policy for the assessment."""
        # By file name: the assessment and its reports go to the customer, the local path must not.
        source = Path(self.source).name if self.source else None
        return {"source": source, "overrides": json_safe(self.user_data)}


def json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def default_policy() -> Policy:
    return Policy(data=load_default_data())


def load_policy(path: str | None, known_rule_ids: Collection[str] | None = None) -> Policy:
    """Defaults merged with the TOML file at ``path``; InputError names any bad key."""
    defaults = load_default_data()
    if path is None:
        return Policy(data=defaults)
    p = Path(path)
    label = p.name
    try:
        user = tomllib.loads(read_bounded_text(p, POLICY_BYTES, "policy file"))
    except FileNotFoundError:
        raise InputError(f"{path}: policy file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, expected a TOML policy file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read policy file ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{label}: not valid TOML ({exc})") from None
    refuse_non_finite(user, label, "")
    return build_policy(defaults, user, label, known_rule_ids, source=str(path))


def refuse_non_finite(value: Any, label: str, key_path: str) -> None:
    """TOML spells nan and inf; no policy setting means either (NaN fails every comparison)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{label}: '{key_path}' is {value}; expected a finite number")
    if isinstance(value, dict):
        for key, item in value.items():
            refuse_non_finite(item, label, f"{key_path}.{key}" if key_path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            refuse_non_finite(item, label, f"{key_path}[{index}]")


def build_policy(defaults: dict[str, Any], user: dict[str, Any], label: str,
                 known_rule_ids: Collection[str] | None = None, source: str | None = None) -> Policy:
    if known_rule_ids is None:
        from scanner.rules import load_catalogue

        known_rule_ids = [spec.id for spec in load_catalogue().specs()]
    remaining = dict(user)
    retain = parse_retain(remaining.pop("retain", None), label)
    overrides: dict[str, RuleOverride] = {}
    user_rules = remaining.get("rules")
    if isinstance(user_rules, dict):
        default_rule_keys = set(defaults.get("rules", {}))
        generic_rules: dict[str, Any] = {}
        for key, value in user_rules.items():
            if key in default_rule_keys:
                generic_rules[key] = value
            elif key in known_rule_ids:
                overrides[key] = parse_rule_override(value, f"rules.{quote_key(key)}", label)
            else:
                raise InputError(f"{label}: unknown key 'rules.{quote_key(key)}' (not a setting nor a rule id; "
                                 "see `vmscan rules`)")
        remaining["rules"] = generic_rules
    data = merge_checked(defaults, remaining, "", label)
    apply_sizing_to_targets(data, user)
    validate_data(data, label)
    return Policy(data=data, rule_overrides=overrides, retain=retain, source=source, user_data=user)


def apply_sizing_to_targets(data: dict[str, Any], user: dict[str, Any]) -> None:
    """A key the user sets in ``[sizing]`` applies to every target unless set in ``[sizing.<target>]``.

    The defaults repeat some keys per target (``[sizing.avs] cpu_oversubscription``); without this
    a user's ``[sizing] cpu_oversubscription = 3`` would be silently shadowed by them.
    """
    user_sizing = user.get("sizing")
    if not isinstance(user_sizing, dict):
        return
    sizing = data["sizing"]
    for target in data.get("targets", {}):
        per_target = sizing.get(target)
        if not isinstance(per_target, dict):
            continue
        user_target = user_sizing.get(target)
        user_target = user_target if isinstance(user_target, dict) else {}
        for key, value in user_sizing.items():
            if key in per_target and key not in user_target and not isinstance(value, dict):
                per_target[key] = copy.deepcopy(sizing[key])


def quote_key(key: str) -> str:
    return f'"{key}"' if "." in key else key


def parse_rule_override(value: Any, key_path: str, label: str) -> RuleOverride:
    if not isinstance(value, dict):
        raise InputError(f"{label}: '{key_path}' must be a table (enabled / severity / disposition)")
    override = RuleOverride()
    for key, item in value.items():
        if key not in RULE_OVERRIDE_KEYS:
            raise InputError(f"{label}: unknown key '{key_path}.{key}' (expected enabled, severity or disposition)")
        if key == "disposition":
            if item not in RULE_DISPOSITIONS:
                raise InputError(f"{label}: '{key_path}.disposition' must be one of {', '.join(RULE_DISPOSITIONS)}")
            override.disposition = str(item)
        elif key == "enabled":
            if not isinstance(item, bool):
                raise InputError(f"{label}: '{key_path}.enabled' must be a boolean")
            override.enabled = item
        else:
            if item not in SEVERITIES:
                raise InputError(f"{label}: '{key_path}.severity' must be one of {', '.join(SEVERITIES)}")
            override.severity = str(item)
    return override


def parse_retain(value: Any, label: str) -> RetainPolicy:
    if value is None:
        return RetainPolicy()
    if not isinstance(value, dict):
        raise InputError(f"{label}: 'retain' must be a table")
    retain = RetainPolicy()
    for key, item in value.items():
        if key not in RETAIN_KEYS:
            raise InputError(f"{label}: unknown key 'retain.{key}' (expected {', '.join(RETAIN_KEYS)})")
        if key == "custom_attributes":
            if not isinstance(item, dict) or not all(isinstance(v, str) for v in item.values()):
                raise InputError(f"{label}: 'retain.custom_attributes' must be a table of strings")
            retain.custom_attributes = {str(k): str(v) for k, v in item.items()}
        else:
            if not isinstance(item, list) or not all(isinstance(v, str) for v in item):
                raise InputError(f"{label}: 'retain.{key}' must be an array of strings")
            setattr(retain, key, list(item))
    return retain


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    if isinstance(value, dt.datetime):
        return "date-time"
    if isinstance(value, dt.date):
        return "date"
    return type(value).__name__


def same_type(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, float):
        return isinstance(value, int | float)
    if isinstance(default, dt.datetime) or isinstance(value, dt.datetime):
        return isinstance(default, dt.datetime) and isinstance(value, dt.datetime)
    return type_name(default) == type_name(value)


def check_value(default: Any, value: Any, key_path: str, label: str) -> Any:
    """Type-check ``value`` against ``default``; return the merged value."""
    if isinstance(default, dict):
        if not isinstance(value, dict):
            raise InputError(f"{label}: '{key_path}' must be a table, got {type_name(value)}")
        return merge_checked(default, value, key_path, label)
    if not same_type(default, value):
        raise InputError(f"{label}: '{key_path}' must be {article(type_name(default))}, got {type_name(value)}")
    if isinstance(default, list) and default:
        for i, item in enumerate(value):
            if not same_type(default[0], item):
                raise InputError(
                    f"{label}: '{key_path}[{i}]' must be {article(type_name(default[0]))}, got {type_name(item)}")
    if isinstance(default, float):
        return float(value)
    return copy.deepcopy(value)


def article(name: str) -> str:
    return f"an {name}" if name[0] in "aeiou" else f"a {name}"


def merge_checked(defaults: dict[str, Any], user: dict[str, Any], prefix: str, label: str) -> dict[str, Any]:
    merged = copy.deepcopy(defaults)
    is_collection = bool(prefix) and is_collection_table(defaults)
    for key, value in user.items():
        key_path = f"{prefix}.{quote_key(key)}" if prefix else quote_key(key)
        if key in defaults:
            merged[key] = check_value(defaults[key], value, key_path, label)
        elif is_collection:
            merged[key] = new_collection_entry(defaults, value, key_path, label)
        else:
            raise InputError(f"{label}: unknown key '{key_path}'")
    return merged


def is_collection_table(table: dict[str, Any]) -> bool:
    """A table of like entries (node types, guest OS families): all tables sharing some keys."""
    entries = list(table.values())
    if not entries or not all(isinstance(e, dict) and e for e in entries):
        return False
    return bool(set.intersection(*(set(e) for e in entries)))


def new_collection_entry(siblings: dict[str, Any], value: Any, key_path: str, label: str) -> dict[str, Any]:
    """A new entry (e.g. a node type) must look like the existing ones: known keys, same types."""
    if not isinstance(value, dict):
        raise InputError(f"{label}: '{key_path}' must be a table, got {type_name(value)}")
    templates = list(siblings.values())
    entry: dict[str, Any] = {}
    for key, item in value.items():
        example = next((t[key] for t in templates if key in t), None)
        item_path = f"{key_path}.{quote_key(key)}"
        if example is None:
            raise InputError(f"{label}: unknown key '{item_path}'")
        entry[key] = check_value(example, item, item_path, label)
    required = set.intersection(*(set(t) for t in templates))
    missing = sorted(required - set(entry))
    if missing:
        raise InputError(f"{label}: '{key_path}' is missing key '{missing[0]}'")
    return entry


def validate_data(data: dict[str, Any], label: str) -> None:
    """Checks beyond types: values the rules rely on being well-formed."""
    # Compiled here as the guest OS rules compile them (ignoring case): a bad distribution pattern was
    # found only by the first VM the rule ran on (internal error, exit 3).
    for table in ("families", "distros"):
        for entry_id, entry in data.get("guest_os", {}).get(table, {}).items():
            for key in ("name_regex", "version_regex"):
                if isinstance(entry, dict) and isinstance(entry.get(key), str):
                    check_user_pattern(entry[key], f"{label}: 'guest_os.{table}.{quote_key(entry_id)}.{key}'",
                                       re.IGNORECASE)
    for key, allowed in (("unknown_as", UNKNOWN_AS_VALUES),
                         ("unavailable_in_source_as", UNAVAILABLE_IN_SOURCE_AS_VALUES)):
        value = data.get("analysis", {}).get(key)
        if value is not None and value not in allowed:
            raise InputError(f"{label}: 'analysis.{key}' must be one of {', '.join(allowed)}, got {value!r}")
    for rule_id, entry in data.get("disposition", {}).get("rules", {}).items():
        if not isinstance(entry, dict) or entry.get("disposition") not in RULE_DISPOSITIONS:
            raise InputError(f"{label}: 'disposition.rules.{quote_key(rule_id)}.disposition' must be one of "
                             f"{', '.join(RULE_DISPOSITIONS)}")
    stale = data.get("analysis", {}).get("stale_data_days")
    if stale is not None and (not isinstance(stale, int) or isinstance(stale, bool) or stale < 0):
        raise InputError(f"{label}: 'analysis.stale_data_days' must be a whole number of days, 0 or more")
    hcx = data.get("hcx", {})
    methods = hcx.get("methods", {})
    for state, order in hcx.get("preference", {}).items():
        if isinstance(order, list):
            for method in order:
                if method not in methods:
                    raise InputError(f"{label}: 'hcx.preference.{state}' names unknown method '{method}'")
    for name, value in data.get("rules", {}).get("thresholds", {}).items():
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            raise InputError(f"{label}: 'rules.thresholds.{name}' must be 0 or more, got {value}")
    for key in ("esxi_min_source_version", "vcenter_min_source_version"):
        version = data.get("rules", {}).get("thresholds", {}).get(key)
        if version is not None and not re.fullmatch(r"\d+(\.\d+){0,2}", str(version)):
            raise InputError(f"{label}: 'rules.thresholds.{key}' must look like \"6.5\"")
