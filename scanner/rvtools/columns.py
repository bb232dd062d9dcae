"""The one declarative table of RVTools tabs and header spellings vmscan reads.

Each field lists every header spelling seen across RVTools 3.x - 4.7 (newest first); headers are
matched case-insensitively with runs of white space collapsed, and the first column that matches
wins (real exports can repeat a header when a custom attribute has the same name as a column).

Sources for the spellings: the RVTools 4.x column lists reproduced by public RVTools writers and
parsers (27-tab layouts with "Provisioned MiB", "Size MiB", "Raw Comp. Mode", "VI SDK UUID"),
older 3.x parsers reading "Provisioned MB" / "In Use MB" / "Unshared MB" / "Capacity MB", and the
real anonymized 4.x export kept in fixtures/kubev2v-example1.xlsx.

Units: RVTools 4.1.2 renamed every "MB" header to "MiB" without changing the numbers — the older
"MB" columns were already computed as bytes / 1024 / 1024. vmscan therefore reads both spellings
as MiB (``unit="mib"``); converting "MB" columns by 1000/1024 would shrink every older export by
4.6 %.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    field: str
    headers: tuple[str, ...]
    # "mib" marks sizes that the reader turns into bytes (disk/datastore) or keeps as MiB (memory).
    unit: str | None = None


def _c(field: str, *headers: str, unit: str | None = None) -> Column:
    return Column(field, headers, unit)


# Identity columns that most VM tabs carry (RVTools 4.x); joined to vInfo rows through them.
_VM_KEYS = (
    _c("vm", "VM", "VM Name", "Name"),
    _c("vm_id", "VM ID", "VMRef"),
    _c("vm_uuid", "VM UUID", "Instance UUID"),
    _c("vi_sdk_server", "VI SDK Server"),
    _c("vi_sdk_uuid", "VI SDK UUID"),
)

# Per-VM state that RVTools repeats on every VM tab (vCPU, vMemory, vDisk, vNetwork, vCD, ...): a vInfo
# trimmed by hand (Powerstate or Template deleted) is completed from these, matched by VM ID / VM UUID.
_VM_STATE = (
    _c("power_state", "Powerstate"),
    _c("template", "Template"),
    _c("datacenter", "Datacenter"),
    _c("cluster", "Cluster"),
    _c("host", "Host"),
    _c("folder", "Folder"),
    _c("os_config", "OS according to the configuration file"),
    _c("os_tools", "OS according to the VMware Tools"),
)

SHEETS: dict[str, tuple[Column, ...]] = {
    "vInfo": (
        *_VM_KEYS,
        _c("power_state", "Powerstate", "Power State", "Power state"),
        _c("template", "Template"),
        _c("srm_placeholder", "SRM Placeholder"),
        _c("connection_state", "Connection state", "Connection State"),
        _c("guest_state", "Guest state", "Guest State"),
        _c("dns_name", "DNS Name"),
        _c("power_on", "PowerOn", "Power On"),
        # How many NICs and disks the VM has: tells a VM without disks from one a filtered vDisk left out.
        _c("num_nics", "NICs"),
        _c("num_disks", "Disks"),
        _c("num_cpu", "CPUs", "Num CPU", "# CPUs", "vCPUs"),
        _c("memory", "Memory", "Memory MiB", "Memory MB", "Memory Size MB", unit="mib"),
        _c("latency_sensitivity", "Latency Sensitivity"),
        _c("cbt", "CBT"),
        _c("consolidation_needed", "Consolidation Needed"),
        _c("primary_ip", "Primary IP Address", "Primary IP"),
        _c("resource_pool", "Resource pool", "Resource Pool"),
        _c("folder", "Folder"),
        _c("vapp", "vApp"),
        _c("ft_state", "FT State"),
        _c("provisioned", "Provisioned MiB", "Provisioned MB", unit="mib"),
        _c("in_use", "In Use MiB", "In Use MB", unit="mib"),
        _c("unshared", "Unshared MiB", "Unshared MB", unit="mib"),
        _c("secure_boot", "EFI Secure boot", "EFI Secure Boot"),
        _c("firmware", "Firmware"),
        _c("hw_version", "HW version", "HW Version", "VM Version", "Hardware Version"),
        _c("annotation", "Annotation"),
        _c("datacenter", "Datacenter"),
        _c("cluster", "Cluster"),
        _c("host", "Host"),
        _c("os_config", "OS according to the configuration file", "OS"),
        _c("os_tools", "OS according to the VMware Tools"),
        _c("os_detailed", "Guest Detailed Data"),
        _c("bios_uuid", "SMBIOS UUID", "BIOS UUID"),
        _c("vi_sdk_server_type", "VI SDK Server type"),
        _c("vi_sdk_api_version", "VI SDK API Version"),
    ),
    "vCPU": (
        *_VM_KEYS,
        *_VM_STATE,
        _c("num_cpu", "CPUs", "Num CPU"),
        _c("sockets", "Sockets"),
        _c("cores_per_socket", "Cores p/s", "Cores per socket"),
        _c("overall_mhz", "Overall"),
        _c("reservation", "Reservation"),
        _c("limit", "Limit"),
        _c("hot_add", "Hot Add"),
    ),
    "vMemory": (
        *_VM_KEYS,
        *_VM_STATE,
        _c("size", "Size MiB", "Size MB", unit="mib"),
        _c("consumed", "Consumed", unit="mib"),
        _c("active", "Active", unit="mib"),
        _c("reservation", "Reservation", unit="mib"),
        _c("limit", "Limit", unit="mib"),
        _c("hot_add", "Hot Add"),
    ),
    "vDisk": (
        *_VM_KEYS,
        *_VM_STATE,
        _c("disk", "Disk"),
        _c("disk_key", "Disk Key"),
        # Both are "[datastore] folder/file.vmdk" where filled; RVTools 4.1 leaves "Disk Path" empty and
        # fills "Path", 3.x has only "Path". The reader takes whichever of the two holds a path, per row.
        _c("disk_path", "Disk Path"),
        _c("vmdk_path", "Path"),
        _c("capacity", "Capacity MiB", "Capacity MB", unit="mib"),
        _c("raw", "Raw"),
        _c("disk_mode", "Disk Mode"),
        _c("sharing_mode", "Sharing mode", "Sharing Mode"),
        _c("thin", "Thin"),
        _c("eagerly_scrub", "Eagerly Scrub"),
        _c("controller", "Controller"),
        _c("controller_label", "Label"),
        _c("scsi_unit", "SCSI Unit #"),
        _c("unit", "Unit #"),
        _c("shared_bus", "Shared Bus"),
        _c("raw_lun_id", "Raw LUN ID"),
        _c("raw_mode", "Raw Comp. Mode", "Raw Com. Mode", "Raw Compatibility Mode"),
    ),
    "vPartition": (
        *_VM_KEYS,
        *_VM_STATE,
        _c("disk", "Disk"),
        _c("capacity", "Capacity MiB", "Capacity MB", unit="mib"),
        _c("free", "Free MiB", "Free MB", unit="mib"),
    ),
    "vNetwork": (
        *_VM_KEYS,
        *_VM_STATE,
        _c("nic_label", "NIC label", "Nic label", "NIC"),
        _c("adapter", "Adapter"),
        _c("network", "Network"),
        _c("switch", "Switch"),
        _c("connected", "Connected"),
        _c("starts_connected", "Starts Connected", "Start Connected"),
        _c("mac_address", "Mac Address", "MAC Address"),
        _c("mac_type", "Type"),
        _c("ipv4", "IPv4 Address", "IP Address"),
        _c("ipv6", "IPv6 Address"),
        _c("direct_path_io", "Direct Path IO"),
    ),
    "vCD": (
        *_VM_KEYS,
        *_VM_STATE,
        _c("device_node", "Device Node"),
        _c("connected", "Connected"),
        _c("starts_connected", "Starts Connected", "Start Connected"),
        _c("device_type", "Device Type"),
    ),
    "vFloppy": (
        *_VM_KEYS,
        *_VM_STATE,
        _c("device_node", "Device Node"),
        _c("connected", "Connected"),
        _c("starts_connected", "Starts Connected", "Start Connected"),
        _c("device_type", "Device Type", "Backing"),
    ),
    "vUSB": (
        *_VM_KEYS,
        *_VM_STATE,
        _c("device_node", "Device Node"),
        _c("device_type", "Device Type"),
        _c("connected", "Connected"),
        _c("path", "Path"),
    ),
    "vSnapshot": (
        *_VM_KEYS,
        *_VM_STATE,
        _c("snapshot_name", "Name", "Snapshot"),
        _c("description", "Description"),
        _c("date", "Date / time", "Date / Time", "Date"),
        _c("quiesced", "Quiesced"),
        _c("state", "State"),
    ),
    "vTools": (
        *_VM_KEYS,
        *_VM_STATE,
        _c("vm_version", "VM Version", "HW version"),
        _c("tools", "Tools", "Tools Status", "Tools status"),
        _c("tools_version", "Tools Version"),
        _c("upgradeable", "Upgradeable", "Upgrade"),
    ),
    "vHost": (
        _c("host", "Host", "Name"),
        _c("datacenter", "Datacenter"),
        _c("cluster", "Cluster"),
        _c("maintenance", "in Maintenance Mode", "Maintenance Mode"),
        _c("cpu_model", "CPU Model"),
        _c("speed", "Speed"),
        _c("ht_active", "HT Active"),
        _c("sockets", "# CPU"),
        _c("cores_per_cpu", "Cores per CPU"),
        _c("cores", "# Cores"),
        _c("cpu_usage_pct", "CPU usage %"),
        _c("memory", "# Memory", "Memory", unit="mib"),
        _c("memory_usage_pct", "Memory usage %"),
        _c("esx_version", "ESX Version"),
        _c("vendor", "Vendor"),
        _c("model", "Model"),
        _c("object_id", "Object ID"),
        _c("uuid", "UUID"),
        _c("vi_sdk_server", "VI SDK Server"),
        _c("vi_sdk_uuid", "VI SDK UUID"),
    ),
    "vCluster": (
        _c("name", "Name", "Cluster"),
        _c("datacenter", "Datacenter"),
        _c("ha_enabled", "HA enabled", "HA Enabled"),
        _c("drs_enabled", "DRS enabled", "DRS Enabled"),
        _c("drs_behavior", "DRS default VM behavior"),
        _c("evc_mode", "EVC mode", "Current EVC"),
        _c("vsan_enabled", "vSAN enabled", "VSAN enabled"),
        _c("object_id", "Object ID"),
        _c("vi_sdk_server", "VI SDK Server"),
        _c("vi_sdk_uuid", "VI SDK UUID"),
    ),
    "vDatastore": (
        _c("name", "Name"),
        _c("accessible", "Accessible"),
        _c("type", "Type"),
        _c("capacity", "Capacity MiB", "Capacity MB", unit="mib"),
        _c("free", "Free MiB", "Free MB", unit="mib"),
        _c("hosts", "Hosts"),
        _c("datacenter", "Datacenter"),
        _c("object_id", "Object ID"),
        _c("vi_sdk_server", "VI SDK Server"),
        _c("vi_sdk_uuid", "VI SDK UUID"),
    ),
    "vSwitch": (
        _c("host", "Host"),
        _c("datacenter", "Datacenter"),
        _c("switch", "Switch"),
        _c("vi_sdk_server", "VI SDK Server"),
        _c("vi_sdk_uuid", "VI SDK UUID"),
    ),
    # Standard port groups (the network names NICs attach to) and their VLANs.
    "vPort": (
        _c("host", "Host"),
        _c("datacenter", "Datacenter"),
        _c("port_group", "Port Group"),
        _c("switch", "Switch"),
        _c("vlan", "VLAN"),
        _c("vi_sdk_server", "VI SDK Server"),
        _c("vi_sdk_uuid", "VI SDK UUID"),
    ),
    "dvSwitch": (
        _c("switch", "Switch", "Name"),
        _c("datacenter", "Datacenter"),
        _c("object_id", "Object ID"),
        _c("vi_sdk_server", "VI SDK Server"),
        _c("vi_sdk_uuid", "VI SDK UUID"),
    ),
    # Distributed port groups.
    "dvPort": (
        _c("port", "Port", "Port Group", "Name"),
        _c("switch", "Switch"),
        _c("vlan", "VLAN"),
        _c("object_id", "Object ID"),
        _c("vi_sdk_server", "VI SDK Server"),
        _c("vi_sdk_uuid", "VI SDK UUID"),
    ),
    "vHealth": (
        _c("name", "Name", "Entity"),
        _c("message", "Message"),
        _c("message_type", "Message type", "Message Type"),
        _c("vi_sdk_server", "VI SDK Server"),
        _c("vi_sdk_uuid", "VI SDK UUID"),
    ),
    "vSource": (
        _c("name", "Name"),
        _c("api_version", "API version", "API Version"),
        _c("version", "Version"),
        _c("build", "Build"),
        _c("fullname", "Fullname", "Full name"),
        _c("vi_sdk_server", "VI SDK Server"),
        _c("vi_sdk_uuid", "VI SDK UUID"),
    ),
    "vMetaData": (
        _c("major_version", "RVTools major version"),
        _c("rvtools_version", "RVTools version"),
        _c("created", "xlsx creation datetime", "csv creation datetime", "Creation date"),
        _c("server", "Server"),
    ),
}

# Columns without which a tab is useless; a missing one is an InputError naming sheet and column.
REQUIRED: dict[str, tuple[str, ...]] = {
    "vInfo": ("vm",),
}

# Only vInfo has to be present; every other tab fills its family of fields when it is there.
REQUIRED_SHEETS = ("vInfo",)

SHEET_NAMES = tuple(SHEETS)

# vInfo's "Network #1" ... "Network #8": the networks of the first NICs, used when vNetwork is absent.
VINFO_NETWORK_PREFIX = "network #"


def normalize_header(text: str) -> str:
    return " ".join(text.split()).casefold()


# vInfo columns RVTools writes (3.x - 4.7) that vmscan does not map. A vInfo header that is neither
# mapped, nor listed here, nor a custom attribute (between "Annotation" and "Datacenter") was most
# likely inserted by hand: it is ignored and named in one collection issue. Source: the 4.x vInfo
# header row of real exports (fixtures/kubev2v-example1.xlsx, public RVTools-format comparisons),
# older "MB"/"KB" spellings.
VINFO_UNMAPPED_HEADERS = frozenset(normalize_header(h) for h in (
    "Config status", "Heartbeat", "Suspended To Memory", "Suspend time",
    "Suspend Interval", "Creation date", "Change Version", "Overall Cpu Readiness", "Active Memory",
    "Total disk capacity MiB", "Total disk capacity MB", "Fixed Passthru HotPlug", "min Required EVC Mode Key",
    "Op Notification Timeout", "EnableUUID", "Num Monitors", "Video Ram KiB", "Video Ram KB", "Folder ID",
    "DAS protection", "FT Role", "FT Latency", "FT Bandwidth", "FT Sec. Latency", "Vm Failover In Progress",
    "HA Restart Priority", "HA Isolation Response", "HA VM Monitoring", "Cluster rule(s)", "Cluster rule name(s)",
    "Boot Required", "Boot delay", "Boot retry delay", "Boot retry enabled", "Boot BIOS setup", "Reboot PowerOff",
    "HW upgrade status", "HW upgrade policy", "HW target", "Path", "Log directory", "Snapshot directory",
    "Suspend directory", "Customization Info", "Guest Detailed Data",
))
