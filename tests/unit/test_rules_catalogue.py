"""Every rule: VMs that must trigger it and VMs that must not, asserting the exact set of rule ids."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from scanner.analysis.engine import analyze
from scanner.inventory.model import (
    Controller,
    Host,
    PassthroughDevice,
    PortDevice,
    RemovableDrive,
    Snapshot,
    UsbDevice,
)
from scanner.rules import load_catalogue
from tests.factories import AS_OF, GIB, TIB, clean_disk, clean_host, clean_nic, clean_vm, estate_of, unknown_vm

AS_OF_DATE = dt.date.fromisoformat(AS_OF)


def days_ago(days: int) -> str:
    return (dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC) - dt.timedelta(days=days)).isoformat()


def failing_ids(vm, host: Host | None = None, vcenter_version: str | None = None, **kwargs) -> set[str]:
    """Failing rule ids of ``vm``; a list is a VM with its neighbours in the same vCenter (first one judged).

    Site rules report once per object (site_tasks), not per VM; they are rules all the same.
    """
    vms = vm if isinstance(vm, list) else [vm]
    estate = estate_of(*vms, host=host)
    if vcenter_version is not None:
        estate.vcenters[0].version = vcenter_version
    assessment = analyze(estate, as_of=AS_OF_DATE, **kwargs)
    return {f.rule_id for f in assessment.findings if f.status == "fail" and f.vm_id == vms[0].id} | {
        t.rule_id for t in assessment.site_tasks if t.status == "fail" and vms[0].id in t.vm_ids}


def snapshots_of(*ages: int) -> list[Snapshot]:
    return [Snapshot(name=f"snap{i}", created=days_ago(age)) for i, age in enumerate(ages)]


# (case name, VM, host or None, exact set of failing rule ids)
CASES = [
    ("clean", clean_vm(), None, set()),
    # --- disks
    ("rdm physical", clean_vm(disks=[clean_disk(backing="rdm_physical", lun_uuid="naa.600")]), None,
     {"disk.rdm-physical"}),
    ("rdm virtual", clean_vm(disks=[clean_disk(backing="rdm_virtual")]), None, {"disk.rdm-virtual"}),
    ("independent", clean_vm(disks=[clean_disk(mode="independent_persistent")]), None, {"disk.independent"}),
    ("persistent is fine", clean_vm(disks=[clean_disk(mode="persistent")]), None, set()),
    # The same VMDK file attached to a second VM of the vCenter, no sharing flag in the input.
    ("same vmdk on two VMs", [clean_vm(disks=[clean_disk(sharing=None, file_name="[ds1] rac/shared.vmdk")]),
                              clean_vm("vc-uuid/vm-101", name="rac02",
                                       disks=[clean_disk(sharing=None, file_name="[ds1] rac/shared.vmdk")])],
     None, {"disk.shared-vmdk-path"}),
    ("vmdk names alike, other folders", [clean_vm(disks=[clean_disk(sharing=None, file_name="[ds1] a/disk.vmdk")]),
                                         clean_vm("vc-uuid/vm-101", name="b",
                                                  disks=[clean_disk(sharing=None, file_name="[ds1] b/disk.vmdk")])],
     None, set()),
    ("multi-writer, no CBT", clean_vm(disks=[clean_disk(sharing="multi_writer")]), None, {"disk.shared-multiwriter"}),
    ("multi-writer with CBT", clean_vm(disks=[clean_disk(sharing="multi_writer")], cbt_enabled=True), None,
     {"disk.shared-multiwriter", "vm.cbt-multiwriter"}),
    ("CBT without multi-writer", clean_vm(cbt_enabled=True), None, set()),
    ("bus sharing physical", clean_vm(controllers=[Controller(key=1000, label="SCSI controller 0",
                                                              type="scsi_lsilogic_sas", bus_sharing="physical")]),
     None, {"disk.bus-sharing"}),
    ("bus sharing from disk only", clean_vm(controllers=[], disks=[clean_disk(controller_bus_sharing="virtual")]), None,
     {"disk.bus-sharing"}),
    ("thick eager", clean_vm(disks=[clean_disk(provisioning="thick_eager")]), None, {"disk.thick-eager-zeroed"}),
    ("thick lazy is fine", clean_vm(disks=[clean_disk(provisioning="thick_lazy")]), None, set()),
    ("nvme", clean_vm(controllers=[Controller(key=31000, label="NVME controller 0", type="nvme")],
                      disks=[clean_disk(controller_type="nvme", controller_bus_sharing=None)]), None,
     {"disk.nvme-controller"}),
    ("large storage", clean_vm(disks=[clean_disk(capacity_bytes=3 * TIB)]), None, {"vm.storage-large"}),
    ("1.5 TiB is fine", clean_vm(disks=[clean_disk(capacity_bytes=1536 * GIB)]), None, set()),
    # --- devices
    ("cdrom iso connected", clean_vm(cdroms=[RemovableDrive(label="CD/DVD drive 1", backing="iso",
                                                            backing_path="[ds1] iso/win.iso", connected=True,
                                                            start_connected=True)]), None,
     {"device.cdrom-connected"}),
    ("cdrom iso start-connected only", clean_vm(cdroms=[RemovableDrive(label="CD/DVD drive 1", backing="iso",
                                                                       connected=False, start_connected=True)]),
     None, {"device.cdrom-connected"}),
    ("cdrom iso disconnected", clean_vm(cdroms=[RemovableDrive(label="CD/DVD drive 1", backing="iso",
                                                               connected=False, start_connected=False)]), None, set()),
    ("cdrom client connected", clean_vm(cdroms=[RemovableDrive(label="CD/DVD drive 1", backing="client",
                                                               connected=True)]), None, {"device.cdrom-connected"}),
    # RVTools "Remote device" / "Remote ATAPI" not connected but "Starts Connected": blocks nothing.
    ("cdrom client starts connected only", clean_vm(cdroms=[RemovableDrive(label="CD/DVD drive 1", backing="remote",
                                                                           backing_path="Remote ATAPI",
                                                                           connected=False, start_connected=True)]),
     None, set()),
    ("cdrom host device start-connected", clean_vm(cdroms=[RemovableDrive(label="CD/DVD drive 1",
                                                                          backing="host_device", backing_path="ATAPI",
                                                                          connected=False, start_connected=True)]),
     None, {"device.cdrom-connected"}),
    ("floppy image", clean_vm(floppies=[RemovableDrive(label="Floppy drive 1", backing="image",
                                                       backing_path="[ds1] a.flp", connected=True)]), None,
     {"device.floppy-connected"}),
    ("usb", clean_vm(usb_devices=[UsbDevice(label="USB 1", backing_path="path:1/0/1", connected=True)]), None,
     {"device.usb"}),
    ("serial device", clean_vm(serial_ports=[PortDevice(label="Serial port 1", backing="device",
                                                        backing_path="/dev/char/serial/uart0")]), None,
     {"device.serial-port"}),
    ("serial network", clean_vm(serial_ports=[PortDevice(label="Serial port 1", backing="network",
                                                         backing_path="telnet://:7001")]), None,
     {"device.serial-port"}),
    ("serial file is fine", clean_vm(serial_ports=[PortDevice(label="Serial port 1", backing="file",
                                                              backing_path="[ds1] vm/serial.log")]), None, set()),
    ("parallel", clean_vm(parallel_ports=[PortDevice(label="Parallel port 1", backing="file")]), None,
     {"device.parallel-port"}),
    ("passthrough", clean_vm(passthrough_devices=[PassthroughDevice(label="PCI device 0", kind="vgpu",
                                                                    detail="grid_t4-4q")]), None,
     {"device.passthrough"}),
    # --- VM
    ("hw 8", clean_vm(hardware_version=8), None, {"vm.hw-version-old"}),
    ("hw 9 is fine", clean_vm(hardware_version=9), None, set()),
    ("snapshot old", clean_vm(snapshots=snapshots_of(10), snapshot_count=1), None, {"vm.snapshots"}),
    ("snapshot count only", clean_vm(snapshots=None, snapshot_count=2), None, {"vm.snapshots"}),
    ("fault tolerance", clean_vm(ft_state="primary"), None, {"vm.fault-tolerance"}),
    ("tools not running", clean_vm(tools_running=False, tools_status="not_running"), None, {"vm.tools-not-running"}),
    ("tools not running, powered off", clean_vm(power_state="powered_off", tools_running=False,
                                                tools_status="not_running", powered_off_since=days_ago(5)),
     None, set()),
    ("tools missing", clean_vm(tools_running=False, tools_status="not_installed", tools_version_status=None), None,
     {"vm.tools-missing"}),
    ("tools supported old", clean_vm(tools_version_status="supported_old"), None, {"vm.tools-outdated"}),
    ("tools unmanaged is fine", clean_vm(tools_version_status="unmanaged"), None, set()),
    ("consolidation needed", clean_vm(consolidation_needed=True), None, {"disk.consolidation-needed"}),
    ("oracle linux", clean_vm(guest_id_tools="oracleLinux8_64Guest", guest_full_name_tools="Oracle Linux 8 (64-bit)",
                              guest_id="oracleLinux8_64Guest", guest_full_name="Oracle Linux 8 (64-bit)"), None,
     {"vm.oracle-licensing"}),
    ("'Flora' is not Oracle", clean_vm(name="flora-web01"), None, set()),
    ("cpu exceeds node", clean_vm(num_cpu=160), None, {"vm.cpu-exceeds-node"}),
    ("cpu 128 fits", clean_vm(num_cpu=128), None, set()),
    ("memory exceeds node", clean_vm(memory_mib=2048 * 1024), None, {"vm.memory-exceeds-node"}),
    ("ipv6 global", clean_vm(ipv6_addresses=["2001:db8::10", "fe80::1"]), None, {"vm.ipv6"}),
    ("ipv6 link-local only", clean_vm(ipv6_addresses=["fe80::1%eth0"]), None, set()),
    ("suspended", clean_vm(power_state="suspended"), None, {"vm.suspended"}),
    ("latency high", clean_vm(latency_sensitivity="high"), None, {"vm.latency-sensitivity-high"}),
    ("vtpm", clean_vm(vtpm=True), None, {"vm.vtpm"}),
    ("encrypted", clean_vm(encrypted=True), None, {"vm.encrypted"}),
    ("powered off long", clean_vm(power_state="powered_off", powered_off_since=days_ago(200)), None,
     {"vm.powered-off-long"}),
    ("powered off 30 days", clean_vm(power_state="powered_off", powered_off_since=days_ago(30)), None, set()),
    # No power-off in vCenter's event history since a date: off at least that long.
    ("powered off before a long history", clean_vm(power_state="powered_off", powered_off_before=days_ago(200)),
     None, {"vm.powered-off-long"}),
    ("powered off before a short history", clean_vm(power_state="powered_off", powered_off_before=days_ago(30)),
     None, set()),
    ("template", clean_vm(template=True, power_state="powered_off"), None, {"vm.template"}),
    ("orphaned", clean_vm(connection_state="orphaned"), None, {"vm.orphaned-or-inaccessible"}),
    ("inaccessible", clean_vm(connection_state="inaccessible"), None, {"vm.orphaned-or-inaccessible"}),
    # --- guest OS (vCenter ids and RVTools free text; Tools-reported guest preferred)
    ("win2003 guest id", clean_vm(guest_id_tools=None, guest_full_name_tools=None, guest_id="winNetStandardGuest",
                                  guest_full_name=None), None,
     {"vm.guest-os-unsupported", "vm.guest-os-end-of-support"}),
    ("win2012 guest id", clean_vm(guest_id_tools="windows8Server64Guest", guest_full_name_tools=None), None,
     {"vm.guest-os-end-of-support"}),
    ("rhel6 guest id", clean_vm(guest_id_tools="rhel6_64Guest", guest_full_name_tools=None,
                                guest_id="rhel6_64Guest", guest_full_name=None), None,
     {"vm.guest-os-end-of-support"}),
    ("win2008 R2 text", clean_vm(guest_id_tools=None, guest_id=None,
                                 guest_full_name_tools="Microsoft Windows Server 2008 R2 (64-bit)"), None,
     {"vm.guest-os-end-of-support"}),
    ("centos 7 text", clean_vm(guest_id_tools=None, guest_id=None, guest_full_name_tools=None,
                               guest_full_name="CentOS 7 (64-bit)"), None, {"vm.guest-os-end-of-support"}),
    ("rhel 6 text", clean_vm(guest_id_tools=None, guest_id=None, guest_full_name_tools=None,
                             guest_full_name="Red Hat Enterprise Linux 6 (64-bit)"), None,
     {"vm.guest-os-end-of-support"}),
    ("tools guest preferred over stale config", clean_vm(guest_id="rhel6_64Guest", guest_full_name="Red Hat 6",
                                                         guest_id_tools="rhel9_64Guest",
                                                         guest_full_name_tools="Red Hat Enterprise Linux 9.2"),
     None, set()),
    ("ambiguous CentOS 4/5/6/7", clean_vm(guest_id_tools=None, guest_full_name_tools=None, guest_id="centos64Guest",
                                          guest_full_name="CentOS 4/5/6/7 (64-bit)"), None, set()),
    ("windows 2022 text", clean_vm(guest_id_tools=None, guest_id=None, guest_full_name_tools=None,
                                   guest_full_name="Microsoft Windows Server 2022 (64-bit)"), None, set()),
    ("ubuntu 20.04 from tools", clean_vm(guest_id_tools="ubuntu64Guest",
                                         guest_full_name_tools="Ubuntu 20.04.6 LTS"), None,
     {"vm.guest-os-end-of-support"}),
    # --- host
    ("AMD host", clean_vm(), clean_host(cpu_vendor="amd", cpu_model="AMD EPYC 7543"), {"host.cpu-vendor-amd"}),
    ("old ESXi", clean_vm(), clean_host(esxi_version="6.0.0"), {"host.esxi-old"}),
    ("ESXi 6.5 is fine", clean_vm(), clean_host(esxi_version="6.5.0"), set()),
    # --- network
    ("standard vSwitch", clean_vm(nics=[clean_nic(network="VM Network", network_kind=None)]), None,
     {"net.standard-vswitch"}),
    ("legacy nic", clean_vm(nics=[clean_nic(adapter_type="e1000")]), None, {"net.nic-legacy"}),
    ("vlance nic", clean_vm(nics=[clean_nic(adapter_type="vlance")]), None, {"net.nic-legacy"}),
    # --- annotation
    ("password in notes", clean_vm(annotation="Local admin password: Hunter2!x"), None,
     {"annotation.cleartext-secret"}),
    ("secret attribute", clean_vm(custom_attributes={"svc_pwd": "S3cret!"}), None, {"annotation.cleartext-secret"}),
    ("pass-through words are fine", clean_vm(annotation="pass-through NIC; password rotated monthly by vault"), None,
     set()),
]


@pytest.mark.parametrize(("name", "vm", "host", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule_cases(name, vm, host, expected):
    assert failing_ids(vm, host) == expected


# (case name, vCenter version, exact set of failing rule ids) for the rule about the vCenter itself.
VCENTER_CASES = [
    ("old vCenter", "6.0.0", {"vcenter.version-old"}),
    ("vCenter 6.5 is fine", "6.5.0", set()),
    ("vCenter 8 is fine", "8.0.3", set()),
]


@pytest.mark.parametrize(("name", "version", "expected"), VCENTER_CASES, ids=[c[0] for c in VCENTER_CASES])
def test_vcenter_cases(name, version, expected):
    assert failing_ids(clean_vm(), vcenter_version=version) == expected


def test_every_rule_has_a_triggering_case():
    triggered = set().union(*(c[3] for c in CASES), *(c[2] for c in VCENTER_CASES))
    assert triggered == {spec.id for spec in load_catalogue().specs()}


def test_issue_catalogue_ids_all_exist():
    wanted = """disk.rdm-physical disk.rdm-virtual disk.independent disk.shared-multiwriter disk.bus-sharing
    disk.thick-eager-zeroed disk.nvme-controller vm.storage-large device.cdrom-connected device.floppy-connected
    device.usb device.serial-port device.parallel-port device.passthrough vm.hw-version-old vm.snapshots
    vm.fault-tolerance vm.tools-not-running vm.tools-missing vm.guest-os-unsupported vm.guest-os-end-of-support
    vm.cpu-exceeds-node vm.memory-exceeds-node vm.ipv6 vm.suspended vm.latency-sensitivity-high vm.vtpm
    vm.encrypted vm.cbt-multiwriter vm.powered-off-long vm.template vm.orphaned-or-inaccessible
    host.cpu-vendor-amd host.esxi-old net.standard-vswitch net.nic-legacy annotation.cleartext-secret""".split()
    registry = load_catalogue()
    assert [w for w in wanted if w not in registry] == []


def test_unknown_data_gives_unknown_never_a_silent_pass():
    estate = estate_of(unknown_vm())
    estate.vcenters[0].version = None
    assessment = analyze(estate, as_of=AS_OF_DATE)
    fails = {f.rule_id for f in assessment.findings if f.status == "fail"}
    unknowns = {f.rule_id for f in assessment.findings if f.status == "unknown"}
    unknowns |= {t.rule_id for t in assessment.site_tasks if t.status == "unknown"}
    assert fails == set() and not any(t.status == "fail" for t in assessment.site_tasks)
    assert unknowns == {spec.id for spec in load_catalogue().specs()}
    outcome = assessment.vms[0]
    assert outcome.readiness == {"avs": "unknown", "vmc": "unknown"}


def test_missing_host_is_unknown_for_host_rules():
    vm = clean_vm(host="not-in-inventory")
    assessment = analyze(estate_of(vm), as_of=AS_OF_DATE)
    assert {f.rule_id for f in assessment.findings if f.status == "unknown"} == {"host.cpu-vendor-amd"}
    # The ESXi version check is a site prerequisite: one task to verify, for that host.
    (task,) = assessment.site_tasks
    assert (task.rule_id, task.status, task.object) == ("host.esxi-old", "unknown", "not-in-inventory")


def test_secret_is_masked_in_evidence():
    vm = clean_vm(annotation="root password: Hunter2!x", custom_attributes={"db_password": "Zq9-very-secret"})
    assessment = analyze(estate_of(vm), as_of=AS_OF_DATE)
    findings = [f for f in assessment.findings if f.rule_id == "annotation.cleartext-secret"]
    assert len(findings) == 4  # two places x two targets
    text = repr([(f.message, f.evidence) for f in findings])
    assert "Hunter2" not in text and "Zq9" not in text
    assert "password=********" in text


def test_hw_version_blocks_only_methods_below_their_minimum():
    assessment = analyze(estate_of(clean_vm(hardware_version=8)), as_of=AS_OF_DATE, targets=["avs"])
    (finding,) = [f for f in assessment.findings if f.rule_id == "vm.hw-version-old"]
    assert finding.methods == {"hcx_cold": "blocks", "hcx_rav": "blocks", "hcx_vmotion": "blocks"}
    assert finding.evidence["hardware_version"] == 8


def test_evidence_names_the_disk():
    vm = clean_vm(disks=[clean_disk(), clean_disk(key=2001, label="Hard disk 2", backing="rdm_physical")])
    assessment = analyze(estate_of(vm), as_of=AS_OF_DATE, targets=["vmc"])
    (finding,) = [f for f in assessment.findings if f.rule_id == "disk.rdm-physical"]
    assert finding.evidence["disk"] == "Hard disk 2"
    assert finding.target == "vmc"


def test_end_of_support_depends_on_as_of():
    vm = clean_vm(guest_id_tools="windows9Server64Guest", guest_full_name_tools=None)
    assert failing_ids(vm) == set()
    later = analyze(estate_of(vm), as_of=dt.date(2027, 2, 1))
    assert {f.rule_id for f in later.findings if f.status == "fail"} == {"vm.guest-os-end-of-support"}


def test_memory_rule_is_per_target():
    # 1,200 GiB fits an AV52 (1,536 GiB) but no VMC host type (1,024 GiB).
    vm = clean_vm(memory_mib=1200 * 1024)
    assessment = analyze(estate_of(vm), as_of=AS_OF_DATE)
    hits = {(f.rule_id, f.target) for f in assessment.findings if f.status == "fail"}
    assert hits == {("vm.memory-exceeds-node", "vmc")}
    assert assessment.vms[0].readiness == {"avs": "ready", "vmc": "not_ready"}


def test_registry_refuses_duplicate_ids():
    from scanner.rules import DuplicateRuleError, Registry, rule

    registry = Registry()
    kwargs = dict(id="vm.example", title="t", severity="info", remediation="r", rationale="r",
                  references=("https://example.com",), registry=registry)
    rule(**kwargs)(lambda ctx: iter(()))
    with pytest.raises(DuplicateRuleError, match=r"vm\.example"):
        rule(**kwargs)(lambda ctx: iter(()))


def test_registry_refuses_malformed_metadata():
    from scanner.rules import Registry, rule
    from scanner.rules.base import InvalidRuleError

    with pytest.raises(InvalidRuleError, match="severity"):
        rule(id="vm.bad", title="t", severity="fatal", remediation="r", rationale="r",
             references=("https://example.com",), registry=Registry())(lambda ctx: iter(()))


def test_importing_scanner_rules_registers_nothing_by_itself():
    import subprocess
    import sys

    code = ("import scanner.rules as r; n = len(r.REGISTRY); r.load_catalogue(); "
            "print(n, len(r.REGISTRY))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "0" and int(out[1]) >= 37


def test_rule_metadata_is_complete():
    for spec in load_catalogue().specs():
        assert spec.references and all(r.startswith("https://") for r in spec.references), spec.id
        assert len(spec.remediation) > 30 and len(spec.rationale) > 30, spec.id


def test_clean_vm_factory_really_is_clean_for_all_power_states():
    off = dataclasses.replace(clean_vm(), power_state="powered_off", powered_off_since=days_ago(1))
    assert failing_ids(off) == set()


def test_power_off_older_than_a_short_event_history_is_unknown_not_pass():
    vm = clean_vm(power_state="powered_off", powered_off_before=days_ago(30))
    findings = [f for f in analyze(estate_of(vm), as_of=AS_OF_DATE).findings if f.rule_id == "vm.powered-off-long"]
    assert findings and {f.status for f in findings} == {"unknown"}
    for finding in findings:
        assert finding.evidence["missing"] == "powered_off_since"
        assert finding.evidence["powered_off_before"] == vm.powered_off_before


def test_power_off_older_than_a_long_event_history_says_so():
    vm = clean_vm(power_state="powered_off", powered_off_before=days_ago(200))
    findings = [f for f in analyze(estate_of(vm), as_of=AS_OF_DATE).findings if f.rule_id == "vm.powered-off-long"]
    assert findings and {f.status for f in findings} == {"fail"}
    for finding in findings:
        assert "since before 2026-05-09" in finding.message and "at least 200 days" in finding.message
        assert finding.evidence["days_at_least"] == 200


def test_exact_power_off_date_wins_over_the_history_bound():
    vm = clean_vm(power_state="powered_off", powered_off_since=days_ago(10), powered_off_before=days_ago(200))
    assert "vm.powered-off-long" not in failing_ids(vm)


@pytest.mark.parametrize("backing", ["rdm_physical", "rdm_virtual"])
def test_raw_device_mapping_has_no_vmdk_format_to_check(backing):
    # A LUN has no thin/thick format (readers leave provisioning None): neither a fail nor an unknown.
    rdm = clean_disk(key=2001, label="Hard disk 2", backing=backing, provisioning=None)
    eager = clean_disk(key=2002, label="Hard disk 3", provisioning="thick_eager", file_name="[ds1] vm/vm_2.vmdk")
    assessment = analyze(estate_of(clean_vm(disks=[clean_disk(), rdm, eager])), as_of=AS_OF_DATE, targets=["avs"])
    results = [(f.status, f.evidence.get("disk")) for f in assessment.findings
               if f.rule_id == "disk.thick-eager-zeroed"]
    assert results == [("fail", "Hard disk 3")]
    lazy = analyze(estate_of(clean_vm(disks=[clean_disk(provisioning=None)])), as_of=AS_OF_DATE, targets=["avs"])
    assert [f.status for f in lazy.findings if f.rule_id == "disk.thick-eager-zeroed"] == ["unknown"]
