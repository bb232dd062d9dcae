"""Checks consultants expect: Tools out of date, disks to consolidate, Oracle licensing, shared VMDKs by path.

Each rule fires on one VM and passes (status "pass": no finding at all) on a near miss; Tools out of
date and Oracle are information and change no readiness. E1000e is not a legacy NIC.
"""

from __future__ import annotations

import datetime as dt

import pytest

from scanner.analysis.engine import analyze
from scanner.collector import mappers
from scanner.collector.mappers import PropertyValues
from scanner.rvtools.reader import read_rvtools
from tests.factories import AS_OF, clean_disk, clean_nic, clean_vm, estate_of
from tests.unit.rvtools_helpers import write_workbook
from tests.unit.test_mappers import full_vm_values, lookups

AS_OF_DATE = dt.date.fromisoformat(AS_OF)


def outcome_of(rule_id: str, *vms, judged: int = 0):
    """(status, messages, readiness on AVS) of ``rule_id`` on VM ``judged`` of an estate of ``vms``."""
    assessment = analyze(estate_of(*vms), as_of=AS_OF_DATE, targets=("avs",))
    vm_id = vms[judged].id
    found = [f for f in assessment.findings if f.rule_id == rule_id and f.vm_id == vm_id]
    statuses = {f.status for f in found}
    status = "fail" if "fail" in statuses else ("unknown" if "unknown" in statuses else "pass")
    readiness = next(o.readiness["avs"] for o in assessment.vms if o.vm_id == vm_id)
    return status, [f.message for f in found], readiness


# --- vm.tools-outdated ------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "status", "message"), [
    ({"tools_version_status": "supported_old"}, "fail",
     "VMware Tools 12352 is supported, a newer version is available (version status supported_old)"),
    ({"tools_version_status": "too_old"}, "fail",
     "VMware Tools 12352 is too old (unsupported) (version status too_old)"),
    ({"tools_version_status": "blacklisted"}, "fail",
     "VMware Tools 12352 is a version with a known grave bug (version status blacklisted)"),
    ({"tools_version_status": None, "tools_upgradeable": True}, "fail",
     "VMware Tools 12352 can be upgraded (a newer version is available)"),
    ({"tools_version_status": None, "tools_status": "old"}, "fail",
     "VMware Tools 12352 is running but not the current version"),
    # Near misses: current, newer than the host, managed by the OS (open-vm-tools), no upgrade offered.
    ({"tools_version_status": "current"}, "pass", None),
    ({"tools_version_status": "supported_new"}, "pass", None),
    ({"tools_version_status": "unmanaged"}, "pass", None),
    ({"tools_version_status": None, "tools_upgradeable": False}, "pass", None),
    ({"tools_version_status": None, "tools_status": "ok"}, "pass", None),
    # Not installed is vm.tools-missing's finding, not this one.
    ({"tools_version_status": "not_installed", "tools_status": "not_installed"}, "pass", None),
    ({"tools_version_status": None, "tools_status": "not_running"}, "unknown", None),
    ({"tools_version_status": None, "tools_status": None}, "unknown", None),
])
def test_tools_outdated(changes, status, message):
    got_status, messages, readiness = outcome_of("vm.tools-outdated", clean_vm(**changes))
    assert got_status == status
    if message is not None:
        assert messages == [message]
    if status == "fail":
        assert readiness == "ready"  # information only


# --- disk.consolidation-needed ------------------------------------------------------------------

def test_consolidation_needed_fires_and_conditions_readiness():
    status, messages, readiness = outcome_of("disk.consolidation-needed", clean_vm(consolidation_needed=True))
    assert (status, messages, readiness) == (
        "fail", ["vCenter reports that the VM's disks need consolidation"], "ready_with_conditions")
    assert outcome_of("disk.consolidation-needed", clean_vm(consolidation_needed=False))[0] == "pass"
    assert outcome_of("disk.consolidation-needed", clean_vm(consolidation_needed=None))[0] == "unknown"


# --- vm.oracle-licensing ------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "message"), [
    ({"guest_id_tools": "oracleLinux8_64Guest", "guest_full_name_tools": "Oracle Linux 8 (64-bit)"},
     "Oracle guest OS (oracleLinux8_64Guest)"),
    ({"guest_id_tools": None, "guest_id": None, "guest_full_name_tools": None,
      "guest_full_name": "Oracle Solaris 11 (64-bit)"}, "Oracle guest OS (Oracle Solaris 11 (64-bit))"),
    ({"name": "prd-ora-db01"}, "Oracle named in the name"),
    ({"name": "oradb02"}, "Oracle named in the name"),
    ({"annotation": "Oracle 19c EE, owner DBA team"}, "Oracle named in the annotation"),
    ({"custom_attributes": {"Application": "ORCL billing"}}, "Oracle named in the attribute Application"),
    # Only the host name, or only a later attribute, names it (the VM's texts are first looked at as one).
    ({"hostname": "ORA-db01.corp.example"}, "Oracle named in the hostname"),
    ({"custom_attributes": {"Owner": "dba", "DB": "prd_ora19"}}, "Oracle named in the attribute DB"),
])
def test_oracle_fires_as_information(changes, message):
    status, messages, readiness = outcome_of("vm.oracle-licensing", clean_vm(**changes))
    assert (status, messages, readiness) == ("fail", [message], "ready")


@pytest.mark.parametrize("changes", [
    {"name": "flora-web01"}, {"name": "aurora-api"}, {"name": "storage01"}, {"annotation": "Corporate portal"},
    {"guest_full_name_tools": "Red Hat Enterprise Linux 9 (64-bit)", "guest_id_tools": "rhel9_64Guest"},
])
def test_oracle_near_misses_pass(changes):
    assert outcome_of("vm.oracle-licensing", clean_vm(**changes))[0] == "pass"


def test_oracle_unknown_without_any_guest_os():
    vm = clean_vm(guest_id=None, guest_full_name=None, guest_id_tools=None, guest_full_name_tools=None)
    assert outcome_of("vm.oracle-licensing", vm)[0] == "unknown"


# --- disk.shared-vmdk-path ----------------------------------------------------------------------

SHARED = "[san-ds1] rac/rac_shared.vmdk"


def rac_pair(sharing: str | None):
    node1 = clean_vm("vc-uuid/vm-201", name="rac01", disks=[clean_disk(), clean_disk(
        key=2001, label="Hard disk 2", sharing=sharing, file_name=SHARED)])
    node2 = clean_vm("vc-uuid/vm-202", name="rac02", disks=[clean_disk(), clean_disk(
        key=2001, label="Hard disk 2", sharing=sharing, file_name=SHARED)])
    return node1, node2


def test_shared_vmdk_inferred_without_sharing_column():
    status, messages, readiness = outcome_of("disk.shared-vmdk-path", *rac_pair(None))
    assert status == "fail" and readiness == "not_ready"
    assert messages == [f"Hard disk 2 ({SHARED}) is also attached to rac02; no sharing flag in the input"]


def test_shared_vmdk_with_multi_writer_flag_is_left_to_the_multi_writer_rule():
    assert outcome_of("disk.shared-vmdk-path", *rac_pair("multi_writer"))[0] == "pass"
    assert outcome_of("disk.shared-multiwriter", *rac_pair("multi_writer"))[0] == "fail"


def test_same_file_name_in_another_folder_is_not_shared():
    one = clean_vm("vc-uuid/vm-201", disks=[clean_disk(sharing=None, file_name="[ds1] a/data.vmdk")])
    two = clean_vm("vc-uuid/vm-202", disks=[clean_disk(sharing=None, file_name="[ds1] b/data.vmdk")])
    assert outcome_of("disk.shared-vmdk-path", one, two)[0] == "pass"


def test_shared_vmdk_among_unshared_disks_and_on_a_second_vm_of_the_vcenter():
    """A VM with a file of its own and a shared one fails for the shared one only; a third VM that
    uses only its own files passes, as does a VM attaching one file twice."""
    node1, node2 = rac_pair(None)
    own = clean_vm("vc-uuid/vm-203", name="app01", disks=[clean_disk(file_name="[ds1] app01/app01.vmdk"),
                                                          clean_disk(key=2001, file_name="[ds1] app01/app01.vmdk")])
    status, messages, _ = outcome_of("disk.shared-vmdk-path", own, node1, node2, judged=2)
    assert status == "fail" and messages == [
        f"Hard disk 2 ({SHARED}) is also attached to rac01; no sharing flag in the input"]
    assert outcome_of("disk.shared-vmdk-path", own, node1, node2)[0] == "pass"


def test_a_later_analysis_with_the_same_policy_sees_changed_disk_files():
    """The vCenter's disk-file map is the analysis' own: re-pointing a disk of the same estate at a
    file another VM uses, then analysing again with the same policy, finds the shared file."""
    from scanner.policy import default_policy

    own = clean_vm("vc-uuid/vm-201", name="app01", disks=[clean_disk(file_name="[ds1] app01/app01.vmdk")])
    other = clean_vm("vc-uuid/vm-202", name="app02", disks=[clean_disk(file_name="[ds1] app02/app02.vmdk")])
    estate, policy = estate_of(own, other), default_policy()

    def statuses() -> set[str]:
        assessment = analyze(estate, as_of=AS_OF_DATE, targets=("avs",), policy=policy)
        return {f.status for f in assessment.findings if f.rule_id == "disk.shared-vmdk-path"}

    assert statuses() == set()
    estate.vcenters[0].vms[1].disks[0].file_name = "[ds1] app01/app01.vmdk"
    assert statuses() == {"fail"}


def test_shared_vmdk_unknown_only_without_path_and_flag():
    vm = clean_vm(disks=[clean_disk(sharing=None, file_name=None)])
    assert outcome_of("disk.shared-vmdk-path", vm)[0] == "unknown"
    flagged = clean_vm(disks=[clean_disk(sharing="none", file_name=None)])
    assert outcome_of("disk.shared-vmdk-path", flagged)[0] == "pass"


# --- E1000e -------------------------------------------------------------------------------------

def test_e1000e_is_not_a_legacy_nic_but_e1000_is():
    assert outcome_of("net.nic-legacy", clean_vm(nics=[clean_nic(adapter_type="e1000e")]))[0] == "pass"
    assert outcome_of("net.nic-legacy", clean_vm(nics=[clean_nic(adapter_type="e1000")]))[0] == "fail"


# --- sources: RVTools columns and vCenter properties --------------------------------------------

def test_rvtools_columns_fill_the_new_fields(tmp_path):
    """vInfo "Consolidation Needed", vTools "Tools"/"Upgradeable", vDisk paths without "Sharing mode"."""
    names = ["web01", "web02", "rac01", "rac02"]
    sheets = {
        "vInfo": [["VM", "Powerstate", "Template", "Consolidation Needed", "VM ID"],
                  ["web01", "poweredOn", "False", "True", "vm-1"], ["web02", "poweredOn", "False", "False", "vm-2"],
                  ["rac01", "poweredOn", "False", "False", "vm-3"], ["rac02", "poweredOn", "False", None, "vm-4"]],
        "vTools": [["VM", "Tools", "Tools Version", "Required Version", "Upgradeable", "VM ID"],
                   ["web01", "guestToolsSupportedOld", "11365", "12416", "True", "vm-1"],
                   ["web02", "toolsOk", "12416", "12416", "False", "vm-2"],
                   ["rac01", "toolsOld", "10346", "12416", None, "vm-3"],
                   ["rac02", "guestToolsUnmanaged", "12389", "12416", "False", "vm-4"]],
        # A trimmed vDisk: no "Sharing mode" column, so sharing is unknown; rac01/rac02 share Hard disk 2.
        "vDisk": [["VM", "Disk", "Disk Path", "Capacity MiB", "VM ID"],
                  ["web01", "Hard disk 1", "[ds1] web01/web01.vmdk", 40960, "vm-1"],
                  ["web02", "Hard disk 1", "[ds1] web02/web02.vmdk", 40960, "vm-2"],
                  ["rac01", "Hard disk 1", "[ds1] rac01/rac01.vmdk", 40960, "vm-3"],
                  ["rac01", "Hard disk 2", SHARED, 102400, "vm-3"],
                  ["rac02", "Hard disk 1", "[ds1] rac02/rac02.vmdk", 40960, "vm-4"],
                  ["rac02", "Hard disk 2", SHARED, 102400, "vm-4"]],
    }
    estate = read_rvtools(write_workbook(tmp_path / "export.xlsx", sheets))
    vms = {vm.name: vm for vm in estate.all_vms()}
    assert sorted(vms) == sorted(names)
    assert [vms[n].consolidation_needed for n in names] == [True, False, False, None]
    assert [vms[n].tools_version_status for n in names] == ["supported_old", None, None, "unmanaged"]
    assert [vms[n].tools_upgradeable for n in names] == [True, False, None, False]
    # A version status says nothing about Tools running (no "Guest state" column here): unknown.
    assert [vms[n].tools_running for n in names] == [None, True, True, None]
    assessment = analyze(estate, as_of=AS_OF_DATE, targets=("avs",))
    by_name = {o.vm_id: o.name for o in assessment.vms}

    def vms_with(rule_id: str, status: str = "fail") -> set[str]:
        return {by_name[f.vm_id] for f in assessment.findings if f.rule_id == rule_id and f.status == status}

    # Hand count from the sheets above.
    assert vms_with("disk.consolidation-needed") == {"web01"}
    assert vms_with("disk.consolidation-needed", "unknown") == {"rac02"}
    assert vms_with("vm.tools-outdated") == {"web01", "rac01"}
    assert vms_with("disk.shared-vmdk-path") == {"rac01", "rac02"}
    assert vms_with("disk.shared-vmdk-path", "unknown") == set()


def test_vcenter_properties_fill_the_new_fields():
    values = full_vm_values()
    values["guest.toolsVersionStatus2"] = "guestToolsSupportedOld"
    values["runtime.consolidationNeeded"] = True
    vm = mappers.map_vm("vm-42", PropertyValues(values), lookups())
    assert (vm.tools_version_status, vm.consolidation_needed) == ("supported_old", True)
    del values["runtime.consolidationNeeded"]  # vCenter sets it; unset means none pending
    values["guest.toolsVersionStatus2"] = "guestToolsUnmanaged"
    vm = mappers.map_vm("vm-42", PropertyValues(values), lookups())
    assert (vm.tools_version_status, vm.consolidation_needed) == ("unmanaged", False)
    refused = PropertyValues(full_vm_values(), ["runtime.consolidationNeeded", "guest.toolsVersionStatus2"])
    vm = mappers.map_vm("vm-42", refused, lookups())
    assert (vm.tools_version_status, vm.consolidation_needed) == (None, None)


def test_vms_alike_share_one_tools_result_and_a_flag_read_as_1_is_not_true():
    # The failure reads the four Tools fields alone: VMs alike share one result (message and evidence);
    # tools_upgradeable 1 (an int, as some input may give it) is another VM, written as 1, not true.
    alike = [clean_vm(f"vc-uuid/vm-{n}", name=f"app{n}", tools_version_status=None, tools_upgradeable=True)
             for n in range(2)]
    as_int = clean_vm("vc-uuid/vm-9", name="app9", tools_version_status=None, tools_upgradeable=1)
    found = [f for f in analyze(estate_of(*alike, as_int), as_of=AS_OF_DATE).findings
             if f.rule_id == "vm.tools-outdated"]
    assert [(f.vm_id, f.message) for f in found] == [
        (vm.id, "VMware Tools 12352 can be upgraded (a newer version is available)") for vm in (*alike, as_int)]
    assert found[0].evidence is found[1].evidence
    assert type(found[0].evidence["tools_upgradeable"]) is bool
    assert type(found[2].evidence["tools_upgradeable"]) is int


def test_legacy_nics_alike_share_one_result_and_others_keep_their_own():
    vms = [clean_vm(f"vc-uuid/vm-{n}", name=f"app{n}", nics=[clean_nic(adapter_type="e1000")]) for n in range(2)]
    vms.append(clean_vm("vc-uuid/vm-9", name="app9", nics=[clean_nic(adapter_type="vlance")]))
    vms.append(clean_vm("vc-uuid/vm-8", name="app8", nics=[clean_nic(adapter_type="vmxnet3")]))  # near miss
    found = [f for f in analyze(estate_of(*vms), as_of=AS_OF_DATE).findings if f.rule_id == "net.nic-legacy"]
    label = clean_nic().label
    assert [(f.vm_id, f.message) for f in found] == [
        ("vc-uuid/vm-0", f"{label} is e1000"), ("vc-uuid/vm-1", f"{label} is e1000"),
        ("vc-uuid/vm-9", f"{label} is vlance")]
    assert found[0].evidence is found[1].evidence and found[2].evidence is not found[0].evidence
