"""Virtual NICs and the networks they connect to."""

from __future__ import annotations

from scanner.rules import refs
from scanner.rules.base import Results, RuleContext, RuleResult, fail, gap, rule, unknown

LEGACY_ADAPTERS = ("e1000", "vlance", "pcnet32", "vmxnet", "vmxnet2")


@rule(
    id="net.standard-vswitch",
    title="NIC on a standard vSwitch port group (network extension planning)",
    severity="warning",
    remediation="HCX Network Extension extends distributed port groups: move the port group to a vSphere "
                "Distributed Switch before extending it, or plan re-addressing on a new NSX segment.",
    rationale="Keeping IP addresses across the migration needs the network extended with HCX, which does not "
              "extend standard-switch port groups. A site network task: listed once per port group with its VMs, "
              "not as a condition on each VM.",
    references=(refs.AVS_MIGRATE,),
    remediable=False,
    site="network",
    site_object="network",
)
def standard_vswitch(ctx: RuleContext) -> Results:
    nics = ctx.vm.nics
    if nics is None:
        return gap("the input carries no NIC details", "nics")
    results: list[RuleResult] = []
    networks = ctx.networks
    for nic in nics:
        network = networks.get(nic.network) if nic.network is not None else None  # ctx.network(nic.network)
        kind = nic.network_kind or (network.kind if network is not None else None)
        if kind is None:
            results.append(unknown(f"switch type of {nic.label or 'a NIC'} not known", nic=nic.label,
                                   network=nic.network))
        elif kind == "standard":
            results.append(fail(f"{nic.label or 'NIC'} is on standard port group {nic.network}", nic=nic.label,
                                network=nic.network, switch=network.switch if network is not None else None))
    return results


@rule(
    id="net.nic-legacy",
    title="Legacy virtual NIC type (E1000, Vlance, Flexible)",
    severity="info",
    remediation="Replace the adapter with VMXNET3 (install VMware Tools first; note the guest sees a new NIC and "
                "its IP settings must be re-applied).",
    rationale="Emulated legacy adapters are slower and deprecated for modern guests; the migration is a good "
              "moment to switch to VMXNET3.",
    references=(refs.AVS_MIGRATE, refs.KB_HARDWARE_VERSIONS),
)
def nic_legacy(ctx: RuleContext) -> Results:
    nics = ctx.vm.nics
    if nics is None:
        return gap("the input carries no NIC details", "nics")
    results: list[RuleResult] = []
    for nic in nics:
        adapter_type = nic.adapter_type
        if adapter_type is None:
            results.append(unknown(f"adapter type of {nic.label or 'a NIC'} not known", nic=nic.label))
        elif adapter_type in LEGACY_ADAPTERS:
            # The failure reads the NIC's label and type alone: NICs alike share one (read-only; a
            # failure is never held vCenter-wide, see analysis/wide.py).
            memo: dict[tuple[str | None, str], RuleResult] = (ctx.shared.get("net.nic_legacy_results")
                                                               or ctx.derived("net.nic_legacy_results", dict))
            result = memo.get((nic.label, adapter_type))
            if result is None:
                result = memo[(nic.label, adapter_type)] = fail(f"{nic.label or 'NIC'} is {adapter_type}",
                                                                nic=nic.label, adapter_type=adapter_type)
            results.append(result)
    return results
