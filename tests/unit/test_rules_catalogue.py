"""Every rule: VMs that must trigger it and near-miss VMs that must not, asserting every rule's outcome.

A rule's outcome on a VM is "fail" (a finding), "unknown" (an unknown finding: the data it needs
is missing) or "pass" (no finding). Each case states the outcome of every rule in the catalogue,
so a rule that wrongly answers "unknown" on a benign VM fails the case just as a false "fail" does.
"""

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
    UsbController,
    UsbDevice,
)
from scanner.policy import Policy, build_policy, load_default_data
from scanner.rules import load_catalogue
from tests.factories import AS_OF, GIB, TIB, clean_disk, clean_host, clean_nic, clean_vm, estate_of, unknown_vm

AS_OF_DATE = dt.date.fromisoformat(AS_OF)
RULE_IDS = sorted(spec.id for spec in load_catalogue().specs())


def days_ago(days: int) -> str:
    return (dt.datetime(2026, 11, 25, 12, tzinfo=dt.UTC) - dt.timedelta(days=days)).isoformat()


def rule_outcomes(vm, host: Host | None = None, vcenter_version: str | None = None, **kwargs) -> dict[str, str]:
    """Outcome of every catalogue rule on ``vm`` over all targets: fail beats unknown beats pass.

    A list is a VM with its neighbours in the same vCenter; the first one is judged. Site rules
    report once per object (site_tasks), not per VM; they are rules all the same."""
    vms = vm if isinstance(vm, list) else [vm]
    estate = estate_of(*vms, host=host)
    if vcenter_version is not None:
        estate.vcenters[0].version = vcenter_version
    assessment = analyze(estate, as_of=AS_OF_DATE, **kwargs)
    statuses: dict[str, set[str]] = {rule_id: set() for rule_id in RULE_IDS}
    for finding in assessment.findings:
        if finding.vm_id == vms[0].id:
            statuses[finding.rule_id].add(finding.status)
    for task in assessment.site_tasks:
        if vms[0].id in task.vm_ids:
            statuses[task.rule_id].add(task.status)
    return {rule_id: "fail" if "fail" in found else "unknown" if "unknown" in found else "pass"
            for rule_id, found in statuses.items()}


def expected_outcomes(expected: set[str] | dict[str, str]) -> dict[str, str]:
    """A set names the rules that fail; a dict gives other outcomes. Every other rule must pass."""
    named = dict.fromkeys(expected, "fail") if isinstance(expected, set) else expected
    return {rule_id: named.get(rule_id, "pass") for rule_id in RULE_IDS}


def snapshots_of(*ages: int) -> list[Snapshot]:
    return [Snapshot(name=f"snap{i}", created=days_ago(age)) for i, age in enumerate(ages)]


def policy_with(**thresholds: object) -> Policy:
    """The defaults with these [rules.thresholds], merged the way a --policy file is."""
    return build_policy(load_default_data(), {"rules": {"thresholds": thresholds}}, "near-miss.toml")


# (case name, VM, host or None, rules that fail: a set, or a dict of rule -> outcome); every other rule passes
CASES = [
    ("clean", clean_vm(), None, set()),
    # --- disks
    ("rdm physical", clean_vm(disks=[clean_disk(backing="rdm_physical", lun_uuid="naa.600")]), None,
     {"disk.rdm-physical"}),
    ("rdm virtual", clean_vm(disks=[clean_disk(backing="rdm_virtual")]), None, {"disk.rdm-virtual"}),
    ("independent", clean_vm(disks=[clean_disk(mode="independent_persistent")]), None, {"disk.independent"}),
    ("independent nonpersistent", clean_vm(disks=[clean_disk(mode="independent_nonpersistent")]), None,
     {"disk.independent"}),
    # The legacy "nonpersistent" mode discards writes like independent-nonpersistent does.
    ("nonpersistent", clean_vm(disks=[clean_disk(mode="nonpersistent")]), None, {"disk.independent"}),
    # The same VMDK file attached to a second VM of the vCenter, no sharing flag in the input.
    ("same vmdk on two VMs", [clean_vm(disks=[clean_disk(sharing=None, file_name="[ds1] rac/shared.vmdk")]),
                              clean_vm("vc-uuid/vm-101", name="rac02",
                                       disks=[clean_disk(sharing=None, file_name="[ds1] rac/shared.vmdk")])],
     None, {"disk.shared-vmdk-path": "fail", "disk.shared-multiwriter": "unknown"}),
    ("multi-writer, no CBT", clean_vm(disks=[clean_disk(sharing="multi_writer")]), None, {"disk.shared-multiwriter"}),
    ("multi-writer with CBT", clean_vm(disks=[clean_disk(sharing="multi_writer")], cbt_enabled=True), None,
     {"disk.shared-multiwriter", "vm.cbt-multiwriter"}),
    ("bus sharing physical", clean_vm(controllers=[Controller(key=1000, label="SCSI controller 0",
                                                              type="scsi_lsilogic_sas", bus_sharing="physical")]),
     None, {"disk.bus-sharing"}),
    ("bus sharing from disk only", clean_vm(controllers=[], disks=[clean_disk(controller_bus_sharing="virtual")]), None,
     {"disk.bus-sharing"}),
    ("thick eager", clean_vm(disks=[clean_disk(provisioning="thick_eager")]), None, {"disk.thick-eager-zeroed"}),
    ("nvme", clean_vm(controllers=[Controller(key=31000, label="NVME controller 0", type="nvme")],
                      disks=[clean_disk(controller_type="nvme", controller_bus_sharing=None)]), None,
     {"disk.nvme-controller"}),
    ("large storage", clean_vm(disks=[clean_disk(capacity_bytes=3 * TIB)]), None, {"vm.storage-large"}),
    # --- devices
    ("cdrom iso connected", clean_vm(cdroms=[RemovableDrive(label="CD/DVD drive 1", backing="iso",
                                                            backing_path="[ds1] iso/win.iso", connected=True,
                                                            start_connected=True)]), None,
     {"device.cdrom-connected"}),
    ("cdrom iso start-connected only", clean_vm(cdroms=[RemovableDrive(label="CD/DVD drive 1", backing="iso",
                                                                       connected=False, start_connected=True)]),
     None, {"device.cdrom-connected"}),
    ("cdrom client connected", clean_vm(cdroms=[RemovableDrive(label="CD/DVD drive 1", backing="client",
                                                               connected=True)]), None, {"device.cdrom-connected"}),
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
    ("parallel", clean_vm(parallel_ports=[PortDevice(label="Parallel port 1", backing="file")]), None,
     {"device.parallel-port"}),
    ("passthrough", clean_vm(passthrough_devices=[PassthroughDevice(label="PCI device 0", kind="vgpu",
                                                                    detail="grid_t4-4q")]), None,
     {"device.passthrough"}),
    # --- VM
    ("hw 8", clean_vm(hardware_version=8), None, {"vm.hw-version-old"}),
    ("snapshot old", clean_vm(snapshots=snapshots_of(10), snapshot_count=1), None, {"vm.snapshots"}),
    ("snapshot count only", clean_vm(snapshots=None, snapshot_count=2), None, {"vm.snapshots"}),
    # vCenter's runtime.faultToleranceState values, as the collector and the RVTools reader map them.
    ("fault tolerance running", clean_vm(ft_state="running"), None, {"vm.fault-tolerance"}),
    ("fault tolerance needs secondary", clean_vm(ft_state="needs_secondary"), None, {"vm.fault-tolerance"}),
    ("tools not running", clean_vm(tools_running=False, tools_status="not_running"), None, {"vm.tools-not-running"}),
    ("tools missing", clean_vm(tools_running=False, tools_status="not_installed", tools_version_status=None), None,
     {"vm.tools-missing"}),
    ("tools supported old", clean_vm(tools_version_status="supported_old"), None, {"vm.tools-outdated"}),
    ("consolidation needed", clean_vm(consolidation_needed=True), None, {"disk.consolidation-needed"}),
    ("oracle linux", clean_vm(guest_id_tools="oracleLinux8_64Guest", guest_full_name_tools="Oracle Linux 8 (64-bit)",
                              guest_id="oracleLinux8_64Guest", guest_full_name="Oracle Linux 8 (64-bit)"), None,
     {"vm.oracle-licensing"}),
    ("cpu exceeds node", clean_vm(num_cpu=160), None, {"vm.cpu-exceeds-node"}),
    ("memory exceeds node", clean_vm(memory_mib=2048 * 1024), None, {"vm.memory-exceeds-node"}),
    ("ipv6 global", clean_vm(ipv6_addresses=["2001:db8::10", "fe80::1"]), None, {"vm.ipv6"}),
    ("suspended", clean_vm(power_state="suspended"), None, {"vm.suspended"}),
    ("latency high", clean_vm(latency_sensitivity="high"), None, {"vm.latency-sensitivity-high"}),
    ("vtpm", clean_vm(vtpm=True), None, {"vm.vtpm"}),
    ("encrypted", clean_vm(encrypted=True), None, {"vm.encrypted"}),
    ("powered off long", clean_vm(power_state="powered_off", powered_off_since=days_ago(200)), None,
     {"vm.powered-off-long"}),
    # No power-off in vCenter's event history since a date: off at least that long.
    ("powered off before a long history", clean_vm(power_state="powered_off", powered_off_before=days_ago(200)),
     None, {"vm.powered-off-long"}),
    ("powered off before a short history", clean_vm(power_state="powered_off", powered_off_before=days_ago(30)),
     None, {"vm.powered-off-long": "unknown"}),
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
    # Which CentOS is not known: supported as a family, its end of support unknown.
    ("ambiguous CentOS 4/5/6/7", clean_vm(guest_id_tools=None, guest_full_name_tools=None, guest_id="centos64Guest",
                                          guest_full_name="CentOS 4/5/6/7 (64-bit)"), None,
     {"vm.guest-os-end-of-support": "unknown"}),
    ("ubuntu 20.04 from tools", clean_vm(guest_id_tools="ubuntu64Guest",
                                         guest_full_name_tools="Ubuntu 20.04.6 LTS"), None,
     {"vm.guest-os-end-of-support"}),
    # --- host
    ("AMD host", clean_vm(), clean_host(cpu_vendor="amd", cpu_model="AMD EPYC 7543"), {"host.cpu-vendor-amd"}),
    ("old ESXi", clean_vm(), clean_host(esxi_version="6.0.0"), {"host.esxi-old"}),
    # --- network
    ("standard vSwitch", clean_vm(nics=[clean_nic(network="VM Network", network_kind=None)]), None,
     {"net.standard-vswitch"}),
    ("legacy nic", clean_vm(nics=[clean_nic(adapter_type="e1000")]), None, {"net.nic-legacy"}),
    ("vlance nic", clean_vm(nics=[clean_nic(adapter_type="vlance")]), None, {"net.nic-legacy"}),
    ("pcnet32 nic", clean_vm(nics=[clean_nic(adapter_type="pcnet32")]), None, {"net.nic-legacy"}),
    ("vmxnet nic", clean_vm(nics=[clean_nic(adapter_type="vmxnet")]), None, {"net.nic-legacy"}),
    ("vmxnet2 nic", clean_vm(nics=[clean_nic(adapter_type="vmxnet2")]), None, {"net.nic-legacy"}),
    # --- annotation
    ("password in notes", clean_vm(annotation="Local admin password: Hunter2!x"), None,
     {"annotation.cleartext-secret"}),
    ("secret attribute", clean_vm(custom_attributes={"svc_pwd": "S3cret!"}), None, {"annotation.cleartext-secret"}),
]

# Near misses: for each rule, VMs as close to triggering it as a benign VM gets (the feature present
# but harmless, or just inside the threshold). Every rule must pass on them, not merely "not fail".
# (rule the VM nearly triggers, case name, VM, host or None, policy or None)
NEAR_MISSES = [
    # --- disks
    ("disk.rdm-physical", "flat disk on the same LUN-backed datastore", clean_vm(disks=[clean_disk(
        backing="flat", lun_uuid=None, datastore="fc-lun-07", file_name="[fc-lun-07] app01/app01.vmdk")]), None, None),
    ("disk.rdm-virtual", "two flat disks, one on another datastore", clean_vm(disks=[
        clean_disk(), clean_disk(key=2001, label="Hard disk 2", datastore="nfs-ds", unit_number=1)]), None, None),
    ("disk.independent", "persistent mode", clean_vm(disks=[clean_disk(mode="persistent")]), None, None),
    ("disk.shared-vmdk-path", "VMDK names alike in other folders", [
        clean_vm(disks=[clean_disk(sharing="none", file_name="[ds1] a/disk.vmdk")]),
        clean_vm("vc-uuid/vm-101", name="b", disks=[clean_disk(sharing="none", file_name="[ds1] b/disk.vmdk")])],
     None, None),
    ("disk.consolidation-needed", "consolidation not needed after a snapshot was removed",
     clean_vm(consolidation_needed=False, snapshots=[], snapshot_count=0), None, None),
    ("disk.shared-multiwriter", "sharing explicitly none on every disk", clean_vm(disks=[
        clean_disk(sharing="none"), clean_disk(key=2001, label="Hard disk 2", sharing="none", unit_number=1)]),
     None, None),
    ("disk.bus-sharing", "no controller list, disks say no bus sharing",
     clean_vm(controllers=[], disks=[clean_disk(controller_bus_sharing="none")]), None, None),
    ("disk.bus-sharing", "SATA controller beside a SCSI one without bus sharing", clean_vm(controllers=[
        Controller(key=1000, label="SCSI controller 0", type="scsi_pvscsi", bus_sharing="none", bus_number=0),
        Controller(key=15000, label="SATA controller 0", type="sata", bus_sharing=None, bus_number=0)]),
     None, None),
    ("disk.thick-eager-zeroed", "thick lazy zeroed", clean_vm(disks=[clean_disk(provisioning="thick_lazy")]),
     None, None),
    ("disk.nvme-controller", "SATA and SCSI controllers, no NVMe", clean_vm(controllers=[
        Controller(key=1000, label="SCSI controller 0", type="scsi_pvscsi", bus_sharing="none", bus_number=0),
        Controller(key=15000, label="SATA controller 0", type="sata", bus_number=0)]), None, None),
    ("vm.storage-large", "1.5 TiB", clean_vm(disks=[clean_disk(capacity_bytes=1536 * GIB)]), None, None),
    ("vm.storage-large", "exactly the 2 TiB threshold", clean_vm(disks=[clean_disk(capacity_bytes=2 * TIB)]),
     None, None),
    # --- devices
    ("device.cdrom-connected", "ISO configured but disconnected", clean_vm(cdroms=[RemovableDrive(
        label="CD/DVD drive 1", backing="iso", backing_path="[ds1] iso/win.iso", connected=False,
        start_connected=False)]), None, None),
    # RVTools "Remote device" / "Remote ATAPI" not connected but "Starts Connected": blocks nothing.
    ("device.cdrom-connected", "client device that starts connected only", clean_vm(cdroms=[RemovableDrive(
        label="CD/DVD drive 1", backing="remote", backing_path="Remote ATAPI", connected=False,
        start_connected=True)]), None, None),
    ("device.floppy-connected", "floppy image configured but disconnected", clean_vm(floppies=[RemovableDrive(
        label="Floppy drive 1", backing="image", backing_path="[ds1] a.flp", connected=False,
        start_connected=False)]), None, None),
    ("device.floppy-connected", "client floppy drive, not connected, starts connected", clean_vm(floppies=[
        RemovableDrive(label="Floppy drive 1", backing="client", connected=False, start_connected=True)]),
     None, None),
    ("device.usb", "USB controller without a USB device",
     clean_vm(usb_controllers=[UsbController(key=7000, label="USB xHCI controller", type="usb3")], usb_devices=[]),
     None, None),
    ("device.serial-port", "serial port writing to a file", clean_vm(serial_ports=[PortDevice(
        label="Serial port 1", backing="file", backing_path="[ds1] vm/serial.log")]), None, None),
    ("device.parallel-port", "a serial port to a file, no parallel port", clean_vm(serial_ports=[PortDevice(
        label="Serial port 1", backing="file", backing_path="[ds1] vm/serial.log")], parallel_ports=[]), None, None),
    ("device.passthrough", "USB controller, no passthrough device",
     clean_vm(usb_controllers=[UsbController(key=7000, label="USB controller", type="usb2")],
              passthrough_devices=[]), None, None),
    # --- VM
    ("vm.hw-version-old", "hardware 9, every method's minimum", clean_vm(hardware_version=9), None, None),
    ("vm.snapshots", "one day-old snapshot under a policy allowing one for 3 days",
     clean_vm(snapshots=snapshots_of(1), snapshot_count=1), None,
     {"snapshot_max_count": 1, "snapshot_max_age_days": 3}),
    ("vm.snapshots", "two snapshots exactly at both thresholds",
     clean_vm(snapshots=snapshots_of(3, 2), snapshot_count=2), None,
     {"snapshot_max_count": 2, "snapshot_max_age_days": 3}),
    ("vm.fault-tolerance", "fault tolerance not configured", clean_vm(ft_state="not_configured"), None, None),
    ("vm.tools-not-running", "Tools not running on a powered-off VM", clean_vm(
        power_state="powered_off", tools_running=False, tools_status="not_running", powered_off_since=days_ago(5)),
     None, None),
    ("vm.tools-outdated", "Tools managed by the guest OS (open-vm-tools)",
     clean_vm(tools_version_status="unmanaged"), None, None),
    ("vm.oracle-licensing", "'Flora' in the name is not Oracle", clean_vm(name="flora-web01"), None, None),
    ("vm.tools-missing", "Tools installed but out of date", clean_vm(tools_status="old", tools_running=True), None,
     None),
    ("vm.cpu-exceeds-node", "128 vCPUs, the largest node's threads", clean_vm(num_cpu=128), None, None),
    ("vm.memory-exceeds-node", "1,024 GiB, the largest VMC node's memory", clean_vm(memory_mib=1024 * 1024),
     None, None),
    ("vm.ipv6", "link-local IPv6 only", clean_vm(ipv6_addresses=["fe80::1%eth0", "fe80::250:56ff:feaa:bbcc"]),
     None, None),
    ("vm.suspended", "powered off a few days ago", clean_vm(power_state="powered_off", powered_off_since=days_ago(5)),
     None, None),
    ("vm.latency-sensitivity-high", "latency sensitivity medium", clean_vm(latency_sensitivity="medium"), None,
     None),
    ("vm.latency-sensitivity-high", "latency sensitivity low", clean_vm(latency_sensitivity="low"), None, None),
    ("vm.vtpm", "EFI with secure boot, no vTPM", clean_vm(firmware="efi", secure_boot=True, vtpm=False), None, None),
    ("vm.encrypted", "secure boot, not encrypted", clean_vm(secure_boot=True, encrypted=False), None, None),
    ("vm.cbt-multiwriter", "CBT without multi-writer", clean_vm(cbt_enabled=True), None, None),
    ("vm.powered-off-long", "powered off 30 days", clean_vm(power_state="powered_off", powered_off_since=days_ago(30)),
     None, None),
    ("vm.powered-off-long", "powered off exactly the 90-day threshold",
     clean_vm(power_state="powered_off", powered_off_since=days_ago(90)), None, None),
    ("vm.template", "powered-off VM that is not a template",
     clean_vm(template=False, power_state="powered_off", powered_off_since=days_ago(2)), None, None),
    # A VM on a disconnected host is not itself orphaned or inaccessible.
    ("vm.orphaned-or-inaccessible", "connection state disconnected", clean_vm(connection_state="disconnected"),
     None, None),
    # --- guest OS
    ("vm.guest-os-unsupported", "Windows Server 2022 as text", clean_vm(
        guest_id_tools=None, guest_id=None, guest_full_name_tools=None,
        guest_full_name="Microsoft Windows Server 2022 (64-bit)"), None, None),
    ("vm.guest-os-end-of-support", "Tools guest preferred over a stale configured one", clean_vm(
        guest_id="rhel6_64Guest", guest_full_name="Red Hat 6", guest_id_tools="rhel9_64Guest",
        guest_full_name_tools="Red Hat Enterprise Linux 9.2"), None, None),
    # --- host
    ("host.cpu-vendor-amd", "Intel host, vendor spelled as RVTools does", clean_vm(),
     clean_host(cpu_vendor="Intel", cpu_model="Intel(R) Xeon(R) Gold 6240 CPU @ 2.60GHz"), None),
    ("host.esxi-old", "ESXi 6.5, the oldest supported source", clean_vm(), clean_host(esxi_version="6.5.0"), None),
    # --- network
    ("net.standard-vswitch", "switch type from the inventory: distributed",
     clean_vm(nics=[clean_nic(network="App-VLAN100", network_kind=None)]), None, None),
    ("net.standard-vswitch", "NSX segment (opaque network)",
     clean_vm(nics=[clean_nic(network="seg-app", network_kind="opaque")]), None, None),
    ("net.nic-legacy", "e1000e adapter", clean_vm(nics=[clean_nic(adapter_type="e1000e")]), None, None),
    # --- annotation
    ("annotation.cleartext-secret", "password mentioned without a value",
     clean_vm(annotation="pass-through NIC; password rotated monthly by vault"), None, None),
]


@pytest.mark.parametrize(("name", "vm", "host", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rule_cases(name, vm, host, expected):
    assert rule_outcomes(vm, host) == expected_outcomes(expected)


@pytest.mark.parametrize(("rule_id", "name", "vm", "host", "thresholds"), NEAR_MISSES,
                         ids=[f"{c[0]}: {c[1]}" for c in NEAR_MISSES])
def test_near_miss_passes_every_rule(rule_id, name, vm, host, thresholds):
    policy = policy_with(**thresholds) if thresholds else None
    outcomes = rule_outcomes(vm, host, **({"policy": policy} if policy else {}))
    assert outcomes[rule_id] == "pass"
    assert outcomes == expected_outcomes(set())


# (case name, vCenter version, rules that fail) for the rule about the vCenter itself.
VCENTER_CASES = [
    ("old vCenter", "6.0.0", {"vcenter.version-old"}),
]
# Near misses for it: (rule, case name, vCenter version).
VCENTER_NEAR_MISSES = [
    ("vcenter.version-old", "vCenter 6.5, the oldest supported", "6.5.0"),
    ("vcenter.version-old", "vCenter 8", "8.0.3"),
]


@pytest.mark.parametrize(("name", "version", "expected"), VCENTER_CASES, ids=[c[0] for c in VCENTER_CASES])
def test_vcenter_cases(name, version, expected):
    assert rule_outcomes(clean_vm(), vcenter_version=version) == expected_outcomes(expected)


@pytest.mark.parametrize(("rule_id", "name", "version"), VCENTER_NEAR_MISSES, ids=[c[1] for c in VCENTER_NEAR_MISSES])
def test_vcenter_near_miss_passes_every_rule(rule_id, name, version):
    assert rule_outcomes(clean_vm(), vcenter_version=version) == expected_outcomes(set())


def test_every_rule_has_a_triggering_case():
    triggered = {rule_id for case in [*CASES, *((c[0], None, None, c[2]) for c in VCENTER_CASES)]
                 for rule_id, outcome in expected_outcomes(case[3]).items() if outcome == "fail"}
    assert triggered == set(RULE_IDS)


def test_every_rule_has_a_near_miss_that_passes():
    """A rule added to the catalogue must come with a benign VM it must not flag (see NEAR_MISSES)."""
    covered = {case[0] for case in NEAR_MISSES} | {case[0] for case in VCENTER_NEAR_MISSES}
    assert sorted(set(RULE_IDS) - covered) == []
    assert sorted(covered - set(RULE_IDS)) == []


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
    # Two places, each one finding for both targets.
    assert [f.targets for f in findings] == [["avs", "vmc"], ["avs", "vmc"]]
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
    assert finding.targets == ["vmc"]


def test_end_of_support_depends_on_as_of():
    vm = clean_vm(guest_id_tools="windows9Server64Guest", guest_full_name_tools=None)
    assert rule_outcomes(vm) == expected_outcomes(set())
    later = analyze(estate_of(vm), as_of=dt.date(2027, 2, 1))
    assert {f.rule_id for f in later.findings if f.status == "fail"} == {"vm.guest-os-end-of-support"}


def test_memory_rule_is_per_target():
    # 1,200 GiB fits an AV52 (1,536 GiB) but no VMC host type (1,024 GiB).
    vm = clean_vm(memory_mib=1200 * 1024)
    assessment = analyze(estate_of(vm), as_of=AS_OF_DATE)
    hits = {(f.rule_id, t) for f in assessment.findings if f.status == "fail" for t in f.targets}
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
    assert rule_outcomes(off) == expected_outcomes(set())


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
    assert rule_outcomes(vm)["vm.powered-off-long"] == "pass"


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


def test_vms_of_equal_large_storage_share_one_result_and_each_analysis_reads_its_threshold():
    big = [clean_vm(f"vc-uuid/vm-{n}", name=f"app{n}", disks=[clean_disk(capacity_bytes=3 * TIB)]) for n in range(2)]
    other = clean_vm("vc-uuid/vm-9", name="app9", disks=[clean_disk(capacity_bytes=5 * TIB)])

    def large(policy: Policy | None) -> list[tuple[str, str, dict]]:
        found = [f for f in analyze(estate_of(*big, other), as_of=AS_OF_DATE, policy=policy).findings
                 if f.rule_id == "vm.storage-large"]
        # The two 3 TiB VMs share one result (message and evidence objects); the 5 TiB one has its own.
        assert found[0].evidence is found[1].evidence and found[2].evidence is not found[0].evidence
        return [(f.vm_id, f.message, f.evidence) for f in found]

    assert large(None) == [
        ("vc-uuid/vm-0", "3.00 TiB provisioned (threshold 2.0 TiB)", {"provisioned_gib": 3072.0, "threshold_tib": 2.0}),
        ("vc-uuid/vm-1", "3.00 TiB provisioned (threshold 2.0 TiB)", {"provisioned_gib": 3072.0, "threshold_tib": 2.0}),
        ("vc-uuid/vm-9", "5.00 TiB provisioned (threshold 2.0 TiB)", {"provisioned_gib": 5120.0, "threshold_tib": 2.0})]
    # Another analysis with another threshold: its own results, not the first analysis' ones.
    assert [message for _, message, _ in large(policy_with(vm_storage_large_tib=2.5))] == [
        "3.00 TiB provisioned (threshold 2.5 TiB)", "3.00 TiB provisioned (threshold 2.5 TiB)",
        "5.00 TiB provisioned (threshold 2.5 TiB)"]
