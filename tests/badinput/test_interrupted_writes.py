"""Ctrl-C (or a crash) at the moment an output is published leaves no output file at all.

Every writer must go through scanner/fsutil.atomic_path, which writes a temporary file beside the
target and renames it with ``os.replace`` only at the end. Making that rename raise
KeyboardInterrupt for every command that writes proves both that the command uses it (a writer
that wrote its file directly would leave that file behind) and that the temporary file is removed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner import fsutil
from scanner.anonymize import AnonymizationMap, anonymize_estate
from scanner.cli import main
from scanner.inventory.io import save_estate
from tests.unit.test_anonymize import rich_estate


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    save_estate(rich_estate(), folder / "estate.json.gz")
    mapping = AnonymizationMap.new()
    name = anonymize_estate(rich_estate(), mapping).all_vms()[0].name
    mapping.save(folder / "map.json")
    (folder / "report.html").write_text(f"<p>{name}</p>", encoding="utf-8")
    return folder


COMMANDS = {
    "analyze": lambda i, o: ["analyze", "--as-of", "2026-11-25",
                             str(i / "estate.json.gz"), "-o", str(o / "assessment.json")],
    "report": lambda i, o: ["report", "--as-of", "2026-11-25", str(i / "estate.json.gz"), "--out", str(o / "r"),
                            "--format", "html,xlsx,csv,json"],
    "anonymize": lambda i, o: ["anonymize", str(i / "estate.json.gz"), "-o", str(o / "s.json.gz"),
                               "--map", str(o / "new-map.json")],
    "deanonymize": lambda i, o: ["deanonymize", str(i / "report.html"), "--map", str(i / "map.json"),
                                 "-o", str(o / "real.html")],
    "export": lambda i, o: ["export", str(i / "estate.json.gz"), "-o", str(o / "rvtools.xlsx")],
    "demo": lambda i, o: ["demo", "--out", str(o / "demo")],
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_interrupted_publish_leaves_no_output(command, inputs, tmp_path, monkeypatch):
    if command not in main.commands:
        pytest.fail(f"command {command} is gone; update this test")
    out = tmp_path / "out"
    out.mkdir()
    before = files_under(inputs)

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(fsutil.os, "replace", interrupted)
    result = CliRunner().invoke(main, COMMANDS[command](inputs, out))
    assert result.exit_code == 130, result.output
    assert "interrupted; no output written" in result.output
    assert files_under(out) == []  # neither the output nor a temporary file
    assert files_under(inputs) == before


def test_collect_interrupted_while_saving(tmp_path, monkeypatch):
    import scanner.cli as cli

    monkeypatch.setattr(cli, "collect_live", lambda *args, **kwargs: rich_estate())
    monkeypatch.setattr(fsutil.os, "replace", lambda src, dst: (_ for _ in ()).throw(KeyboardInterrupt()))
    monkeypatch.setenv("P", "x")
    result = CliRunner().invoke(main, ["collect", "-s", "vc.invalid", "-u", "u", "--password-env", "P",
                                       "-o", str(tmp_path / "e.json.gz")])
    assert result.exit_code == 130, result.output
    assert files_under(tmp_path) == []
