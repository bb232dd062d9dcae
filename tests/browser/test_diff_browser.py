"""The diff page in Chromium: styles apply under its CSP, no console error, hostile names stay text."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.io import save_estate
from tests.browser.webdriver import chromium
from tests.factories import clean_vm, estate_of

pytestmark = pytest.mark.browser


def test_diff_page_renders_with_styles_and_inert_names(tmp_path: Path) -> None:
    hostile = '<img src=x onerror="document.title=1">'
    save_estate(estate_of(clean_vm("vc-uuid/vm-100", name="app01")), tmp_path / "a.json.gz")
    save_estate(estate_of(clean_vm("vc-uuid/vm-100", name="app01"), clean_vm("vc-uuid/vm-101", name=hostile)),
                tmp_path / "b.json.gz")
    result = CliRunner().invoke(main, ["diff", str(tmp_path / "a.json.gz"), str(tmp_path / "b.json.gz"),
                                       "--as-of", "2026-11-25", "--out", str(tmp_path / "d"), "--format", "html"])
    assert result.exit_code == 0, result.output
    with chromium(tmp_path) as browser:
        browser.get((tmp_path / "d" / "diff.html").as_uri())
        page = browser.run("""
            const header = getComputedStyle(document.querySelector('header'));
            return {title: document.title, background: header.backgroundColor,
                    rows: document.querySelectorAll('.trend-row').length,
                    imgs: document.querySelectorAll('img').length,
                    text: document.body.innerText};""")
        errors = [entry for entry in browser.logs("browser") if entry.get("level") == "SEVERE"]
    assert page["title"].startswith("What changed between scans")
    assert page["background"] == "rgb(11, 37, 69)"  # the inline stylesheet was allowed by the CSP hash
    assert page["rows"] == 2 * 2 + 2
    assert page["imgs"] == 0
    assert hostile in page["text"]
    assert errors == []
