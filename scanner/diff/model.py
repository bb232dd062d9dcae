"""Typed result of comparing scans: per-scan facts, per-pair VM changes, per-rule burndown.

Vocabulary of a field comparison: a value known on both sides that differs is a *change*; a value
that one scan's input never carries (an assessment JSON has no vCPU counts; an RVTools export has no
floppy state) is *not comparable* and never counted as a change. A rule that failed before and is
not evaluated now is *no longer checked*, not *cleared*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DIFF_SCHEMA_NAME = "vmscan-diff"
DIFF_SCHEMA_VERSION = 1


@dataclass
class VmFacts:
    """What one scan says about one VM, in the units the diff shows (None = not known to that scan)."""

    key: str  # the VM's stable id in this scan
    name: str | None
    vcenter: str | None
    instance_uuid: str | None = None
    cluster: str | None = None
    host: str | None = None
    power_state: str | None = None
    num_cpu: int | None = None
    memory_gib: float | None = None
    storage_gib: float | None = None
    disk_count: int | None = None
    snapshot_count: int | None = None
    # target -> readiness / recommended HCX method (None: no method possible)
    readiness: dict[str, str] = field(default_factory=dict)
    recommended_method: dict[str, str | None] = field(default_factory=dict)
    disposition: str | None = None
    fails: list[str] = field(default_factory=list)  # rule ids that failed
    blockers: list[str] = field(default_factory=list)  # of those, blocker severity
    unknown: list[str] = field(default_factory=list)  # rule ids not evaluated


@dataclass
class ScanPoint:
    """One scan in the series: where it came from and its headline numbers (for the trend)."""

    label: str  # input file name(s), never a local path
    kind: str  # snapshot | rvtools_xlsx | rvtools_csv | assessment
    data_date: str | None  # when the data was taken (collection / export time), if known
    vm_count: int
    # target -> readiness -> VM count
    readiness: dict[str, dict[str, int]] = field(default_factory=dict)
    vms_with_blockers: int = 0
    vms_with_conditions: int = 0  # VMs with a failing warning (and no blocker)
    # target -> "3 × AV36P" (None when the scan has no sizing for that target)
    sizing: dict[str, str | None] = field(default_factory=dict)


@dataclass
class FieldChange:
    field: str  # e.g. "vCPU", "memory GiB", "cluster"
    old: Any
    new: Any


@dataclass
class VmChange:
    key: str  # new scan's id
    name: str | None
    old_name: str | None
    vcenter: str | None
    matched_by: str  # id | instance_uuid | name
    changes: list[FieldChange] = field(default_factory=list)
    findings_cleared: list[str] = field(default_factory=list)
    findings_new: list[str] = field(default_factory=list)
    blockers_new: list[str] = field(default_factory=list)  # of findings_new, blocker severity
    # failed before, not evaluated now (the new input lacks the data): not a fix
    no_longer_checked: list[str] = field(default_factory=list)
    # target -> [old, new]
    readiness: dict[str, list[str | None]] = field(default_factory=dict)
    recommended_method: dict[str, list[str | None]] = field(default_factory=dict)
    # field names known in one scan only (not comparable)
    not_comparable: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes or self.findings_cleared or self.findings_new or self.readiness
                     or self.recommended_method or self.no_longer_checked)


@dataclass
class RuleDelta:
    rule_id: str
    title: str
    severity: str
    vms_old: int  # VMs failing it in the older scan
    vms_new: int
    cleared: int  # matched VMs that failed it before and pass now
    appeared: int  # matched VMs that fail it now and passed before, plus added VMs failing it
    no_longer_checked: int = 0


@dataclass
class PairDiff:
    old: str  # labels of the two scans
    new: str
    added: list[VmFacts] = field(default_factory=list)
    removed: list[VmFacts] = field(default_factory=list)
    changed: list[VmChange] = field(default_factory=list)
    unchanged: int = 0
    matched_by_name: int = 0
    rules: list[RuleDelta] = field(default_factory=list)
    # target -> [old, new] recommended hosts, e.g. ["3 × AV36P", "4 × AV36P"]
    sizing: dict[str, list[str | None]] = field(default_factory=dict)
    # Fields one of the two inputs never carries: listed once, never counted as changes.
    not_comparable: list[str] = field(default_factory=list)

    @property
    def new_blockers(self) -> list[tuple[str, str]]:
        """(VM name, rule id) for blockers that appeared on a matched or an added VM."""
        found = [(c.name or c.key, rid) for c in self.changed for rid in c.blockers_new]
        found += [(vm.name or vm.key, rid) for vm in self.added for rid in vm.blockers]
        return found


@dataclass
class DiffResult:
    scans: list[ScanPoint] = field(default_factory=list)
    pairs: list[PairDiff] = field(default_factory=list)  # consecutive scans: (0,1), (1,2), ...
    targets: list[str] = field(default_factory=list)
    schema: str = DIFF_SCHEMA_NAME
    schema_version: int = DIFF_SCHEMA_VERSION
