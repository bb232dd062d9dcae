"""The wave plan page in Chromium: styles apply under its CSP, a wave expands to its VMs, no console error."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.io import save_estate
from tests.browser.webdriver import chromium
from tests.factories import clean_vm, estate_of

pytestmark = pytest.mark.browser


def test_plan_page_timeline_and_wave_drill_down(tmp_path: Path) -> None:
    save_estate(estate_of(*(clean_vm(f"vc-uuid/vm-{i}", name=f"app{i:02d}") for i in range(5))),
                tmp_path / "e.json.gz")
    result = CliRunner().invoke(main, ["plan", str(tmp_path / "e.json.gz"), "--out", str(tmp_path / "p"),
                                       "--as-of", "2026-11-25", "--max-vms-per-wave", "2"])
    assert result.exit_code == 0, result.output
    with chromium(tmp_path) as browser:
        browser.get((tmp_path / "p" / "plan.html").as_uri())
        before = browser.run("return document.querySelector('details').open;")
        browser.click("details summary")
        page = browser.run("""
            const wave = document.querySelector('details');
            return {open: wave.open, rows: wave.querySelectorAll('tbody tr').length,
                    visibleRows: [...wave.querySelectorAll('tbody tr')].filter(r => r.offsetHeight > 0).length,
                    lanes: document.querySelectorAll('.timeline-row').length,
                    background: getComputedStyle(document.querySelector('header')).backgroundColor};""")
        errors = [entry for entry in browser.logs("browser") if entry.get("level") == "SEVERE"]
    assert before is False
    assert page == {"open": True, "rows": 2, "visibleRows": 2, "lanes": 3, "background": "rgb(11, 37, 69)"}
    assert errors == []
