"""Source ESXi hosts the VM runs on."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from scanner.rules import refs
from scanner.rules.base import Results, RuleContext, RuleResult, all_methods, fail, per_object, rule, unknown


@functools.lru_cache(maxsize=4096)
def version_tuple(text: str) -> tuple[int, ...] | None:
    """(8, 0, 2) for "8.0.2 build ..."; cached: every VM of a host or vCenter asks for the same text."""
    match = re.match(r"^\s*(\d+(?:\.\d+)*)", text)
    if match is None:
        return None
    return tuple(int(p) for p in match.group(1).split("."))


def node_cpu_vendors(ctx: RuleContext, target: str) -> list[str]:
    """The CPU vendors of the target's node types (targets.toml cpu_vendor), lower-case and sorted."""
    nodes = ctx.policy.target_data(target).get("node_types", {})
    return sorted({str(n.get("cpu_vendor", "")).lower() for n in nodes.values()} - {""})


@rule(
    id="host.cpu-vendor-amd",
    title="Source host CPU vendor differs from the target's (Intel): no live migration",
    severity="warning",
    methods={"hcx_vmotion": "blocks", "hcx_rav": "blocks"},
    remediation="Migrate with HCX Bulk Migration (reboot at switchover) or cold migration; live vMotion between "
                "AMD and Intel hosts is not possible.",
    rationale="vMotion needs CPUs of the same vendor; the target node types (targets.toml cpu_vendor) are Intel "
              "only, so VMs on AMD hosts need a reboot-based method.",
    references=(refs.HCX_VMOTION, refs.AVS_INTRO),
    per_target=True,
    remediable=False,
)
def cpu_vendor_amd(ctx: RuleContext) -> Results:
    if ctx.host is None:
        return (unknown("the VM's host is not in the inventory", missing="host", host=ctx.vm.host),)
    # The rest reads the host and the target only: once per host and target.
    key = CPU_VENDOR_KEYS.get(ctx.target)
    if key is None:
        key = CPU_VENDOR_KEYS[ctx.target] = f"host.cpu-vendor-amd:{ctx.target}"
    return per_object(ctx, key, ctx.host, host_cpu_vendor)


# cpu_vendor_amd's memo key per target, made once rather than as a new text for every VM and target.
CPU_VENDOR_KEYS: dict[str | None, str] = {}


def host_cpu_vendor(ctx: RuleContext) -> Iterator[RuleResult]:
    assert ctx.host is not None
    vendor = ctx.host.cpu_vendor
    if vendor is None:
        yield unknown("host CPU vendor not known", missing="host.cpu_vendor", host=ctx.host.name)
        return
    if ctx.target is None:
        return
    target = ctx.target
    target_vendors: list[str] = ctx.derived(f"node_cpu_vendors:{target}", node_cpu_vendors, ctx, target)
    if target_vendors and vendor.lower() not in target_vendors:
        yield fail(f"host {ctx.host.name} has {vendor} CPUs; {ctx.target} nodes are {', '.join(target_vendors)}",
                   host=ctx.host.name, cpu_vendor=vendor, cpu_model=ctx.host.cpu_model,
                   target_cpu_vendors=target_vendors)


@rule(
    id="host.esxi-old",
    title="Source ESXi version older than HCX supports",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Upgrade the source host (and vCenter) to a version HCX supports as a migration source, or move "
                "the VM to a newer cluster on premises first.",
    rationale="HCX needs a supported source vSphere version (threshold esxi_min_source_version, per the "
              "interoperability matrix). A site prerequisite: reported once per host, and the VMs on it are "
              "assessed as they will be after the upgrade.",
    references=(refs.HCX_INTEROP,),
    site="prerequisite",
    site_object="host",
)
def esxi_old(ctx: RuleContext) -> Results:
    if ctx.host is None:
        return (unknown("the VM's host is not in the inventory", missing="host", host=ctx.vm.host),)
    # The rest reads the host and the policy only: once per host.
    return per_object(ctx, "host.esxi-old", ctx.host, host_esxi_old)


def host_esxi_old(ctx: RuleContext) -> Iterator[RuleResult]:
    assert ctx.host is not None
    version_text = ctx.host.esxi_version
    version = version_tuple(version_text) if version_text else None
    if version is None:
        yield unknown("host ESXi version not known", missing="host.esxi_version", host=ctx.host.name)
        return
    minimum_text = str(ctx.policy.threshold("esxi_min_source_version"))
    minimum = version_tuple(minimum_text) or (0,)
    if version < minimum:
        yield fail(f"host {ctx.host.name} runs ESXi {version_text}, older than {minimum_text}", host=ctx.host.name,
                   esxi_version=version_text, minimum=minimum_text)


@rule(
    id="vcenter.version-old",
    title="Source vCenter version older than HCX supports",
    severity="blocker",
    methods=all_methods("blocks"),
    remediation="Upgrade the source vCenter Server to a version HCX supports as a migration source before "
                "deploying the HCX Connector.",
    rationale="The HCX Connector registers with the source vCenter, which must be a supported version "
              "(threshold vcenter_min_source_version, per the interoperability matrix). A site prerequisite: "
              "reported once per vCenter, and its VMs are assessed as they will be after the upgrade.",
    references=(refs.HCX_INTEROP,),
    family="host",
    site="prerequisite",
    site_object="vcenter",
)
def vcenter_old(ctx: RuleContext) -> Results:
    if ctx.vcenter is not None:
        # It reads the vCenter and the policy only: once per vCenter.
        return per_object(ctx, "vcenter.version-old", ctx.vcenter, vcenter_version_old)
    return tuple(vcenter_version_old(ctx))


def vcenter_version_old(ctx: RuleContext) -> Iterator[RuleResult]:
    vcenter = ctx.vcenter
    name = vcenter.name if vcenter is not None else ctx.vm.vcenter
    # vSource's version; else the API version (RVTools vInfo "VI SDK API Version", same numbering).
    version_text = (vcenter.version or vcenter.api_version) if vcenter is not None else None
    version = version_tuple(version_text) if version_text else None
    if version is None:
        yield unknown("vCenter version not known", missing="vcenter.version", vcenter=name)
        return
    minimum_text = str(ctx.policy.threshold("vcenter_min_source_version"))
    if version < (version_tuple(minimum_text) or (0,)):
        yield fail(f"vCenter {name} runs version {version_text}, older than {minimum_text}", vcenter=name,
                   version=version_text, minimum=minimum_text)
