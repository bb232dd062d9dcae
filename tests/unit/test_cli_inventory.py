from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.io import save_estate
from tests.unit.test_inventory_io import sample_estate


def test_version():
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert "vmscan, version" in result.output


def test_inventory_summary(tmp_path):
    path = tmp_path / "estate.json.gz"
    save_estate(sample_estate(), path)
    result = CliRunner().invoke(main, ["inventory", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "1 VM (1 powered on)"
    assert "4 vCPU, 8.0 GiB memory" in result.output
    assert "powered_on" not in result.output


def test_inventory_bad_input_is_one_line_exit_2(tmp_path):
    bad = tmp_path / "x.json.gz"
    bad.write_bytes(b"nonsense")
    result = CliRunner().invoke(main, ["inventory", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert result.output.startswith("vmscan: error:")
    assert "Traceback" not in result.output
