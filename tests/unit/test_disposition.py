"""Refactor versus lift-and-shift: dispositions per target, their verdicts and the summary share."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner

from scanner.analysis.engine import analyze
from scanner.analysis.text import format_assessment
from scanner.cli import main
from scanner.errors import InputError
from scanner.inventory.io import save_estate
from scanner.inventory.model import Controller, PassthroughDevice, PortDevice, Snapshot, UsbDevice
from scanner.policy import load_policy
from scanner.reporters.html import render_html
from tests.factories import clean_disk, clean_vm, estate_of

AS_OF = dt.date(2026, 11, 25)


def outcome_of(vm, policy=None):
    assessment = analyze(estate_of(vm), as_of=AS_OF, policy=policy)
    return assessment.vms[0]


def disposition_of(vm, policy=None):
    return outcome_of(vm, policy).disposition


# (signal, VM that fires it, near-miss VM that must not be refactor, the near-miss's disposition)
SIGNALS = {
    "device.usb": (clean_vm(usb_devices=[UsbDevice(key=1, label="USB 1", backing_path="dongle", connected=True)]),
                   clean_vm(usb_devices=[]), "rehost"),
    "device.passthrough": (
        clean_vm(passthrough_devices=[PassthroughDevice(key=1, label="PCI 0", kind="vgpu", detail="grid_t4-4q")]),
        # An SR-IOV NIC is replaced by a VMXNET3 adapter: a configuration change.
        clean_vm(passthrough_devices=[PassthroughDevice(key=1, label="PCI 0", kind="sriov_nic")]), "remediate"),
    "device.serial-port": (
        clean_vm(serial_ports=[PortDevice(key=1, label="Serial port 1", backing="device", backing_path="/dev/ttyS0")]),
        clean_vm(serial_ports=[PortDevice(key=1, label="Serial port 1", backing="network",
                                          backing_path="telnet://:7001")]), "remediate"),
    "device.parallel-port": (
        clean_vm(parallel_ports=[PortDevice(key=1, label="Parallel port 1", backing="device",
                                            backing_path="/dev/parport0")]),
        clean_vm(parallel_ports=[PortDevice(key=1, label="Parallel port 1", backing="file",
                                            backing_path="[ds] vm/lpt.out")]), "remediate"),
    "vm.cpu-exceeds-node": (clean_vm(num_cpu=200, cores_per_socket=100), clean_vm(num_cpu=96, cores_per_socket=48),
                            "rehost"),
    "vm.memory-exceeds-node": (clean_vm(memory_mib=2048 * 1024), clean_vm(memory_mib=512 * 1024), "rehost"),
    "vm.guest-os-unsupported": (
        clean_vm(guest_id="winNetStandardGuest", guest_id_tools="winNetStandardGuest",
                 guest_full_name="Microsoft Windows Server 2003 Standard (32-bit)",
                 guest_full_name_tools="Microsoft Windows Server 2003 Standard (32-bit)"),
        # Past end of support but supported on ESXi: an OS upgrade (replatform), not refactor.
        clean_vm(guest_id="windows7Server64Guest", guest_id_tools="windows7Server64Guest",
                 guest_full_name="Microsoft Windows Server 2008 R2 (64-bit)",
                 guest_full_name_tools="Microsoft Windows Server 2008 R2 (64-bit)"), "replatform"),
}


@pytest.mark.parametrize("signal", sorted(SIGNALS))
def test_each_refactor_signal_fires_and_its_near_miss_does_not(signal):
    fires, near_miss, near_miss_disposition = SIGNALS[signal]
    outcome = outcome_of(fires)
    assert outcome.disposition == "refactor"
    assert outcome.disposition_reasons[0].startswith(f"{signal}: ")
    assert outcome.verdict.startswith(f"refactor: {signal}: ")
    assert outcome.target_dispositions == {"avs": "refactor", "vmc": "refactor"}
    assert disposition_of(near_miss) == near_miss_disposition


@pytest.mark.parametrize("vm", [
    clean_vm(controllers=[Controller(key=1000, label="SCSI controller 0", type="scsi_pvscsi", bus_sharing="none"),
                          Controller(key=1001, label="SCSI controller 1", type="scsi_pvscsi",
                                     bus_sharing="physical")],
             disks=[clean_disk(), clean_disk(key=2001, label="Hard disk 2", controller_key=1001,
                                             controller_bus_sharing="physical")]),
    clean_vm(disks=[clean_disk(sharing="multi_writer")]),
], ids=["bus-sharing", "multi-writer"])
def test_a_shared_disk_cluster_the_target_can_host_after_a_storage_change_is_replatform(vm):
    # AVS hosts WSFC with shared disks natively on vSAN: a storage change, not an application project.
    assert disposition_of(vm) == "replatform"


@pytest.mark.parametrize("vm", [
    clean_vm(snapshots=[Snapshot(name="s", created="2026-11-20T00:00:00Z")], snapshot_count=1),
    clean_vm(hardware_version=7),
    clean_vm(power_state="suspended"),
    clean_vm(disks=[clean_disk(backing="rdm_physical", lun_uuid="vml.0200")]),
])
def test_a_vm_with_only_a_remediable_condition_is_never_refactor(vm):
    # (a standalone physical RDM too: its data moves to a virtual disk, an administrator's change)
    outcome = outcome_of(vm)
    assert outcome.disposition == "remediate"
    assert outcome.verdict.startswith("lift-and-shift after remediation: ")


def test_a_vm_with_no_finding_is_lift_and_shift_as_is():
    outcome = outcome_of(clean_vm())
    assert outcome.finding_ids == []
    assert (outcome.disposition, outcome.verdict) == ("rehost", "lift-and-shift as is")
    assert outcome.target_verdicts == {"avs": "lift-and-shift as is", "vmc": "lift-and-shift as is"}


def test_a_vm_one_target_can_host_goes_there():
    # 1,200 GiB fits AVS AV52 (1,536 GiB) but no VMC node (i4i.metal: 1,024 GiB).
    outcome = outcome_of(clean_vm(memory_mib=1200 * 1024))
    assert outcome.target_dispositions == {"avs": "rehost", "vmc": "refactor"}
    assert outcome.disposition == "rehost"


def test_refactor_outranks_replatform_and_remediate():
    vm = clean_vm(usb_devices=[UsbDevice(key=1, label="USB 1", connected=True)], hardware_version=7,
                  disks=[clean_disk(backing="rdm_physical", lun_uuid="vml.0200")])
    outcome = outcome_of(vm)
    assert outcome.disposition == "refactor" and len(outcome.disposition_reasons) == 1


def test_policy_overrides_a_rules_disposition(tmp_path):
    usb = clean_vm(usb_devices=[UsbDevice(key=1, label="USB 1", connected=True)])
    path = tmp_path / "policy.toml"
    path.write_text('[rules."device.usb"]\ndisposition = "remediate"\n', encoding="utf-8")
    assert disposition_of(usb, load_policy(str(path))) == "remediate"
    path.write_text('[disposition.rules."device.usb"]\ndisposition = "replatform"\n', encoding="utf-8")
    assert disposition_of(usb, load_policy(str(path))) == "replatform"
    # A rule the shipped data does not list can be steered too.
    path.write_text('[rules."vm.ipv6"]\ndisposition = "refactor"\n', encoding="utf-8")
    assert disposition_of(clean_vm(ipv6_addresses=["2001:db8::10"]), load_policy(str(path))) == "refactor"
    path.write_text('[rules."device.usb"]\ndisposition = "rewrite"\n', encoding="utf-8")
    with pytest.raises(InputError, match="disposition' must be one of"):
        load_policy(str(path))


def test_summary_counts_and_lift_and_shift_share_per_target():
    vms = [clean_vm("vc-uuid/vm-1"), clean_vm("vc-uuid/vm-2", hardware_version=7),
           clean_vm("vc-uuid/vm-3", usb_devices=[UsbDevice(key=1, label="USB 1", connected=True)]),
           clean_vm("vc-uuid/vm-4", memory_mib=1200 * 1024)]
    assessment = analyze(estate_of(*vms), as_of=AS_OF)
    avs, vmc = assessment.summary.targets
    assert avs.dispositions["rehost"] == 2 and avs.dispositions["remediate"] == 1 and avs.dispositions["refactor"] == 1
    assert (avs.lift_and_shift, avs.lift_and_shift_share) == (3, 0.75)
    assert vmc.dispositions["refactor"] == 2 and (vmc.lift_and_shift, vmc.lift_and_shift_share) == (2, 0.5)
    assert assessment.summary.dispositions["refactor"] == 1  # vm-4 goes to AVS
    text = format_assessment(assessment)
    assert ("lift-and-shift to AVS: 3 of 4 VMs (75.0%) can be lifted and shifted: 2 as is, 1 after remediation; "
            "0 replatform, 1 refactor, 0 retire, 0 retain") in text
    assert "lift-and-shift to VMC: 2 of 4 VMs (50.0%)" in text
    html = render_html(estate_of(*vms), assessment)
    assert 'id="lift-and-shift"' in html and "3 of 4 VMs (75.0%) can be lifted and shifted" in html


def test_workbook_and_json_carry_the_verdicts(tmp_path):
    vms = [clean_vm("vc-uuid/vm-1"), clean_vm("vc-uuid/vm-3", name="dongle01",
                                              usb_devices=[UsbDevice(key=1, label="USB 1", connected=True)])]
    save_estate(estate_of(*vms), tmp_path / "estate.json.gz")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", str(tmp_path / "estate.json.gz"), "--out", str(out), "--format",
                                       "xlsx,json", "--as-of", "2026-11-25"])
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(out / "report.xlsx")
    summary_texts = [str(c.value) for row in wb["Summary"].iter_rows(max_row=12) for c in row if c.value]
    assert any(t.startswith("Lift-and-shift to Azure VMware Solution: 1 of 2 VMs (50.0%)") for t in summary_texts)
    sheet = wb["VMs"]
    header = [c.value for c in sheet[1]]
    row = {header[i]: c.value for i, c in enumerate(next(r for r in sheet.iter_rows(min_row=2) if r[0].value ==
                                                              "dongle01"))}
    assert row["Disposition"] == "Refactor" and row["Verdict AVS"].startswith("refactor: device.usb: ")
    import json
    data = json.loads((out / "assessment.json").read_text(encoding="utf-8"))
    dongle = next(v for v in data["vms"] if v["name"] == "dongle01")
    assert dongle["verdict"].startswith("refactor: device.usb: USB device USB 1 is attached")
    assert data["summary"]["targets"][0]["lift_and_shift_share"] == 0.5


def test_a_vm_whose_readiness_is_unknown_is_not_called_a_clean_lift_and_shift():
    """An input without the USB tab cannot rule out a dongle: "as is" says it is not verified."""
    vm = clean_vm(usb_devices=None)
    outcome = outcome_of(vm)
    assert outcome.readiness == {"avs": "unknown", "vmc": "unknown"}
    assert outcome.disposition == "rehost"
    assert outcome.verdict == ("lift-and-shift as is (not verified: readiness unknown, the input lacks data the "
                               "checks need)")
    assert outcome.target_verdicts["avs"] == outcome.verdict
    assessment = analyze(estate_of(vm), as_of=AS_OF)
    assert "can be lifted and shifted (readiness unknown for 1: not verified, see Data coverage)" in \
        format_assessment(assessment)
    # The near miss: with the data present the verdict is the plain one.
    assert outcome_of(clean_vm(usb_devices=[])).verdict == "lift-and-shift as is"
