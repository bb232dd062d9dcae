"""Assessments for reporter tests, built from an Estate by a few simple, explicit rules.

Reporters only read the Assessment model; these tests need assessments with every readiness,
eligibility and disposition value, unknown findings, evidence and sizing, independent of how the
real rules engine evolves.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from scanner.analysis.model import (
    METHODS,
    Assessment,
    Finding,
    InputInfo,
    NodeOption,
    ResourceUse,
    RuleCount,
    RuleInfo,
    SizingResult,
    Summary,
    TargetSummary,
    VmOutcome,
)
from scanner.inventory.model import VM, Estate

RULES = [
    RuleInfo("disk.rdm-physical", "Physical-mode RDM", "blocker", ["avs", "vmc"],
             {"hcx_vmotion": "blocks", "hcx_rav": "blocks", "hcx_bulk": "blocks", "hcx_cold": "blocks"},
             "Convert the RDM to a VMDK (storage vMotion) or re-present the LUN inside the guest.",
             "HCX cannot migrate physical-mode RDMs.",
             ["https://docs.vmware.com/en/VMware-HCX/index.html"], "disk"),
    RuleInfo("devices.usb", "USB device attached", "blocker", ["avs", "vmc"], {"hcx_vmotion": "blocks"},
             "Remove the USB device before migration.", "Host-attached USB cannot follow the VM.", [], "devices"),
    RuleInfo("devices.iso-mounted", "ISO image mounted", "warning", ["avs", "vmc"], {"hcx_vmotion": "conditions"},
             "Disconnect the CD/DVD drive.", "The ISO's datastore does not exist in the cloud SDDC.",
             ["javascript:alert(3)"], "devices"),
    RuleInfo("vm.snapshots", "Snapshots present", "warning", ["avs", "vmc"], {"hcx_rav": "conditions"},
             "Consolidate snapshots.", "Snapshots slow down replication.", [], "vm"),
    RuleInfo("network.e1000", "Legacy e1000 NIC", "info", ["avs", "vmc"], {},
             "Replace with vmxnet3.", "Performance.", [], "network"),
    RuleInfo("vm.hardware-old", "Virtual hardware older than 9", "blocker", ["vmc"], {"hcx_vmotion": "blocks"},
             "Upgrade virtual hardware.", "vMotion requires hardware 9 or later.", [], "vm"),
    RuleInfo("vm.tools-version-unknown", "VMware Tools version unknown", "warning", ["avs", "vmc"], {},
             "Grant read access.", "Needed to check HCX prerequisites.", [], "vm"),
]
RULE_BY_ID = {rule.id: rule for rule in RULES}

Check = Callable[[VM], tuple[str, dict[str, Any]] | None]


def _checks() -> dict[str, Check]:
    def rdm(vm: VM) -> tuple[str, dict[str, Any]] | None:
        disks = [d.label for d in vm.disks or [] if d.backing == "rdm_physical"]
        return ("fail", {"disks": disks}) if disks else None

    def usb(vm: VM) -> tuple[str, dict[str, Any]] | None:
        return ("fail", {"devices": [d.label for d in vm.usb_devices or []]}) if vm.usb_devices else None

    def iso(vm: VM) -> tuple[str, dict[str, Any]] | None:
        paths = [c.backing_path for c in vm.cdroms or [] if c.backing == "iso"]
        return ("fail", {"iso": paths, "annotation": vm.annotation}) if paths else None

    def snaps(vm: VM) -> tuple[str, dict[str, Any]] | None:
        return ("fail", {"count": len(vm.snapshots or [])}) if vm.snapshots else None

    def e1000(vm: VM) -> tuple[str, dict[str, Any]] | None:
        nics = [n.label for n in vm.nics or [] if n.adapter_type in ("e1000", "e1000e")]
        return ("fail", {"nics": nics}) if nics else None

    def hw(vm: VM) -> tuple[str, dict[str, Any]] | None:
        hv = vm.hardware_version
        return ("fail", {"hardware_version": hv}) if hv is not None and hv < 9 else None

    def tools(vm: VM) -> tuple[str, dict[str, Any]] | None:
        return ("unknown", {"tools_version": None}) if vm.tools_version is None else None

    return {"disk.rdm-physical": rdm, "devices.usb": usb, "devices.iso-mounted": iso, "vm.snapshots": snaps,
            "network.e1000": e1000, "vm.hardware-old": hw, "vm.tools-version-unknown": tools}


def assess(estate: Estate, targets: tuple[str, ...] = ("avs", "vmc"), with_sizing: bool = True) -> Assessment:
    checks = _checks()
    outcomes: list[VmOutcome] = []
    findings: list[Finding] = []
    blocker_vms: Counter[str] = Counter()
    finding_vms: Counter[str] = Counter()
    for vm in estate.all_vms():
        outcome = VmOutcome(vm.id, vm.name, vm.vcenter, vm.datacenter, vm.cluster, vm.power_state)
        hits: dict[str, tuple[str, dict[str, Any]]] = {}
        for rule_id, check in checks.items():
            result = check(vm)
            if result is not None:
                hits[rule_id] = result
        for target in targets:
            eligibility = dict.fromkeys(METHODS, "eligible")
            severities = []
            for rule_id, (status, evidence) in hits.items():
                rule = RULE_BY_ID[rule_id]
                if target not in rule.targets:
                    continue
                findings.append(Finding(rule_id, rule.severity, target, vm.id, status, f"{rule.title} on {vm.name}",
                                        dict(rule.methods), evidence, rule.remediation))
                severities.append("unknown" if status == "unknown" else rule.severity)
                for method, effect in rule.methods.items():
                    current = eligibility[method]
                    if effect == "blocks" and status == "fail":
                        eligibility[method] = "blocked"
                    elif current == "eligible":
                        eligibility[method] = "conditional" if status == "fail" else "unknown"
            readiness = ("not_ready" if "blocker" in severities else "ready_with_conditions" if "warning" in severities
                         else "unknown" if "unknown" in severities else "ready")
            outcome.readiness[target] = readiness
            outcome.methods[target] = eligibility
            outcome.recommended_method[target] = next(
                (m for m in ("hcx_vmotion", "hcx_rav", "hcx_bulk", "hcx_cold") if eligibility[m] == "eligible"), None)
        outcome.finding_ids = sorted(r for r, (s, _) in hits.items() if s == "fail")
        outcome.unknown_ids = sorted(r for r, (s, _) in hits.items() if s == "unknown")
        if vm.template or (vm.power_state == "powered_off" and not vm.snapshots):
            outcome.disposition, outcome.disposition_reasons = "retire", ["powered off or template"]
        elif "not_ready" in outcome.readiness.values():
            outcome.disposition = "remediate"
            outcome.disposition_reasons = ["blockers: " + ", ".join(outcome.finding_ids)]
        elif (vm.guest_id or "").startswith("winNet"):
            outcome.disposition, outcome.disposition_reasons = "replatform", ["end-of-life OS"]
        elif vm.passthrough_devices:
            outcome.disposition, outcome.disposition_reasons = "retain", ["passthrough device"]
        else:
            outcome.disposition = "rehost"
        for rule_id, (status, _) in hits.items():
            if status == "fail":
                finding_vms[rule_id] += 1
                if RULE_BY_ID[rule_id].severity == "blocker":
                    blocker_vms[rule_id] += 1
        outcomes.append(outcome)

    vms = estate.all_vms()
    summary = Summary(
        vm_count=len(vms), host_count=len(estate.all_hosts()), cluster_count=len(estate.all_clusters()),
        datastore_count=len(estate.all_datastores()), vcenter_count=len(estate.vcenters),
        powered_on=sum(1 for v in vms if v.power_state == "powered_on"),
        powered_off=sum(1 for v in vms if v.power_state == "powered_off"),
        suspended=sum(1 for v in vms if v.power_state == "suspended"),
        templates=sum(1 for v in vms if v.template), total_vcpu=sum(v.num_cpu or 0 for v in vms),
        total_memory_gib=sum(v.memory_mib or 0 for v in vms) / 1024,
        total_provisioned_tib=sum(v.provisioned_bytes or 0 for v in vms) / 1024**4,
        dispositions=dict(Counter(o.disposition for o in outcomes)),
        top_blockers=[RuleCount(r, RULE_BY_ID[r].title, "blocker", n) for r, n in blocker_vms.most_common(10)],
        top_findings=[
            RuleCount(r, RULE_BY_ID[r].title, RULE_BY_ID[r].severity, n) for r, n in finding_vms.most_common(10)
        ],
    )
    for target in targets:
        summary.targets.append(TargetSummary(
            target,
            readiness=dict(Counter(o.readiness[target] for o in outcomes)),
            methods={m: dict(Counter(o.methods[target][m] for o in outcomes)) for m in METHODS},
            recommended_methods=dict(Counter(o.recommended_method[target] or "none" for o in outcomes)),
        ))
    sizing = []
    if with_sizing:
        for target, node, per_node_cores in (("avs", "AV36P", 36), ("vmc", "i4i.metal", 64)):
            vcpu = summary.total_vcpu / 4
            nodes = max(3, int(vcpu // per_node_cores) + 1)
            sizing.append(SizingResult(target, "allocated", node, [
                NodeOption(node, nodes, -(-nodes // 16), "cpu", [
                    ResourceUse("cpu", vcpu, nodes * per_node_cores, "cores", nodes, vcpu / (nodes * per_node_cores)),
                    ResourceUse("memory", summary.total_memory_gib, nodes * 768.0, "GiB", 2,
                                summary.total_memory_gib / (nodes * 768.0)),
                ], price_per_node=None, total_price=None, vms_not_fitting=[]),
            ], vm_count=len(vms), parameters={"cpu_overcommit": 4}, notes=["synthetic sizing for tests"]))
    return Assessment(
        generated_at="2025-03-14T10:00:00Z", vmscan_version="0.1.0", as_of="2025-03-14", targets=list(targets),
        inputs=[InputInfo("synthetic.json.gz", "snapshot", [vc.name for vc in estate.vcenters], len(vms))],
        policy={"cpu_overcommit": 4, "note": "<b>policy</b>"}, rules=list(RULES), summary=summary, vms=outcomes,
        findings=findings, sizing=sizing,
    )
