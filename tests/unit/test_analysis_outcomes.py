"""Readiness per target, HCX method eligibility, recommended method, disposition and summary."""

from __future__ import annotations

import datetime as dt

from scanner.analysis.engine import analyze
from scanner.inventory.model import Controller, RemovableDrive
from scanner.policy import build_policy, load_default_data
from tests.factories import AS_OF, clean_disk, clean_host, clean_vm, estate_of, unknown_vm

AS_OF_DATE = dt.date.fromisoformat(AS_OF)
ISO = [RemovableDrive(label="CD/DVD drive 1", backing="iso", backing_path="[ds] a.iso", connected=True)]


def outcome(vm, host=None, policy=None, targets=("avs", "vmc")):
    assessment = analyze(estate_of(vm, host=host), as_of=AS_OF_DATE, policy=policy, targets=targets)
    return assessment.vms[0]


def test_clean_powered_on_vm_is_ready_for_vmotion():
    o = outcome(clean_vm())
    assert o.readiness == {"avs": "ready", "vmc": "ready"}
    assert o.methods["avs"] == dict.fromkeys(("hcx_vmotion", "hcx_rav", "hcx_bulk", "hcx_cold"), "eligible")
    assert o.recommended_method == {"avs": "hcx_vmotion", "vmc": "hcx_vmotion"}
    assert (o.disposition, o.disposition_reasons) == ("rehost", [])


def test_clean_powered_off_vm_goes_cold():
    o = outcome(clean_vm(power_state="powered_off", powered_off_since="2026-11-20T00:00:00Z"))
    assert o.readiness["avs"] == "ready"
    assert o.recommended_method["avs"] == "hcx_cold"


def test_connected_iso_conditions_every_method_and_means_remediate():
    # Disconnect the ISO (or let HCX unmount it), then vMotion: no method is blocked.
    o = outcome(clean_vm(cdroms=ISO))
    assert o.readiness["avs"] == "ready_with_conditions"
    assert o.readiness_reasons["avs"] == ["device.cdrom-connected"]
    assert o.methods["avs"] == dict.fromkeys(("hcx_vmotion", "hcx_rav", "hcx_bulk", "hcx_cold"), "conditional")
    assert o.recommended_method["avs"] == "hcx_vmotion"
    assert o.disposition == "remediate"
    assert o.disposition_reasons[0].startswith("device.cdrom-connected:")


def test_blocker_makes_not_ready_with_no_method():
    o = outcome(clean_vm(disks=[clean_disk(backing="rdm_physical")]))
    assert o.readiness == {"avs": "not_ready", "vmc": "not_ready"}
    assert o.readiness_reasons["avs"] == ["disk.rdm-physical"]
    assert o.recommended_method == {"avs": None, "vmc": None}
    assert o.disposition == "remediate"


def test_vm_larger_than_any_node_blocks_every_method():
    # vm.memory-exceeds-node names no HCX method: the VM cannot run on the target at all.
    o = outcome(clean_vm(memory_mib=4096 * 1024))
    assert o.readiness == {"avs": "not_ready", "vmc": "not_ready"}
    assert o.methods["avs"] == dict.fromkeys(("hcx_vmotion", "hcx_rav", "hcx_bulk", "hcx_cold"), "blocked")
    assert o.methods["vmc"] == dict.fromkeys(("hcx_vmotion", "hcx_rav", "hcx_bulk", "hcx_cold"), "blocked")
    assert o.recommended_method == {"avs": None, "vmc": None}


def test_all_methods_blocked_by_warnings_is_not_ready():
    o = outcome(clean_vm(hardware_version=6))
    assert set(o.methods["avs"].values()) == {"blocked"}
    assert o.readiness["avs"] == "not_ready"
    assert o.readiness_reasons["avs"] == ["vm.hw-version-old"]


def test_old_hardware_powered_off_falls_back_to_bulk():
    o = outcome(clean_vm(hardware_version=8, power_state="powered_off", powered_off_since="2026-11-01T00:00:00Z"))
    assert o.methods["vmc"]["hcx_cold"] == "blocked"
    assert o.methods["vmc"]["hcx_bulk"] == "eligible"
    assert o.recommended_method["vmc"] == "hcx_bulk"
    assert o.readiness["vmc"] == "ready_with_conditions"


def test_amd_host_means_bulk_and_is_not_remediation():
    o = outcome(clean_vm(), host=clean_host(cpu_vendor="amd"))
    assert o.methods["avs"]["hcx_vmotion"] == "blocked"
    assert o.recommended_method["avs"] == "hcx_bulk"
    assert o.disposition == "rehost"


def test_unknown_hardware_version_makes_methods_and_readiness_unknown():
    o = outcome(clean_vm(hardware_version=None))
    assert set(o.methods["avs"].values()) == {"unknown"}
    assert o.readiness["avs"] == "unknown"
    assert o.unknown_ids == ["vm.hw-version-old"]


def test_unknown_of_a_warning_rule_does_not_make_readiness_unknown():
    o = outcome(clean_vm(latency_sensitivity=None))
    assert o.readiness["avs"] == "ready"
    assert o.unknown_ids == ["vm.latency-sensitivity-high"]


def test_fully_unknown_vm():
    o = outcome(unknown_vm())
    assert o.readiness == {"avs": "unknown", "vmc": "unknown"}
    assert o.recommended_method == {"avs": None, "vmc": None}


def test_end_of_support_guest_is_replatform():
    o = outcome(clean_vm(guest_id_tools="rhel6_64Guest", guest_full_name_tools=None))
    # End of support is a disposition and licensing fact, not a readiness condition.
    assert o.readiness["avs"] == "ready"
    assert o.disposition == "replatform"
    assert "vm.guest-os-end-of-support" in o.disposition_reasons[0]


def test_unsupported_guest_is_not_ready_and_refactor():
    # An OS no target ESXi runs (the Tools say Windows Server 2003): an application project (issue 24).
    o = outcome(clean_vm(guest_id_tools="winNetEnterpriseGuest", guest_full_name_tools=None))
    assert o.readiness["vmc"] == "not_ready"
    assert o.disposition == "refactor"


def test_retire_cases():
    assert outcome(clean_vm(template=True, power_state="powered_off")).disposition == "retire"
    assert outcome(clean_vm(connection_state="orphaned")).disposition == "retire"
    o = outcome(clean_vm(power_state="powered_off", powered_off_since="2025-01-01T00:00:00Z"))
    assert o.disposition == "retire"
    assert o.disposition_reasons[0].startswith("vm.powered-off-long: powered off for")
    # A retire candidate is still assessed; a template moves cold.
    assert outcome(clean_vm(template=True, power_state="powered_off")).recommended_method["avs"] == "hcx_cold"


def test_retire_wins_over_remediate():
    o = outcome(clean_vm(template=True, power_state="powered_off", cdroms=ISO))
    assert o.disposition == "retire"


def test_retain_by_policy_name_folder_and_attribute():
    policy = build_policy(load_default_data(), {"retain": {
        "name_patterns": ["sap-*"], "folders": ["/DC1/vm/Legacy"], "custom_attributes": {"Migrate": "no"}}},
        "policy.toml")
    assert outcome(clean_vm(name="SAP-PRD01"), policy=policy).disposition == "retain"
    assert outcome(clean_vm(folder_path="/DC1/vm/Legacy/old"), policy=policy).disposition == "retain"
    assert outcome(clean_vm(folder_path="/DC1/vm/LegacyX"), policy=policy).disposition == "rehost"
    o = outcome(clean_vm(custom_attributes={"migrate": "No"}), policy=policy)
    assert (o.disposition, o.disposition_reasons) == ("retain", ["policy retain: custom attribute Migrate='no'"])
    # retain wins over everything else
    assert outcome(clean_vm(name="sap-x", template=True), policy=policy).disposition == "retain"


def test_targets_subset_only_reports_that_target():
    assessment = analyze(estate_of(clean_vm(cdroms=ISO)), as_of=AS_OF_DATE, targets=["vmc"])
    assert assessment.targets == ["vmc"]
    assert {tuple(f.targets) for f in assessment.findings} == {("vmc",)}
    assert list(assessment.vms[0].readiness) == ["vmc"]


def test_summary_counts():
    vms = [
        clean_vm("vc/vm-1", name="a"),
        clean_vm("vc/vm-2", name="b", cdroms=ISO),
        clean_vm("vc/vm-3", name="c", disks=[clean_disk(backing="rdm_physical")]),
        clean_vm("vc/vm-4", name="d", controllers=[Controller(key=1, type="scsi_lsilogic", bus_sharing="physical")],
                 disks=[clean_disk(backing="rdm_physical")]),
        clean_vm("vc/vm-5", name="e", template=True, power_state="powered_off"),
    ]
    assessment = analyze(estate_of(*vms), as_of=AS_OF_DATE)
    s = assessment.summary
    assert s.vm_count == 5 and s.templates == 1 and s.powered_on == 4
    avs = s.targets[0]
    assert avs.target == "avs"
    assert avs.readiness == {"ready": 2, "ready_with_conditions": 1, "not_ready": 2, "unknown": 0}
    # a clean and b (a connected ISO: disconnect it, then vMotion) go by vMotion; the template e cold.
    assert avs.recommended_methods["hcx_vmotion"] == 2
    assert avs.recommended_methods["hcx_bulk"] == 0
    assert avs.recommended_methods["hcx_cold"] == 1
    assert avs.recommended_methods["none"] == 2
    # c and d (physical RDMs) block vMotion; b's ISO only conditions it.
    assert avs.methods["hcx_vmotion"]["blocked"] == 2
    assert avs.methods["hcx_vmotion"]["conditional"] == 1
    # d is a shared-disk cluster (physical bus sharing): replatform onto vSAN shared disks.
    assert s.dispositions == {"rehost": 1, "remediate": 2, "replatform": 1, "refactor": 0, "retire": 1,
                              "retain": 0}
    assert [(r.rule_id, r.vm_count) for r in s.top_blockers] == [("disk.rdm-physical", 2), ("disk.bus-sharing", 1)]


def test_sizing_hook_is_called_once_with_the_assessment():
    from scanner.analysis.model import SizingResult

    calls = []

    def sizing(estate, assessment, policy):
        calls.append(len(assessment.vms))
        return [SizingResult(target="avs", basis="allocated", recommended_node_type="AV36P")]

    assessment = analyze(estate_of(clean_vm()), as_of=AS_OF_DATE, sizing=sizing)
    assert calls == [1]
    assert assessment.sizing[0].recommended_node_type == "AV36P"
    assert analyze(estate_of(clean_vm()), as_of=AS_OF_DATE).sizing == []


def test_assessment_json_round_trip(tmp_path):
    from scanner.analysis.io import load_assessment, save_assessment

    assessment = analyze(estate_of(clean_vm(cdroms=ISO), unknown_vm()), as_of=AS_OF_DATE)
    path = tmp_path / "a.json"
    save_assessment(assessment, path)
    assert path.read_text().startswith('{"schema":"vmscan-assessment","schema_version":3,')
    assert load_assessment(path) == assessment
