"""Deliverables name inputs by file name: no absolute local path (folder and user names) in any output file."""

import shutil
import zipfile
from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main

REPO = Path(__file__).resolve().parents[2]


def _texts(folder: Path) -> dict[str, str]:
    """Every output file as text; a workbook's parts (cells, defined names, properties) each."""
    texts = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for part in book.namelist():
                    texts[f"{path.name}:{part}"] = book.read(part).decode("utf-8", "replace")
        else:
            texts[path.name] = path.read_bytes().decode("utf-8", "replace")
    return texts


def test_no_absolute_input_path_in_any_report_file(tmp_path: Path) -> None:
    private = tmp_path / "home" / "consultant-jdoe" / "customer-acme"
    private.mkdir(parents=True)
    rvtools = private / "acme-rvtools.xlsx"
    shutil.copy(REPO / "fixtures" / "kubev2v-example1.xlsx", rvtools)
    snapshot = private / "acme-dc2.json.gz"
    shutil.copy(REPO / "fixtures" / "sample-estate.json.gz", snapshot)
    policy = private / "acme-policy.toml"
    policy.write_text("[sizing]\ncomfort_factor = 1.2\n", encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(rvtools), str(snapshot), "--policy", str(policy),
                                       "--out", str(out), "--format", "html,xlsx,csv,json"])
    assert result.exit_code == 0, result.output
    texts = _texts(out)
    assert len(texts) > 10
    leaks = sorted(name for name, text in texts.items() if str(private) in text or "consultant-jdoe" in text)
    assert leaks == [], f"local path in {leaks}"
    # Named by file name instead: in the HTML's Data coverage and About sections and the workbook.
    html = texts["report.html"]
    assert "acme-rvtools.xlsx" in html and "acme-dc2.json.gz" in html and "acme-policy.toml" in html
    assert any("acme-rvtools.xlsx" in text for name, text in texts.items() if name.startswith("report.xlsx:"))
    assert "acme-rvtools.xlsx" in texts["data_coverage_inputs.csv"]
