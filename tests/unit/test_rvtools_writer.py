"""vmscan export --format rvtools: snapshot -> RVTools workbook -> import gives the same estate."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.io import load_estate
from scanner.rvtools.reader import read_rvtools
from scanner.rvtools.writer import write_rvtools
from scanner.textsafety import safe_value
from tests.unit.rvtools_helpers import kubev2v_path, variant_sheets, write_workbook

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-estate.json.gz"

VM_FIELDS = (
    "id", "name", "vcenter", "moref", "instance_uuid", "bios_uuid", "datacenter", "cluster", "host",
    "resource_pool", "power_state", "template", "num_cpu", "cores_per_socket", "memory_mib",
    "cpu_reservation_mhz", "cpu_limit_mhz", "memory_reservation_mib", "memory_limit_mib", "hardware_version",
    "firmware", "secure_boot", "guest_full_name", "guest_full_name_tools", "tools_status", "tools_version",
    "cpu_hot_add", "memory_hot_add", "cbt_enabled", "ft_state", "latency_sensitivity", "snapshot_count",
    "cpu_usage_mhz", "memory_consumed_mib", "memory_active_mib", "annotation", "hostname", "ipv4_addresses",
)
DISK_FIELDS = ("label", "capacity_bytes", "provisioning", "mode", "sharing", "backing", "datastore",
               "controller_type", "controller_bus_sharing", "unit_number")
NIC_FIELDS = ("label", "adapter_type", "network", "network_kind", "connected", "start_connected", "mac_address")


def round_trip(estate, tmp_path):
    path = tmp_path / "export.xlsx"
    write_rvtools(estate, path)
    return read_rvtools(path)


def compare(before, after):
    assert [vc.name for vc in after.vcenters] == [vc.name for vc in before.vcenters]
    old = {vm.id: vm for vm in before.all_vms()}
    new = {vm.id: vm for vm in after.all_vms()}
    assert sorted(new) == sorted(old)
    for vm_id, vm in old.items():
        again = new[vm_id]
        for name in VM_FIELDS:
            if name == "ipv4_addresses" and vm.nics is None:
                continue
            # Text starting like a formula comes back with the guard's quote prefix.
            assert getattr(again, name) == safe_value(getattr(vm, name)), (vm.name, name)
        assert again.provisioned_bytes == pytest.approx(vm.provisioned_bytes, abs=1024 * 1024) if (
            vm.provisioned_bytes is not None) else again.provisioned_bytes is None
        for family, fields in (("disks", DISK_FIELDS), ("nics", NIC_FIELDS)):
            old_items, new_items = getattr(vm, family), getattr(again, family)
            if old_items is None:
                assert not new_items
                continue
            assert len(new_items) == len(old_items), (vm.name, family)
            for a, b in zip(old_items, new_items, strict=True):
                for name in fields:
                    assert getattr(b, name) == getattr(a, name), (vm.name, family, name)
        if vm.cdroms is not None:
            assert [(c.backing, c.connected) for c in again.cdroms] == [(c.backing, c.connected) for c in vm.cdroms]
        if vm.snapshots is not None:
            assert [s.name for s in again.snapshots] == [s.name for s in vm.snapshots]
    old_hosts = {h.id: h for h in before.all_hosts()}
    new_hosts = {h.id: h for h in after.all_hosts()}
    assert sorted(new_hosts) == sorted(old_hosts)
    for host_id, host in old_hosts.items():
        again = new_hosts[host_id]
        for name in ("name", "cluster", "cpu_sockets", "cpu_cores", "cpu_threads", "cpu_mhz", "memory_mib",
                     "esxi_version", "esxi_build", "vendor", "model", "maintenance_mode"):
            assert getattr(again, name) == getattr(host, name), (host.name, name)
    assert sorted(c.name for c in after.all_clusters()) == sorted(c.name for c in before.all_clusters())
    assert sorted((d.name, d.type, round(d.capacity_bytes / 2**20)) for d in after.all_datastores()) == sorted(
        (d.name, d.type, round(d.capacity_bytes / 2**20)) for d in before.all_datastores())


def test_snapshot_round_trip(tmp_path):
    before = load_estate(SAMPLE)
    after = round_trip(load_estate(SAMPLE), tmp_path)
    compare(before, after)
    assert after.source.kind == "rvtools"


@pytest.mark.parametrize("source", ["kubev2v", "4.7"])
def test_rvtools_round_trip(tmp_path, source):
    path = kubev2v_path() if source == "kubev2v" else write_workbook(tmp_path / "in.xlsx", variant_sheets("4.7"))
    before = read_rvtools(path)
    compare(before, round_trip(read_rvtools(path), tmp_path))


def test_workbook_has_rvtools_tabs_and_headers(tmp_path):
    estate = read_rvtools(write_workbook(tmp_path / "in.xlsx", variant_sheets("4.7")))
    path = tmp_path / "out.xlsx"
    write_rvtools(estate, path)
    workbook = openpyxl.load_workbook(path, read_only=True)
    for tab in ("vInfo", "vCPU", "vMemory", "vDisk", "vPartition", "vNetwork", "vCD", "vUSB", "vSnapshot",
                "vTools", "vHost", "vCluster", "vDatastore", "vSource", "vMetaData"):
        assert tab in workbook.sheetnames
    header = next(workbook["vInfo"].iter_rows(max_row=1, values_only=True))
    for name in ("VM", "Powerstate", "CPUs", "Memory", "Provisioned MiB", "In Use MiB", "HW version",
                 "OS according to the configuration file", "VM ID", "VM UUID", "VI SDK Server", "VI SDK UUID"):
        assert name in header
    disk_header = next(workbook["vDisk"].iter_rows(max_row=1, values_only=True))
    assert "Capacity MiB" in disk_header and "Raw Comp. Mode" in disk_header
    workbook.close()


def test_formula_injection_is_neutralised(tmp_path):
    estate = read_rvtools(write_workbook(tmp_path / "in.xlsx", variant_sheets("4.7")))
    web, db = estate.all_vms()
    web.annotation = '=HYPERLINK("http://evil","x")'
    db.name = "+cmd|' /C calc'!A0"
    path = tmp_path / "out.xlsx"
    write_rvtools(estate, path)
    workbook = openpyxl.load_workbook(path)
    cells = [cell.value for row in workbook["vInfo"].iter_rows() for cell in row if isinstance(cell.value, str)]
    assert "'=HYPERLINK(\"http://evil\",\"x\")" in cells
    assert "'+cmd|' /C calc'!A0" in cells
    assert not any(value.startswith(("=", "+", "-", "@")) for value in cells)
    assert all(cell.data_type != "f" for row in workbook["vInfo"].iter_rows() for cell in row)


def test_families_unknown_everywhere_are_left_out(tmp_path):
    estate = read_rvtools(kubev2v_path())
    path = tmp_path / "out.xlsx"
    counts = write_rvtools(estate, path)
    assert "vUSB" not in counts and "vNetwork" not in counts and "vDisk" in counts
    again = read_rvtools(path)
    assert all(vm.usb_devices is None and vm.nics is None for vm in again.all_vms())


def test_export_cli(tmp_path):
    out = tmp_path / "estate.xlsx"
    result = CliRunner().invoke(main, ["export", str(kubev2v_path()), "--format", "rvtools", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "9 VMs" in result.output
    assert len(read_rvtools(out).all_vms()) == 9


def test_export_cli_refuses_non_xlsx_and_leaves_nothing(tmp_path):
    out = tmp_path / "estate.csv"
    result = CliRunner().invoke(main, ["export", str(kubev2v_path()), "-o", str(out)])
    assert result.exit_code == 2
    assert not out.exists()
    missing = tmp_path / "nope" / "estate.xlsx"
    result = CliRunner().invoke(main, ["export", str(kubev2v_path()), "-o", str(missing)])
    assert result.exit_code == 2
    assert list(tmp_path.iterdir()) == []
