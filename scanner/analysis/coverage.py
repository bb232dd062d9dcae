"""Data coverage: which rules could not be evaluated, on how many VMs, why, and what fixes it.

A rule that lacks data yields an ``unknown`` finding whose evidence names the VM field it needed
(``missing="usb_devices"``). This module maps that field to where the data comes from - an RVTools
tab, or no RVTools tab at all - and looks at the VM's vCenter (which RVTools tabs its export
lacked, which hosts its export lists) to say *why* the value is missing and what the consultant
can do: re-export with more tabs, or collect live with ``vmscan collect``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scanner.analysis.model import Finding, InputCoverage, InputInfo, RuleGap, RuleInfo
from scanner.inventory.model import VM, VCenter

FIX_COLLECT = "collect live with `vmscan collect --server <vCenter>` (read-only account)"
SEVERITY_ORDER = {"blocker": 0, "warning": 1, "info": 2}
EXAMPLES = 5
# RVTools tabs that only RVTools 3.x writes: no 4.x export has a vFloppy tab (checked on real
# 4.1-4.7 exports), so a 4.x export without one lacks nothing a re-export could add.
TABS_BEFORE_RVTOOLS_4 = ("vFloppy",)


@dataclass(frozen=True)
class DataSource:
    """Where one kind of VM data comes from."""

    label: str  # human words, e.g. "USB devices"
    # RVTools tabs that carry it (any one is enough); empty when no RVTools export has it.
    rvtools_tabs: tuple[str, ...] = ()
    rvtools_column: str | None = None


# Keyed by the ``missing`` evidence of the rules' unknown results (scanner/rules/*.py).
DATA_SOURCES: dict[str, DataSource] = {
    "cdroms": DataSource("CD/DVD drives", ("vCD",)),
    "cdrom.backing": DataSource("CD/DVD drive backing", ("vCD",), "Device Type"),
    # devices.py spells the floppy family "floppys" (f"{kind}s"); both spellings are accepted.
    "floppys": DataSource("floppy drives", ("vFloppy",)),
    "floppies": DataSource("floppy drives", ("vFloppy",)),
    "floppy.backing": DataSource("floppy drive backing", ("vFloppy",)),
    "serial_ports": DataSource("serial ports"),
    "parallel_ports": DataSource("parallel ports"),
    "port.backing": DataSource("serial/parallel port backing"),
    "usb_devices": DataSource("USB devices", ("vUSB",)),
    "usb_controllers": DataSource("USB controllers"),
    "passthrough_devices": DataSource("PCI passthrough / vGPU devices"),
    "nics": DataSource("network adapters", ("vNetwork",)),
    "nic.adapter_type": DataSource("network adapter type", ("vNetwork",), "Adapter"),
    "nic.network_kind": DataSource("port group switch type", ("dvSwitch", "vSwitch", "dvPort", "vPort")),
    "ipv6_addresses": DataSource("IPv6 addresses", ("vNetwork",)),
    "snapshots": DataSource("snapshots", ("vSnapshot",)),
    "snapshot.created": DataSource("snapshot dates", ("vSnapshot",), "Date / time"),
    "tools_status": DataSource("VMware Tools status", ("vTools",)),
    "tools_running": DataSource("VMware Tools running state", ("vInfo",), "Guest state"),
    "tools_version_status": DataSource("VMware Tools version status", ("vTools",), "Tools"),
    "consolidation_needed": DataSource("disk consolidation state", ("vInfo",), "Consolidation Needed"),
    "host": DataSource("ESXi host", ("vHost",)),
    "host.cpu_vendor": DataSource("host CPU vendor", ("vHost",), "CPU Model"),
    "host.esxi_version": DataSource("host ESXi version", ("vHost",), "ESX Version"),
    "vcenter.version": DataSource("vCenter version", ("vSource",), "Version"),
    "vtpm": DataSource("vTPM presence"),
    "encrypted": DataSource("VM encryption state"),
    # From vCenter's event history (scanner/collector/events.py); no RVTools tab carries it.
    "powered_off_since": DataSource("power-off date (vCenter events)"),
    "ft_state": DataSource("Fault Tolerance state", ("vInfo",), "FT State"),
    "latency_sensitivity": DataSource("latency sensitivity", ("vInfo",), "Latency Sensitivity"),
    "hardware_version": DataSource("hardware version", ("vInfo",), "HW version"),
    "guest_id": DataSource("guest OS", ("vInfo",), "OS according to the configuration file"),
    # The OS is named but not its version (e.g. "Ubuntu Linux (64-bit)"); RVTools 4.7 has it in vInfo.
    "guest_os_version": DataSource("guest OS version", ("vInfo",), "Guest Detailed Data"),
    "power_state": DataSource("power state", ("vInfo",), "Powerstate"),
    "template": DataSource("template flag", ("vInfo",), "Template"),
    "connection_state": DataSource("connection state", ("vInfo",), "Connection state"),
    "num_cpu": DataSource("vCPU count", ("vInfo",), "CPUs"),
    "memory_mib": DataSource("memory size", ("vInfo",), "Memory"),
    "storage": DataSource("provisioned storage", ("vInfo",), "Provisioned MiB"),
    "cbt_enabled": DataSource("changed block tracking", ("vInfo",), "CBT"),
    "annotation": DataSource("notes and custom attributes", ("vInfo",), "Annotation"),
    "disks": DataSource("virtual disks", ("vDisk",)),
    "controllers": DataSource("disk controllers", ("vDisk",)),
}
# Families of keys such as "disk.sharing" or "controller.type".
PREFIX_SOURCES: dict[str, DataSource] = {
    "disk": DataSource("virtual disk details", ("vDisk",)),
    "controller": DataSource("disk controller details", ("vDisk",)),
    "snapshot": DataSource("snapshot details", ("vSnapshot",)),
    "host": DataSource("host details", ("vHost",)),
    "nic": DataSource("network adapter details", ("vNetwork",)),
}
# Rules whose unknown results about a single device carry no ``missing`` key.
RULE_DEFAULT_MISSING: dict[str, str] = {
    "device.cdrom-connected": "cdrom.backing",
    "device.floppy-connected": "floppy.backing",
    "device.serial-port": "port.backing",
    "device.parallel-port": "port.backing",
    "net.standard-vswitch": "nic.network_kind",
    "net.nic-legacy": "nic.adapter_type",
}


def data_source(key: str) -> DataSource:
    known = DATA_SOURCES.get(key)
    if known is not None:
        return known
    prefix = key.split(".", 1)[0]
    if prefix in PREFIX_SOURCES and "." in key:
        family = PREFIX_SOURCES[prefix]
        return DataSource(f"{family.label} ({key.split('.', 1)[1]})", family.rvtools_tabs)
    return DataSource(key.replace("_", " "))


@dataclass(frozen=True)
class Cause:
    """Why one rule could not be evaluated on one VM."""

    key: str  # the rule's ``missing`` evidence, e.g. "usb_devices"
    data: str  # what is missing, in words: "USB devices"
    reason: str  # the same for every VM it applies to: "RVTools export has no vUSB tab"
    fix: str
    # The reason for this VM when it is more specific ("host 10.1.1.1 not in vHost").
    detail: str | None = None
    # A specific value worth listing in the estate-wide view (the host name).
    example: str | None = None
    # RVTools tabs whose absence caused it, and data no RVTools export carries.
    missing_tabs: tuple[str, ...] = ()
    not_in_source: bool = False

    @property
    def vm_reason(self) -> str:
        return self.detail or self.reason

    def text(self, rule_id: str, verb: str) -> str:
        """``not verified: device.usb (missing USB devices: RVTools export has no vUSB tab)``."""
        return f"{verb}: {rule_id} (missing {self.data}: {self.vm_reason})"

    def unavailable_text(self, rule_id: str) -> str:
        """A condition on data the input format never carries: where to verify it instead."""
        return (f"not verifiable from RVTools: {self.data} ({rule_id}) — check in vCenter or collect with "
                "`vmscan collect`")


def missing_key(finding: Finding) -> str:
    value = finding.evidence.get("missing")
    if isinstance(value, str) and value:
        return value
    return RULE_DEFAULT_MISSING.get(finding.rule_id, finding.rule_id)


def cause_of(finding: Finding, vm: VM, vcenter: VCenter, host_names: Collection[str]) -> Cause:
    """Classify one unknown finding of ``vm`` (which belongs to ``vcenter``)."""
    key = missing_key(finding)
    source = data_source(key)
    if vcenter.source_kind == "rvtools":
        return rvtools_cause(key, source, vm, vcenter, host_names)
    if key == "host":
        if vm.host is None:
            return Cause(key, source.label, "the VM's host is not known", FIX_COLLECT, detail="host not known")
        return Cause(key, source.label, "the VM's host is not in the inventory",
                     "re-collect; the host may have been removed or not readable by the account",
                     detail=f"host {vm.host} not in the inventory", example=vm.host)
    if key == "powered_off_since":
        return power_off_cause(key, source, vm, vcenter)
    return Cause(key, source.label, f"{source.label} not collected",
                 "see the collection issues; re-collect with `vmscan collect` using an account that can read it",
                 detail="not collected")


# Missing keys whose cause depends on the VM itself (its host, its power-off history); every
# other cause is a fact of the VM's vCenter (its input's tabs and kind), the same for all its VMs.
VM_DEPENDENT_KEYS = frozenset({"host", "powered_off_since"})


class CauseCache:
    """``cause_of`` once per (vCenter, missing key) when the cause does not depend on the VM.

    A vInfo-only export lacks the same tabs for every VM: 100,000 VMs share one Cause per gap.
    """

    def __init__(self) -> None:
        # id(vCenter) -> missing key -> cause.
        self.causes: dict[int, dict[str, Cause]] = {}
        # The vCenters the keys' ids stand for, kept so an id is never reused while cached.
        self.vcenters: dict[int, VCenter] = {}

    def cause(self, finding: Finding, key: str, vm: VM, vcenter: VCenter, host_names: Collection[str]) -> Cause:
        if key in VM_DEPENDENT_KEYS and cause_depends_on_vm(key, vcenter):
            return cause_of(finding, vm, vcenter, host_names)
        by_key = self.of_vcenter(vcenter)
        cached = by_key.get(key)
        if cached is None:
            cached = by_key[key] = cause_of(finding, vm, vcenter, host_names)
        return cached

    def of_vcenter(self, vcenter: VCenter) -> dict[str, Cause]:
        """The vCenter's causes that do not depend on the VM, by missing key (a key ``cause`` asks
        of the VM is never in it)."""
        by_key = self.causes.get(id(vcenter))
        if by_key is None:
            by_key = self.causes[id(vcenter)] = {}
            self.vcenters[id(vcenter)] = vcenter
        return by_key


def cause_depends_on_vm(key: str, vcenter: VCenter) -> bool:
    """Whether ``cause_of`` looks at the VM for ``key`` in this vCenter: for a VM_DEPENDENT_KEYS key,
    except in an RVTools export, which never carries a power-off date and, lacking every tab that
    carries the key (vInfo-only lacks vHost), says so for every VM alike."""
    if vcenter.source_kind != "rvtools":
        return True
    tabs = data_source(key).rvtools_tabs
    return bool(tabs) and not all(t in vcenter.missing_tabs for t in tabs)


def power_off_cause(key: str, source: DataSource, vm: VM, vcenter: VCenter) -> Cause:
    """A power-off date comes from vCenter's events: missing when they are too short, not when rights are."""
    if vm.powered_off_before:
        return Cause(key, source.label, "powered off before vCenter's event history begins, for too few days "
                     "to tell", "confirm with the VM owner; vCenter keeps events for event.maxAge days (30 by "
                     "default): a longer retention gives longer histories to later collections",
                     detail=f"no power-off event since {vm.powered_off_before[:10]}")
    if vcenter.source_detail.get("power_events") == "read":
        return Cause(key, source.label, "no usable power-off event in vCenter's event history",
                     "see the collection issues; confirm with the VM owner", detail="no power-off event")
    return Cause(key, source.label, "vCenter events not read by the collection",
                 "see the collection issues; collect again with `vmscan collect` (it reads power-off dates from "
                 "vCenter events)", detail="events not read")


def rvtools_major(vcenter: VCenter) -> int | None:
    """The RVTools major version that wrote the export (vMetaData), None when the export does not say."""
    match = re.match(r"\s*(\d+)\.", vcenter.source_detail.get("rvtools_version") or "")
    return int(match.group(1)) if match else None


def tabs_the_export_can_have(source: DataSource, vcenter: VCenter) -> tuple[str, ...]:
    """The tabs of ``source`` that the RVTools version behind this export writes at all.

    An export that does not name its version is read as today's RVTools (4.x): that is also what
    any re-export would be made with, so a 3.x-only tab can never be asked for.
    """
    major = rvtools_major(vcenter)
    if major is not None and major < 4:
        return source.rvtools_tabs
    return tuple(t for t in source.rvtools_tabs if t not in TABS_BEFORE_RVTOOLS_4 or t not in vcenter.missing_tabs)


def rvtools_cause(key: str, source: DataSource, vm: VM, vcenter: VCenter, host_names: Collection[str]) -> Cause:
    absent = tuple(t for t in source.rvtools_tabs if t in vcenter.missing_tabs)
    if not source.rvtools_tabs:
        return Cause(key, source.label, f"{source.label} not available from RVTools input", FIX_COLLECT,
                     detail="not in RVTools exports", not_in_source=True)
    if not tabs_the_export_can_have(source, vcenter):
        tabs = ", ".join(source.rvtools_tabs)
        return Cause(key, source.label, f"{source.label} not available from RVTools 4.x input (4.x exports "
                     f"have no {tabs} tab)", FIX_COLLECT, detail=f"no {tabs} tab in RVTools 4.x exports",
                     not_in_source=True)
    if absent and len(absent) == len(source.rvtools_tabs):
        tabs = ", ".join(absent)
        plural = "tabs" if len(absent) > 1 else "tab"
        return Cause(key, source.label, f"RVTools export has no {tabs} {plural}",
                     f"re-export with RVTools including the {tabs} {plural}, or {FIX_COLLECT}",
                     detail=f"no {tabs} {plural} in the export", missing_tabs=absent)
    if key == "host":
        if vm.host is None:
            return Cause(key, source.label, "the VM has no host in vInfo",
                         f"check the VM in vCenter (orphaned or inaccessible?), or {FIX_COLLECT}",
                         detail="no host in vInfo")
        if vm.host not in host_names:
            return Cause(key, source.label, "the VM's host is not in vHost",
                         "export vInfo and vHost in the same RVTools run (anonymized or partial exports "
                         f"can differ), or {FIX_COLLECT}",
                         detail=f"host {vm.host} not in vHost", example=vm.host)
    where = f"{'/'.join(source.rvtools_tabs)}"
    if source.rvtools_column:
        where += f" column '{source.rvtools_column}'"
    return Cause(key, source.label, f"{source.label} empty in the export ({where})",
                 f"check that RVTools could read it (vHealth, permissions), or {FIX_COLLECT}",
                 detail=f"empty in {where}")


@dataclass
class GapTally:
    """One gap's VMs, counted as they come (a set of VM ids per gap held ~1 GB at 1,000,000 VMs).

    Each VM's results come in one ``add_vm`` call: a VM is counted at its first result of the gap
    in that call, and once more for each of "decided readiness" and "pending" it has at all.
    """

    rule_id: str
    cause: Cause
    vm_count: int = 0
    readiness_count: int = 0  # VMs whose readiness it decided
    pending_count: int = 0  # VMs where it is a pending condition
    pending_and_readiness_count: int = 0  # of those, VMs whose readiness it decided all the same
    targets: set[str] = field(default_factory=set)
    examples: list[str] = field(default_factory=list)
    counts_as: str = "unknown"
    # The VM of the call being tallied and what it has had so far.
    last_vm: str | None = field(default=None, repr=False)
    last_decides: bool = field(default=False, repr=False)
    last_pending: bool = field(default=False, repr=False)
    # The (shared, read-only) targets list last added to ``targets``: the same list again adds nothing.
    last_targets: list[str] | None = field(default=None, repr=False, compare=False)


@dataclass
class VcenterTally:
    vcenter: VCenter
    needed_tabs: list[str] = field(default_factory=list)
    not_in_source: list[str] = field(default_factory=list)
    unmatched_hosts: list[str] = field(default_factory=list)
    vms_with_unknowns: int = 0
    # The causes already recorded in needed_tabs / not_in_source / unmatched_hosts, by id.
    recorded: dict[int, Cause] = field(default_factory=dict)


class CoverageTally:
    """Accumulates causes while the engine walks the VMs; ``rule_gaps``/``inputs`` build the result."""

    def __init__(self) -> None:
        self.gaps: dict[tuple[str, str], GapTally] = {}
        self.vcenters: dict[int, VcenterTally] = {}

    def add_vm(self, vm: VM, vcenter: VCenter,
               entries: Iterable[tuple[Finding, Cause, bool, str, bool]]) -> None:
        """Tally one VM's unknowns: (finding, cause, decides_readiness, counts_as, pending) each.

        ``counts_as``: how the policy counts the gap in readiness - "unknown", "condition" (to verify)
        or "note" (data the input format never carries, stated once for the estate, changing no VM);
        ``pending``: a condition on a VM whose readiness is unknown for another gap."""
        vm_id = vm.id
        gaps = self.gaps
        tally = self.vcenters.get(id(vcenter)) or self.vcenter_tally(vcenter)
        recorded = tally.recorded
        counted = False
        for finding, cause, decides_readiness, counts_as, pending in entries:
            gap_key = (finding.rule_id, cause.reason)
            gap = gaps.get(gap_key)
            if gap is None:
                gap = gaps[gap_key] = GapTally(finding.rule_id, cause, counts_as=counts_as)
            if gap.last_vm != vm_id:
                gap.last_vm, gap.last_decides, gap.last_pending = vm_id, False, False
                gap.vm_count += 1
            targets = finding.targets
            if targets is not gap.last_targets:
                gap.targets.update(targets)
                gap.last_targets = targets
            if decides_readiness and not gap.last_decides:
                gap.last_decides = True
                gap.readiness_count += 1
                gap.pending_and_readiness_count += gap.last_pending
            if pending and not gap.last_pending:
                gap.last_pending = True
                gap.pending_count += 1
                gap.pending_and_readiness_count += gap.last_decides
            example = cause.example
            if example and len(gap.examples) < EXAMPLES and example not in gap.examples:
                gap.examples.append(example)
            if counts_as != "note" and not counted:
                tally.vms_with_unknowns += 1
                counted = True
            if id(cause) not in recorded:
                self.record_cause(tally, cause)

    def add_repeats(self, rule_id: str, cause: Cause, vm_count: int) -> None:
        """``vm_count`` more VMs with a gap an earlier VM's ``add_vm`` brought (its cause recorded,
        its example taken), each with that one result of the rule, as a note: deciding nothing."""
        self.gaps[(rule_id, cause.reason)].vm_count += vm_count

    def record_cause(self, tally: VcenterTally, cause: Cause) -> None:
        """What a cause adds to its vCenter's entry (the same each time: recorded once per cause;
        the cause is kept so its id stays its own)."""
        tally.recorded[id(cause)] = cause
        for tab in cause.missing_tabs:
            if tab not in tally.needed_tabs:
                tally.needed_tabs.append(tab)
        if cause.not_in_source and cause.data not in tally.not_in_source:
            tally.not_in_source.append(cause.data)
        if cause.key == "host" and cause.example and cause.example not in tally.unmatched_hosts:
            tally.unmatched_hosts.append(cause.example)

    def vcenter_tally(self, vcenter: VCenter) -> VcenterTally:
        tally = self.vcenters.get(id(vcenter))
        if tally is None:
            tally = self.vcenters[id(vcenter)] = VcenterTally(vcenter)
        return tally

    def rule_gaps(self, rules: Mapping[str, RuleInfo]) -> list[RuleGap]:
        gaps = [
            RuleGap(rule_id=g.rule_id, title=rules[g.rule_id].title, severity=rules[g.rule_id].severity,
                    vm_count_unknown=g.vm_count, vm_count_readiness=g.readiness_count,
                    vm_count_pending=g.pending_count - g.pending_and_readiness_count,
                    data=g.cause.data, reason=g.cause.reason, fix=g.cause.fix,
                    targets=sorted(g.targets), examples=list(g.examples), not_in_source=g.cause.not_in_source,
                    counts_as=g.counts_as)
            for g in self.gaps.values()
        ]
        gaps.sort(key=lambda g: (SEVERITY_ORDER.get(g.severity, 9), -g.vm_count_unknown, g.rule_id, g.reason))
        return gaps

    def inputs(self, vcenters: Iterable[VCenter], infos: list[InputInfo]) -> list[InputCoverage]:
        result = []
        for vc in vcenters:
            tally = self.vcenters.get(id(vc)) or VcenterTally(vc)
            entry = InputCoverage(
                input=input_path(vc, infos), vcenter=vc.name, source_kind=vc.source_kind or "",
                vm_count=len(vc.vms), vms_with_unknowns=tally.vms_with_unknowns, missing_tabs=absent_tabs(vc),
                needed_tabs=sorted(tally.needed_tabs, key=vc.missing_tabs.index),
                not_in_source=sorted(tally.not_in_source, key=str.lower), unmatched_hosts=list(tally.unmatched_hosts),
            )
            entry.fixes = input_fixes(entry)
            result.append(entry)
        return result


def absent_tabs(vc: VCenter) -> list[str]:
    """The RVTools tabs the export lacks, leaving out those its RVTools version never writes."""
    if vc.source_kind != "rvtools" or (rvtools_major(vc) or 4) < 4:
        return list(vc.missing_tabs)
    return [tab for tab in vc.missing_tabs if tab not in TABS_BEFORE_RVTOOLS_4]


def input_path(vc: VCenter, infos: list[InputInfo]) -> str:
    """The input a vCenter came from, by file name (deliverables never show a local path): its
    RVTools file, else the input that names it."""
    file = vc.source_detail.get("file")
    if file:
        return Path(file).name or file
    for info in infos:
        if vc.name in info.vcenters:
            return Path(info.path).name or info.path
    return ""


def collect_live_fix(data: Iterable[str]) -> str:
    return f"{FIX_COLLECT} for {', '.join(sorted(set(data), key=str.lower))} (not available from RVTools input)"


def input_fixes(entry: InputCoverage) -> list[str]:
    fixes = []
    if entry.needed_tabs:
        plural = "tabs" if len(entry.needed_tabs) > 1 else "tab"
        fixes.append(f"re-export with RVTools including the {', '.join(entry.needed_tabs)} {plural}")
    if entry.unmatched_hosts:
        fixes.append(f"{len(entry.unmatched_hosts)} host(s) named in vInfo are not in vHost "
                     f"({', '.join(entry.unmatched_hosts[:EXAMPLES])}): export both tabs in the same RVTools run")
    if entry.not_in_source:
        fixes.append(collect_live_fix(entry.not_in_source))
    return fixes
