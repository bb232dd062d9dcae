"""RVTools 3.x, 4.1, 4.4 and 4.7 layouts, a CSV folder, a hand-trimmed vInfo and two exports of one
vCenter: each read into the counts worked out by hand in tests/unit/rvtools_layouts.py (EXPECTED)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inputs import load_inputs
from scanner.inventory.summary import summarize
from scanner.rvtools.reader import read_rvtools
from scanner.serde import to_plain
from tests.unit.rvtools_helpers import write_workbook
from tests.unit.rvtools_layouts import (
    EXPECTED,
    EXPORT_TIME,
    LAYOUTS,
    MIB,
    SERVER,
    VERSION,
    layout_headers,
    layout_sheets,
    trimmed_vinfo_sheets,
    write_layout,
    write_layout_csv,
)


@pytest.fixture(params=["openpyxl", "calamine"])
def engine(request, monkeypatch):
    monkeypatch.setenv("VMSCAN_XLSX_READER", request.param)
    return request.param


def by_name(estate):
    return {vm.name: vm for vm in estate.all_vms()}


def assert_expected_counts(estate, **changes):
    expected = {**EXPECTED, **changes}
    summary = summarize(estate)
    assert summary.vms == expected["vms"]
    assert summary.templates == expected["templates"]
    assert summary.power_states == expected["power_states"]
    assert summary.total_vcpu == expected["vcpu"]
    assert summary.total_memory_gib * 1024 == expected["memory_mib"]
    assert sum(vm.provisioned_bytes for vm in estate.all_vms()) == expected["provisioned_bytes"]
    assert summary.vms_missing_size == 0
    assert (summary.hosts, summary.clusters, summary.datastores, summary.datacenters) == (
        expected["hosts"], expected["clusters"], expected["datastores"], expected["datacenters"])


def test_tab_counts_differ_as_the_real_versions_do():
    tabs = {layout: list(layout_headers(layout)) for layout in LAYOUTS}
    assert len(tabs["4.7"]) == len(tabs["4.4"]) == 27 and len(tabs["4.1"]) == 26
    assert "vSource" not in tabs["4.1"] and "vSource" in tabs["4.4"]
    assert all("vFloppy" not in tabs[layout] for layout in ("4.1", "4.4", "4.7")) and "vFloppy" in tabs["3.x"]
    assert all(tabs[layout][-1] == "vMetaData" for layout in LAYOUTS)
    assert "Guest Detailed Data" in layout_headers("4.7")["vInfo"]
    assert "Guest Detailed Data" not in layout_headers("4.4")["vInfo"]
    assert "Provisioned MB" in layout_headers("3.x")["vInfo"] and "Capacity MB" in layout_headers("3.x")["vDisk"]
    assert "Provisioned MiB" in layout_headers("4.1")["vInfo"]


@pytest.mark.parametrize("layout", LAYOUTS)
def test_layout_counts_match_the_hand_count(tmp_path, layout, engine):
    estate = read_rvtools(write_layout(tmp_path / f"rvtools-{layout}.xlsx", layout))
    assert_expected_counts(estate)
    (vcenter,) = estate.vcenters
    assert vcenter.name == SERVER
    assert vcenter.source_detail["rvtools_version"] == VERSION[layout]
    assert vcenter.source_detail["exported_at"] == "2025-03-10T08:00:00"
    # vSource (4.4 and 4.7 only) names the vCenter version.
    assert vcenter.version == ("8.0.2" if layout in ("4.4", "4.7") else None)
    vms = by_name(estate)
    app = vms["app01"]
    assert app.id == "4c4c4544-0001-aaaa-bbbb-000000000001/vm-101"
    assert [(d.file_name, d.datastore, d.capacity_bytes) for d in app.disks] == [
        ("[ds-a] app01/app01.vmdk", "ds-a", 40960 * MIB), ("[ds-b] app01/app01_1.vmdk", "ds-b", 102400 * MIB)]
    assert app.custom_attributes == {"owner": "ops", "app": "shop"}
    assert app.bios_uuid == (None if layout == "3.x" else "4201a1")
    # vCD Device Type values as 4.x writes them.
    assert {name: [(c.backing, c.connected, c.start_connected) for c in vm.cdroms] for name, vm in vms.items()} == {
        "app01": [("remote", False, False)], "db01": [("iso", True, True)], "web02": [("remote", False, True)],
        "tmpl-rhel9": [("host_device", False, False)], "old01": [("iso", False, False)]}
    if layout == "3.x":
        assert [(f.label, f.backing) for f in vms["old01"].floppies] == [("Floppy drive 1", "client")]
        assert vms["app01"].floppies == []
    else:
        assert vms["old01"].floppies is None  # 4.x exports have no vFloppy tab
    assert [(n.adapter_type, n.network_kind) for n in vms["db01"].nics] == [
        ("vmxnet3", "distributed"), ("e1000e", "distributed")]
    assert (vms["old01"].tools_status, vms["tmpl-rhel9"].tools_status) == ("old", "not_running")
    assert [(u.label, u.connected) for u in vms["db01"].usb_devices] == [("USB 1", True)]
    assert [s.name for s in vms["db01"].snapshots] == ["pre-patch"]
    hosts = {h.name: h for h in estate.all_hosts()}
    assert (hosts["esx03.corp.example"].cpu_vendor, hosts["esx03.corp.example"].cpu_cores) == ("amd", 16)
    assert sorted(c.name for c in estate.all_clusters()) == ["Dev", "Prod"]
    assert not [i for i in estate.collection_issues if "vFloppy" not in (i.property or "")]


def test_4_1_disk_file_comes_from_path_when_disk_path_is_empty(tmp_path):
    sheets = layout_sheets("4.1")
    header = sheets["vDisk"][0]
    assert {row[header.index("Disk Path")] for row in sheets["vDisk"][1:]} == {None}
    estate = read_rvtools(write_workbook(tmp_path / "41.xlsx", sheets))
    disks = [(vm.name, d.datastore) for vm in estate.all_vms() for d in vm.disks]
    assert disks == [("app01", "ds-a"), ("app01", "ds-b"), ("db01", "ds-b"), ("web02", "ds-a"),
                     ("tmpl-rhel9", "ds-c"), ("old01", "ds-c")]


def test_csv_folder_reads_as_the_workbook(tmp_path):
    folder = write_layout_csv(tmp_path / "csv", "4.7")
    from_csv = read_rvtools(folder)
    assert from_csv.vcenters[0].source_detail["format"] == "csv"
    assert_expected_counts(from_csv)
    from_xlsx = read_rvtools(write_layout(tmp_path / "rv.xlsx", "4.7"))
    assert [to_plain(vm) for vm in from_csv.all_vms()] == [to_plain(vm) for vm in from_xlsx.all_vms()]


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_inventory_command_prints_the_hand_counts(tmp_path, kind):
    path = write_layout(tmp_path / "rv.xlsx", "4.7") if kind == "xlsx" else write_layout_csv(tmp_path / "csv", "4.7")
    result = CliRunner().invoke(main, ["inventory", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "5 VMs (2 powered on, 1 powered off, 1 suspended, 1 template)"
    assert lines[1] == "on 3 hosts in 2 clusters, 1 datacenter, 1 vCenter"
    assert lines[2].startswith("3 datastores, ")
    assert lines[3] == "17 vCPU, 87.0 GiB memory, 0.75 TiB provisioned"


def test_hand_trimmed_vinfo_is_completed_from_the_other_tabs(tmp_path, engine):
    estate = read_rvtools(write_workbook(tmp_path / "trimmed.xlsx", trimmed_vinfo_sheets()))
    # old01 is missing from the filtered vCPU tab and vInfo lost its CPUs column: its vCPUs are unknown.
    assert_expected_counts(estate, vcpu=EXPECTED["vcpu"] - 1)
    vms = by_name(estate)
    assert vms["old01"].num_cpu is None and vms["old01"].cores_per_socket is None
    assert (vms["old01"].power_state, vms["old01"].host, vms["old01"].memory_mib) == (
        "suspended", "esx03.corp.example", 1024)
    assert (vms["tmpl-rhel9"].template, vms["app01"].cluster) == (True, "Prod")
    assert "Total" not in vms
    messages = [i.message for i in estate.collection_issues]
    for expected in (
        "vInfo has no 'Powerstate' column: power state of 5 VM(s) taken from vCPU (4), vMemory (1), matched by VM ID",
        "vInfo has no 'Template' column: template flag of 5 VM(s) taken from vCPU (4), vMemory (1), matched by VM ID",
        "vInfo has no 'CPUs' column: vCPU count of 1 VM(s) unknown (no other tab gives it for them)",
        "sheet vInfo: 1 column(s) RVTools does not write (inserted by hand?): 'Migration wave'; ignored",
        "sheet vInfo row 7: a row 'Total' (a total or summary row added by hand?); skipped",
        "sheet vHost row 5: a row without a name (a total or summary row added by hand?); skipped",
    ):
        assert expected in messages
    assert any(m.startswith("sheet vCPU has no row for 1 of 5 vInfo VM(s) (old01)") for m in messages)


def test_inventory_command_lists_what_it_filled_and_skipped(tmp_path):
    path = write_workbook(tmp_path / "trimmed.xlsx", trimmed_vinfo_sheets())
    result = CliRunner().invoke(main, ["inventory", str(path)])
    assert result.exit_code == 0, result.output
    assert "16 vCPU, 87.0 GiB memory, 0.75 TiB provisioned (1 VM without a vCPU count)" in result.output
    assert result.output.startswith("5 VMs (2 powered on, 1 powered off, 1 suspended, 1 template)\n")
    assert "  - trimmed.xlsx: vInfo has no 'Powerstate' column: power state of 5 VM(s) taken from vCPU (4), " \
        "vMemory (1), matched by VM ID" in result.output
    assert "  - trimmed.xlsx: sheet vHost row 5: a row without a name (a total or summary row added by hand?); " \
        "skipped" in result.output


def test_a_row_named_like_a_total_that_is_a_vm_is_kept(tmp_path):
    sheets = layout_sheets("4.7")
    header = sheets["vInfo"][0]
    sheets["vInfo"][1][header.index("VM")] = "Total"  # a VM really named "Total": it has a VM ID
    estate = read_rvtools(write_workbook(tmp_path / "named-total.xlsx", sheets))
    assert "Total" in by_name(estate) and len(estate.all_vms()) == 5


def test_vdisk_filtered_differently_leaves_disks_unknown_not_empty(tmp_path):
    sheets = layout_sheets("4.7")
    sheets["vDisk"] = [row for row in sheets["vDisk"] if row[0] != "db01"]
    estate = read_rvtools(write_workbook(tmp_path / "filtered.xlsx", sheets))
    vms = by_name(estate)
    # vInfo says db01 has 1 disk; a vDisk without it does not mean "no disks".
    assert vms["db01"].disks is None and vms["db01"].controllers is None
    assert len(vms["web02"].disks) == 1
    assert any(i.message.startswith("sheet vDisk has no row for 1 of 5 vInfo VM(s) (db01)")
               for i in estate.collection_issues)


def test_sub_tab_row_with_a_foreign_vm_id_fills_nothing(tmp_path):
    """Keyed by VM ID: a vCPU row whose VM ID names no vInfo VM does not fill a namesake."""
    sheets = trimmed_vinfo_sheets()
    header = sheets["vCPU"][0]
    for row in sheets["vCPU"][1:]:
        if row[0] == "app01":
            row[header.index("VM ID")] = "vm-999"
            row[header.index("VM UUID")] = "5009a9"
    sheets["vMemory"] = [row for row in sheets["vMemory"] if row[0] != "app01"]
    estate = read_rvtools(write_workbook(tmp_path / "foreign.xlsx", sheets))
    app = by_name(estate)["app01"]
    # vDisk still names app01 by its VM ID, so its power state comes from there; vCPU's row is not used
    # for app01, neither to fill vInfo nor for CPU details, and is reported as naming no VM.
    assert app.num_cpu is None and app.cores_per_socket is None and app.power_state == "powered_on"
    assert "1 row(s) of sheet vCPU name no VM of vInfo; ignored" in [i.message for i in estate.collection_issues]


def _changed(sheets, vm, header, value):
    for tab in ("vInfo", "vCPU"):
        head = sheets[tab][0]
        for row in sheets[tab][1:]:
            if row[0] == vm:
                row[head.index(header)] = value


def _cloned(sheets, source, name, vm_id, uuid):
    for rows in sheets.values():
        head = rows[0]
        if not head or head[0] != "VM":
            continue
        for row in [r for r in rows[1:] if r[0] == source]:
            clone = list(row)
            clone[0] = name
            for key, value in (("VM ID", vm_id), ("VMRef", vm_id), ("VM UUID", uuid)):
                if key in head:
                    clone[head.index(key)] = value
            rows.append(clone)


@pytest.mark.parametrize("newer_first", [False, True])
def test_two_exports_of_one_vcenter_merge_into_one(tmp_path, newer_first):
    january = layout_sheets("4.4", export_time="2025-01-10 08:00:00")
    _cloned(january, "web02", "gone01", "vm-90", "5001b0")  # deleted before March
    march = layout_sheets("4.7")
    _changed(march, "web02", "CPUs", 4)  # resized between the exports
    _cloned(march, "web02", "new01", "vm-110", "5001c0")  # created after January
    old = write_workbook(tmp_path / "january.xlsx", january)
    new = write_workbook(tmp_path / "march.xlsx", march)
    paths = [str(new), str(old)] if newer_first else [str(old), str(new)]
    estate, _ = load_inputs(paths)
    assert len(estate.vcenters) == 1
    # Hand count: the 5 VMs of both + gone01 (January only) + new01 (March only); web02 at its March size.
    vms = by_name(estate)
    assert sorted(vms) == ["app01", "db01", "gone01", "new01", "old01", "tmpl-rhel9", "web02"]
    assert vms["web02"].num_cpu == 4
    assert_expected_counts(estate, vms=7, vcpu=4 + 8 + 4 + 2 + 1 + 2 + 4,
                           power_states={"powered_off": 3, "powered_on": 2, "suspended": 1},
                           memory_mib=EXPECTED["memory_mib"] + 2 * 4096,
                           provisioned_bytes=EXPECTED["provisioned_bytes"] + 2 * 20480 * MIB)
    duplicates = [i for i in estate.collection_issues if i.message.startswith("duplicate VM")]
    assert len(duplicates) == 5
    assert all("kept the newer copy from march.xlsx (2025-03-10T08:00:00) over january.xlsx "
               "(2025-01-10T08:00:00)" in i.message for i in duplicates)
    (summary,) = [i for i in estate.collection_issues if i.property == "vcenter"]
    assert "merged into one vCenter; 5 VM(s) in both" in summary.message
    assert "newer input's row is kept (march.xlsx (2025-03-10T08:00:00))" in summary.message
    assert EXPORT_TIME.replace(" ", "T") in summary.message


# ---------------------------------------------------------------- every header alias is read


def _alias_cases():
    """Each (column, spelling) of columns.py once; a column shared by several tabs (VM ID, Powerstate
    ...) is tried on the first tab of the layout that carries it."""
    from scanner.rvtools.columns import SHEETS

    seen = set()
    for sheet, columns in SHEETS.items():
        for column in columns:
            for alias in column.headers:
                if (column, alias) in seen:
                    continue
                seen.add((column, alias))
                tabs = [tab for tab, cols in SHEETS.items() if column in cols]
                yield pytest.param(tabs, column.field, alias, id=f"{sheet}-{column.field}-{alias}")


# Columns the 4.7 layout does not carry (kept for other versions and hand-made exports), added with a
# value so that their spellings are read too.
_EXTRA_COLUMNS = {
    "vUSB": [("Path", "/vmfs/devices/usb/001/002")],
    "vCluster": [("Datacenter", "DC1"), ("EVC mode", "intel-icelake"), ("vSAN enabled", "False")],
    "vDatastore": [("Datacenter", "DC1")],
}


def _base_sheets():
    sheets = layout_sheets("4.7")
    sheets["vFloppy"] = layout_sheets("3.x")["vFloppy"]
    for tab, extra in _EXTRA_COLUMNS.items():
        for header, value in extra:
            sheets[tab][0].append(header)
            for row in sheets[tab][1:]:
                row.append(value)
    return sheets


def _read(sheets):
    """The estate of a workbook's sheets, without writing the file (~200 cases)."""
    from scanner.rvtools.columns import SHEETS
    from scanner.rvtools.reader import build_estate
    from scanner.rvtools.tables import Export, collect_table

    # As the file readers do: tabs vmscan does not know are not read.
    tables = {tab: collect_table(iter(rows), tab, f"{tab}.csv") for tab, rows in sheets.items() if tab in SHEETS}
    return build_estate(Export("layout.xlsx", "xlsx", tables))


def _view(sheet, headers):
    from scanner.rvtools.reader import SheetView
    from scanner.rvtools.tables import Table

    return SheetView(Table(sheet, "test", list(headers)))


@pytest.mark.parametrize(("tabs", "field", "alias"), list(_alias_cases()))
def test_every_header_alias_is_read(tabs, field, alias):
    """Each spelling in columns.py, put in place of the column's header, resolves to that column and
    reads the same estate as the canonical spelling."""
    from scanner.rvtools.columns import normalize_header

    sheets = _base_sheets()
    tab = next((tab for tab in tabs if tab in sheets and _view(tab, sheets[tab][0]).positions.get(field) is not None),
               None)
    assert tab is not None, f"no layout carries column {field!r} of {tabs}"
    # Another column spelled like the alias (dvSwitch "Name", vSnapshot "Name") is left out, as in a
    # version that writes the alias for this column.
    header = sheets[tab][0]
    position = _view(tab, header).positions[field]
    clashes = [i for i, h in enumerate(header) if i != position and normalize_header(h) == normalize_header(alias)]
    sheets[tab] = [[value for i, value in enumerate(row) if i not in clashes] for row in sheets[tab]]
    header = sheets[tab][0]
    position = _view(tab, header).positions[field]
    canonical = _read(sheets)
    header[position] = alias
    assert _view(tab, header).positions[field] == position
    renamed = _read(sheets)
    for attribute in ("all_vms", "all_hosts", "all_clusters", "all_datastores", "all_networks"):
        assert to_plain(getattr(renamed, attribute)()) == to_plain(getattr(canonical, attribute)()), attribute
    assert [(vc.version, vc.source_detail) for vc in renamed.vcenters] == [
        (vc.version, vc.source_detail) for vc in canonical.vcenters]
