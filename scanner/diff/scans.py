"""Turn each input of `vmscan diff` into one scan: its VMs' facts and its headline numbers.

Inputs are anything vmscan reads (snapshot, RVTools xlsx, RVTools CSV folder), assessed with the
same settings for every scan so a difference is the estate's, not the options'; or an assessment JSON
written by `vmscan analyze -o`, which carries readiness and findings but no inventory details.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scanner.analysis.model import ASSESSMENT_SCHEMA_NAME, Assessment, NodeOption, VmOutcome
from scanner.diff.model import ScanPoint, VmFacts
from scanner.inventory.model import VM, Estate
from scanner.pipeline import AssessSettings

GIB = 1024**3
MIB_PER_GIB = 1024


@dataclass
class Scan:
    point: ScanPoint
    vms: list[VmFacts]
    rule_titles: dict[str, tuple[str, str]]  # rule id -> (title, severity)


def is_assessment_file(path: Path) -> bool:
    if not path.is_file():
        return False
    with open(path, "rb") as handle:
        head = handle.read(256)
    return head.lstrip().startswith(b"{") and f'"{ASSESSMENT_SCHEMA_NAME}"'.encode() in head


def load_scan(path_text: str, settings: AssessSettings) -> Scan:
    """Read and, unless it is an assessment already, assess one input."""
    from scanner.analysis.io import load_assessment
    from scanner.pipeline import load_and_assess

    path = Path(path_text)
    if is_assessment_file(path):
        return scan_from(path.name, "assessment", None, load_assessment(path))
    estate, assessment = load_and_assess([path_text], settings)
    kind = assessment.inputs[0].kind if assessment.inputs else "snapshot"
    return scan_from(path.name or path_text, kind, estate, assessment)


def scan_from(label: str, kind: str, estate: Estate | None, assessment: Assessment) -> Scan:
    vms_by_id: dict[str, VM] = {vm.id: vm for vm in estate.all_vms()} if estate is not None else {}
    rules = {r.id: (r.title, r.severity) for r in assessment.rules}
    blocker_fails: dict[str, set[str]] = {}
    for finding in assessment.findings:
        if finding.status == "fail" and finding.severity == "blocker":
            blocker_fails.setdefault(finding.vm_id, set()).add(finding.rule_id)
    warned = {f.vm_id for f in assessment.findings if f.status == "fail" and f.severity == "warning"}
    facts = [vm_facts(outcome, vms_by_id.get(outcome.vm_id), sorted(blocker_fails.get(outcome.vm_id, ())))
             for outcome in assessment.vms]
    point = ScanPoint(
        label=label, kind=kind, data_date=estate.collected_at if estate is not None else None,
        vm_count=len(assessment.vms),
        readiness={ts.target: dict(ts.readiness) for ts in assessment.summary.targets},
        vms_with_blockers=len(blocker_fails),
        vms_with_conditions=len(warned - set(blocker_fails)),
        sizing={result.target: sizing_text(result.recommended_node_type, result.recommended_option())
                for result in assessment.sizing},
    )
    return Scan(point, facts, rules)


def sizing_text(node_type: str | None, option: NodeOption | None) -> str | None:
    if node_type is None or option is None:
        return None
    return f"{option.nodes} × {node_type}"


def vm_facts(outcome: VmOutcome, vm: VM | None, blockers: list[str]) -> VmFacts:
    facts = VmFacts(
        key=outcome.vm_id, name=outcome.name, vcenter=outcome.vcenter, cluster=outcome.cluster,
        power_state=outcome.power_state, readiness=dict(outcome.readiness),
        recommended_method=dict(outcome.recommended_method), disposition=outcome.disposition,
        # Not checked either way: data missing (unknown) or never in this kind of input (not in source).
        fails=list(outcome.finding_ids), blockers=blockers,
        unknown=sorted({*outcome.unknown_ids, *outcome.not_in_source_ids}),
    )
    if vm is not None:
        facts.instance_uuid = vm.instance_uuid
        facts.host = vm.host
        facts.num_cpu = vm.num_cpu
        facts.memory_gib = round(vm.memory_mib / MIB_PER_GIB, 2) if vm.memory_mib is not None else None
        provisioned = vm.provisioned_bytes
        facts.storage_gib = round(provisioned / GIB, 1) if provisioned is not None else None
        facts.disk_count = len(vm.disks) if vm.disks is not None else None
        facts.snapshot_count = len(vm.snapshots) if vm.snapshots is not None else vm.snapshot_count
    return facts
