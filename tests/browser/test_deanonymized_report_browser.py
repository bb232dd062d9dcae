"""A report made from an anonymized hostile estate and restored with `vmscan deanonymize`, in Chromium.

The restored VM names must display exactly as typed, run no script, and break nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.io import save_estate
from tests.badinput.test_hostile_content import HOSTILE, hostile_estate
from tests.browser.webdriver import chromium

pytestmark = pytest.mark.browser


def test_restored_hostile_names_are_inert_and_readable(tmp_path: Path) -> None:
    save_estate(hostile_estate(), tmp_path / "estate.json.gz")
    runner = CliRunner()
    for args in (
        ["anonymize", str(tmp_path / "estate.json.gz"), "-o", str(tmp_path / "shared.json.gz"),
         "--map", str(tmp_path / "map.json")],
        ["report", "--as-of", "2026-11-25",
         str(tmp_path / "shared.json.gz"), "--out", str(tmp_path / "shared"), "--format", "html"],
        ["deanonymize", str(tmp_path / "shared"), "--map", str(tmp_path / "map.json"), "-o", str(tmp_path / "real")],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 0, result.output
    (report,) = (tmp_path / "real").rglob("*.html")
    with chromium(tmp_path) as browser:
        browser.get("about:blank")
        browser.logs("browser")
        browser.get(report.as_uri())
        names = browser.run("return [...document.querySelectorAll('#vm-rows td.name')].map(td => td.textContent)")
        assert browser.run("return document.scripts.length") == 2  # the data island and the report script
        assert browser.run("return window.__alerts") == []
        injected = "return document.querySelectorAll('#vm-rows img, #vm-rows svg, #vm-rows script').length"
        assert browser.run(injected) == 0
        errors = [e for e in browser.logs("browser") if e.get("level") == "SEVERE"]
        assert errors == []
    for key in ("script", "img", "close-script", "comment", "formula-eq", "rtl-override", "emoji"):
        assert f"{key}:{HOSTILE[key]}" in names, key
