"""Typed inventory of a vSphere estate.

This is the one data shape every input (live vCenter, RVTools export, vmscan snapshot)
is turned into, and the only thing the analysis and the reporters read. It has no
dependency on pyVmomi.

Conventions:
- ``None`` means "not known" (the source did not carry it, or it could not be read and a
  ``CollectionIssue`` says why). It never means "no" or "zero": rules treat it as unknown.
- Sizes: memory in MiB, disk and datastore sizes in bytes, CPU frequency in MHz.
- Enumerated strings are lower-case snake_case values listed next to each field; they are
  vmscan's own vocabulary, not vSphere's, so that RVTools and vCenter map to the same words.
- vSphere's ``-1`` for "unlimited" CPU/memory limits is kept as ``-1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Every class is slotted: an estate holds a VM object, ~10 lists and several device objects per VM,
# and per-instance dicts were a third of an imported 100,000-VM estate (docs/benchmarks.md, "Import
# memory per VM"). The estate-level classes and VM stay weak-referenceable (rules cache per vCenter).
SCHEMA_NAME = "vmscan-inventory"
SCHEMA_VERSION = 1
# Disk backings that are SAN LUNs, not files on a datastore.
RDM_BACKINGS = ("rdm_physical", "rdm_virtual")


@dataclass(slots=True)
class Controller:
    key: int | None = None
    label: str | None = None
    # scsi_lsilogic | scsi_lsilogic_sas | scsi_buslogic | scsi_pvscsi | sata | nvme | ide | other
    type: str | None = None
    # none | virtual | physical (SCSI only; None for other controller kinds or when unknown)
    bus_sharing: str | None = None
    bus_number: int | None = None


@dataclass(slots=True)
class Disk:
    key: int | None = None
    label: str | None = None
    capacity_bytes: int | None = None
    # thin | thick_lazy | thick_eager
    provisioning: str | None = None
    # persistent | independent_persistent | independent_nonpersistent | nonpersistent | undoable | append
    mode: str | None = None
    # none | multi_writer
    sharing: str | None = None
    # flat | rdm_physical | rdm_virtual | sparse | other
    backing: str | None = None
    datastore: str | None = None
    file_name: str | None = None
    # Same vocabulary as Controller.type; copied here so a rule needs no lookup.
    controller_type: str | None = None
    controller_bus_sharing: str | None = None
    controller_key: int | None = None
    unit_number: int | None = None
    # LUN identifier of an RDM (vml./naa. name), None for virtual disks.
    lun_uuid: str | None = None


@dataclass(slots=True)
class Nic:
    key: int | None = None
    label: str | None = None
    # vmxnet3 | vmxnet2 | vmxnet | e1000 | e1000e | vlance | pcnet32 | sriov | other
    adapter_type: str | None = None
    network: str | None = None
    # standard | distributed | opaque
    network_kind: str | None = None
    connected: bool | None = None
    start_connected: bool | None = None
    mac_address: str | None = None
    # assigned | manual | generated
    mac_type: str | None = None


@dataclass(slots=True)
class RemovableDrive:
    """A CD/DVD or floppy drive."""

    key: int | None = None
    label: str | None = None
    # iso | image | host_device | remote | client | none
    backing: str | None = None
    # ISO/image path, device name, etc. (free text from the source)
    backing_path: str | None = None
    connected: bool | None = None
    start_connected: bool | None = None


@dataclass(slots=True)
class PortDevice:
    """A serial or parallel port."""

    key: int | None = None
    label: str | None = None
    # file | network | pipe | device | none
    backing: str | None = None
    backing_path: str | None = None
    connected: bool | None = None
    start_connected: bool | None = None


@dataclass(slots=True)
class UsbController:
    key: int | None = None
    label: str | None = None
    # usb2 | usb3
    type: str | None = None


@dataclass(slots=True)
class UsbDevice:
    key: int | None = None
    label: str | None = None
    backing_path: str | None = None
    connected: bool | None = None


@dataclass(slots=True)
class PassthroughDevice:
    key: int | None = None
    label: str | None = None
    # pci | dynamic_direct_path | vgpu | sriov_nic | other
    kind: str | None = None
    # device id, vGPU profile etc.
    detail: str | None = None


@dataclass(slots=True)
class Snapshot:
    name: str | None = None
    description: str | None = None
    created: str | None = None  # ISO 8601 UTC
    # poweredOn snapshots include memory; kept as vmscan's power-state vocabulary
    power_state: str | None = None
    quiesced: bool | None = None


@dataclass(slots=True)
class GuestDisk:
    """A guest file system as reported by VMware Tools (RVTools vPartition)."""

    path: str | None = None
    capacity_bytes: int | None = None
    free_bytes: int | None = None


@dataclass(slots=True)
class PerfStats:
    """Distribution of one performance counter over the collection window."""

    unit: str | None = None
    p50: float | None = None
    p90: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None
    samples: int | None = None
    # fraction (0..1) of the expected samples present in the window
    coverage: float | None = None


@dataclass(slots=True, weakref_slot=True)
class VM:
    id: str  # "<vcenter instance uuid>/<moref>"
    moref: str | None = None
    name: str | None = None
    vcenter: str | None = None  # vCenter name (for provenance in reports)
    bios_uuid: str | None = None
    instance_uuid: str | None = None
    folder_path: str | None = None  # "/Datacenter/vm/Prod/Web"
    datacenter: str | None = None
    cluster: str | None = None
    host: str | None = None
    resource_pool: str | None = None
    vapp: str | None = None
    # powered_on | powered_off | suspended
    power_state: str | None = None
    # connected | disconnected | orphaned | inaccessible | invalid
    connection_state: str | None = None
    template: bool | None = None
    num_cpu: int | None = None
    cores_per_socket: int | None = None
    memory_mib: int | None = None
    cpu_reservation_mhz: int | None = None
    cpu_limit_mhz: int | None = None  # -1 = unlimited
    memory_reservation_mib: int | None = None
    memory_limit_mib: int | None = None  # -1 = unlimited
    hardware_version: int | None = None  # 19 for "vmx-19"
    # bios | efi
    firmware: str | None = None
    secure_boot: bool | None = None
    guest_id: str | None = None  # as configured
    guest_full_name: str | None = None  # as configured
    guest_id_tools: str | None = None  # as reported by VMware Tools
    guest_full_name_tools: str | None = None
    # VMware Tools' detailed OS description (vCenter 8 guest.guestDetailedData, RVTools 4.7 vInfo
    # "Guest Detailed Data"): "distroName='Rocky Linux' distroVersion='9.5' prettyName='...'".
    guest_detailed_data: str | None = None
    # ok | old | not_running | not_installed
    tools_status: str | None = None
    tools_running: bool | None = None
    tools_version: str | None = None
    # current | need_upgrade | supported_old | supported_new | too_old | too_new | unmanaged | blacklisted
    # | not_installed (vCenter guest.toolsVersionStatus2; RVTools vTools "Tools" when it carries that value)
    tools_version_status: str | None = None
    # A newer VMware Tools is available to install (RVTools vTools "Upgradeable").
    tools_upgradeable: bool | None = None
    # Lists and dicts below are None when the source does not carry that family at all
    # (e.g. an RVTools export without its vUSB tab); an empty list means "none present".
    ipv4_addresses: list[str] | None = field(default_factory=list)
    ipv6_addresses: list[str] | None = field(default_factory=list)
    hostname: str | None = None
    annotation: str | None = None
    custom_attributes: dict[str, str] | None = field(default_factory=dict)
    controllers: list[Controller] | None = field(default_factory=list)
    disks: list[Disk] | None = field(default_factory=list)
    nics: list[Nic] | None = field(default_factory=list)
    cdroms: list[RemovableDrive] | None = field(default_factory=list)
    floppies: list[RemovableDrive] | None = field(default_factory=list)
    serial_ports: list[PortDevice] | None = field(default_factory=list)
    parallel_ports: list[PortDevice] | None = field(default_factory=list)
    usb_controllers: list[UsbController] | None = field(default_factory=list)
    usb_devices: list[UsbDevice] | None = field(default_factory=list)
    passthrough_devices: list[PassthroughDevice] | None = field(default_factory=list)
    snapshots: list[Snapshot] | None = field(default_factory=list)
    snapshot_count: int | None = None
    # not_configured | primary | secondary | disabled | needs_secondary | starting | enabled
    # | running (vCenter's runtime.faultToleranceState: FT active with its secondary)
    ft_state: str | None = None
    # low | normal | medium | high | custom
    latency_sensitivity: str | None = None
    vtpm: bool | None = None
    encrypted: bool | None = None
    cbt_enabled: bool | None = None
    # Disk files left behind by a failed snapshot removal (vCenter runtime.consolidationNeeded,
    # RVTools vInfo "Consolidation Needed").
    consolidation_needed: bool | None = None
    cpu_hot_add: bool | None = None
    memory_hot_add: bool | None = None
    boot_time: str | None = None  # ISO 8601 UTC
    # Last known power-off time, when the source carries it (events, RVTools "PowerOn" is not this).
    powered_off_since: str | None = None
    # Powered off since this time at the latest, exact date unknown: vCenter's event history,
    # complete from here on, has no power-off for the VM (it is older than the history).
    powered_off_before: str | None = None
    storage_committed_bytes: int | None = None
    storage_uncommitted_bytes: int | None = None
    storage_unshared_bytes: int | None = None
    guest_disks: list[GuestDisk] | None = field(default_factory=list)
    # Point-in-time consumption (vCenter quickStats / RVTools vCPU+vMemory overall columns)
    cpu_usage_mhz: int | None = None
    memory_consumed_mib: int | None = None  # host memory usage
    memory_active_mib: int | None = None  # guest memory usage
    # Historical performance statistics keyed by counter name, e.g. "cpu.usagemhz".
    perf: dict[str, PerfStats] | None = field(default_factory=dict)

    @property
    def sockets(self) -> int | None:
        if self.num_cpu is None or not self.cores_per_socket:
            return None
        return max(1, self.num_cpu // self.cores_per_socket)

    @property
    def provisioned_bytes(self) -> int | None:
        """Committed plus uncommitted storage, else the sum of disk capacities.

        vCenter's committed + uncommitted covers every file of the VM, so it is never below the
        capacity of the VM's datastore-backed disks; when it is (0 + 0 from a simulator, or a stale
        summary after a disk was added) it is not a measurement and the disk capacities are used.
        """
        # One pass over the disks: summary, sizing and a rule each ask for it on every VM.
        disks = self.disks
        committed, uncommitted = self.storage_committed_bytes, self.storage_uncommitted_bytes
        if committed is None or uncommitted is None:
            if not disks:
                return None
            total = 0
            for disk in disks:
                capacity = disk.capacity_bytes
                if capacity is None:
                    return None
                total += capacity
            return total
        summary_total = committed + uncommitted
        if not disks:
            return summary_total
        disk_total = on_datastores = 0
        capacity_unknown = False
        for disk in disks:
            capacity = disk.capacity_bytes
            if capacity is None:
                capacity_unknown = True
                continue
            disk_total += capacity
            if disk.backing not in RDM_BACKINGS:
                on_datastores += capacity
        if summary_total >= on_datastores or capacity_unknown:
            return summary_total
        return disk_total


@dataclass(slots=True, weakref_slot=True)
class Host:
    id: str
    moref: str | None = None
    name: str | None = None
    datacenter: str | None = None
    cluster: str | None = None  # None for a standalone host
    esxi_version: str | None = None  # "7.0.3"
    esxi_build: str | None = None
    product_full_name: str | None = None
    vendor: str | None = None
    model: str | None = None
    # intel | amd | other
    cpu_vendor: str | None = None
    cpu_model: str | None = None
    cpu_sockets: int | None = None
    cpu_cores: int | None = None  # physical cores in total
    cpu_threads: int | None = None  # logical processors in total
    cpu_mhz: int | None = None
    memory_mib: int | None = None
    # connected | disconnected | not_responding
    connection_state: str | None = None
    maintenance_mode: bool | None = None
    # powered_on | powered_off | standby | unknown
    power_state: str | None = None
    cpu_usage_mhz: int | None = None
    memory_usage_mib: int | None = None


@dataclass(slots=True, weakref_slot=True)
class Cluster:
    id: str
    moref: str | None = None
    name: str | None = None
    datacenter: str | None = None
    ha_enabled: bool | None = None
    drs_enabled: bool | None = None
    drs_behavior: str | None = None
    evc_mode: str | None = None
    vsan_enabled: bool | None = None
    hosts: list[str] = field(default_factory=list)  # host names


@dataclass(slots=True, weakref_slot=True)
class Datastore:
    id: str
    moref: str | None = None
    name: str | None = None
    datacenter: str | None = None
    # vmfs | nfs | nfs41 | vsan | vvol | other
    type: str | None = None
    capacity_bytes: int | None = None
    free_bytes: int | None = None
    accessible: bool | None = None
    hosts: list[str] = field(default_factory=list)  # host names


@dataclass(slots=True, weakref_slot=True)
class Network:
    id: str
    moref: str | None = None
    name: str | None = None
    datacenter: str | None = None
    # standard | distributed | opaque
    kind: str | None = None
    # VLAN id as text: "0", "100", "1-4094" (trunk), "pvlan:20"; None when unknown
    vlan: str | None = None
    switch: str | None = None
    uplink: bool | None = None


@dataclass(slots=True, weakref_slot=True)
class Datacenter:
    name: str
    moref: str | None = None


@dataclass(slots=True, weakref_slot=True)
class VCenter:
    name: str
    instance_uuid: str | None = None
    version: str | None = None
    build: str | None = None
    full_name: str | None = None
    api_version: str | None = None
    # Where this vCenter's data came from: "vcenter" or "rvtools" plus file/version details.
    source_kind: str | None = None
    source_detail: dict[str, str] = field(default_factory=dict)
    # RVTools tabs vmscan reads that the export lacked (e.g. ["vUSB", "vSnapshot"]); empty for
    # other sources. The analysis uses it to say why a rule could not be evaluated.
    missing_tabs: list[str] = field(default_factory=list)
    datacenters: list[Datacenter] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    hosts: list[Host] = field(default_factory=list)
    datastores: list[Datastore] = field(default_factory=list)
    networks: list[Network] = field(default_factory=list)
    vms: list[VM] = field(default_factory=list)


@dataclass(slots=True, weakref_slot=True)
class CollectionIssue:
    """A value that could not be read; the field it concerns is None in the inventory."""

    vcenter: str | None = None
    object_id: str | None = None  # moref or VM id
    object_name: str | None = None
    property: str | None = None
    message: str = ""


@dataclass(slots=True, weakref_slot=True)
class Source:
    # vcenter | rvtools | snapshot | merged | synthetic
    kind: str
    tool: str | None = None  # "vmscan 0.1.0", "RVTools 4.6.1"
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True, weakref_slot=True)
class Estate:
    collected_at: str  # ISO 8601 UTC
    source: Source
    vcenters: list[VCenter] = field(default_factory=list)
    collection_issues: list[CollectionIssue] = field(default_factory=list)
    schema: str = SCHEMA_NAME
    schema_version: int = SCHEMA_VERSION

    def all_vms(self) -> list[VM]:
        return [vm for vc in self.vcenters for vm in vc.vms]

    def all_hosts(self) -> list[Host]:
        return [h for vc in self.vcenters for h in vc.hosts]

    def all_clusters(self) -> list[Cluster]:
        return [c for vc in self.vcenters for c in vc.clusters]

    def all_datastores(self) -> list[Datastore]:
        return [d for vc in self.vcenters for d in vc.datastores]

    def all_networks(self) -> list[Network]:
        return [n for vc in self.vcenters for n in vc.networks]
