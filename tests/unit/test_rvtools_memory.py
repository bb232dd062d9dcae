"""How the RVTools reader holds an export in memory: equal texts once across sheets, each VM tab's
rows let go once mapped, and neither changing what is read (issue 19)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.rvtools.reader import build_estate
from scanner.rvtools.tables import read_export, read_xlsx
from tests.unit.rvtools_helpers import write_workbook

VINFO = ["VM", "VM ID", "VI SDK Server", "Powerstate", "CPUs", "Memory", "Annotation", "owner", "Datacenter"]
VCPU = ["VM", "VM ID", "VI SDK Server", "CPUs", "Sockets", "Cores p/s"]
VDISK = ["VM", "VM ID", "VI SDK Server", "Disk", "Capacity MiB", "Path"]


def _sheets(vinfo_rows: list[list[object]], vcpu_rows: list[list[object]]) -> dict[str, list[list[object]]]:
    return {
        "vInfo": [VINFO, *vinfo_rows],
        "vCPU": [VCPU, *vcpu_rows],
        "vDisk": [VDISK, ["web01", "vm-1", "vc1", "Hard disk 1", 10240, "[ds1] web01/web01.vmdk"],
                  ["db01", "vm-2", "vc1", "Hard disk 1", 20480, "[ds1] db01/db01.vmdk"]],
    }


VMS = [["web01", "vm-1", "vc1", "poweredOn", 2, 4096, "", "ops", "dc1"],
       ["db01", "vm-2", "vc1", "poweredOff", 4, 8192, "note", "dba", "dc1"]]
CPUS = [["web01", "vm-1", "vc1", 2, 1, 2], ["db01", "vm-2", "vc1", 4, 2, 2]]


@pytest.mark.parametrize("engine", ["calamine", "openpyxl"])
def test_equal_texts_of_different_sheets_are_one_object(tmp_path: Path, engine: str) -> None:
    path = write_workbook(tmp_path / "export.xlsx", _sheets(VMS, CPUS))
    tables = read_xlsx(path, engine)
    name_in_vinfo = tables["vInfo"].rows[0][0]
    name_in_vcpu = tables["vCPU"].rows[0][0]
    name_in_vdisk = tables["vDisk"].rows[0][0]
    assert name_in_vinfo == "web01"
    assert name_in_vcpu is name_in_vinfo and name_in_vdisk is name_in_vinfo


def test_vm_tab_rows_are_let_go_once_mapped(tmp_path: Path) -> None:
    export = read_export(write_workbook(tmp_path / "export.xlsx", _sheets(VMS, CPUS)))
    estate = build_estate(export)
    assert all(not export.tables[sheet].rows for sheet in ("vInfo", "vCPU", "vDisk"))
    web, db = estate.all_vms()
    # Everything those rows carried was read first.
    assert (web.cores_per_socket, db.cores_per_socket) == (2, 2)
    assert [d.capacity_bytes for d in db.disks or []] == [20480 * 1024 * 1024]
    assert [d.datastore for d in web.disks or []] == ["ds1"]
    assert (web.custom_attributes, db.custom_attributes) == ({"owner": "ops"}, {"owner": "dba"})
    assert db.annotation == "note"


def test_vcenter_order_unchanged_when_an_unnamed_vinfo_row_names_a_new_vcenter(tmp_path: Path) -> None:
    """Custom attributes are read from vInfo again after the VM tabs: a skipped vInfo row naming a
    vCenter seen nowhere else adds that vCenter then, after one named only by a VM tab row."""
    unnamed = [None, "vm-9", "vc-z", "poweredOn", 1, 1024, "", "x", "dc1"]
    stray_cpu = ["ghost", "vm-8", "vc-y", 1, 1, 1]
    export = read_export(write_workbook(tmp_path / "export.xlsx", _sheets([*VMS, unnamed], [*CPUS, stray_cpu])))
    estate = build_estate(export)
    assert [vc.name for vc in estate.vcenters] == ["vc1", "vc-y", "vc-z"]
    assert [vm.name for vm in estate.all_vms()] == ["web01", "db01"]
    assert estate.all_vms()[1].custom_attributes == {"owner": "dba"}
