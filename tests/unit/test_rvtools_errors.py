"""Broken and hostile RVTools inputs end in one line on stderr and exit 2, never a traceback."""

from __future__ import annotations

import io
import zipfile

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.errors import InputError
from scanner.rvtools.reader import read_rvtools
from tests.unit.rvtools_helpers import write_workbook


def run_inventory(path):
    result = CliRunner().invoke(main, ["inventory", str(path)])
    return result


def assert_one_line_error(result, *needles):
    assert result.exit_code == 2, result.output
    text = result.output.strip()
    assert text.startswith("vmscan: error:")
    assert "\n" not in text
    assert "Traceback" not in text
    for needle in needles:
        assert needle in text


def test_missing_required_column_names_file_sheet_and_column(tmp_path):
    path = write_workbook(tmp_path / "nocol.xlsx", {"vInfo": [["Powerstate", "CPUs"], ["poweredOn", 2]]})
    assert_one_line_error(run_inventory(path), "nocol.xlsx", "vInfo", "'VM'")


def test_missing_vinfo_sheet(tmp_path):
    path = write_workbook(tmp_path / "novinfo.xlsx", {"vCPU": [["VM", "CPUs"], ["a", 2]]})
    assert_one_line_error(run_inventory(path), "novinfo.xlsx", "vInfo")


def test_random_bytes_named_xlsx(tmp_path):
    path = tmp_path / "random.xlsx"
    path.write_bytes(bytes(range(256)) * 40)
    assert_one_line_error(run_inventory(path), "random.xlsx", "not an Excel")


def test_docx_renamed_xlsx(tmp_path):
    path = tmp_path / "letter.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    assert_one_line_error(run_inventory(path), "letter.xlsx", "Word")


def test_zip_bomb_refused_from_the_zip_directory(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(200):
                member.write(chunk)
    assert path.stat().st_size < 2 * 1024 * 1024
    assert_one_line_error(run_inventory(path), "bomb.xlsx", "decompression bomb")


def test_truncated_workbook(tmp_path):
    good = write_workbook(tmp_path / "good.xlsx", {"vInfo": [["VM"], ["a"]]})
    data = good.read_bytes()
    bad = tmp_path / "cut.xlsx"
    bad.write_bytes(data[: len(data) // 2])
    assert_one_line_error(run_inventory(bad), "cut.xlsx")


@pytest.mark.parametrize("engine", ["openpyxl", "calamine"])
def test_ten_thousand_columns(tmp_path, monkeypatch, engine):
    monkeypatch.setenv("VMSCAN_XLSX_READER", engine)
    header = ["VM", *[f"col{i}" for i in range(10_000)]]
    path = write_workbook(tmp_path / "wide.xlsx", {"vInfo": [header, ["a"]]})
    with pytest.raises(InputError, match="columns"):
        read_rvtools(path)


@pytest.mark.parametrize("engine", ["openpyxl", "calamine"])
def test_megabyte_cell(tmp_path, monkeypatch, engine):
    monkeypatch.setenv("VMSCAN_XLSX_READER", engine)
    path = tmp_path / "bigcell.xlsx"
    # openpyxl refuses to write such a cell itself, so patch the sheet XML of a small workbook.
    small = write_workbook(tmp_path / "small.xlsx", {"vInfo": [["VM", "Annotation"], ["a", "PLACEHOLDER"]]})
    buffer = io.BytesIO()
    with zipfile.ZipFile(small) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            data = data.replace(b"PLACEHOLDER", b"x" * (1 << 20))
            target.writestr(item, data)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(InputError, match="32767"):
        read_rvtools(path)


def test_wrong_cell_types_become_unknown_with_an_issue(tmp_path):
    path = write_workbook(tmp_path / "types.xlsx", {
        "vInfo": [["VM", "CPUs", "Memory", "Template", "HW version"],
                  ["a", "many", "lots", "maybe", "vmx-abc"],
                  ["b", 2, 4096, "False", "vmx-19"]],
    })
    estate = read_rvtools(path)
    a, b = estate.all_vms()
    assert (a.num_cpu, a.memory_mib, a.template, a.hardware_version) == (None, None, None, None)
    assert (b.num_cpu, b.memory_mib, b.template, b.hardware_version) == (2, 4096, False, 19)
    messages = [issue.message for issue in estate.collection_issues]
    assert any("column 'CPUs'" in m and "row 2" in m for m in messages)
    assert any("column 'HW version'" in m for m in messages)


def test_negative_counts_and_sizes_become_unknown_with_an_issue(tmp_path):
    # Found by the property tests: a CSV with CPUs -1 gave a VM of -1 vCPU, and negative totals.
    # A limit of -1 is vSphere's "unlimited" and stays readable.
    path = write_workbook(tmp_path / "negative.xlsx", {
        "vInfo": [["VM", "CPUs", "Memory", "Provisioned MiB", "In Use MiB"], ["a", -1, -4096, -10, -5],
                  ["b", 2, 4096, 10, 4]],
        "vCPU": [["VM", "CPUs", "Limit"], ["a", -1, -1], ["b", 2, -1]],
    })
    estate = read_rvtools(path)
    a, b = sorted(estate.all_vms(), key=lambda vm: vm.name)
    assert (a.num_cpu, a.memory_mib, a.provisioned_bytes) == (None, None, None)
    assert (b.num_cpu, b.memory_mib, b.provisioned_bytes, b.cpu_limit_mhz) == (2, 4096, 10 * 1024**2, -1)
    messages = [issue.message for issue in estate.collection_issues]
    assert any("column 'CPUs'" in m and "expected zero or more" in m for m in messages), messages
    assert any("column 'Provisioned MiB'" in m for m in messages), messages


def test_fractional_counts_become_unknown_with_an_issue(tmp_path):
    # Found by the malformed-input audit: CPUs 2.5 was read as 2 vCPUs without a word (and a
    # localized "4,5" as 4). Whole numbers written as 4.0 or "1,024" (thousands) stay readable.
    path = write_workbook(tmp_path / "fractions.xlsx", {
        "vInfo": [["VM", "CPUs", "Memory", "NICs"], ["a", 2.5, 4096.5, "4,5"], ["b", 4.0, "1,024", 2]],
    })
    estate = read_rvtools(path)
    a, b = sorted(estate.all_vms(), key=lambda vm: vm.name)
    assert (a.num_cpu, a.memory_mib) == (None, None)
    assert (b.num_cpu, b.memory_mib) == (4, 1024)
    messages = [issue.message for issue in estate.collection_issues]
    for column in ("CPUs", "Memory", "NICs"):
        assert any(f"column '{column}'" in m and "expected a whole number" in m for m in messages), messages


def test_absurd_host_usage_stays_unknown_and_the_snapshot_loads_back(tmp_path):
    # Found by the property tests: usage derived from huge cells exceeded 64 bits, and vmscan then
    # refused to load the snapshot it had just saved.
    from scanner.inventory.io import load_estate, save_estate

    path = write_workbook(tmp_path / "hosts.xlsx", {
        "vInfo": [["VM", "Host"], ["a", "esx1"]],
        "vHost": [["Host", "# Cores", "Speed", "CPU usage %", "# Memory", "Memory usage %"],
                  ["esx1", 2**40, 2**40, 50, 1024, 150], ["esx2", 8, 2000, 25, 1024, 50]],
    })
    estate = read_rvtools(path)
    hosts = {h.name: h for h in estate.all_hosts()}
    assert (hosts["esx1"].cpu_usage_mhz, hosts["esx1"].memory_usage_mib) == (None, None)
    assert (hosts["esx2"].cpu_usage_mhz, hosts["esx2"].memory_usage_mib) == (4000, 512)
    assert any("column 'Memory usage %'" in i.message for i in estate.collection_issues)
    save_estate(estate, tmp_path / "e.json.gz")
    assert len(load_estate(tmp_path / "e.json.gz").all_hosts()) == 2


def test_empty_vinfo_sheet_is_named_as_empty(tmp_path):
    path = write_workbook(tmp_path / "blank.xlsx", {"vInfo": []})
    assert_one_line_error(run_inventory(path), "blank.xlsx", "vInfo is empty")


def test_header_only_vinfo_is_an_empty_estate(tmp_path):
    path = write_workbook(tmp_path / "novms.xlsx", {"vInfo": [["VM", "Powerstate"]]})
    assert read_rvtools(path).all_vms() == []


def test_openpyxl_is_the_fallback_without_calamine(monkeypatch):
    import sys

    from scanner.rvtools.tables import xlsx_engine

    monkeypatch.delenv("VMSCAN_XLSX_READER", raising=False)
    assert xlsx_engine() == "calamine"
    monkeypatch.setitem(sys.modules, "python_calamine", None)  # import now raises ImportError
    assert xlsx_engine() == "openpyxl"
    monkeypatch.setenv("VMSCAN_XLSX_READER", "openpyxl")
    assert xlsx_engine() == "openpyxl"


def test_utf16_csv_with_bom(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "vInfo.csv").write_bytes("VM\tPowerstate\r\nZürich-01\tpoweredOn\r\n".encode("utf-16"))
    (vm,) = read_rvtools(folder).all_vms()
    assert (vm.name, vm.power_state) == ("Zürich-01", "powered_on")


def test_binary_csv_is_refused(tmp_path):
    folder = tmp_path / "csv"
    folder.mkdir()
    (folder / "vInfo.csv").write_bytes(b"VM\x00\x01\x02" * 100)
    assert_one_line_error(run_inventory(folder), "vInfo.csv", "binary")
