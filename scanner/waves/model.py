"""Typed wave plan: move groups, waves with their HCX method mix, durations and network tasks."""

from __future__ import annotations

from dataclasses import dataclass, field

PLAN_SCHEMA_NAME = "vmscan-plan"
PLAN_SCHEMA_VERSION = 1


@dataclass
class PlannedVm:
    vm_id: str
    name: str | None
    vcenter: str | None
    cluster: str | None
    group: str
    method: str | None  # recommended HCX method on the plan's target
    readiness: str
    power_state: str | None
    data_gib: float  # what the method copies: used storage when known, else provisioned
    memory_gib: float
    networks: list[str] = field(default_factory=list)
    # Why the VM is out of the waves (blocked, retire, retain), or the conditions to clear first.
    reasons: list[str] = field(default_factory=list)


@dataclass
class MoveGroup:
    name: str
    rule: str  # how it was formed: "folder", "attribute:Application", "group file", ...
    kind: str = "live"  # live | cold: a group's powered-off VMs move in the cold waves
    vm_ids: list[str] = field(default_factory=list)
    data_gib: float = 0.0
    # Set when the group is larger than one wave and had to be split.
    split_into: int = 1


@dataclass
class NetworkTask:
    network: str  # port group name
    kind: str | None  # standard | distributed | opaque | None (unknown)
    # extend (HCX Network Extension) | distributed switch first | re-IP
    action: str
    vm_count: int
    first_wave: int | None  # wave in which its first VM moves
    # Wave after which every VM that will move has moved: the segment can be cut over then.
    cutover_after_wave: int | None
    staying_vms: int = 0  # VMs on it that stay behind (blocked, retain): it cannot be cut over


@dataclass
class Wave:
    number: int
    week: int
    kind: str  # live (powered-on VMs) | cold (powered-off VMs)
    groups: list[str] = field(default_factory=list)
    vm_ids: list[str] = field(default_factory=list)
    data_gib: float = 0.0
    methods: dict[str, int] = field(default_factory=dict)
    # Copy ahead of the window (Bulk/RAV replication), and inside it (vMotion, Cold, switchover allowance).
    replication_hours: float = 0.0
    window_hours: float = 0.0
    networks: list[str] = field(default_factory=list)
    # Site prerequisites (e.g. a source host below HCX's minimum ESXi) its VMs wait for: done before the wave.
    prerequisites: list[str] = field(default_factory=list)


@dataclass
class WavePlan:
    target: str
    bandwidth_mbps: float
    assumptions: dict[str, str] = field(default_factory=dict)
    groups: list[MoveGroup] = field(default_factory=list)
    waves: list[Wave] = field(default_factory=list)
    vms: list[PlannedVm] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # vm ids kept out: not ready / no method
    retire: list[str] = field(default_factory=list)
    retain: list[str] = field(default_factory=list)
    network: list[NetworkTask] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    schema: str = PLAN_SCHEMA_NAME
    schema_version: int = PLAN_SCHEMA_VERSION
