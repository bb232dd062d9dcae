"""Data coverage: why rules could not be evaluated, and the [analysis] unknown_as and
unavailable_in_source_as policies.

On the real kubev2v export (vInfo, vCPU, vMemory, vDisk, vPartition, vHost only), on complete
RVTools exports written in the test, and on synthetic VMs. The rules themselves still yield
``unknown`` on missing data in every mode; only the readiness/method roll-up and the explanations
change.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.analysis.engine import analyze
from scanner.analysis.io import load_assessment, save_assessment
from scanner.analysis.model import InputInfo
from scanner.analysis.text import format_assessment
from scanner.cli import main
from scanner.errors import InputError
from scanner.inventory.model import Estate
from scanner.policy import build_policy, load_default_data
from scanner.rvtools.reader import read_rvtools
from scanner.rvtools.writer import write_rvtools
from tests.factories import AS_OF, clean_host, clean_vm, estate_of
from tests.unit.rvtools_helpers import kubev2v_path

AS_OF_DATE = dt.date.fromisoformat(AS_OF)
# No vFloppy: RVTools 4.x never writes that tab, so floppy state is "not in source", not a missing tab.
NEEDED_TABS = ["vNetwork", "vCD", "vUSB", "vSnapshot", "vTools"]
FLOPPY_4X = "floppy drives not available from RVTools 4.x input (4.x exports have no vFloppy tab)"
VINFO_HOSTS = {"10.185.26.9", "10.5.126.198", "10.41.187.30"}


def condition_policy():
    return build_policy(load_default_data(), {"analysis": {"unknown_as": "condition"}}, "policy.toml")


def strict_policy():
    """Data RVTools never carries leaves readiness unknown too (the behaviour before that key existed)."""
    return build_policy(load_default_data(), {"analysis": {"unavailable_in_source_as": "unknown"}}, "policy.toml")


def source_condition_policy():
    """Data RVTools never carries counts as a condition to verify on each VM (the default before "note")."""
    return build_policy(load_default_data(), {"analysis": {"unavailable_in_source_as": "condition"}}, "policy.toml")


@pytest.fixture(scope="module")
def kubev2v():
    return read_rvtools(kubev2v_path())


def assess(estate, policy=None):
    info = InputInfo(path=str(kubev2v_path()), kind="rvtools_xlsx", vcenters=[vc.name for vc in estate.vcenters],
                     vm_count=len(estate.all_vms()))
    return analyze(estate, as_of=AS_OF_DATE, policy=policy, inputs=[info])


# ------------------------------------------------------------------ the reader's part (item 3)

def test_reader_records_the_absent_tabs(kubev2v):
    (vcenter,) = kubev2v.vcenters
    # The reader records every tab it reads that is absent; the analysis knows 4.x never has vFloppy.
    assert vcenter.missing_tabs == ["vNetwork", "vCD", "vFloppy", "vUSB", "vSnapshot", "vTools",
                                    "vCluster", "vDatastore", "vSwitch", "vPort", "dvSwitch", "dvPort",
                                    "vHealth", "vSource", "vMetaData"]


def test_kubev2v_vm_hosts_are_not_in_vhost(kubev2v):
    """Anonymized export: vInfo's Host IPs and vHost's Host IPs were pseudonymised separately."""
    (vcenter,) = kubev2v.vcenters
    vhost = {h.name for h in vcenter.hosts}
    vinfo = {vm.host for vm in vcenter.vms if vm.host}
    assert vinfo == VINFO_HOSTS
    assert len(vhost) == 7 and not (vinfo & vhost)
    assert [vm.name for vm in vcenter.vms if vm.host is None] == ["vm-9"]


def test_host_matching_finds_a_host_listed_in_vhost(tmp_path):
    """Round trip through an RVTools workbook with every tab: the VM's host is found, host rules pass."""
    path = tmp_path / "full.xlsx"
    write_rvtools(estate_of(clean_vm()), path)
    estate = read_rvtools(path)
    assessment = analyze(estate, as_of=AS_OF_DATE)
    host_findings = [f for f in assessment.every_finding() if f.rule_id.startswith("host.")]
    assert host_findings == []
    assert not any(g.rule_id.startswith("host.") for g in assessment.coverage.rules)


# ------------------------------------------------------------------ strict default

def test_default_keeps_kubev2v_unknown_and_says_why(kubev2v):
    assessment = assess(kubev2v)
    assert {o.readiness["avs"] for o in assessment.vms} == {"unknown"}
    assert {o.readiness["vmc"] for o in assessment.vms} == {"unknown"}
    assert all(o.recommended_method["avs"] is None for o in assessment.vms)
    coverage = assessment.coverage
    assert coverage.unknown_as == "unknown"
    (entry,) = coverage.inputs
    assert entry.input == kubev2v_path().name  # by file name: reports go to the customer
    assert entry.needed_tabs == NEEDED_TABS
    assert set(entry.unmatched_hosts) == VINFO_HOSTS
    assert {"vTPM presence", "VM encryption state", "PCI passthrough / vGPU devices"} <= set(entry.not_in_source)
    assert entry.vms_with_unknowns == 9
    assert any("re-export with RVTools including the vNetwork, vCD, vUSB, vSnapshot, vTools tabs" in fix
               for fix in entry.fixes)
    assert "vFloppy" not in entry.missing_tabs and "floppy drives" in entry.not_in_source

    gaps = {(g.rule_id, g.reason): g for g in coverage.rules}
    usb = gaps[("device.usb", "RVTools export has no vUSB tab")]
    assert (usb.vm_count_unknown, usb.vm_count_readiness, usb.data) == (9, 9, "USB devices")
    snapshots = gaps[("vm.snapshots", "RVTools export has no vSnapshot tab")]
    assert (snapshots.vm_count_unknown, snapshots.vm_count_readiness) == (9, 0)
    assert gaps[("vm.tools-missing", "RVTools export has no vTools tab")].vm_count_unknown == 9
    assert gaps[("net.standard-vswitch", "RVTools export has no vNetwork tab")].vm_count_unknown == 9
    assert gaps[("device.cdrom-connected", "RVTools export has no vCD tab")].vm_count_unknown == 9
    host = gaps[("host.esxi-old", "the VM's host is not in vHost")]
    assert host.vm_count_unknown == 8 and set(host.examples) == VINFO_HOSTS
    assert gaps[("host.esxi-old", "the VM has no host in vInfo")].vm_count_unknown == 1
    # Data RVTools never carries is stated once and decides nothing, not even pending.
    assert coverage.unavailable_in_source_as == "note"
    vtpm = gaps[("vm.vtpm", "vTPM presence not available from RVTools input")]
    assert (vtpm.not_in_source, vtpm.counts_as, vtpm.vm_count_readiness, vtpm.vm_count_pending) == (
        True, "note", 0, 0)
    floppy = gaps[("device.floppy-connected", FLOPPY_4X)]
    assert (floppy.not_in_source, floppy.counts_as, floppy.vm_count_unknown) == (True, "note", 9)
    assert all(o.not_in_source_ids and "vm.vtpm" not in o.unknown_ids for o in assessment.vms)
    assert {f.status for f in assessment.every_finding() if f.rule_id in ("vm.vtpm", "device.floppy-connected")} == {
        "not_in_source"}
    assert (usb.not_in_source, usb.counts_as, usb.vm_count_pending) == (False, "unknown", 0)
    # Blockers first: the estate-wide table leads with what decides readiness.
    assert [g.severity for g in coverage.rules] == sorted(
        (g.severity for g in coverage.rules), key=["blocker", "warning", "info"].index)


def test_default_vm_reasons_name_the_missing_data(kubev2v):
    assessment = assess(kubev2v)
    vm2 = next(o for o in assessment.vms if o.name == "vm-2")
    details = vm2.readiness_details["avs"]
    assert len(details) == len(vm2.readiness_reasons["avs"])
    assert "not evaluated: device.usb (missing USB devices: no vUSB tab in the export)" in details
    # The host's ESXi version is a site prerequisite to verify (host not in vHost), not a VM reason.
    assert not any("host.esxi-old" in text for text in details)
    assert vm2.site_tasks == ["host.esxi-old:rvtools-file:kubev2v-example1.xlsx/10.5.126.198#unknown",
                              "net.standard-vswitch:rvtools-file:kubev2v-example1.xlsx/?#unknown"]
    # vTPM is never in an RVTools export: by default a condition to verify, so not what left
    # readiness unknown here (the missing vUSB tab and host are); strict, it is one of the reasons.
    assert "vm.vtpm" not in vm2.readiness_reasons["avs"]
    strict = next(o for o in assess(kubev2v, strict_policy()).vms if o.name == "vm-2")
    assert "not evaluated: vm.vtpm (missing vTPM presence: not in RVTools exports)" in strict.readiness_details["avs"]


def test_rules_still_yield_unknown_in_both_modes(kubev2v):
    for policy in (None, condition_policy(), strict_policy(), source_condition_policy()):
        assessment = assess(kubev2v, policy)
        statuses = {f.status for f in assessment.every_finding() if f.rule_id in ("device.usb", "host.esxi-old")}
        assert statuses == {"unknown"}
        # Whatever the policy counts, the finding says which of the three outcomes it is.
        assert {f.status for f in assessment.every_finding() if f.rule_id == "vm.vtpm"} == {"not_in_source"}


# ------------------------------------------------------------------ unknown_as = "condition"

def test_condition_mode_on_kubev2v(kubev2v):
    assessment = assess(kubev2v, condition_policy())
    assert assessment.coverage.unknown_as == "condition"
    for o in assessment.vms:
        for target in ("avs", "vmc"):
            assert o.readiness[target] == "ready_with_conditions"
            assert "unknown" not in o.methods[target].values()
            expected = "hcx_vmotion" if o.power_state == "powered_on" else (
                "hcx_cold" if o.power_state == "powered_off" else None)
            assert o.recommended_method[target] == expected
            assert any(text.startswith("not verified: device.usb (missing USB devices") for text in
                       o.readiness_details[target])
    vm2 = next(o for o in assessment.vms if o.name == "vm-2")
    assert not any("host.esxi-old" in text for text in vm2.readiness_details["avs"])
    assert "host.esxi-old:rvtools-file:kubev2v-example1.xlsx/10.5.126.198#unknown" in vm2.site_tasks
    summary = {ts.target: ts for ts in assessment.summary.targets}
    assert summary["avs"].readiness["ready_with_conditions"] == 9
    assert summary["avs"].recommended_methods["none"] == 0


def test_synthetic_vm_missing_usb_data_in_both_modes():
    vm = clean_vm(usb_devices=None)
    strict = analyze(estate_of(vm), as_of=AS_OF_DATE).vms[0]
    assert strict.readiness["avs"] == "unknown"
    assert strict.readiness_reasons["avs"] == ["device.usb"]
    assert strict.readiness_details["avs"] == ["not evaluated: device.usb (missing USB devices: not collected)"]
    assert strict.methods["avs"]["hcx_vmotion"] == "unknown"

    relaxed = analyze(estate_of(vm), as_of=AS_OF_DATE, policy=condition_policy()).vms[0]
    assert relaxed.readiness["avs"] == "ready_with_conditions"
    assert relaxed.readiness_reasons["avs"] == ["device.usb"]
    assert relaxed.readiness_details["avs"] == ["not verified: device.usb (missing USB devices: not collected)"]
    assert relaxed.methods["avs"]["hcx_vmotion"] == "conditional"
    assert relaxed.recommended_method["avs"] == "hcx_vmotion"


def test_condition_mode_never_hides_a_real_blocker():
    vm = clean_vm(usb_devices=None, encrypted=True)
    o = analyze(estate_of(vm), as_of=AS_OF_DATE, policy=condition_policy()).vms[0]
    assert o.readiness["avs"] == "not_ready"
    assert o.readiness_reasons["avs"] == ["vm.encrypted"]
    assert o.readiness_details["avs"][0].startswith("vm.encrypted: ")
    assert o.recommended_method["avs"] is None


def test_clean_vm_has_no_coverage_gaps():
    assessment = analyze(estate_of(clean_vm()), as_of=AS_OF_DATE)
    assert assessment.coverage.rules == []
    assert assessment.vms[0].readiness_details == {"avs": [], "vmc": []}
    assert "could not evaluate" not in format_assessment(assessment)


def test_host_missing_from_a_collected_inventory():
    vm = clean_vm(host="esx99.example.com")
    assessment = analyze(estate_of(vm, host=clean_host()), as_of=AS_OF_DATE)
    o = assessment.vms[0]
    # The ESXi version check is a site task to verify; the CPU vendor (a warning that can block
    # live methods) leaves vMotion and RAV unknown, so Bulk is recommended.
    assert o.readiness["avs"] == "ready" and o.recommended_method["avs"] == "hcx_bulk"
    assert o.methods["avs"]["hcx_vmotion"] == "unknown"
    assert o.site_tasks == ["host.esxi-old:vc01/esx99.example.com#unknown"]
    (gap,) = [g for g in assessment.coverage.rules if g.rule_id == "host.esxi-old"]
    assert gap.examples == ["esx99.example.com"] and (gap.vm_count_unknown, gap.vm_count_readiness) == (1, 0)


def test_rvtools_export_without_vhost_says_so(tmp_path):
    estate = read_rvtools(write_xlsx_without(tmp_path, estate_of(clean_vm()), "vHost"))
    assessment = analyze(estate, as_of=AS_OF_DATE)
    (entry,) = assessment.coverage.inputs
    assert "vHost" in entry.needed_tabs and entry.unmatched_hosts == []
    reasons = {g.reason for g in assessment.coverage.rules if g.rule_id == "host.esxi-old"}
    assert reasons == {"RVTools export has no vHost tab"}


def write_xlsx_without(tmp_path: Path, estate: Estate, tab: str) -> Path:
    import openpyxl

    path = tmp_path / "export.xlsx"
    write_rvtools(estate, path)
    workbook = openpyxl.load_workbook(path)
    del workbook[tab]
    workbook.save(path)
    return path


# ------------------------------------------------------------------ data RVTools never carries

UNVERIFIABLE = ["device.parallel-port", "device.passthrough", "vm.encrypted", "vm.vtpm"]


def full_export(tmp_path: Path, *vms) -> Estate:
    """A complete RVTools export (every tab vmscan reads) of ``vms``, read back."""
    path = tmp_path / "full.xlsx"
    write_rvtools(estate_of(*vms), path)
    estate = read_rvtools(path)
    assert estate.vcenters[0].missing_tabs == ["vHealth"]  # the one tab vmscan does not map
    return estate


def clean_pair():
    """Two VMs with nothing to find in anything RVTools exports: one powered on, one off."""
    return [clean_vm("vc-uuid/vm-100"),
            clean_vm("vc-uuid/vm-101", name="db01", power_state="powered_off", instance_uuid="uuid-db01",
                     bios_uuid="bios-db01")]


def test_complete_rvtools_export_is_ready_and_vmotion_eligible(tmp_path):
    """By default data RVTools never carries changes no VM: nothing found means Ready, vMotion recommended."""
    estate = full_export(tmp_path, *clean_pair())
    assessment = analyze(estate, as_of=AS_OF_DATE)
    assert assessment.coverage.unavailable_in_source_as == "note"
    expected_method = {"app01": "hcx_vmotion", "db01": "hcx_cold"}
    for o in assessment.vms:
        for target in ("avs", "vmc"):
            assert o.readiness[target] == "ready", (o.name, o.readiness_details[target])
            assert o.readiness_reasons[target] == [] and o.readiness_details[target] == []
            assert o.recommended_method[target] == expected_method[o.name]
            assert set(o.methods[target].values()) == {"eligible"}
        assert o.finding_ids == [] and o.unknown_ids == []
        assert set(UNVERIFIABLE) <= set(o.not_in_source_ids)
    # No silent pass: the findings say "not in source" and the coverage section lists them once.
    assert {f.status for f in assessment.every_finding() if f.rule_id in UNVERIFIABLE} == {"not_in_source"}
    gaps = {g.rule_id: g for g in assessment.coverage.rules}
    for rule_id in UNVERIFIABLE:
        assert (gaps[rule_id].counts_as, gaps[rule_id].vm_count_readiness, gaps[rule_id].vm_count_unknown) == (
            "note", 0, 2)
    assert assessment.coverage.source_limits() == assessment.coverage.rules
    summary = {ts.target: ts for ts in assessment.summary.targets}
    assert summary["avs"].readiness == {"ready": 2, "ready_with_conditions": 0, "not_ready": 0, "unknown": 0}
    assert summary["avs"].recommended_methods == {"hcx_vmotion": 1, "hcx_rav": 0, "hcx_bulk": 0, "hcx_cold": 1,
                                                  "none": 0}


def test_complete_rvtools_export_under_the_condition_policy(tmp_path):
    """unavailable_in_source_as = "condition": each VM carries the checks to verify in vCenter."""
    estate = full_export(tmp_path, *clean_pair())
    assessment = analyze(estate, as_of=AS_OF_DATE, policy=source_condition_policy())
    assert assessment.coverage.unavailable_in_source_as == "condition"
    expected_method = {"app01": "hcx_vmotion", "db01": "hcx_cold"}
    for o in assessment.vms:
        for target in ("avs", "vmc"):
            assert o.readiness[target] == "ready_with_conditions", (o.name, o.readiness_details[target])
            assert o.recommended_method[target] == expected_method[o.name]
            assert "unknown" not in o.methods[target].values()
            assert o.methods[target][expected_method[o.name]] == "conditional"
            assert set(UNVERIFIABLE) <= set(o.readiness_reasons[target])
            assert len(o.readiness_details[target]) == len(o.readiness_reasons[target])
            assert ("not verifiable from RVTools: vTPM presence (vm.vtpm) \u2014 check in vCenter or collect with "
                    "`vmscan collect`") in o.readiness_details[target]
        assert o.finding_ids == []
    # No silent pass: the findings stay unknown and the coverage section lists them.
    statuses = {f.status for f in assessment.every_finding() if f.rule_id in UNVERIFIABLE}
    assert statuses == {"not_in_source"}
    gaps = {g.rule_id: g for g in assessment.coverage.rules}
    for rule_id in UNVERIFIABLE:
        assert (gaps[rule_id].counts_as, gaps[rule_id].vm_count_readiness) == ("condition", 2)
    summary = {ts.target: ts for ts in assessment.summary.targets}
    assert summary["avs"].readiness == {"ready": 0, "ready_with_conditions": 2, "not_ready": 0, "unknown": 0}
    assert summary["avs"].recommended_methods["none"] == 0


def test_complete_rvtools_export_strict_policy_stays_unknown(tmp_path):
    estate = full_export(tmp_path, *clean_pair())
    assessment = analyze(estate, as_of=AS_OF_DATE, policy=strict_policy())
    assert assessment.coverage.unavailable_in_source_as == "unknown"
    for o in assessment.vms:
        assert o.readiness == {"avs": "unknown", "vmc": "unknown"}
        assert o.recommended_method == {"avs": None, "vmc": None}
        assert o.readiness_reasons["avs"] == UNVERIFIABLE
        assert "not evaluated: vm.vtpm (missing vTPM presence: not in RVTools exports)" in o.readiness_details["avs"]
    assert {g.counts_as for g in assessment.coverage.rules} == {"unknown"}


def test_a_fixable_gap_in_a_complete_export_stays_unknown(tmp_path):
    """Empty cells and hosts missing from vHost are gaps a re-export fixes: still unknown by default."""
    estate = full_export(tmp_path, clean_vm(), clean_vm("vc-uuid/vm-102", name="ft01", ft_state=None,
                                                        instance_uuid="uuid-ft01", bios_uuid="bios-ft01"),
                         clean_vm("vc-uuid/vm-103", name="lost01", host="esx99.example.com",
                                  instance_uuid="uuid-lost01", bios_uuid="bios-lost01"))
    outcomes = {o.name: o for o in analyze(estate, as_of=AS_OF_DATE).vms}
    assert outcomes["app01"].readiness["avs"] == "ready"
    ft01, lost01 = outcomes["ft01"], outcomes["lost01"]
    assert ft01.readiness["avs"] == "unknown" and ft01.recommended_method["avs"] is None
    assert ft01.readiness_details["avs"] == [
        "not evaluated: vm.fault-tolerance (missing Fault Tolerance state: empty in vInfo column 'FT State')"]
    # Its host's ESXi version is a site prerequisite to verify; vMotion waits on the host's CPU vendor.
    assert (lost01.readiness["avs"], lost01.recommended_method["avs"]) == ("ready", "hcx_bulk")
    assert lost01.site_tasks == ["host.esxi-old:vc01/esx99.example.com#unknown"]


def test_live_snapshot_nulls_stay_unknown():
    """For a vCenter collection a null vTPM is "not collected" - a gap to fix, not a format limit."""
    for kind in ("vcenter", None):
        estate = estate_of(clean_vm(vtpm=None, encrypted=None))
        estate.vcenters[0].source_kind = kind
        o = analyze(estate, as_of=AS_OF_DATE).vms[0]
        assert o.readiness["avs"] == "unknown"
        assert sorted(o.readiness_details["avs"]) == [
            "not evaluated: vm.encrypted (missing VM encryption state: not collected)",
            "not evaluated: vm.vtpm (missing vTPM presence: not collected)"]
        assert o.methods["avs"]["hcx_vmotion"] == "unknown"


def test_terminal_states_source_limits_once_at_the_top(tmp_path):
    estate = full_export(tmp_path, *clean_pair())
    text = format_assessment(analyze(estate, as_of=AS_OF_DATE))
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("not in this source"))
    assert start <= 3  # at the top, under the header lines
    lines = lines[start - 1:]
    assert lines[1] == ("not in this source: 6 check(s) the input format cannot make (parallel ports, PCI "
                        "passthrough / vGPU devices, VM encryption state, vTPM presence, serial ports, power-off "
                        "date (vCenter events)); they change no VM's readiness or method")
    assert lines[2] == ("  to close them: collect live (`vmscan collect`), or verify in vCenter: device.parallel-port, "
                        "device.passthrough, device.serial-port, vm.encrypted, vm.powered-off-long, vm.vtpm")
    assert "ready: 2  ready_with_conditions: 0" in text and "none:" not in text
    assert text.count("vm.vtpm") == 1
    block = text[text.index("data coverage:"):].splitlines()
    assert block[0] == ("data coverage: every check this input can answer was evaluated; 6 check(s) not in this "
                        "source (see the top)")
    assert "could not evaluate" not in text


def test_terminal_block_on_a_complete_export(tmp_path):
    estate = full_export(tmp_path, *clean_pair())
    text = format_assessment(analyze(estate, as_of=AS_OF_DATE, policy=source_condition_policy()))
    assert "ready_with_conditions: 2" in text and "none:" not in text
    block = text[text.index("could not evaluate"):].splitlines()
    assert block[0] == ("could not evaluate: 6 rule(s) lacked data on 2 VM(s) - data RVTools never exports counts "
                        "as conditions to verify in vCenter")
    assert not any(line.startswith("not in this source") for line in text.splitlines())
    assert "readiness unknown" not in "\n".join(block)
    heading = block.index("  not verifiable from RVTools, counted as conditions to verify in vCenter (VMs)")
    assert [line.split()[:2] for line in block[heading + 1:heading + 5]] == [
        ["2", rule_id] for rule_id in UNVERIFIABLE]
    assert ("    - verify in vCenter before migrating: parallel ports, PCI passthrough / vGPU devices, VM encryption "
            "state, vTPM presence, serial ports - RVTools does not export them (listed per VM in the readiness "
            "reasons)") in block
    assert not any("unknown_as" in line for line in block)


def test_cli_unavailable_in_source_as(tmp_path):
    path = tmp_path / "full.xlsx"
    write_rvtools(estate_of(*clean_pair()), path)
    runner = CliRunner()
    default = runner.invoke(main, ["analyze", str(path), "--as-of", AS_OF, "-o", str(tmp_path / "a.json")])
    assert default.exit_code == 0, default.output
    assert "ready: 2  ready_with_conditions: 0" in default.output
    policy = tmp_path / "policy.toml"
    policy.write_text('[analysis]\nunavailable_in_source_as = "condition"\n', encoding="utf-8")
    conditions = runner.invoke(main, ["analyze", str(path), "--as-of", AS_OF, "--policy", str(policy)])
    assert conditions.exit_code == 0, conditions.output
    assert "ready: 0  ready_with_conditions: 2" in conditions.output
    policy.write_text('[analysis]\nunavailable_in_source_as = "unknown"\n', encoding="utf-8")
    strict = runner.invoke(main, ["analyze", str(path), "--as-of", AS_OF, "--policy", str(policy)])
    assert strict.exit_code == 0, strict.output
    assert "unknown: 2" in strict.output and "none: 2" in strict.output
    assert "a re-export alone leaves readiness unknown" in strict.output
    policy.write_text('[analysis]\nunavailable_in_source_as = "pass"\n', encoding="utf-8")
    bad = runner.invoke(main, ["analyze", "--as-of", "2026-11-25", str(path), "--policy", str(policy)])
    assert bad.exit_code == 2
    assert ("'analysis.unavailable_in_source_as' must be one of note, condition, unknown, got 'pass'"
            in bad.output)


# ------------------------------------------------------------------ policy, JSON, terminal

def test_unknown_as_rejects_other_values():
    with pytest.raises(InputError, match=r"'analysis.unknown_as' must be one of unknown, condition"):
        build_policy(load_default_data(), {"analysis": {"unknown_as": "pass"}}, "policy.toml")
    with pytest.raises(InputError, match=r"'analysis.unknown_as' must be a string"):
        build_policy(load_default_data(), {"analysis": {"unknown_as": True}}, "policy.toml")


def test_coverage_round_trips_through_the_assessment_json(kubev2v, tmp_path):
    assessment = assess(kubev2v)
    path = tmp_path / "assessment.json"
    save_assessment(assessment, path)
    loaded = load_assessment(path)
    assert loaded.coverage == assessment.coverage
    assert loaded.vms[1].readiness_details == assessment.vms[1].readiness_details
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["coverage"]["inputs"][0]["needed_tabs"] == NEEDED_TABS


def test_assessment_json_without_coverage_still_loads(kubev2v, tmp_path):
    """Assessments written before the coverage section existed load with an empty one."""
    assessment = assess(kubev2v)
    path = tmp_path / "old.json"
    save_assessment(assessment, path)
    raw = json.loads(path.read_text(encoding="utf-8"))
    del raw["coverage"]
    for vm in raw["vms"]:
        del vm["readiness_details"]
    path.write_text(json.dumps(raw), encoding="utf-8")
    loaded = load_assessment(path)
    assert loaded.coverage.rules == [] and loaded.vms[0].readiness_details == {}


def test_terminal_block_on_kubev2v(kubev2v):
    text = format_assessment(assess(kubev2v))
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("not in this source"))
    assert start <= 3  # at the top, under the header lines
    top = lines[start:start + 2]
    assert top[0].startswith("not in this source: 7 check(s) the input format cannot make (")
    assert "floppy drives" in top[0] and "vTPM presence" in top[0]
    assert top[1] == ("  to close them: collect live (`vmscan collect`), or verify in vCenter: "
                      "device.floppy-connected, device.parallel-port, device.passthrough, device.serial-port, "
                      "vm.encrypted, vm.powered-off-long, vm.vtpm")
    block = text[text.index("could not evaluate"):]
    # 21 rules lacked data; 7 of them the format never carries (stated at the top), 14 a re-export fixes.
    assert block.startswith("could not evaluate: 14 rule(s) lacked data on 9 VM(s); readiness unknown for 9 (avs), "
                            "9 (vmc)\n  + 7 check(s) not in this source (see the top; no readiness effect)")
    assert "no vNetwork, vCD, vUSB, vSnapshot, vTools tab(s) in the export" in block
    assert "host(s) in vInfo but not in vHost: 10.185.26.9, 10.5.126.198, 10.41.187.30" in block
    assert "re-export with RVTools including the vNetwork, vCD, vUSB, vSnapshot, vTools tabs" in block
    assert "vFloppy" not in text
    assert "vmscan collect" in block
    assert 'unknown_as = "condition"' in block
    assert "not verifiable from RVTools" not in block and "a re-export alone" not in block
    assert "device.usb" in block and "RVTools export has no vUSB tab" in block

    conditions = format_assessment(assess(kubev2v, source_condition_policy()))
    block = conditions[conditions.index("could not evaluate"):]
    assert "readiness unknown for 9 (avs), 9 (vmc); data RVTools never exports counts as conditions" in block
    listed = block[block.index("not verifiable from RVTools, counted as conditions"):].splitlines()
    assert [line.split()[:2] for line in listed[1:5]] == [
        ["9", "device.parallel-port"], ["9", "device.passthrough"], ["9", "vm.encrypted"], ["9", "vm.vtpm"]]
    # A warning: it decides only where it could block the method the VM would use (vMotion, 3 VMs on).
    assert "       3  device.floppy-connected        floppy drives not available from RVTools 4.x input" in block
    assert ("note: after a re-export, device.floppy-connected, device.parallel-port, device.passthrough, "
            "device.serial-port, vm.encrypted, vm.vtpm still cannot be evaluated from RVTools input: at best "
            "ready_with_conditions") in block

    strict = format_assessment(assess(kubev2v, strict_policy()))
    assert ("note: a re-export alone leaves readiness unknown while device.parallel-port, device.passthrough, "
            "vm.encrypted, vm.vtpm cannot be evaluated from RVTools input") in strict


def test_cli_analyze_both_modes(tmp_path):
    runner = CliRunner()
    strict = runner.invoke(main, ["analyze", str(kubev2v_path()), "--as-of", AS_OF])
    assert strict.exit_code == 0, strict.output
    assert "unknown: 9" in strict.output and "could not evaluate" in strict.output
    policy = tmp_path / "policy.toml"
    policy.write_text('[analysis]\nunknown_as = "condition"\n', encoding="utf-8")
    relaxed = runner.invoke(main, ["analyze", str(kubev2v_path()), "--as-of", AS_OF, "--policy", str(policy)])
    assert relaxed.exit_code == 0, relaxed.output
    assert "ready_with_conditions: 9" in relaxed.output
    assert "counted as conditions to verify" in relaxed.output
    assert "none: 9" not in relaxed.output
    policy.write_text('[analysis]\nunknown_as = "yes"\n', encoding="utf-8")
    bad = runner.invoke(main, ["analyze", "--as-of", "2026-11-25", str(kubev2v_path()), "--policy", str(policy)])
    assert bad.exit_code == 2
    assert "analysis.unknown_as" in bad.output



# ------------------------------------------------------------------ reports

def test_xlsx_data_coverage_sheets_and_reasons_columns(kubev2v, tmp_path):
    import openpyxl

    from scanner.reporters.xlsx import write_xlsx

    path = tmp_path / "report.xlsx"
    write_xlsx(kubev2v, assess(kubev2v), path)
    wb = openpyxl.load_workbook(path, read_only=True)
    coverage = list(wb["Data coverage"].iter_rows(values_only=True))
    header = coverage[0]
    assert header[:5] == ("Rule", "Title", "Severity", "VMs not evaluated", "VMs whose readiness it decided")
    usb = next(row for row in coverage[1:] if row[0] == "device.usb")
    assert usb[2] == "blocker" and usb[3] == 9 and usb[4] == 9 and isinstance(usb[3], int)
    assert usb[6] == "RVTools export has no vUSB tab"
    assert usb[7].startswith("re-export with RVTools including the vUSB tab")
    assert usb[10:] == ("unknown", 0)
    vtpm = next(row for row in coverage[1:] if row[0] == "vm.vtpm")
    assert vtpm[3:5] == (9, 0) and vtpm[10:] == ("not in source", 0)
    host = next(row for row in coverage[1:] if row[0] == "host.esxi-old" and row[3] == 8)
    assert set(host[8].split(", ")) == VINFO_HOSTS

    inputs = list(wb["Data coverage inputs"].iter_rows(values_only=True))
    assert len(inputs) == 2
    row = dict(zip(inputs[0], inputs[1], strict=True))
    assert row["Tabs missing (rules need them)"] == ", ".join(NEEDED_TABS)
    assert "vCluster" in row["Other tabs missing"] and "vUSB" not in row["Other tabs missing"]
    assert "vTPM presence" in row["Not available from this input"]
    assert "vmscan collect" in row["What to do"]

    vms = list(wb["VMs"].iter_rows(values_only=True))
    columns = vms[0]
    avs = columns.index("Readiness reasons AVS")
    assert columns.index("Readiness reasons VMC") == avs + 1
    vm2 = next(r for r in vms[1:] if r[0] == "vm-2")
    assert "not evaluated: device.usb (missing USB devices: no vUSB tab in the export)" in vm2[avs]
    assert "host.esxi-old: verify: host 10.5.126.198:" in vm2[columns.index("Site tasks (before it moves)")]
    assert vm2[columns.index("Readiness AVS")] == "Unknown"


def test_html_shows_coverage_and_reasons(kubev2v):
    from scanner.reporters.html import render_html

    page = render_html(kubev2v, assess(kubev2v))
    assert '<section id="coverage">' in page and 'href="#coverage"' in page
    assert "RVTools export has no vUSB tab" in page
    assert "not evaluated: device.usb (missing USB devices: no vUSB tab in the export)" in page
    # Reasons travel once in the data island and are referenced by index from each VM.
    assert page.count("not evaluated: device.usb (missing USB devices: no vUSB tab in the export)") == 1


def test_reports_on_a_complete_export_show_the_conditions(tmp_path):
    import openpyxl

    from scanner.reporters.html import render_html
    from scanner.reporters.xlsx import write_xlsx

    estate = full_export(tmp_path, *clean_pair())
    assessment = analyze(estate, as_of=AS_OF_DATE, policy=source_condition_policy())
    page = render_html(estate, assessment)
    assert "data the input format never carries (e.g. vTPM in RVTools) counts as conditions to verify" in page
    assert "not verifiable from RVTools: vTPM presence (vm.vtpm)" in page
    path = tmp_path / "report.xlsx"
    write_xlsx(estate, assessment, path)
    rows = list(openpyxl.load_workbook(path, read_only=True)["Data coverage"].iter_rows(values_only=True))
    header = rows[0]
    vtpm = dict(zip(header, next(r for r in rows[1:] if r[0] == "vm.vtpm"), strict=True))
    assert (vtpm["Counts as"], vtpm["VMs whose readiness it decided"], vtpm["VMs where a pending condition"]) == (
        "condition", 2, 0)


def test_html_without_gaps_says_everything_was_evaluated():
    from scanner.reporters.html import render_html

    estate = estate_of(clean_vm())
    page = render_html(estate, analyze(estate, as_of=AS_OF_DATE))
    assert "Every rule could be evaluated on every VM" in page
    assert 'id="coverage-callout"' not in page


def test_terminal_block_for_a_minor_gap_is_short():
    vm = clean_vm(power_state="powered_off", powered_off_since=None)
    text = format_assessment(analyze(estate_of(vm), as_of=AS_OF_DATE))
    block = text[text.index("could not evaluate"):].splitlines()
    assert block == [
        "could not evaluate: 1 rule(s) lacked data on 1 VM(s); readiness not affected",
        "  vm.powered-off-long not evaluated on some VMs without deciding readiness (see the report's Data "
        "coverage section or the assessment JSON)",
    ]
