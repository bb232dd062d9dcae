"""Guest operating system: which OS a VM runs, whether the target's ESXi supports it, and its end of support.

Every source vSphere gives is read - VMware Tools' detailed data (vCenter guest.guestDetailedData,
RVTools 4.7 "Guest Detailed Data"), Tools' OS name and guest id, the configured OS name and guest
id - and the most specific reading wins. The configuration is what an administrator picked when the
VM was created; VMware Tools report what runs. So a configured OS that Tools contradict (another OS
family, distribution or version) is never used: a VM configured as RHEL 7 whose Tools say Rocky
Linux 9.5 is Rocky Linux 9. The distributions and their major versions, with dates and sources,
are data: targets.toml [guest_os.distros] and [guest_os.families].
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from scanner.inventory.model import VM
from scanner.patterns import MATCHED_TEXT_CHARS
from scanner.policy import Policy
from scanner.rules import refs
from scanner.rules.base import Results, RuleContext, RuleResult, fail, rule, unknown

# Sources in the order they are trusted when equally specific; the first three come from VMware Tools.
SOURCES = ("guest_detailed_data", "guest_full_name_tools", "guest_id_tools", "guest_full_name", "guest_id")
TOOLS_SOURCES = frozenset(SOURCES[:3])
# The first number after the distribution's name, not a bitness ("Red Hat Fedora (32-bit)").
DEFAULT_VERSION = re.compile(r"\D{0,25}?(?<![\d.])(\d+(?:\.\d+)?)(?![\d.]|\s*-?\s*bit)")
AVS_ESU = "https://learn.microsoft.com/azure/azure-vmware/extended-security-updates-windows-sql-server"
DETAIL_PAIR = re.compile(r"(\w+)='([^']*)'")


@dataclass(frozen=True)
class GuestFamily:
    id: str
    name: str
    distro: str
    version: str | None
    guest_ids: frozenset[str]
    pattern: re.Pattern[str] | None
    end_of_support: dt.date | None
    rolling: bool
    supported: bool
    source: str
    support_source: str


@dataclass(frozen=True)
class Distro:
    id: str
    name: str
    os_family: str
    pattern: re.Pattern[str]
    version_pattern: re.Pattern[str] | None
    guest_ids: frozenset[str]
    generic: bool


@dataclass(frozen=True)
class GuestReading:
    """What one source says: an OS family, perhaps a distribution, perhaps its version."""

    field: str
    value: str
    os_family: str
    distro: str | None = None
    distro_name: str | None = None
    version: str | None = None
    family: GuestFamily | None = None

    @property
    def specificity(self) -> int:
        return 3 if self.family is not None else 2 if self.version else 1 if self.distro else 0

    @property
    def label(self) -> str:
        if self.family is not None:
            return self.family.name
        return " ".join(p for p in (self.distro_name or f"{self.os_family} (distribution not named)",
                                    self.version) if p)


@dataclass(frozen=True)
class GuestCatalogue:
    families: list[GuestFamily]
    distros: list[Distro]
    by_guest_id: dict[str, GuestFamily]
    by_distro_version: dict[tuple[str, str], GuestFamily]


def family_from_data(family_id: str, raw: dict[str, Any]) -> GuestFamily:
    regex = str(raw.get("name_regex", ""))
    eos = raw.get("end_of_support")
    if isinstance(eos, dt.datetime):
        eos = eos.date()
    version = raw.get("version")
    return GuestFamily(
        id=family_id, name=str(raw.get("name", family_id)), distro=str(raw.get("distro", family_id)),
        version=str(version) if version else None,
        guest_ids=frozenset(str(g).lower() for g in raw.get("guest_ids", [])),
        pattern=re.compile(regex, re.IGNORECASE) if regex else None,
        end_of_support=eos if isinstance(eos, dt.date) else None, rolling=bool(raw.get("rolling", False)),
        supported=bool(raw.get("supported", True)),
        source=str(raw.get("source", "")), support_source=str(raw.get("support_source", "")),
    )


def distro_from_data(distro_id: str, raw: dict[str, Any]) -> Distro:
    version_regex = str(raw.get("version_regex", ""))
    return Distro(
        id=distro_id, name=str(raw.get("name", distro_id)), os_family=str(raw.get("os_family", "other")),
        pattern=re.compile(str(raw.get("name_regex", re.escape(distro_id))), re.IGNORECASE),
        version_pattern=re.compile(version_regex, re.IGNORECASE) if version_regex else None,
        guest_ids=frozenset(str(g).lower() for g in raw.get("guest_ids", [])), generic=bool(raw.get("generic")),
    )


def guest_catalogue(policy: Policy) -> GuestCatalogue:
    def build() -> GuestCatalogue:
        families = [family_from_data(fid, raw) for fid, raw in policy.guest_families().items()]
        distros = [distro_from_data(did, raw) for did, raw in policy.data["guest_os"].get("distros", {}).items()]
        by_id = {gid: family for family in families for gid in family.guest_ids}
        by_version = {(f.distro, f.version): f for f in families if f.version}
        return GuestCatalogue(families, distros, by_id, by_version)

    result: GuestCatalogue = policy.cached("guest_catalogue", build)
    return result


def guest_families(policy: Policy) -> list[GuestFamily]:
    return guest_catalogue(policy).families


def detailed_text(value: str) -> str:
    """guestDetailedData "key='value' ..." -> its prettyName, else distroName + distroVersion; else as is."""
    pairs = dict(DETAIL_PAIR.findall(value))
    if not pairs:
        return value
    if pairs.get("prettyName"):
        return pairs["prettyName"]
    return " ".join(p for p in (pairs.get("distroName"), pairs.get("distroVersion")) if p) or value


def version_after(distro: Distro, text: str, match: re.Match[str]) -> str | None:
    if distro.version_pattern is not None:
        found = distro.version_pattern.search(text)
        return found.group(1) if found else None
    found = DEFAULT_VERSION.match(text, match.end())
    if found is None:
        return None
    number = found.group(1)
    # Windows "2012 R2", "Rocky 9.5": the major version names the family; Ubuntu keeps "22.04".
    return number.split(".")[0]


def family_for(catalogue: GuestCatalogue, distro: str, version: str | None) -> GuestFamily | None:
    if version is None:
        return None
    return catalogue.by_distro_version.get((distro, version))


def read_source(field_name: str, value: str, catalogue: GuestCatalogue) -> GuestReading | None:
    """What one source says, or None when it names nothing this catalogue recognises."""
    text = value.strip()
    lowered = text.lower()
    family = catalogue.by_guest_id.get(lowered)
    os_family = {d.id: d.os_family for d in catalogue.distros}
    if family is not None:
        return GuestReading(field_name, value, os_family.get(family.distro, family.distro), family.distro,
                            family.name, family.version, family)
    for distro in catalogue.distros:
        if lowered in distro.guest_ids:
            generic = distro.generic
            return GuestReading(field_name, value, distro.os_family, None if generic else distro.id,
                                None if generic else distro.name)
    if field_name == "guest_detailed_data":
        text = detailed_text(text)
    # Patterns (the policy's may be the user's) see at most this much: it bounds their backtracking on
    # a hostile 32,767-character cell; real guest OS names are far shorter (scanner/patterns.py).
    text = text[:MATCHED_TEXT_CHARS]
    # Old families with no version scheme (Windows XP, NT) are named by a pattern of their own.
    for family in catalogue.families:
        if family.pattern is not None and family.pattern.search(text):
            return GuestReading(field_name, value, os_family.get(family.distro, "other"), family.distro,
                                family.name, family.version, family)
    for distro in catalogue.distros:
        match = distro.pattern.search(text)
        if match is None:
            continue
        if distro.generic:
            return GuestReading(field_name, value, distro.os_family)
        version = version_after(distro, text, match)
        return GuestReading(field_name, value, distro.os_family, distro.id, distro.name, version,
                            family_for(catalogue, distro.id, version))
    return None


def contradicts(tools: GuestReading, other: GuestReading) -> bool:
    """The Tools reading rules out ``other`` (another OS family, distribution or version)."""
    if tools.os_family != other.os_family:
        return True
    if tools.distro and other.distro and tools.distro != other.distro:
        return True
    return bool(tools.distro == other.distro and tools.version and other.version and tools.version != other.version)


def identify(vm: VM, catalogue: GuestCatalogue) -> GuestReading | None:
    """The most specific reading the VMware Tools do not contradict; Tools first among equals."""
    readings = [reading for field_name in SOURCES
                if (value := getattr(vm, field_name)) and (reading := read_source(field_name, value, catalogue))]
    tools = [r for r in readings if r.field in TOOLS_SOURCES]
    if tools:
        best_tools = max(tools, key=lambda r: r.specificity)
        readings = [r for r in readings if r.field in TOOLS_SOURCES or not contradicts(best_tools, r)]
    if not readings:
        return None
    return max(readings, key=lambda r: r.specificity)  # max keeps the first (most trusted) of equals


def guest_names(vm: VM) -> tuple[str | None, ...]:
    """The VM's OS names, in the order of SOURCES."""
    return (vm.guest_detailed_data, vm.guest_full_name_tools, vm.guest_id_tools, vm.guest_full_name, vm.guest_id)


def vm_reading(ctx: RuleContext) -> GuestReading | None:
    """The VM's guest OS reading: identified once per distinct set of OS names in the analysis (a
    reading depends on the names alone, and an estate has few), shared by the guest rules."""
    vm = ctx.vm
    names = guest_names(vm)
    readings: dict[tuple[str | None, ...], GuestReading | None] = (ctx.shared.get("guest_readings")
                                                                   or ctx.derived("guest_readings", dict))
    if names not in readings:
        readings[names] = identify(vm, guest_catalogue(ctx.policy))
    return readings[names]


def has_guest_data(vm: VM) -> bool:
    return bool(vm.guest_detailed_data or vm.guest_full_name_tools or vm.guest_id_tools or vm.guest_full_name
                or vm.guest_id)


def per_os_names(ctx: RuleContext, rule_id: str,
                 check: Callable[[RuleContext], Iterator[RuleResult]]) -> tuple[RuleResult, ...]:
    """``check``'s results, found once per distinct set of OS names (and assessment date) of the
    analysis: a guest rule reads nothing else of the VM. VMs with the same names share the results,
    which the engine treats as read-only."""
    vm = ctx.vm
    key = (vm.guest_detailed_data, vm.guest_full_name_tools, vm.guest_id_tools, vm.guest_full_name, vm.guest_id,
           ctx.as_of)  # guest_names(vm) and the date
    memo: dict[tuple[Any, ...], tuple[RuleResult, ...]] = (ctx.shared.get(rule_id) or ctx.derived(rule_id, dict))
    results = memo.get(key)
    if results is None:
        results = memo[key] = tuple(check(ctx))
    return results


def evidence_of(reading: GuestReading) -> dict[str, Any]:
    evidence: dict[str, Any] = {"os_name": reading.label, "matched_field": reading.field,
                                "matched_value": reading.value}
    if reading.family is not None:
        evidence["os_family"] = reading.family.id
    return evidence


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
def guest_os_unsupported(ctx: RuleContext) -> Results:
    return per_os_names(ctx, "vm.guest-os-unsupported", guest_os_unsupported_results)


def guest_os_unsupported_results(ctx: RuleContext) -> Iterator[RuleResult]:
    if not has_guest_data(ctx.vm):
        yield unknown("guest OS not known", missing="guest_id")
        return
    reading = vm_reading(ctx)
    if reading is not None and reading.family is not None and not reading.family.supported:
        yield fail(f"{reading.family.name} is not supported on the target", **evidence_of(reading),
                   source=reading.family.support_source)


@rule(
    id="vm.guest-os-end-of-support",
    title="Guest OS past its vendor's end of support",
    # A disposition and licensing fact, not a readiness condition: AVS and VMC run any guest their
    # ESXi supports (vm.guest-os-unsupported is the readiness rule), so it is information.
    severity="info",
    remediation="Plan an OS upgrade or re-platform (replatform disposition). For Windows Server and SQL "
                "Server on Azure VMware Solution, Extended Security Updates are available at no extra cost "
                "for eligible end-of-support versions (check the current terms); elsewhere arrange paid "
                "extended support and document the risk.",
    rationale="Vendor support dates in targets.toml [guest_os.families], measured at the assessment date "
              "(--as-of). The OS is read from every source (VMware Tools first, then the configuration); a VM "
              "whose OS version cannot be told is reported as unknown, never as a pass.",
    references=(refs.AVS_ASSESSMENT, AVS_ESU, "https://learn.microsoft.com/lifecycle/products/",
                "https://access.redhat.com/support/policy/updates/errata"),
    remediable=False,
    suggests="replatform",
)
def guest_os_end_of_support(ctx: RuleContext) -> Results:
    return per_os_names(ctx, "vm.guest-os-end-of-support", guest_os_end_of_support_results)


def guest_os_end_of_support_results(ctx: RuleContext) -> Iterator[RuleResult]:
    if not has_guest_data(ctx.vm):
        yield unknown("guest OS not known", missing="guest_id")
        return
    reading = vm_reading(ctx)
    if reading is None:
        names = "; ".join(str(getattr(ctx.vm, n)) for n in SOURCES if getattr(ctx.vm, n))
        yield unknown(f"guest OS not recognised ({names})", missing="guest_os_version")
        return
    family = reading.family
    if family is None:
        what = "version not known" if not reading.version else "no end-of-support date on file"
        yield unknown(f"{reading.label}: {what}", missing="guest_os_version", **evidence_of(reading))
        return
    eos = family.end_of_support
    if eos is None:
        if not family.rolling:
            yield unknown(f"{family.name}: no end-of-support date on file", missing="guest_os_version",
                          **evidence_of(reading))
        return
    if eos <= ctx.as_of:
        yield fail(f"{family.name} reached end of support on {eos.isoformat()}", **evidence_of(reading),
                   end_of_support=eos.isoformat(), days_past=(ctx.as_of - eos).days, source=family.source)
