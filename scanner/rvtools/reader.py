"""RVTools export (xlsx workbook or folder of CSV files) -> Inventory.

Mapping decisions (see also columns.py for header spellings and units):
- Only vInfo is required. Every other tab fills its family of VM fields when present; when a tab
  is absent that family stays None (unknown) and one collection issue says so — e.g. no vUSB tab
  means ``usb_devices is None``, never "no USB devices".
- vCenter identity: each row's "VI SDK UUID" / "VI SDK Server" (RVTools 4.x), else vSource, else
  vMetaData "Server". An export carrying none of these is named after its file
  (``rvtools-file:<name>``) so that it still merges, and a collection issue says so.
- VM id: ``<VI SDK UUID>/<VM ID>``; without a VI SDK UUID the VI SDK Server (or file name) stands in,
  and without a VM ID (RVTools 3.x) the "VM UUID", then the VM name. The same VM exported twice
  therefore gets the same id and the merge counts it once.
- Sub-tab rows join their vInfo VM by VM ID, then VM UUID, then VM name, within the row's vCenter.
- Sizes: MiB columns (and pre-4.1.2 "MB" columns, which were MiB too) -> bytes for disks and
  datastores, MiB for memory. RVTools timestamps carry no zone and are kept as written.
- A cell that cannot be parsed leaves its field None; one collection issue per sheet and column
  gives the count and the first row, so a bad export is visible without aborting the analysis.
- RVTools exports no guest OS ids (only full names), serial/parallel ports, USB controllers,
  passthrough devices or performance history: those fields are None.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from scanner.errors import InputError
from scanner.gcpause import cyclic_gc_paused
from scanner.inventory.model import (
    VM,
    Cluster,
    CollectionIssue,
    Controller,
    Datacenter,
    Datastore,
    Disk,
    Estate,
    GuestDisk,
    Host,
    Network,
    Nic,
    RemovableDrive,
    Snapshot,
    Source,
    UsbDevice,
    VCenter,
)
from scanner.rvtools import values as val
from scanner.rvtools.columns import (
    REQUIRED,
    SHEET_NAMES,
    SHEETS,
    VINFO_NETWORK_PREFIX,
    VINFO_UNMAPPED_HEADERS,
    normalize_header,
)
from scanner.rvtools.tables import MAX_CELL_CHARS, Export, Table, read_export
from scanner.serde import LONG_LIMIT

T = TypeVar("T")

_MISSING = object()
# Distinct values memoized per column; a column of unique values (sizes of each VM) stops adding
# past this, so the memo stays small beside the table.
MEMO_ENTRIES = 4096


@functools.lru_cache(maxsize=4096)
def _lowered(text: str) -> str:
    """``text.lower()``, one object per distinct text: "connected", "bios" repeat on every VM."""
    return text.lower()


# Tabs whose absence leaves a VM field family unknown, with the words used in the issue.
FAMILY_TABS: dict[str, str] = {
    "vCPU": "CPU topology, reservations, hot-add and CPU usage",
    "vMemory": "memory reservations, limits, hot-add and consumed/active memory",
    "vDisk": "virtual disks and their controllers (RDMs, sharing, modes)",
    "vPartition": "guest file systems",
    "vNetwork": "network adapters, MAC and IP addresses",
    "vCD": "CD/DVD drives",
    "vFloppy": "floppy drives",
    "vUSB": "USB devices",
    "vSnapshot": "snapshots",
    "vTools": "VMware Tools status and version",
    "vHost": "ESXi hosts",
    "vCluster": "cluster HA/DRS settings",
    "vDatastore": "datastores",
}

_POWER_STATES = {"powered_on", "powered_off", "suspended"}
_TOOLS_STATUS = {
    "toolsok": "ok",
    "toolsold": "old",
    "toolsnotrunning": "not_running",
    "toolsnotinstalled": "not_installed",
    "guesttoolscurrent": "ok",
    "guesttoolsneedupgrade": "old",
    "guesttoolssupportedold": "old",
    "guesttoolstooold": "old",
    "guesttoolsblacklisted": "old",
    "guesttoolssupportednew": "ok",
    "guesttoolstoonew": "ok",
    "guesttoolsunmanaged": "ok",
    "guesttoolsnotinstalled": "not_installed",
}
# vCenter's toolsVersionStatus2 values, when the vTools "Tools" column carries one of them.
_TOOLS_VERSION_STATUS = {
    "guesttoolscurrent": "current",
    "guesttoolsneedupgrade": "need_upgrade",
    "guesttoolssupportedold": "supported_old",
    "guesttoolstooold": "too_old",
    "guesttoolsblacklisted": "blacklisted",
    "guesttoolssupportednew": "supported_new",
    "guesttoolstoonew": "too_new",
    "guesttoolsunmanaged": "unmanaged",
    "guesttoolsnotinstalled": "not_installed",
}
_DISK_MODES = {
    "persistent", "nonpersistent", "undoable", "independent_persistent", "independent_nonpersistent", "append",
}
_MAC_TYPES = {"assigned": "assigned", "manual": "manual", "generated": "generated"}
_SHARED_BUS = {"nosharing": "none", "virtualsharing": "virtual", "physicalsharing": "physical"}
_DATASTORE_TYPES = {"vmfs": "vmfs", "nfs": "nfs", "nfs41": "nfs41", "vsan": "vsan", "vvol": "vvol"}


# A hand-added total row: "Total", "Totals", "Grand total", "Sum", "SUM", "Summe", "Somme", "Subtotal".
_TOTAL_ROW = re.compile(r"^\s*(grand\s+)?(sub\s*)?(total|totals|sum|summe|somme|totaal)\s*:?\s*$", re.IGNORECASE)


def _power_state(value: Any) -> str | None:
    text = val.text(value)
    if text is None:
        return None
    state = val.camel_to_snake(text)
    if state not in _POWER_STATES:
        raise val.BadValue(f"unknown power state {text!r}")
    return state


@dataclass(frozen=True)
class _Fill:
    vinfo_field: str  # the vInfo column field (columns.py)
    field: str  # the same value's field in the other tabs
    attr: str  # VM attribute
    parse: Callable[[Any], Any]
    words: str


# vInfo fields that the other VM tabs repeat per VM, filled from them when vInfo lacks them.
_VINFO_FILLS = (
    _Fill("power_state", "power_state", "power_state", _power_state, "power state"),
    _Fill("template", "template", "template", val.boolean, "template flag"),
    _Fill("num_cpu", "num_cpu", "num_cpu", val.count, "vCPU count"),
    _Fill("memory", "size", "memory_mib", val.count, "memory size"),
    _Fill("host", "host", "host", val.text, "host"),
    _Fill("cluster", "cluster", "cluster", val.text, "cluster"),
    _Fill("datacenter", "datacenter", "datacenter", val.text, "datacenter"),
    _Fill("folder", "folder", "folder_path", val.text, "folder"),
    _Fill("os_config", "os_config", "guest_full_name", val.text, "configured guest OS"),
)
_FILL_TABS = ("vCPU", "vMemory", "vDisk", "vNetwork", "vCD", "vPartition", "vTools", "vSnapshot", "vUSB", "vFloppy")


def controller_type(description: str | None) -> str | None:
    if not description:
        return None
    lowered = description.casefold()
    if "paravirtual" in lowered or "pvscsi" in lowered:
        return "scsi_pvscsi"
    if "sas" in lowered:
        return "scsi_lsilogic_sas"
    if "lsi" in lowered:
        return "scsi_lsilogic"
    if "buslogic" in lowered:
        return "scsi_buslogic"
    if "nvme" in lowered:
        return "nvme"
    if "sata" in lowered or "ahci" in lowered:
        return "sata"
    if "ide" in lowered:
        return "ide"
    return "other"


def nic_adapter_type(description: str | None) -> str | None:
    if not description:
        return None
    lowered = description.casefold().replace(" ", "")
    for known in ("vmxnet3", "vmxnet2", "e1000e", "e1000", "vlance", "pcnet32", "vmxnet"):
        if known in lowered:
            return known
    if "sriov" in lowered:
        return "sriov"
    return "other"


def cd_backing(device_type: str | None) -> str | None:
    if not device_type:
        return None
    # Real vCD values: "ISO [datastore] path/file.iso", "ISO [] /vmfs/volumes/...", "Remote device" and
    # "Remote ATAPI" (client devices), "ATAPI" (the host's drive).
    lowered = device_type.strip().casefold()
    if lowered.startswith("iso") or ".iso" in lowered:
        return "iso"
    if "client" in lowered:
        return "client"
    if "remote" in lowered:
        return "remote"
    if "host" in lowered or "physical" in lowered or "passthrough" in lowered or "atapi" in lowered:
        return "host_device"
    return None


def drive_path(device_type: str | None) -> str | None:
    """vCD/vFloppy "Device Type" -> the path shown as evidence: "ISO [ds] iso/x.iso" -> "[ds] iso/x.iso".

    Other types ("Remote device", "Remote ATAPI", "ATAPI") are kept as written: they name the kind of
    device, which is what a consultant checks in vCenter.
    """
    if not device_type:
        return None
    match = re.match(r"\s*(?:iso|image)\s+(\[.*)$", device_type, flags=re.IGNORECASE | re.DOTALL)
    return match.group(1).strip() if match else device_type


def _floppy_backing(device_type: str | None) -> str | None:
    if not device_type:
        return None
    lowered = device_type.casefold()
    if ".flp" in lowered or "image" in lowered:
        return "image"
    if "client" in lowered:
        return "client"
    if "remote" in lowered:
        return "remote"
    if "host" in lowered or "physical" in lowered:
        return "host_device"
    return None


def parse_esx_version(full: str | None) -> tuple[str | None, str | None]:
    """``VMware ESXi 7.0.3 build-20036589`` -> ("7.0.3", "20036589")."""
    if not full:
        return None, None
    version = re.search(r"\b(\d+\.\d+(?:\.\d+)?)\b", full)
    build = re.search(r"build-?(\d+)", full, flags=re.IGNORECASE)
    return (version.group(1) if version else None, build.group(1) if build else None)


def within_64_bit(value: float) -> int | None:
    """A value derived from several cells (cores x MHz x usage), or None when it is too large to be
    one: the snapshot stores 64-bit integers, as vSphere does, and refuses anything larger on load."""
    return round(value) if abs(value) <= LONG_LIMIT else None


def datastore_of(path: str | None) -> str | None:
    """``[ds01] vm/vm.vmdk`` -> ``ds01``."""
    if not path:
        return None
    match = re.match(r"\s*\[([^\]]+)\]", path)
    return match.group(1) if match else None


def _shared_text(text: str | None) -> str | None:
    return None if text is None else sys.intern(text)


def _cell_text(row: list[Any], position: int | None) -> str | None:
    if position is None:
        return None
    value = row[position]
    if value is None:
        return None
    if value.__class__ is str:
        return value.strip() or None
    return val.text(value)


class SheetView:
    """A table whose columns are resolved against the alias table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        index: dict[str, int] = {}
        for position, header in enumerate(table.headers):
            index.setdefault(normalize_header(header), position)
        self.index = index
        self.positions: dict[str, int] = {}
        for column in SHEETS[table.sheet]:
            for alias in column.headers:
                found = index.get(normalize_header(alias))
                if found is not None:
                    self.positions[column.field] = found
                    break

        # Parsed cell values per column, cell value -> result: the same text (a size, a date, "True")
        # repeats down a column, and one parse gives every VM the same int or str object instead of a
        # copy each (at 100,000 VMs a few hundred thousand objects fewer in the inventory).
        self.memos: dict[str, tuple[Callable[[Any], Any], dict[Any, Any]]] = {}

        # VM identity columns, read for every row of every VM tab.
        self.key_positions = tuple(
            self.positions.get(name) for name in ("vm_id", "vm_uuid", "vm", "vi_sdk_server", "vi_sdk_uuid"))

    @property
    def sheet(self) -> str:
        return self.table.sheet

    def has(self, name: str) -> bool:
        return name in self.positions

    def header(self, name: str) -> str:
        return self.table.headers[self.positions[name]]

    def raw(self, row: list[Any], name: str) -> Any:
        position = self.positions.get(name)
        return None if position is None else row[position]

    def custom_attribute_span(self) -> tuple[int, int] | None:
        """RVTools puts custom attribute columns between "Annotation" and "Datacenter"."""
        start = self.index.get("annotation")
        end = self.index.get("datacenter")
        if start is None or end is None or end <= start:
            return None
        return start + 1, end


@dataclass
class _BadColumn:
    count: int = 0
    first_row: int = 0
    message: str = ""


@dataclass
class _VcState:
    vcenter: VCenter
    key: str
    by_id: dict[str, VM] = field(default_factory=dict)
    by_uuid: dict[str, VM] = field(default_factory=dict)
    by_name: dict[str, VM] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)


class _Builder:
    def __init__(self, export: Export) -> None:
        self.export = export
        self.path = export.path
        self.file_name = Path(export.path).name
        self.views = {name: SheetView(table) for name, table in export.tables.items() if table.headers}
        self.bad: dict[tuple[str, str], _BadColumn] = {}
        self.issues: list[CollectionIssue] = []
        self.vcs: dict[str, _VcState] = {}
        self.unmatched: dict[str, int] = {}
        self.rvtools_version: str | None = None
        self.created: str | None = None
        self.default_server: str | None = None
        self.default_uuid: str | None = None
        self.source_rows: list[dict[str, str | None]] = []
        self.vc_cache: dict[tuple[str | None, str | None], _VcState] = {}

    # ------------------------------------------------------------ cell helpers

    def get(self, view: SheetView, row: list[Any], row_number: int, name: str, parse: Callable[[Any], T]) -> T | None:
        position = view.positions.get(name)
        if position is None:
            return None
        value = row[position]
        if value is None or value == "":
            return None
        kind = value.__class__
        # Parsed values are memoized per column (see SheetView.memos) for texts and non-zero floats
        # only: those never compare equal across types, and 0.0 == -0.0 is not looked up.
        memo = None
        if kind is str or (kind is float and value):
            entry = view.memos.get(name)
            if entry is None:
                entry = view.memos[name] = (parse, {})
            # A column read with another parser elsewhere is not memoized.
            memo = entry[1] if entry[0] is parse else None
        if memo is not None:
            parsed = memo.get(value, _MISSING)
            if parsed is not _MISSING:
                return cast(T, parsed)
        if kind is str and len(value) > MAX_CELL_CHARS:
            self.too_long(view, row_number, position, value)
        try:
            result = parse(value)
        except val.BadValue as exc:
            bad = self.bad.setdefault((view.sheet, view.header(name)), _BadColumn(first_row=row_number))
            bad.count += 1
            if not bad.message:
                bad.message = str(exc)
            return None
        if memo is not None and len(memo) < MEMO_ENTRIES:
            memo[value] = result
        return result

    def text(self, view: SheetView, row: list[Any], row_number: int, name: str) -> str | None:
        # The hot path of the reader: most cells are plain text or empty.
        position = view.positions.get(name)
        if position is None:
            return None
        value = row[position]
        if value is None:
            return None
        if value.__class__ is str:
            if len(value) > MAX_CELL_CHARS:
                self.too_long(view, row_number, position, value)
            return value.strip() or None
        return val.text(value)

    def too_long(self, view: SheetView, row_number: int, position: int, value: str) -> None:
        raise InputError(
            f"{view.table.origin}: sheet {view.sheet} row {row_number} column '{view.table.headers[position]}': "
            f"cell of {len(value)} characters exceeds the {MAX_CELL_CHARS}-character limit of Excel; "
            "not an RVTools export"
        )

    # ------------------------------------------------------------ vCenters

    def read_metadata(self) -> None:
        meta = self.views.get("vMetaData")
        if meta is not None:
            columnar = meta.has("rvtools_version") and any(
                meta.has(name) for name in ("created", "major_version", "server"))
            if columnar:
                for row, number in zip(meta.table.rows, meta.table.row_numbers, strict=True):
                    self.rvtools_version = self.rvtools_version or self.text(meta, row, number, "rvtools_version")
                    self.created = self.created or self.get(meta, row, number, "created", val.timestamp)
                    self.default_server = self.default_server or self.text(meta, row, number, "server")
            else:
                # RVTools 3.x writes vMetaData as property/value pairs.
                pairs = [meta.table.headers, *meta.table.rows]
                for pair in pairs:
                    if len(pair) < 2 or pair[0] is None:
                        continue
                    key = normalize_header(str(pair[0]))
                    if key == "rvtools version":
                        self.rvtools_version = val.text(pair[1])
                    elif key in ("xlsx creation datetime", "csv creation datetime"):
                        try:
                            self.created = val.timestamp(pair[1])
                        except val.BadValue:
                            pass
                    elif key == "server":
                        self.default_server = val.text(pair[1])
        source = self.views.get("vSource")
        if source is not None:
            for row, number in zip(source.table.rows, source.table.row_numbers, strict=True):
                entry = {
                    name: self.text(source, row, number, name)
                    for name in ("name", "api_version", "version", "build", "fullname", "vi_sdk_server", "vi_sdk_uuid")
                }
                self.source_rows.append(entry)
            if len(self.source_rows) == 1:
                only = self.source_rows[0]
                self.default_server = only["vi_sdk_server"] or only["name"] or self.default_server
                self.default_uuid = only["vi_sdk_uuid"]

    def vc_for(self, server: str | None, uuid: str | None) -> _VcState:
        """The vCenter a row belongs to, created on first sight."""
        cached = self.vc_cache.get((server, uuid))
        if cached is not None:
            return cached
        state = self.resolve_vc(server, uuid)
        # Rows without identity follow the vCenters seen so far, so only cache explicit identities.
        if server is not None or uuid is not None:
            self.vc_cache[(server, uuid)] = state
        return state

    def resolve_vc(self, server: str | None, uuid: str | None) -> _VcState:
        if uuid is None and server is None:
            if len(self.vcs) == 1:
                return next(iter(self.vcs.values()))
            server, uuid = self.default_server, self.default_uuid
        elif uuid is None:
            for state in self.vcs.values():
                if state.vcenter.name == server:
                    return state
            if server == self.default_server:
                uuid = self.default_uuid
        key = uuid or server or f"rvtools-file:{self.file_name}"
        existing = self.vcs.get(key)
        if existing is not None:
            return existing
        name = server or uuid or f"rvtools-file:{self.file_name}"
        vcenter = VCenter(name=name, instance_uuid=uuid, source_kind="rvtools")
        vcenter.source_detail = {"file": self.path, "format": self.export.format}
        if self.rvtools_version:
            vcenter.source_detail["rvtools_version"] = self.rvtools_version
        if server:
            vcenter.source_detail["vi_sdk_server"] = server
        if uuid:
            vcenter.source_detail["vi_sdk_uuid"] = uuid
        if self.created:
            vcenter.source_detail["exported_at"] = self.created
        for entry in self.source_rows:
            if (uuid and entry["vi_sdk_uuid"] == uuid) or (server and entry["vi_sdk_server"] == server) or (
                len(self.source_rows) == 1
            ):
                vcenter.version = entry["version"]
                vcenter.build = entry["build"]
                vcenter.full_name = entry["fullname"]
                vcenter.api_version = entry["api_version"]
                break
        if not server and not uuid:
            self.issues.append(
                CollectionIssue(
                    vcenter=name,
                    object_name=self.file_name,
                    property="vcenter",
                    message="export names no vCenter (no VI SDK Server/UUID, vSource or vMetaData); "
                    "VM ids use the file name instead",
                )
            )
        state = _VcState(vcenter, key)
        self.vcs[key] = state
        return state

    def row_vc(self, view: SheetView, row: list[Any], number: int) -> _VcState:
        return self.vc_for(self.text(view, row, number, "vi_sdk_server"), self.text(view, row, number, "vi_sdk_uuid"))

    # ------------------------------------------------------------ vInfo

    def read_vinfo(self) -> None:
        view = self.views.get("vInfo")
        if view is None and "vInfo" in self.export.tables:
            origin = self.export.tables["vInfo"].origin
            raise InputError(f"{origin}: sheet vInfo is empty (no header row with a 'VM' column)")
        if view is None:
            where = "no vInfo CSV file (expected vInfo.csv or RVTools_tabvInfo.csv)" if (
                self.export.format == "csv") else "sheet vInfo is missing"
            raise InputError(f"{self.path}: {where}; an RVTools export needs at least its vInfo tab")
        for name in REQUIRED["vInfo"]:
            if not view.has(name):
                spelled = next(c.headers[0] for c in SHEETS["vInfo"] if c.field == name)
                raise InputError(f"{view.table.origin}: sheet vInfo: required column '{spelled}' is missing")
        network_columns = [
            position for position, header in enumerate(view.table.headers)
            if normalize_header(header).startswith(VINFO_NETWORK_PREFIX)
        ]
        # Column by column: list comprehensions over whole columns are several times faster than
        # reading 60 cells per row through helper calls (vInfo is what every import pays for).
        text_fields = ("vm", "vm_id", "vm_uuid", "vi_sdk_server", "vi_sdk_uuid", "power_state", "guest_state",
                       "primary_ip", "ft_state", "latency_sensitivity", "firmware", "connection_state", "bios_uuid",
                       "folder", "datacenter", "cluster", "host", "resource_pool", "vapp", "os_config", "os_tools",
                       "os_detailed", "dns_name", "annotation", "vi_sdk_api_version")
        col: dict[str, list[Any]] = {name: self.text_column(view, name) for name in text_fields}
        for name, parse in (("template", val.boolean), ("num_cpu", val.count), ("memory", val.count),
                            ("num_nics", val.count), ("num_disks", val.count),
                            ("hw_version", val.hw_version), ("secure_boot", val.boolean), ("cbt", val.boolean),
                            ("consolidation_needed", val.boolean),
                            ("power_on", val.timestamp), ("provisioned", val.size_mib_to_bytes),
                            ("in_use", val.size_mib_to_bytes), ("unshared", val.size_mib_to_bytes)):
            col[name] = self.parsed_column(view, name, parse)
        networks_of = [[text for text in (val.text(row[p]) for p in network_columns) if text]
                       for row in view.table.rows] if network_columns else None
        views = self.views
        has_vnetwork, has_vdisk = "vNetwork" in views, "vDisk" in views
        has_vcd, has_vusb, has_vsnapshot, has_vpartition = "vCD" in views, "vUSB" in views, "vSnapshot" in views, (
            "vPartition" in views)
        for i, number in enumerate(view.table.row_numbers):
            vm_name = col["vm"][i]
            if vm_name is None:
                self.issues.append(CollectionIssue(
                    object_name=self.file_name, property="name",
                    message=f"sheet vInfo row {number}: no VM name; row skipped"))
                continue
            if _TOTAL_ROW.match(vm_name) and not (col["vm_id"][i] or col["vm_uuid"][i] or col["power_state"][i]):
                self.summary_row(view, view.table.rows[i], number, vm_name, ())
                continue
            state = self.vc_for(col["vi_sdk_server"][i], col["vi_sdk_uuid"][i])
            # vInfo names the vCenter's API version on every row: enough for HCX's minimum without vSource.
            if state.vcenter.api_version is None and col["vi_sdk_api_version"][i]:
                state.vcenter.api_version = col["vi_sdk_api_version"][i]
            vm_ref = col["vm_id"][i]
            instance_uuid = col["vm_uuid"][i]
            vm_id = f"{state.key}/{vm_ref or instance_uuid or vm_name}"
            if vm_id in state.ids:
                self.issues.append(CollectionIssue(
                    vcenter=state.vcenter.name, object_id=vm_id, object_name=vm_name,
                    message=f"sheet vInfo row {number}: same VM listed twice in one export; counted once"))
                continue
            power = col["power_state"][i]
            power_state = val.camel_to_snake(power) if power else None
            if power_state is not None and power_state not in _POWER_STATES:
                self.note_bad(view, "power_state", number, f"unknown power state {power!r}")
                power_state = None
            provisioned, in_use = col["provisioned"][i], col["in_use"][i]
            guest_state = col["guest_state"][i]
            primary_ip = col["primary_ip"][i]
            ft, latency = col["ft_state"][i], col["latency_sensitivity"][i]
            firmware, connection = col["firmware"][i], col["connection_state"][i]
            vm = VM(
                id=vm_id,
                moref=vm_ref,
                instance_uuid=instance_uuid,
                name=vm_name,
                vcenter=state.vcenter.name,
                bios_uuid=col["bios_uuid"][i],
                folder_path=col["folder"][i],
                datacenter=col["datacenter"][i],
                cluster=col["cluster"][i],
                host=col["host"][i],
                resource_pool=col["resource_pool"][i],
                vapp=col["vapp"][i],
                power_state=power_state,
                connection_state=_lowered(connection) if connection else None,
                template=col["template"][i],
                num_cpu=col["num_cpu"][i],
                memory_mib=col["memory"][i],
                hardware_version=col["hw_version"][i],
                firmware=_lowered(firmware) if firmware else None,
                secure_boot=col["secure_boot"][i],
                guest_full_name=col["os_config"][i],
                guest_full_name_tools=col["os_tools"][i],
                guest_detailed_data=col["os_detailed"][i],
                guest_id=None,
                guest_id_tools=None,
                tools_running=(guest_state == "running") if guest_state in ("running", "notRunning") else None,
                ipv4_addresses=[] if has_vnetwork else (
                    [primary_ip] if primary_ip and ":" not in primary_ip else None),
                ipv6_addresses=[] if has_vnetwork else None,
                hostname=col["dns_name"][i],
                annotation=col["annotation"][i],
                custom_attributes=None,
                controllers=[] if has_vdisk else None,
                disks=[] if has_vdisk else None,
                nics=[] if has_vnetwork else None,
                cdroms=[] if has_vcd else None,
                floppies=[] if "vFloppy" in views else None,
                serial_ports=None,
                parallel_ports=None,
                usb_controllers=None,
                usb_devices=[] if has_vusb else None,
                passthrough_devices=None,
                snapshots=[] if has_vsnapshot else None,
                snapshot_count=0 if has_vsnapshot else None,
                ft_state=val.camel_to_snake(ft) if ft else None,
                latency_sensitivity=_lowered(latency) if latency else None,
                cbt_enabled=col["cbt"][i],
                consolidation_needed=col["consolidation_needed"][i],
                boot_time=col["power_on"][i],
                storage_committed_bytes=in_use,
                storage_uncommitted_bytes=max(0, provisioned - in_use)
                if provisioned is not None and in_use is not None else None,
                storage_unshared_bytes=col["unshared"][i],
                guest_disks=[] if has_vpartition else None,
                perf=None,
            )
            self.vinfo_networks[vm_id] = networks_of[i] if networks_of is not None else []
            self.vinfo_counts[vm_id] = (col["num_nics"][i], col["num_disks"][i])
            if primary_ip:
                self.primary_ips[vm_id] = primary_ip
            self.name_counts[vm_name] = self.name_counts.get(vm_name, 0) + 1
            state.vcenter.vms.append(vm)
            state.ids.add(vm_id)
            if vm_ref:
                state.by_id.setdefault(vm_ref, vm)
            if instance_uuid:
                state.by_uuid.setdefault(instance_uuid, vm)
            state.by_name.setdefault(vm_name, vm)

    vinfo_networks: dict[str, list[str]]
    # vInfo's NICs and Disks counts per VM id, primary IPs, and how many VMs carry each name.
    vinfo_counts: dict[str, tuple[int | None, int | None]]
    primary_ips: dict[str, str]
    name_counts: dict[str, int]

    def text_column(self, view: SheetView, name: str) -> list[str | None]:
        rows = view.table.rows
        position = view.positions.get(name)
        if position is None:
            return [None] * len(rows)
        raw = [row[position] for row in rows]
        # map/filter run in C; the slow search for the culprit only happens on hostile input.
        if max(map(len, filter(str.__instancecheck__, raw)), default=0) > MAX_CELL_CHARS:
            for i, value in enumerate(raw):
                if value.__class__ is str and len(value) > MAX_CELL_CHARS:
                    self.too_long(view, view.table.row_numbers[i], position, value)
        return [(v.strip() or None) if v.__class__ is str else (None if v is None else val.text(v)) for v in raw]

    def parsed_column(self, view: SheetView, name: str, parse: Callable[[Any], T]) -> list[T | None]:
        rows = view.table.rows
        position = view.positions.get(name)
        if position is None:
            return [None] * len(rows)
        return [self.get(view, row, number, name, parse)
                for row, number in zip(rows, view.table.row_numbers, strict=True)]

    def note_bad(self, view: SheetView, name: str, number: int, message: str) -> None:
        bad = self.bad.setdefault((view.sheet, view.header(name)), _BadColumn(first_row=number))
        bad.count += 1
        bad.message = bad.message or message

    # ------------------------------------------------------------ joins

    def find_vm(self, view: SheetView, row: list[Any], number: int) -> VM | None:
        match = self.keyed_vm(view, row)
        if match is None:
            self.unmatched[view.sheet] = self.unmatched.get(view.sheet, 0) + 1
            return None
        return match[0]

    def rows(self, sheet: str) -> list[tuple[SheetView, list[Any], int, VM]]:
        view = self.views.get(sheet)
        if view is None:
            return []
        found = []
        for row, number in zip(view.table.rows, view.table.row_numbers, strict=True):
            vm = self.find_vm(view, row, number)
            if vm is not None:
                found.append((view, row, number, vm))
        return found

    def keyed_vm(self, view: SheetView, row: list[Any]) -> tuple[VM, str] | None:
        """The vInfo VM a row of another VM tab describes, by VM ID or VM UUID - never by a guessed name.

        A name is used only when it names exactly one VM of vInfo and no id contradicts it: the row
        carries no id (a tab without the id columns), or the vInfo VM has none (a row trimmed by hand).
        """
        p_ref, p_uuid, p_name, p_server, p_sdk = view.key_positions
        vm_ref, uuid = _cell_text(row, p_ref), _cell_text(row, p_uuid)
        server, sdk_uuid = _cell_text(row, p_server), _cell_text(row, p_sdk)
        states = [self.vc_for(server, sdk_uuid)] if server or sdk_uuid else list(self.vcs.values())
        for state in states:
            if vm_ref and vm_ref in state.by_id:
                return state.by_id[vm_ref], "VM ID"
            if uuid and uuid in state.by_uuid:
                return state.by_uuid[uuid], "VM UUID"
        name = _cell_text(row, p_name)
        if not name or self.name_counts.get(name, 0) != 1:
            return None
        for state in states:
            vm = state.by_name.get(name)
            if vm is not None and (not (vm_ref or uuid) or (vm.moref is None and vm.instance_uuid is None)):
                return vm, "name (no VM ID to compare)"
        return None

    def complete_vinfo(self) -> None:
        """Fill what vInfo lacks (a column deleted by hand, an empty cell) from the other VM tabs.

        A value is taken only when every tab that gives it for the VM agrees: the tabs of one export
        describe one moment, so a disagreement means edited or anonymized data - left unknown, noted.
        """
        vinfo = self.views["vInfo"]
        vms = [vm for state in self.vcs.values() for vm in state.vcenter.vms]
        wanted = [fill for fill in _VINFO_FILLS if any(getattr(vm, fill.attr) is None for vm in vms)]
        if not wanted:
            return
        # (attribute, VM id) -> value -> tabs giving it; and how the rows were matched to the VM.
        seen: dict[tuple[str, str], dict[Any, list[str]]] = {}
        keys: dict[tuple[str, str], set[str]] = {}
        by_id = {vm.id: vm for vm in vms}
        for sheet in _FILL_TABS:
            view = self.views.get(sheet)
            if view is None:
                continue
            usable = [fill for fill in wanted if view.has(fill.field)]
            if not usable:
                continue
            for row, n in zip(view.table.rows, view.table.row_numbers, strict=True):
                match = self.keyed_vm(view, row)
                if match is None:
                    continue
                vm, key = match
                for fill in usable:
                    if getattr(vm, fill.attr) is not None:
                        continue
                    value = self.get(view, row, n, fill.field, fill.parse)
                    if value is not None:
                        tabs = seen.setdefault((fill.attr, vm.id), {}).setdefault(value, [])
                        if sheet not in tabs:
                            tabs.append(sheet)
                        keys.setdefault((fill.attr, vm.id), set()).add(key)
        for fill in wanted:
            header = next(c.headers[0] for c in SHEETS["vInfo"] if c.field == fill.vinfo_field)
            where = f"vInfo has no '{header}' column" if not vinfo.has(fill.vinfo_field) else (
                f"vInfo left '{header}' empty")
            taken: dict[str, int] = {}
            matched_by: set[str] = set()
            disputed: list[str] = []
            for (attr, vm_id), values in seen.items():
                if attr != fill.attr:
                    continue
                vm = by_id[vm_id]
                if len(values) > 1:
                    disputed.append(f"{vm.name} ({' / '.join(f'{v} in {tabs[0]}' for v, tabs in values.items())})")
                    continue
                ((value, tabs),) = values.items()
                setattr(vm, fill.attr, value)
                taken[tabs[0]] = taken.get(tabs[0], 0) + 1
                matched_by |= keys[(attr, vm_id)]
            if taken:
                counts = ", ".join(f"{sheet} ({count})" for sheet, count in taken.items())
                self.issues.append(CollectionIssue(
                    object_name=self.file_name, property=f"vInfo/{header}",
                    message=f"{where}: {fill.words} of {sum(taken.values())} VM(s) taken from {counts}, "
                    f"matched by {' / '.join(sorted(matched_by))}"))
            if disputed:
                shown = "; ".join(disputed[:3]) + ("; ..." if len(disputed) > 3 else "")
                self.issues.append(CollectionIssue(
                    object_name=self.file_name, property=f"vInfo/{header}",
                    message=f"{where}: the other tabs disagree on the {fill.words} of {len(disputed)} VM(s), "
                    f"left unknown: {shown}"))
            still = sum(1 for vm in vms if getattr(vm, fill.attr) is None) - len(disputed)
            if still and not vinfo.has(fill.vinfo_field):
                self.issues.append(CollectionIssue(
                    object_name=self.file_name, property=f"vInfo/{header}",
                    message=f"{where}: {fill.words} of {still} VM(s) unknown (no other tab gives it for them)"))

    def note_filtered_tabs(self, matched: dict[str, set[str]]) -> None:
        """A VM tab filtered differently from vInfo leaves some VMs out: their fields are unknown, not empty."""
        vms = [vm for state in self.vcs.values() for vm in state.vcenter.vms]
        for sheet in ("vCPU", "vMemory", "vTools"):
            if sheet not in self.views:
                continue
            absent = [vm for vm in vms if vm.id not in matched.get(sheet, set())]
            if absent:
                self.note_absent(sheet, absent, len(vms), FAMILY_TABS[sheet])
        for sheet, count_of, families in (("vDisk", 1, ("disks", "controllers")), ("vNetwork", 0, ("nics",))):
            if sheet not in self.views:
                continue
            absent = [vm for vm in vms if vm.id not in matched.get(sheet, set())
                      and (self.vinfo_counts.get(vm.id, (None, None))[count_of] or 0) > 0]
            for vm in absent:
                for family in families:
                    setattr(vm, family, None)
                if sheet == "vNetwork":
                    primary = self.primary_ips.get(vm.id)
                    vm.ipv4_addresses = [primary] if primary and ":" not in primary else None
                    vm.ipv6_addresses = None
            if absent:
                self.note_absent(sheet, absent, len(vms), FAMILY_TABS[sheet])

    def note_absent(self, sheet: str, absent: list[VM], total: int, what: str) -> None:
        names = ", ".join(str(vm.name) for vm in absent[:5]) + (", ..." if len(absent) > 5 else "")
        self.issues.append(CollectionIssue(
            object_name=self.file_name, property=sheet,
            message=f"sheet {sheet} has no row for {len(absent)} of {total} vInfo VM(s) ({names}); the tab was "
            f"filtered differently from vInfo: their {what} unknown"))

    def summary_row(self, view: SheetView, row: list[Any], number: int, name: str | None,
                    evidence: tuple[str, ...]) -> bool:
        """A total/SUM row added by hand (no name, or "Total" without any identity column): skip, say so."""
        if name is not None and not (_TOTAL_ROW.match(name) and not any(
                self.text(view, row, number, field) for field in evidence)):
            return False
        label = f"'{name}'" if name else "without a name"
        self.issues.append(CollectionIssue(
            object_name=self.file_name, property=view.sheet,
            message=f"sheet {view.sheet} row {number}: a row {label} (a total or summary row added by hand?); "
            "skipped"))
        return True

    def note_inserted_columns(self) -> None:
        view = self.views["vInfo"]
        mapped = {normalize_header(alias) for column in SHEETS["vInfo"] for alias in column.headers}
        span = view.custom_attribute_span()
        inserted = [
            header for position, header in enumerate(view.table.headers)
            if header and (key := normalize_header(header)) not in mapped and key not in VINFO_UNMAPPED_HEADERS
            and not key.startswith(VINFO_NETWORK_PREFIX)
            and not (span is not None and span[0] <= position < span[1])
        ]
        if inserted:
            shown = ", ".join(f"'{header}'" for header in inserted[:8]) + (", ..." if len(inserted) > 8 else "")
            self.issues.append(CollectionIssue(
                object_name=self.file_name, property="vInfo",
                message=f"sheet vInfo: {len(inserted)} column(s) RVTools does not write (inserted by hand?): "
                f"{shown}; ignored"))

    # ------------------------------------------------------------ VM tabs

    def read_vm_tabs(self) -> None:
        """Map the VM tabs; each tab's rows are let go once mapped (vInfo's with the custom attributes).

        The estate grows in the memory the tables held instead of beside all of them at once.
        """
        matched: dict[str, set[str]] = {}
        custom_tab = self.custom_attribute_tab()
        if custom_tab == "vInfo" and self.vinfo_vcenters_known():
            # Custom attributes change nothing the VM tabs read, so vInfo's can be taken first.
            self.read_custom_attributes()
            self.release("vInfo")
            custom_tab = None

        def taken(sheet: str) -> list[tuple[SheetView, list[Any], int, VM]]:
            found = self.rows(sheet)
            if sheet != custom_tab:
                # ``found`` holds the rows it needs; the rest go now, those rows after the loop.
                self.release(sheet)
            return found

        def rows(sheet: str) -> list[tuple[SheetView, list[Any], int, VM]]:
            found = taken(sheet)
            matched[sheet] = {vm.id for _, _, _, vm in found}
            return found

        for view, row, n, vm in rows("vCPU"):
            vm.cores_per_socket = self.get(view, row, n, "cores_per_socket", val.count)
            vm.cpu_reservation_mhz = self.get(view, row, n, "reservation", val.integer)
            vm.cpu_limit_mhz = self.get(view, row, n, "limit", val.integer)
            vm.cpu_hot_add = self.get(view, row, n, "hot_add", val.boolean)
            vm.cpu_usage_mhz = self.get(view, row, n, "overall_mhz", val.integer)
        for view, row, n, vm in rows("vMemory"):
            vm.memory_reservation_mib = self.get(view, row, n, "reservation", val.integer)
            vm.memory_limit_mib = self.get(view, row, n, "limit", val.integer)
            vm.memory_hot_add = self.get(view, row, n, "hot_add", val.boolean)
            vm.memory_consumed_mib = self.get(view, row, n, "consumed", val.integer)
            vm.memory_active_mib = self.get(view, row, n, "active", val.integer)
        for view, row, n, vm in rows("vDisk"):
            self.add_disk(view, row, n, vm)
        for view, row, n, vm in taken("vPartition"):
            if vm.guest_disks is not None:
                vm.guest_disks.append(GuestDisk(
                    path=self.text(view, row, n, "disk"),
                    capacity_bytes=self.get(view, row, n, "capacity", val.size_mib_to_bytes),
                    free_bytes=self.get(view, row, n, "free", val.size_mib_to_bytes),
                ))
        for view, row, n, vm in rows("vNetwork"):
            self.add_nic(view, row, n, vm)
        for view, row, n, vm in taken("vCD"):
            device_type = self.text(view, row, n, "device_type")
            if vm.cdroms is not None:
                vm.cdroms.append(RemovableDrive(
                    label=self.text(view, row, n, "device_node"),
                    backing=cd_backing(device_type),
                    backing_path=drive_path(device_type),
                    connected=self.get(view, row, n, "connected", val.boolean),
                    start_connected=self.get(view, row, n, "starts_connected", val.boolean),
                ))
        for view, row, n, vm in taken("vFloppy"):
            device_type = self.text(view, row, n, "device_type")
            if vm.floppies is not None:
                vm.floppies.append(RemovableDrive(
                    label=self.text(view, row, n, "device_node"),
                    backing=_floppy_backing(device_type),
                    backing_path=drive_path(device_type),
                    connected=self.get(view, row, n, "connected", val.boolean),
                    start_connected=self.get(view, row, n, "starts_connected", val.boolean),
                ))
        for view, row, n, vm in taken("vUSB"):
            if vm.usb_devices is not None:
                vm.usb_devices.append(UsbDevice(
                    label=self.text(view, row, n, "device_node"),
                    backing_path=self.text(view, row, n, "path") or self.text(view, row, n, "device_type"),
                    connected=self.get(view, row, n, "connected", val.boolean),
                ))
        for view, row, n, vm in taken("vSnapshot"):
            state = self.text(view, row, n, "state")
            if vm.snapshots is not None:
                vm.snapshots.append(Snapshot(
                    name=self.text(view, row, n, "snapshot_name"),
                    description=self.text(view, row, n, "description"),
                    created=self.get(view, row, n, "date", val.timestamp),
                    power_state=val.camel_to_snake(state) if state else None,
                    quiesced=self.get(view, row, n, "quiesced", val.boolean),
                ))
                vm.snapshot_count = len(vm.snapshots)
        for view, row, n, vm in rows("vTools"):
            status = self.text(view, row, n, "tools")
            if status is not None:
                vm.tools_version_status = _TOOLS_VERSION_STATUS.get(status.replace(" ", "").casefold())
                vm.tools_status = _TOOLS_STATUS.get(status.replace(" ", "").casefold())
                if vm.tools_status is None:
                    self.note_bad(view, "tools", n, f"unknown VMware Tools status {status!r}")
                elif vm.tools_version_status is None:
                    # toolsOk/toolsOld/toolsNotRunning say whether Tools runs; a version status
                    # (guestToolsCurrent ...) does not, so vInfo "Guest state" stays the answer.
                    vm.tools_running = vm.tools_status in ("ok", "old")
            vm.tools_version = self.text(view, row, n, "tools_version")
            vm.tools_upgradeable = self.get(view, row, n, "upgradeable", val.boolean)
            if vm.hardware_version is None:
                vm.hardware_version = self.get(view, row, n, "vm_version", val.hw_version)
        self.note_filtered_tabs(matched)
        if custom_tab is not None:
            self.read_custom_attributes()
            self.release(custom_tab)

    def add_disk(self, view: SheetView, row: list[Any], n: int, vm: VM) -> None:
        if vm.disks is None or vm.controllers is None:
            return
        raw = self.get(view, row, n, "raw", val.boolean)
        raw_mode = (self.text(view, row, n, "raw_mode") or "").casefold()
        backing: str | None
        provisioning: str | None
        if raw:
            backing = "rdm_physical" if raw_mode.startswith("physical") else (
                "rdm_virtual" if raw_mode.startswith("virtual") else "other")
            provisioning = None
        else:
            backing = "flat" if raw is False else None
            thin = self.get(view, row, n, "thin", val.boolean)
            eager = self.get(view, row, n, "eagerly_scrub", val.boolean)
            provisioning = "thin" if thin else ("thick_eager" if eager else "thick_lazy") if thin is False else None
        mode = self.text(view, row, n, "disk_mode")
        mode_value = val.camel_to_snake(mode) if mode else None
        sharing = (self.text(view, row, n, "sharing_mode") or "").casefold()
        shared_bus = (self.text(view, row, n, "shared_bus") or "").replace(" ", "").casefold()
        ctype = controller_type(self.text(view, row, n, "controller"))
        clabel = self.text(view, row, n, "controller_label")
        bus_sharing = _SHARED_BUS.get(shared_bus) if ctype and ctype.startswith("scsi") else None
        unit = self.get(view, row, n, "unit", val.integer)
        if unit is None:
            unit = self.get(view, row, n, "scsi_unit", val.integer)
        path = self.disk_file(view, row, n)
        vm.disks.append(Disk(
            key=self.get(view, row, n, "disk_key", val.integer),
            label=self.text(view, row, n, "disk"),
            capacity_bytes=self.get(view, row, n, "capacity", val.size_mib_to_bytes),
            provisioning=provisioning,
            mode=mode_value if mode_value in _DISK_MODES else None,
            sharing="multi_writer" if "multiwriter" in sharing else ("none" if "none" in sharing else None),
            backing=backing,
            # One object per datastore name, not a copy cut from each disk's path.
            datastore=_shared_text(datastore_of(path)),
            file_name=path,
            controller_type=ctype,
            controller_bus_sharing=bus_sharing,
            unit_number=unit,
            lun_uuid=self.text(view, row, n, "raw_lun_id") if raw else None,
        ))
        # RVTools has no controller tab: the controllers known are those that carry disks.
        if clabel and all(c.label != clabel for c in vm.controllers):
            number = re.search(r"(\d+)\s*$", clabel)
            vm.controllers.append(Controller(
                label=clabel, type=ctype, bus_sharing=bus_sharing,
                bus_number=int(number.group(1)) if number else None,
            ))

    def disk_file(self, view: SheetView, row: list[Any], n: int) -> str | None:
        """The disk's "[datastore] folder/file.vmdk": "Disk Path" or "Path", whichever holds one.

        RVTools 4.1 writes both headers and leaves "Disk Path" empty; 3.x has only "Path"; 4.7 fills both.
        """
        disk_path = self.text(view, row, n, "disk_path")
        vmdk_path = self.text(view, row, n, "vmdk_path")
        for candidate in (disk_path, vmdk_path):
            if datastore_of(candidate) is not None:
                return candidate
        return disk_path or vmdk_path

    def add_nic(self, view: SheetView, row: list[Any], n: int, vm: VM) -> None:
        if vm.nics is None:
            return
        switch = self.text(view, row, n, "switch")
        mac_type = self.text(view, row, n, "mac_type")
        ipv4 = val.split_list(view.raw(row, "ipv4"))
        ipv6 = val.split_list(view.raw(row, "ipv6"))
        vm.nics.append(Nic(
            label=self.text(view, row, n, "nic_label"),
            adapter_type=nic_adapter_type(self.text(view, row, n, "adapter")),
            network=self.text(view, row, n, "network"),
            network_kind=self.switch_kind(switch),
            connected=self.get(view, row, n, "connected", val.boolean),
            start_connected=self.get(view, row, n, "starts_connected", val.boolean),
            mac_address=self.text(view, row, n, "mac_address"),
            mac_type=_MAC_TYPES.get(mac_type.lower()) if mac_type else None,
        ))
        if vm.ipv4_addresses is not None:
            vm.ipv4_addresses.extend(ip for ip in ipv4 if ip not in vm.ipv4_addresses)
        if vm.ipv6_addresses is not None:
            vm.ipv6_addresses.extend(ip for ip in ipv6 if ip not in vm.ipv6_addresses)

    def switch_kind(self, switch: str | None) -> str | None:
        if not switch:
            return None
        if switch in self.dv_switches:
            return "distributed"
        if switch in self.std_switches:
            return "standard"
        return None

    dv_switches: set[str]
    std_switches: set[str]

    def read_switch_names(self) -> None:
        self.dv_switches = set()
        self.std_switches = set()
        for sheet, target in (("dvSwitch", self.dv_switches), ("vSwitch", self.std_switches),
                              ("dvPort", self.dv_switches), ("vPort", self.std_switches)):
            view = self.views.get(sheet)
            if view is None:
                continue
            for row, number in zip(view.table.rows, view.table.row_numbers, strict=True):
                name = self.text(view, row, number, "switch")
                if name:
                    target.add(name)

    def release(self, sheet: str) -> None:
        """Let a mapped tab's rows go; its headers and column positions stay (``sheet in self.views``)."""
        view = self.views.get(sheet)
        if view is not None:
            view.table.rows = []
            view.table.row_numbers = []
            view.memos.clear()

    def vinfo_vcenters_known(self) -> bool:
        """Whether every vInfo row names a vCenter already seen, so that reading vInfo again creates
        none (a row skipped for want of a name may name a new one: then the order of the vCenters
        would depend on when vInfo is read again)."""
        view = self.views["vInfo"]
        p_server, p_sdk = view.key_positions[3:]
        known = self.vc_cache
        for row in view.table.rows:
            server, uuid = _cell_text(row, p_server), _cell_text(row, p_sdk)
            if (server or uuid) and (server, uuid) not in known:
                return False
        return True

    def custom_attribute_tab(self) -> str | None:
        """The tab read_custom_attributes reads: the first of these with the custom attribute columns."""
        for sheet in ("vInfo", "vCPU", "vMemory", "vDisk", "vNetwork"):
            view = self.views.get(sheet)
            if view is not None and view.custom_attribute_span() is not None:
                return sheet
        return None

    def read_custom_attributes(self) -> None:
        """Custom attributes sit between Annotation and Datacenter in vInfo (or vCPU/vMemory)."""
        for sheet in ("vInfo", "vCPU", "vMemory", "vDisk", "vNetwork"):
            view = self.views.get(sheet)
            if view is None:
                continue
            span = view.custom_attribute_span()
            if span is None:
                continue
            start, end = span
            names = view.table.headers[start:end]
            seen: set[str] = set()
            rows = [(view, row, n, vm) for row, n in zip(view.table.rows, view.table.row_numbers, strict=True)
                    if (vm := self.vm_lookup(sheet, view, row, n)) is not None]
            for _, row, n, vm in rows:
                if vm.id in seen:
                    continue
                seen.add(vm.id)
                attributes: dict[str, str] = {}
                for offset, attribute in enumerate(names):
                    value = val.text(row[start + offset])
                    if attribute and value is not None:
                        attributes[attribute] = value
                vm.custom_attributes = attributes
                if vm.annotation is None:
                    vm.annotation = self.text(view, row, n, "annotation") if view.has("annotation") else None
            return

    def vm_lookup(self, sheet: str, view: SheetView, row: list[Any], number: int) -> VM | None:
        before = self.unmatched.get(sheet, 0)
        vm = self.find_vm(view, row, number)
        # Unmatched rows were already counted when the tab itself was read.
        self.unmatched[sheet] = before
        return vm

    # ------------------------------------------------------------ infrastructure tabs

    def read_infrastructure(self) -> None:
        datacenters: dict[str, set[str]] = {}
        clusters: dict[tuple[str, str], Cluster] = {}

        def cluster_for(state: _VcState, name: str, datacenter: str | None) -> Cluster:
            key = (state.key, name)
            cluster = clusters.get(key)
            if cluster is None:
                cluster = Cluster(id=f"{state.key}/cluster:{name}", name=name, datacenter=datacenter)
                clusters[key] = cluster
                state.vcenter.clusters.append(cluster)
            if cluster.datacenter is None:
                cluster.datacenter = datacenter
            return cluster

        view = self.views.get("vCluster")
        if view is not None:
            for row, n in zip(view.table.rows, view.table.row_numbers, strict=True):
                name = self.text(view, row, n, "name")
                if self.summary_row(view, row, n, name, ("object_id", "ha_enabled", "drs_enabled")) or not name:
                    continue
                state = self.row_vc(view, row, n)
                cluster = cluster_for(state, name, self.text(view, row, n, "datacenter"))
                object_id = self.text(view, row, n, "object_id")
                if object_id:
                    cluster.moref = object_id
                    cluster.id = f"{state.key}/{object_id}"
                cluster.ha_enabled = self.get(view, row, n, "ha_enabled", val.boolean)
                cluster.drs_enabled = self.get(view, row, n, "drs_enabled", val.boolean)
                cluster.drs_behavior = self.text(view, row, n, "drs_behavior")
                cluster.evc_mode = self.text(view, row, n, "evc_mode")
                cluster.vsan_enabled = self.get(view, row, n, "vsan_enabled", val.boolean)

        view = self.views.get("vHost")
        if view is not None:
            for row, n in zip(view.table.rows, view.table.row_numbers, strict=True):
                name = self.text(view, row, n, "host")
                if self.summary_row(view, row, n, name, ("object_id", "esx_version", "cpu_model", "uuid")) or not name:
                    continue
                state = self.row_vc(view, row, n)
                object_id = self.text(view, row, n, "object_id")
                full = self.text(view, row, n, "esx_version")
                version, build = parse_esx_version(full)
                cpu_model = self.text(view, row, n, "cpu_model")
                cores = self.get(view, row, n, "cores", val.count)
                sockets = self.get(view, row, n, "sockets", val.count)
                if cores is None and sockets is not None:
                    per_cpu = self.get(view, row, n, "cores_per_cpu", val.count)
                    cores = within_64_bit(sockets * per_cpu) if per_cpu is not None else None
                ht = self.get(view, row, n, "ht_active", val.boolean)
                mhz = self.get(view, row, n, "speed", val.count)
                memory = self.get(view, row, n, "memory", val.count)
                cpu_pct = self.get(view, row, n, "cpu_usage_pct", val.percent)
                mem_pct = self.get(view, row, n, "memory_usage_pct", val.percent)
                datacenter = self.text(view, row, n, "datacenter")
                cluster_name = self.text(view, row, n, "cluster")
                lowered = (cpu_model or "").casefold()
                host = Host(
                    id=f"{state.key}/{object_id or name}",
                    moref=object_id,
                    name=name,
                    datacenter=datacenter,
                    cluster=cluster_name,
                    esxi_version=version,
                    esxi_build=build,
                    product_full_name=full,
                    vendor=self.text(view, row, n, "vendor"),
                    model=self.text(view, row, n, "model"),
                    cpu_vendor="intel" if "intel" in lowered else ("amd" if "amd" in lowered else (
                        "other" if lowered else None)),
                    cpu_model=cpu_model,
                    cpu_sockets=sockets,
                    cpu_cores=cores,
                    # x86 hyper-threading exposes two logical processors per core.
                    cpu_threads=(cores * 2 if ht else cores) if cores is not None and ht is not None else None,
                    cpu_mhz=mhz,
                    memory_mib=memory,
                    maintenance_mode=self.get(view, row, n, "maintenance", val.boolean),
                    cpu_usage_mhz=_share_of(cpu_pct, cores * mhz) if cores is not None and mhz is not None else None,
                    memory_usage_mib=_share_of(mem_pct, memory),
                )
                state.vcenter.hosts.append(host)
                if datacenter:
                    datacenters.setdefault(state.key, set()).add(datacenter)
                if cluster_name:
                    cluster = cluster_for(state, cluster_name, datacenter)
                    if name not in cluster.hosts:
                        cluster.hosts.append(name)

        for state in self.vcs.values():
            for vm in state.vcenter.vms:
                if vm.datacenter:
                    datacenters.setdefault(state.key, set()).add(vm.datacenter)
                if vm.cluster:
                    cluster_for(state, vm.cluster, vm.datacenter)

        view = self.views.get("vDatastore")
        if view is not None:
            for row, n in zip(view.table.rows, view.table.row_numbers, strict=True):
                name = self.text(view, row, n, "name")
                if self.summary_row(view, row, n, name, ("object_id", "type", "accessible")) or not name:
                    continue
                state = self.row_vc(view, row, n)
                object_id = self.text(view, row, n, "object_id")
                kind = (self.text(view, row, n, "type") or "").casefold()
                state.vcenter.datastores.append(Datastore(
                    id=f"{state.key}/{object_id or 'datastore:' + name}",
                    moref=object_id,
                    name=name,
                    datacenter=self.text(view, row, n, "datacenter"),
                    type=_DATASTORE_TYPES.get(kind, "other") if kind else None,
                    capacity_bytes=self.get(view, row, n, "capacity", val.size_mib_to_bytes),
                    free_bytes=self.get(view, row, n, "free", val.size_mib_to_bytes),
                    accessible=self.get(view, row, n, "accessible", val.boolean),
                    hosts=val.split_list(view.raw(row, "hosts")),
                ))

        self.read_networks()
        for key, names in datacenters.items():
            self.vcs[key].vcenter.datacenters = [Datacenter(name=name) for name in sorted(names)]

    def read_networks(self) -> None:
        seen: set[tuple[str, str]] = set()

        def add(state: _VcState, network: Network) -> None:
            key = (state.key, network.name or "")
            if key in seen:
                return
            seen.add(key)
            state.vcenter.networks.append(network)

        view = self.views.get("dvPort")
        if view is not None:
            for row, n in zip(view.table.rows, view.table.row_numbers, strict=True):
                name = self.text(view, row, n, "port")
                if not name:
                    continue
                state = self.row_vc(view, row, n)
                object_id = self.text(view, row, n, "object_id")
                add(state, Network(
                    id=f"{state.key}/{object_id or 'network:' + name}", moref=object_id, name=name,
                    kind="distributed", vlan=self.text(view, row, n, "vlan"), switch=self.text(view, row, n, "switch"),
                ))
        view = self.views.get("vPort")
        if view is not None:
            for row, n in zip(view.table.rows, view.table.row_numbers, strict=True):
                name = self.text(view, row, n, "port_group")
                if not name:
                    continue
                state = self.row_vc(view, row, n)
                add(state, Network(
                    id=f"{state.key}/network:{name}", name=name, datacenter=self.text(view, row, n, "datacenter"),
                    kind="standard", vlan=self.text(view, row, n, "vlan"), switch=self.text(view, row, n, "switch"),
                ))
        # Networks only named by VMs: kind and VLAN unknown.
        for state in self.vcs.values():
            for vm in state.vcenter.vms:
                names = [nic.network for nic in vm.nics or [] if nic.network] or self.vinfo_networks.get(vm.id, [])
                for name in names:
                    add(state, Network(id=f"{state.key}/network:{name}", name=name, datacenter=vm.datacenter))

    # ------------------------------------------------------------ result

    def finish(self) -> Estate:
        for (sheet, header), bad in sorted(self.bad.items()):
            self.issues.append(CollectionIssue(
                object_name=self.file_name, property=f"{sheet}/{header}",
                message=f"{bad.count} unreadable cell(s) in sheet {sheet} column '{header}' (first at row "
                f"{bad.first_row}: {bad.message}); left unknown",
            ))
        for sheet, count in sorted(self.unmatched.items()):
            if not count:
                continue
            self.issues.append(CollectionIssue(
                object_name=self.file_name, property=sheet,
                message=f"{count} row(s) of sheet {sheet} name no VM of vInfo; ignored",
            ))
        for sheet, what in FAMILY_TABS.items():
            if sheet not in self.views:
                self.issues.append(CollectionIssue(
                    object_name=self.file_name, property=sheet,
                    message=f"export has no {sheet} tab: {what} unknown",
                ))
        # Recorded per vCenter so that the analysis can name the tab behind each unknown finding.
        missing_tabs = [sheet for sheet in SHEET_NAMES if sheet not in self.views]
        for state in self.vcs.values():
            state.vcenter.missing_tabs = list(missing_tabs)
        created = self.created
        if created is None:
            mtime = Path(self.path).stat().st_mtime
            created = dt.datetime.fromtimestamp(mtime, tz=dt.UTC).replace(microsecond=0).isoformat()
        detail = {"file": self.path, "format": self.export.format}
        if self.rvtools_version:
            detail["rvtools_version"] = self.rvtools_version
        return Estate(
            collected_at=created,
            source=Source(
                kind="rvtools",
                tool=f"RVTools {self.rvtools_version}" if self.rvtools_version else "RVTools",
                detail=detail,
            ),
            vcenters=[state.vcenter for state in self.vcs.values()],
            collection_issues=self.issues,
        )


def build_estate(export: Export) -> Estate:
    builder = _Builder(export)
    builder.vinfo_networks = {}
    builder.vinfo_counts = {}
    builder.primary_ips = {}
    builder.name_counts = {}
    builder.read_metadata()
    builder.read_switch_names()
    builder.read_vinfo()
    builder.note_inserted_columns()
    builder.complete_vinfo()
    builder.read_vm_tabs()
    builder.read_infrastructure()
    return builder.finish()


def read_rvtools(path: Path) -> Estate:
    """Read an RVTools ``.xlsx`` export or a folder of RVTools CSV files into an Estate."""
    with cyclic_gc_paused():
        return build_estate(read_export(Path(path)))


def _share_of(percent: float | None, total: float | None) -> int | None:
    """percent % of total, rounded; None when unknown or when absurd cells overflow (1e308 % of ...)."""
    if percent is None or total is None:
        return None
    value = percent / 100 * total
    # Beyond 64 bits the snapshot would refuse to load what was just saved.
    return within_64_bit(value) if math.isfinite(value) else None
