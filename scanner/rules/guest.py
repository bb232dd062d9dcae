"""Guest operating system support and end of support, driven by [guest_os.families] in targets.toml."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scanner.inventory.model import VM
from scanner.policy import Policy
from scanner.rules import refs
from scanner.rules.base import RuleContext, RuleResult, fail, rule, unknown


@dataclass(frozen=True)
class GuestFamily:
    id: str
    name: str
    guest_ids: frozenset[str]
    pattern: re.Pattern[str] | None
    end_of_support: dt.date | None
    supported: bool
    source: str
    support_source: str


@dataclass(frozen=True)
class GuestMatch:
    family: GuestFamily
    field: str  # which VM field identified it
    value: str


def guest_families(policy: Policy) -> list[GuestFamily]:
    def build() -> list[GuestFamily]:
        families = []
        for family_id, raw in policy.guest_families().items():
            families.append(family_from_data(family_id, raw))
        return families

    result: list[GuestFamily] = policy.cached("guest_families", build)
    return result


def family_from_data(family_id: str, raw: dict[str, Any]) -> GuestFamily:
    regex = str(raw.get("name_regex", ""))
    eos = raw.get("end_of_support")
    if isinstance(eos, dt.datetime):
        eos = eos.date()
    return GuestFamily(
        id=family_id, name=str(raw.get("name", family_id)),
        guest_ids=frozenset(str(g).lower() for g in raw.get("guest_ids", [])),
        pattern=re.compile(regex, re.IGNORECASE) if regex else None,
        end_of_support=eos if isinstance(eos, dt.date) else None,
        supported=bool(raw.get("supported", True)),
        source=str(raw.get("source", "")), support_source=str(raw.get("support_source", "")),
    )


def guest_candidates(vm: VM) -> list[tuple[str, str]]:
    """(field, value) pairs, the guest as VMware Tools reports it first, then as configured."""
    fields = ("guest_id_tools", "guest_full_name_tools", "guest_id", "guest_full_name")
    return [(name, value) for name in fields if (value := getattr(vm, name))]


def identify_guest(vm: VM, families: list[GuestFamily]) -> GuestMatch | None:
    for field_name, value in guest_candidates(vm):
        lowered = value.strip().lower()
        # vCenter guest ids match exactly (some sources echo the id in the full-name field).
        for family in families:
            if lowered in family.guest_ids:
                return GuestMatch(family, field_name, value)
        for family in families:
            if family.pattern is not None and family.pattern.search(value):
                return GuestMatch(family, field_name, value)
    return None


def evidence_of(match: GuestMatch) -> dict[str, Any]:
    return {"os_family": match.family.id, "os_name": match.family.name, "matched_field": match.field,
            "matched_value": match.value}


@rule(
    id="vm.guest-os-unsupported",
    title="Guest OS not supported on the target's ESXi version",
    severity="blocker",
    remediation="Upgrade or rebuild the guest on a supported OS before migrating, or keep it on premises "
                "(retain) until it is retired.",
    rationale="AVS and VMC run current ESXi releases; a guest OS outside VMware's compatibility guide is not "
              "supported by VMware nor the cloud provider (list in targets.toml [guest_os.families]).",
    references=(refs.VMWARE_GUEST_OS_COMPAT, refs.AVS_ASSESSMENT),
    remediable=False,
    suggests="replatform",
)
def guest_os_unsupported(ctx: RuleContext) -> Iterator[RuleResult]:
    if not guest_candidates(ctx.vm):
        yield unknown("guest OS not known", missing="guest_id")
        return
    match = identify_guest(ctx.vm, guest_families(ctx.policy))
    if match is not None and not match.family.supported:
        yield fail(f"{match.family.name} is not supported on the target", **evidence_of(match),
                   source=match.family.support_source)


@rule(
    id="vm.guest-os-end-of-support",
    title="Guest OS past its vendor's end of support",
    severity="warning",
    remediation="Plan an OS upgrade or re-platform (replatform disposition); if it must move as is, arrange "
                "extended security updates and document the risk.",
    rationale="Vendor support dates in targets.toml [guest_os.families]; the check uses the analysis 'as of' "
              "date (--as-of).",
    references=(refs.AVS_ASSESSMENT, "https://learn.microsoft.com/lifecycle/products/",
                "https://access.redhat.com/support/policy/updates/errata"),
    remediable=False,
    suggests="replatform",
)
def guest_os_end_of_support(ctx: RuleContext) -> Iterator[RuleResult]:
    if not guest_candidates(ctx.vm):
        yield unknown("guest OS not known", missing="guest_id")
        return
    match = identify_guest(ctx.vm, guest_families(ctx.policy))
    if match is None or match.family.end_of_support is None:
        return
    eos = match.family.end_of_support
    if eos <= ctx.as_of:
        yield fail(f"{match.family.name} reached end of support on {eos.isoformat()}", **evidence_of(match),
                   end_of_support=eos.isoformat(), days_past=(ctx.as_of - eos).days, source=match.family.source)
