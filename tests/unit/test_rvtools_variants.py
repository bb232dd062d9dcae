"""Every RVTools generation's headers (3.x, 4.0 "MB", 4.1.2+ "MiB", 4.7) and the CSV export map to
the same inventory; optional tabs that are absent leave their fields unknown."""

from __future__ import annotations

import openpyxl
import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inputs import load_inputs
from scanner.rvtools.reader import read_rvtools
from tests.unit.rvtools_helpers import VARIANTS, variant_sheets, write_csv_folder, write_workbook

MIB = 1024 * 1024


def vms_of(estate):
    return {vm.name: vm for vm in estate.all_vms()}


@pytest.fixture(params=["openpyxl", "calamine"])
def engine(request, monkeypatch):
    monkeypatch.setenv("VMSCAN_XLSX_READER", request.param)
    return request.param


@pytest.mark.parametrize("variant", VARIANTS)
def test_variant_key_fields(tmp_path, variant, engine):
    estate = read_rvtools(write_workbook(tmp_path / f"rv-{variant}.xlsx", variant_sheets(variant)))
    check_key_fields(estate, variant)


def check_key_fields(estate, variant):
    assert [vc.name for vc in estate.vcenters] == ["vc1.example.com"]
    vcenter = estate.vcenters[0]
    assert vcenter.instance_uuid == "sdk-uuid-1"
    assert vcenter.version == "8.0.2" and vcenter.build == "22385739"
    assert vcenter.source_detail["vi_sdk_server"] == "vc1.example.com"
    assert vcenter.source_detail["rvtools_version"] == {"3.x": "3.11.9", "4.0": "4.0.6", "4.1.2": "4.1.4",
                                                         "4.7": "4.7.1"}[variant]
    vms = vms_of(estate)
    web, db = vms["web01"], vms["db01"]
    expected_id = "sdk-uuid-1/5001-web" if variant == "3.x" else "sdk-uuid-1/vm-101"
    assert web.id == expected_id
    assert web.vcenter == "vc1.example.com"
    assert (web.power_state, db.power_state) == ("powered_on", "powered_off")
    assert (web.num_cpu, web.memory_mib, web.cores_per_socket) == (4, 8192, 2)
    assert (web.hardware_version, db.hardware_version) == (19, 13)
    assert web.firmware == "efi"
    # "MB" headers of RVTools < 4.1.2 were MiB already: both read the same.
    assert web.provisioned_bytes == 61440 * MIB
    assert web.storage_committed_bytes == 20480 * MIB
    assert (web.cpu_usage_mhz, web.memory_consumed_mib, web.memory_active_mib) == (1200, 6000, 1500)
    assert (db.cpu_reservation_mhz, db.cpu_limit_mhz, db.memory_reservation_mib) == (500, 4000, 32768)
    assert web.cpu_hot_add is True and web.memory_hot_add is True
    assert [d.capacity_bytes for d in web.disks] == [40960 * MIB, 20480 * MIB]
    rdm = web.disks[1]
    assert (rdm.backing, rdm.mode, rdm.sharing, rdm.lun_uuid) == ("rdm_physical", "independent_persistent",
                                                                  "multi_writer", "vml.0200")
    assert rdm.controller_type == "scsi_lsilogic_sas" and rdm.controller_bus_sharing == "physical"
    assert web.disks[0].datastore == "ds01" and web.disks[0].provisioning == "thin"
    assert db.disks[0].provisioning == "thick_eager"
    assert [(c.label, c.bus_sharing) for c in web.controllers] == [("SCSI controller 0", "none"),
                                                                   ("SCSI controller 1", "physical")]
    assert web.guest_disks[0].capacity_bytes == 40000 * MIB
    assert [n.adapter_type for n in web.nics] == ["vmxnet3"]
    assert web.nics[0].network_kind == "standard" and db.nics[0].network_kind == "distributed"
    assert db.nics[0].connected is False and db.nics[0].mac_type == "manual"
    assert web.ipv4_addresses == ["10.0.0.5", "10.0.0.6"] and web.ipv6_addresses == ["fe80::1"]
    assert [(c.backing, c.connected) for c in web.cdroms] == [("iso", True)]
    assert db.cdroms == []
    assert [u.label for u in db.usb_devices] == ["USB 1"] and web.usb_devices == []
    assert db.snapshot_count == 1 and db.snapshots[0].name == "before-patch"
    assert db.snapshots[0].created == "2024-03-01T10:00:00" and db.snapshots[0].power_state == "powered_off"
    assert web.snapshot_count == 0
    assert (web.tools_status, db.tools_status) == ("ok", "not_running")
    assert web.tools_version == "12352"
    assert web.annotation == "web tier"
    if variant == "4.7":
        assert web.custom_attributes == {"owner": "alice", "env": "prod"}
        assert web.bios_uuid == "4201-web"
    else:
        assert web.custom_attributes == {}
    hosts = {h.name: h for h in estate.all_hosts()}
    esx1 = hosts["esx01.example.com"]
    assert (esx1.esxi_version, esx1.esxi_build, esx1.cpu_vendor) == ("7.0.3", "20036589", "amd")
    assert (esx1.cpu_cores, esx1.cpu_threads, esx1.memory_mib) == (32, 64, 524288)
    assert esx1.id == "sdk-uuid-1/host-1"
    assert hosts["esx02.example.com"].maintenance_mode is True
    assert hosts["esx02.example.com"].cpu_threads == 40
    (cluster,) = estate.all_clusters()
    assert (cluster.name, cluster.ha_enabled, cluster.drs_enabled) == ("Prod", True, False)
    assert sorted(cluster.hosts) == ["esx01.example.com", "esx02.example.com"]
    stores = {d.name: d for d in estate.all_datastores()}
    assert stores["ds01"].type == "vmfs" and stores["ds02"].type == "nfs"
    assert stores["ds01"].capacity_bytes == 1048576 * MIB
    assert stores["ds01"].hosts == ["esx01.example.com", "esx02.example.com"]
    networks = {n.name: n for n in estate.all_networks()}
    assert (networks["DB Net"].kind, networks["DB Net"].vlan) == ("distributed", "120")
    assert (networks["VM Network"].kind, networks["VM Network"].vlan) == ("standard", "0")
    assert not [i for i in estate.collection_issues if "unreadable" in i.message or "no VM" in i.message]


@pytest.mark.parametrize(("encoding", "separator", "naming"), [
    ("cp1252", ";", "RVTools_tab{tab}.csv"),
    ("utf-8-sig", ",", "{tab}.csv"),
    ("utf-8", ";", "{tab}.csv"),
])
def test_csv_folder(tmp_path, encoding, separator, naming):
    sheets = variant_sheets("4.7")
    sheets["vInfo"][1][sheets["vInfo"][0].index("Annotation")] = "Müller's web tier €"
    folder = write_csv_folder(tmp_path / "csv", sheets, encoding=encoding, separator=separator, naming=naming)
    estate = read_rvtools(folder)
    assert estate.vcenters[0].source_detail["format"] == "csv"
    vms = vms_of(estate)
    assert vms["web01"].annotation == "Müller's web tier €"
    vms["web01"].annotation = "web tier"
    check_key_fields(estate, "4.7")


def test_csv_folder_without_vinfo(tmp_path):
    folder = write_csv_folder(tmp_path / "csv", {"vCPU": [["VM", "CPUs"], ["a", 1]]})
    result = CliRunner().invoke(main, ["inventory", str(folder)])
    assert result.exit_code == 2
    assert "vInfo" in result.output and "csv" in result.output


def test_csv_dvport_is_not_read_as_vport(tmp_path):
    from scanner.rvtools.tables import csv_tab_name

    assert csv_tab_name("RVTools_tabdvPort.csv") == "dvPort"
    assert csv_tab_name("RVTools_tabvPort.csv") == "vPort"
    assert csv_tab_name("vInfo.csv") == "vInfo"
    assert csv_tab_name("VINFO.CSV") == "vInfo"
    assert csv_tab_name("notes.txt") is None


def test_only_vinfo_leaves_every_family_unknown(tmp_path):
    sheets = variant_sheets("4.7")
    estate = read_rvtools(write_workbook(tmp_path / "thin.xlsx", {"vInfo": sheets["vInfo"]}))
    web = vms_of(estate)["web01"]
    for family in ("disks", "controllers", "nics", "cdroms", "usb_devices", "snapshots", "guest_disks",
                   "snapshot_count", "cores_per_socket", "cpu_usage_mhz", "memory_consumed_mib", "tools_status",
                   "floppies", "serial_ports", "passthrough_devices", "perf", "ipv6_addresses"):
        assert getattr(web, family) is None, family
    assert web.ipv4_addresses == ["10.0.0.5"]
    assert estate.all_hosts() == []
    # vCenter identity still comes from vInfo's VI SDK columns.
    assert web.id == "sdk-uuid-1/vm-101"


def test_empty_rows_and_padded_dimension(tmp_path, engine):
    sheets = variant_sheets("4.1.2")
    path = tmp_path / "padded.xlsx"
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    info = workbook.create_sheet("vInfo")
    info.append(sheets["vInfo"][0])
    info.append(sheets["vInfo"][1])
    info.append([])  # a stray blank line inside the data
    info.append(sheets["vInfo"][2])
    # Styled but empty cells far below, as real exports have, and a padded dimension.
    for row in range(10, 400):
        info.cell(row=row, column=1).number_format = "0"
    info.cell(row=5000, column=3, value="stray value after a long gap")
    workbook.save(path)
    estate = read_rvtools(path)
    assert sorted(vms_of(estate)) == ["db01", "web01"]


def test_merged_files_with_a_duplicate(tmp_path):
    first = write_workbook(tmp_path / "vc1.xlsx", variant_sheets("4.7"))
    second = write_workbook(tmp_path / "vc2.xlsx", variant_sheets("4.7", server="vc2.example.com",
                                                                  sdk_uuid="sdk-uuid-2"))
    again = write_csv_folder(tmp_path / "vc1-csv", variant_sheets("4.7"))
    estate, loaded = load_inputs([str(first), str(second), str(again)])
    assert [item.kind for item in loaded] == ["rvtools_xlsx", "rvtools_xlsx", "rvtools_csv"]
    assert len(estate.all_vms()) == 4
    assert sorted({vm.vcenter for vm in estate.all_vms()}) == ["vc1.example.com", "vc2.example.com"]
    duplicates = [i for i in estate.collection_issues if i.message.startswith("duplicate VM")]
    assert sorted(i.object_name for i in duplicates) == ["db01", "web01"]
    result = CliRunner().invoke(main, ["inventory", str(first), str(second), str(again)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("4 VMs (")
    # The repeated export of vc1 adds no VM: its hosts and the vCenter itself count once.
    assert [vc.name for vc in estate.vcenters] == ["vc1.example.com", "vc2.example.com"]
    single = load_inputs([str(first), str(second)])[0]
    assert f"on {len(single.all_hosts())} hosts in " in result.output and ", 2 vCenters" in result.output
    # The duplicate is listed with the input by file name, not its local path.
    assert f"duplicate VM: also in {first.name}; counted once" in result.output
    assert str(tmp_path) not in result.output


def test_vfloppy_tab(tmp_path):
    sheets = variant_sheets("4.7")
    sheets["vFloppy"] = [["VM", "Device Node", "Connected", "Starts Connected", "Device Type", "VM ID"],
                         ["web01", "Floppy drive 1", "True", "False", "Image [ds01] boot.flp", "vm-101"]]
    estate = read_rvtools(write_workbook(tmp_path / "floppy.xlsx", sheets))
    vms = vms_of(estate)
    (floppy,) = vms["web01"].floppies
    assert (floppy.label, floppy.backing, floppy.connected, floppy.start_connected) == (
        "Floppy drive 1", "image", True, False)
    assert vms["db01"].floppies == []
    assert vms_of(read_rvtools(write_workbook(tmp_path / "none.xlsx", variant_sheets("4.7"))))["db01"].floppies is None
