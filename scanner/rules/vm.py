"""VM configuration, state and size."""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from scanner.analysis.sizing import node_memory_gib
from scanner.policy import Policy
from scanner.rules import refs
from scanner.rules.base import Results, RuleContext, RuleResult, all_methods, days_since, fail, gap, rule, unknown

GIB = 1024**3
TIB = 1024**4
FT_OFF = ("not_configured",)
UNREACHABLE_STATES = ("orphaned", "inaccessible", "invalid")
SHARING = attrgetter("sharing")


@rule(
    id="vm.hw-version-old",
    title="Virtual hardware version below an HCX method's minimum",
    severity="warning",
    methods=all_methods("blocks"),
    remediation="Upgrade the VM compatibility (hardware version) during a maintenance window after updating "
                "VMware Tools, or ask HCX to upgrade hardware during a Bulk migration.",
    rationale="HCX vMotion, RAV and cold migration need hardware version 9 or later; Bulk Migration needs 7 or "
              "later (minimums per method in targets.toml [hcx.methods]).",
    references=(refs.HCX_VMOTION, refs.HCX_HARDWARE, refs.KB_HARDWARE_VERSIONS),
)
def hw_version_old(ctx: RuleContext) -> Results:
    version = ctx.vm.hardware_version
    if version is None:
        return gap("hardware version not known", "hardware_version")
    minimums, highest = (ctx.shared.get("vm.hw_minimums")
                         or ctx.derived("vm.hw_minimums", hardware_minimums, ctx.policy))
    if version >= highest:  # the usual VM: at or above every method's minimum
        return ()
    blocked = {m: "blocks" for m, minimum in minimums if version < minimum}
    if blocked:
        return (fail(f"hardware version vmx-{version} is below the minimum of {', '.join(blocked)}",
                     methods=blocked, hardware_version=version,
                     minimums={m: minimum for m, minimum in minimums if m in blocked}),)
    return ()


def hardware_minimums(policy: Policy) -> tuple[list[tuple[str, int]], int]:
    """(HCX method, minimum hardware version), by method, and the highest minimum (0: none): a policy
    fact, read once per analysis."""
    minimums = sorted((m, int(spec["min_hardware_version"])) for m, spec in policy.hcx_methods().items())
    return minimums, max((minimum for _, minimum in minimums), default=0)


@rule(
    id="vm.snapshots",
    title="VM has snapshots (too many or too old)",
    severity="warning",
    methods={"hcx_bulk": "conditions", "hcx_rav": "conditions"},
    remediation="Review and consolidate (delete) the snapshots before migrating; HCX Bulk/RAV remove snapshots "
                "at switchover, so anything worth keeping must be captured another way.",
    rationale="Snapshots are not carried over by replication-based HCX migrations, and long-lived snapshot "
              "chains slow replication and risk consolidation failures.",
    references=(refs.HCX_OPTIONS, refs.KB_SNAPSHOTS),
)
def snapshots(ctx: RuleContext) -> Results:
    vm = ctx.vm
    count = len(vm.snapshots) if vm.snapshots is not None else vm.snapshot_count
    if count is None:
        return gap("snapshot information not known", "snapshots")
    if count == 0:
        return ()
    max_count = int(ctx.policy.threshold("snapshot_max_count"))
    max_age = int(ctx.policy.threshold("snapshot_max_age_days"))
    ages = [days_since(s.created, ctx.age_date) for s in vm.snapshots or []]
    known_ages = [a for a in ages if a is not None]
    oldest = max(known_ages) if known_ages else None
    too_many = count > max_count
    too_old = oldest is not None and oldest > max_age
    if too_many or too_old:
        reasons = []
        if too_many:
            reasons.append(f"{count} snapshot(s) (threshold {max_count})")
        if too_old:
            reasons.append(f"oldest is {oldest} days old (threshold {max_age})")
        return (fail("; ".join(reasons), count=count, oldest_age_days=oldest,
                     max_count=max_count, max_age_days=max_age),)
    elif oldest is None:
        return (unknown(f"{count} snapshot(s) of unknown age", count=count, missing="snapshot.created"),)
    return ()


@rule(
    id="vm.fault-tolerance",
    title="vSphere Fault Tolerance is configured",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Turn off Fault Tolerance (not just suspend it) before migrating; re-protect the VM on the target "
                "with vSphere HA or application-level availability.",
    rationale="HCX cannot migrate a VM with an FT secondary; FT must be turned off first.",
    references=(refs.HCX_VMOTION, refs.AVS_MIGRATE),
)
def fault_tolerance(ctx: RuleContext) -> Results:
    state = ctx.vm.ft_state
    if state is None:
        return gap("fault tolerance state not known", "ft_state")
    elif state not in FT_OFF:
        return (fail(f"fault tolerance state is {state}", ft_state=state),)
    return ()


@rule(
    id="vm.tools-not-running",
    title="VMware Tools installed but not running",
    severity="warning",
    methods={"hcx_bulk": "conditions", "hcx_rav": "conditions"},
    remediation="Start the VMware Tools service in the guest (and fix why it stopped) so HCX can shut the guest "
                "down gracefully at switchover and report its IP addresses.",
    rationale="Bulk Migration and RAV switchover rely on VMware Tools for a graceful guest shutdown and guest "
              "customisation.",
    references=(refs.HCX_BULK, refs.HCX_OPTIONS),
)
def tools_not_running(ctx: RuleContext) -> Results:
    vm = ctx.vm
    if vm.power_state is None:
        return gap("power state not known", "power_state")
    if vm.power_state != "powered_on" or vm.tools_status == "not_installed":
        return ()
    if vm.tools_running is False or vm.tools_status == "not_running":
        return (fail("VMware Tools is installed but not running", tools_status=vm.tools_status,
                     tools_running=vm.tools_running, tools_version=vm.tools_version),)
    elif vm.tools_running is None and vm.tools_status is None:
        return gap("VMware Tools running state not known", "tools_running")
    return ()


@rule(
    id="vm.tools-missing",
    title="VMware Tools not installed",
    severity="warning",
    methods={"hcx_bulk": "conditions", "hcx_rav": "conditions"},
    remediation="Install VMware Tools (or open-vm-tools) in the guest before migrating.",
    rationale="Without Tools, HCX cannot shut the guest down gracefully at Bulk/RAV switchover nor customise it, "
              "and vSphere cannot report guest OS and IP details.",
    references=(refs.HCX_BULK, refs.HCX_OPTIONS),
)
def tools_missing(ctx: RuleContext) -> Results:
    status = ctx.vm.tools_status
    if status is None:
        return gap("VMware Tools status not known", "tools_status")
    elif status == "not_installed":
        return (fail("VMware Tools is not installed", tools_status=status),)
    return ()


def largest_node(ctx: RuleContext, key: str) -> tuple[str, dict[str, Any]] | None:
    """The target's node type with the largest ``key`` (a target fact: derived once per analysis)."""
    target = ctx.target
    if target is None:
        return None

    def find() -> tuple[str, dict[str, Any]] | None:
        nodes: dict[str, dict[str, Any]] = ctx.policy.target_data(target).get("node_types", {})
        if not nodes:
            return None
        name = max(nodes, key=lambda n: float(nodes[n][key]))
        return name, nodes[name]

    node: tuple[str, dict[str, Any]] | None = ctx.derived(f"largest_node:{key}:{target}", find)
    return node


@rule(
    id="vm.cpu-exceeds-node",
    title="VM has more vCPUs than the largest node of the target has threads",
    severity="blocker",
    remediation="Right-size the VM (check its CPU usage) to fit one host of the target, or re-platform it.",
    rationale="A VM cannot span hosts: its vCPU count must not exceed the logical processors of one node "
              "(physical cores x threads per core of the largest node type in targets.toml).",
    references=(refs.AVS_INTRO, refs.VMC_HOSTS),
    per_target=True,
)
def cpu_exceeds_node(ctx: RuleContext) -> Results:
    num_cpu = ctx.vm.num_cpu
    if num_cpu is None:
        return gap("vCPU count not known", "num_cpu")
    # By target: the first VM finds it, the others look it up (no key text, no factory made per VM).
    by_target: dict[str | None, tuple[str, int] | None] = (ctx.shared.get("vm.largest_node_threads")
                                                           or ctx.derived("vm.largest_node_threads", dict))
    target = ctx.target
    if target in by_target:
        largest = by_target[target]
    else:
        largest = by_target[target] = node_threads(ctx)
    if largest is None:
        return ()
    name, threads = largest
    if num_cpu > threads:
        return (fail(f"{num_cpu} vCPUs exceed the {threads} threads of {name}", num_cpu=num_cpu,
                     node_type=name, node_threads=threads),)
    return ()


def node_threads(ctx: RuleContext) -> tuple[str, int] | None:
    """(node type, threads) of the target's node type with the most cores (a target fact)."""
    node = largest_node(ctx, "cores")
    if node is None:
        return None
    name, spec = node
    return name, int(spec["cores"]) * int(ctx.policy.threshold("threads_per_core"))


@rule(
    id="vm.memory-exceeds-node",
    title="VM has more memory than the largest node of the target",
    severity="blocker",
    remediation="Right-size the VM's memory to fit one host of the target, or re-platform it.",
    rationale="A VM's memory must fit one node (memory of the largest node type in targets.toml, before "
              "hypervisor and vSAN overhead).",
    references=(refs.AVS_INTRO, refs.VMC_HOSTS),
    per_target=True,
)
def memory_exceeds_node(ctx: RuleContext) -> Results:
    if ctx.vm.memory_mib is None:
        return gap("memory size not known", "memory_mib")
    target = ctx.target
    by_target: dict[str | None, tuple[str, float, int] | None] = (ctx.shared.get("vm.largest_node_memory")
                                                                  or ctx.derived("vm.largest_node_memory", dict))
    if target in by_target:
        largest = by_target[target]
    else:
        largest = by_target[target] = largest_node_memory(ctx.policy, target)
    if largest is None:
        return ()
    name, gib, node_mib = largest
    if ctx.vm.memory_mib > node_mib:
        return (fail(f"{ctx.vm.memory_mib / 1024:.0f} GiB memory exceeds the {gib:g} GiB of {name}",
                     memory_mib=ctx.vm.memory_mib, node_type=name, node_memory_mib=node_mib),)
    return ()


def largest_node_memory(policy: Policy, target: str | None) -> tuple[str, float, int] | None:
    """(node type, GiB, MiB) of the target's node type with the most memory; None when it lists none."""
    nodes: dict[str, dict[str, Any]] = policy.target_data(target).get("node_types", {}) if target else {}
    if not nodes:
        return None
    # Vendors publish memory in their own unit (AVS: DIMM "GB"); sizing converts it explicitly.
    memory_gib = {name: node_memory_gib(spec, name) for name, spec in nodes.items()}
    name = max(memory_gib, key=lambda n: memory_gib[n])
    return name, memory_gib[name], int(memory_gib[name] * 1024)


def is_global_ipv6(address: str) -> bool:
    lowered = address.lower().split("%", 1)[0]
    return not (lowered.startswith("fe80") or lowered in ("::1", "::"))


@rule(
    id="vm.ipv6",
    title="VM uses IPv6 addresses",
    severity="warning",
    remediation="Plan IPv6 connectivity on the target (NSX segments with IPv6, routing over ExpressRoute/Direct "
                "Connect); HCX Network Extension carries IPv4 subnets, so IPv6 workloads need re-addressing or "
                "routed migration.",
    rationale="Azure Migrate marks IPv6 VMs 'ready with conditions' for AVS; target network design must cover "
              "IPv6 explicitly.",
    references=(refs.AVS_ASSESSMENT, refs.AVS_MIGRATE),
    remediable=False,
)
def ipv6(ctx: RuleContext) -> Results:
    addresses = ctx.vm.ipv6_addresses
    if addresses is None:
        return gap("IPv6 addresses not known", "ipv6_addresses")
    global_addresses = [a for a in addresses if is_global_ipv6(a)]
    if global_addresses:
        ipv4 = ctx.vm.ipv4_addresses
        return (fail(f"{len(global_addresses)} IPv6 address(es)", count=len(global_addresses),
                     addresses=global_addresses[:4], ipv6_only=(ipv4 == []) if ipv4 is not None else None),)
    return ()


@rule(
    id="vm.suspended",
    title="VM is suspended",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Resume the VM (then migrate live) or power it off cleanly (then cold/Bulk migrate); HCX does not "
                "migrate suspended VMs.",
    rationale="HCX migrates powered-on (vMotion, RAV, Bulk) or powered-off (cold, Bulk) VMs; a suspended VM's "
              "memory state cannot be carried over.",
    references=(refs.HCX_VMOTION, refs.HCX_BULK),
)
def suspended(ctx: RuleContext) -> Results:
    if ctx.vm.power_state is None:
        return gap("power state not known", "power_state")
    elif ctx.vm.power_state == "suspended":
        return (fail("VM is suspended", power_state="suspended"),)
    return ()


@rule(
    id="vm.latency-sensitivity-high",
    title="Latency sensitivity set to High",
    severity="warning",
    methods={"hcx_vmotion": "conditions", "hcx_rav": "conditions"},
    remediation="Confirm the target cluster can grant the full CPU and memory reservations High latency "
                "sensitivity requires, or set it to Normal before migrating.",
    rationale="High latency sensitivity needs exclusive physical cores and full memory reservation; live "
              "migration and placement on shared cloud clusters need capacity planned for it.",
    references=(refs.HCX_VMOTION, refs.AVS_MIGRATE),
)
def latency_sensitivity_high(ctx: RuleContext) -> Results:
    level = ctx.vm.latency_sensitivity
    if level is None:
        return gap("latency sensitivity not known", "latency_sensitivity")
    elif level == "high":
        return (fail("latency sensitivity is High", latency_sensitivity=level),)
    return ()


@rule(
    id="vm.vtpm",
    title="Virtual TPM device present",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Configure a key provider on the target and use a migration path that supports encrypted VMs "
                "(cross-vCenter vMotion), or remove the vTPM after suspending BitLocker/secure-boot dependencies.",
    rationale="A vTPM makes the VM's home files encrypted; HCX migrations do not carry the key provider, so "
              "such VMs are refused.",
    references=(refs.HCX_VMOTION, refs.AVS_MIGRATE),
    gap_field="vtpm",
)
def vtpm(ctx: RuleContext) -> Results:
    if ctx.vm.vtpm is None:
        return gap("vTPM presence not known", "vtpm")
    elif ctx.vm.vtpm:
        return (fail("VM has a virtual TPM", vtpm=True),)
    return ()


@rule(
    id="vm.encrypted",
    title="VM encryption enabled",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Decrypt the VM before an HCX migration and re-encrypt it with the target's key provider, or "
                "migrate it by cross-vCenter vMotion with a shared key provider.",
    rationale="HCX does not migrate vSphere-encrypted VMs; the target must trust the same key provider.",
    references=(refs.HCX_VMOTION, refs.AVS_MIGRATE),
    gap_field="encrypted",
)
def encrypted(ctx: RuleContext) -> Results:
    if ctx.vm.encrypted is None:
        return gap("encryption state not known", "encrypted")
    elif ctx.vm.encrypted:
        return (fail("VM is encrypted", encrypted=True),)
    return ()


@rule(
    id="vm.cbt-multiwriter",
    title="Changed block tracking on a VM with multi-writer disks",
    severity="warning",
    methods=all_methods("conditions"),
    remediation="Turn off changed block tracking on VMs with multi-writer disks (and exclude them from "
                "CBT-based backup) before migrating.",
    rationale="VMware does not support CBT together with the multi-writer flag; backup and replication tools "
              "may fail or corrupt the shared disk.",
    references=(refs.KB_MULTI_WRITER,),
)
def cbt_multiwriter(ctx: RuleContext) -> Results:
    vm = ctx.vm
    if vm.disks is None:
        return gap("the input carries no virtual disk details", "disks")
    if "multi_writer" not in map(SHARING, vm.disks):  # the usual VM: looked for in C
        return ()
    shared = [d.label for d in vm.disks if d.sharing == "multi_writer"]
    if vm.cbt_enabled is None:
        return (unknown("changed block tracking state not known", missing="cbt_enabled", disks=shared),)
    elif vm.cbt_enabled:
        return (fail(f"CBT is enabled and {', '.join(str(s) for s in shared)} use multi-writer", disks=shared,
                     cbt_enabled=True),)
    return ()


@rule(
    id="vm.powered-off-long",
    title="Powered off for longer than the retire threshold",
    severity="info",
    remediation="Confirm with the owner whether the VM is still needed; retire it (archive, delete) rather than "
                "migrate it, or migrate it cold.",
    rationale="VMs powered off for months are usually candidates to retire; migrating them costs capacity and "
              "effort (threshold powered_off_retire_days). The power-off date comes from vCenter's event "
              "history (`vmscan collect`; RVTools exports have none); a VM whose power-off is older than that "
              "history counts as off since the history's start.",
    references=(refs.CAF_RATIONALIZATION,),
    remediable=False,
    suggests="retire",
)
def powered_off_long(ctx: RuleContext) -> Results:
    vm = ctx.vm
    if vm.power_state is None:
        return gap("power state not known", "power_state")
    if vm.power_state != "powered_off" or vm.template:
        return ()
    days = days_since(vm.powered_off_since, ctx.age_date)
    threshold = int(ctx.policy.threshold("powered_off_retire_days"))
    # No power-off in vCenter's event history: off since before the history began, for at least this long.
    at_least = days_since(vm.powered_off_before, ctx.age_date) if days is None else None
    before = (vm.powered_off_before or "")[:10]
    if at_least is not None and at_least > threshold:
        return (fail(f"powered off since before {before}, at least {at_least} days (older than vCenter's event "
                     f"history; threshold {threshold})",
                     powered_off_before=vm.powered_off_before, days_at_least=at_least, threshold_days=threshold),)
    elif at_least is not None:
        return (unknown(f"powered off since before {before} (no power-off in vCenter's event history since), "
                        f"at least {at_least} days; threshold {threshold}", missing="powered_off_since",
                        powered_off_before=vm.powered_off_before, days_at_least=at_least),)
    elif days is None:
        return gap("VM is powered off since an unknown date", "powered_off_since")
    elif days > threshold:
        return (fail(f"powered off for {days} days (threshold {threshold})", powered_off_since=vm.powered_off_since,
                     days=days, threshold_days=threshold),)
    return ()


@rule(
    id="vm.template",
    title="VM is a template",
    severity="info",
    remediation="Rebuild templates on the target from current images (content library) instead of migrating "
                "them, or retire them.",
    rationale="Templates are rarely migrated as they are; they are rebuilt or retired.",
    references=(refs.CAF_RATIONALIZATION, refs.AVS_MIGRATE),
    remediable=False,
    suggests="retire",
)
def template(ctx: RuleContext) -> Results:
    if ctx.vm.template is None:
        return gap("template flag not known", "template")
    elif ctx.vm.template:
        return (fail("VM is a template", template=True),)
    return ()


@rule(
    id="vm.orphaned-or-inaccessible",
    title="VM is orphaned, inaccessible or invalid",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Re-register or repair the VM (datastore reachable, .vmx valid), or remove it from inventory if "
                "it is gone.",
    rationale="vCenter cannot read or move a VM whose files are unreachable; such entries are usually leftovers.",
    references=(refs.HCX_VMOTION, refs.CAF_RATIONALIZATION),
    remediable=False,
    suggests="retire",
)
def orphaned_or_inaccessible(ctx: RuleContext) -> Results:
    state = ctx.vm.connection_state
    if state is None:
        return gap("connection state not known", "connection_state")
    elif state in UNREACHABLE_STATES:
        return (fail(f"VM connection state is {state}", connection_state=state),)
    return ()


def storage_large_tib(policy: Policy) -> float:
    """The policy's vm_storage_large_tib, as a float (the message shows it so: "10.0 TiB")."""
    return float(policy.threshold("vm_storage_large_tib"))


@rule(
    id="vm.storage-large",
    title="Large VM storage (long replication or transfer)",
    severity="warning",
    methods={"hcx_vmotion": "conditions", "hcx_cold": "conditions"},
    remediation="Plan Bulk or RAV with early initial sync (seed) for large VMs, and check the target vSAN "
                "capacity; serial vMotion/cold transfers of this size exceed typical windows.",
    rationale="HCX vMotion and cold migration move one VM at a time over the interconnect; multi-TiB VMs take "
              "hours to days (threshold vm_storage_large_tib).",
    references=(refs.AVS_MIGRATE, refs.HCX_VMOTION),
    remediable=False,
)
def storage_large(ctx: RuleContext) -> Results:
    size = ctx.vm.provisioned_bytes
    if size is None:
        return gap("provisioned storage not known", "storage")
    threshold_tib: float = (ctx.shared.get("vm.storage_large_tib")
                            or ctx.derived("vm.storage_large_tib", storage_large_tib, ctx.policy))
    if size > threshold_tib * TIB:
        # The result reads the size alone: VMs of equal size (clones of one template) share one
        # (read-only; a failure is never held vCenter-wide, see analysis/wide.py).
        memo: dict[float, tuple[RuleResult]] = (ctx.shared.get("vm.storage_large_results")
                                                or ctx.derived("vm.storage_large_results", dict))
        results = memo.get(size)
        if results is None:
            results = memo[size] = (fail(f"{size / TIB:.2f} TiB provisioned (threshold {threshold_tib} TiB)",
                                         provisioned_gib=round(size / GIB, 1), threshold_tib=threshold_tib),)
        return results
    return ()
