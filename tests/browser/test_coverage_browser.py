"""The kubev2v RVTools report in headless Chromium: readiness reasons (tooltip and detail view) and
the Data coverage section are shown, and the page still loads without errors or requests."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from scanner.analysis.engine import analyze
from scanner.analysis.model import InputInfo
from scanner.reporters.html import write_html
from scanner.rvtools.reader import read_rvtools
from tests.browser.webdriver import Browser, chromium
from tests.unit.rvtools_helpers import kubev2v_path

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("coverage") / "report.html"
    estate = read_rvtools(kubev2v_path())
    info = InputInfo(path="kubev2v-example1.xlsx", kind="rvtools_xlsx", vcenters=[estate.vcenters[0].name],
                     vm_count=len(estate.all_vms()))
    write_html(estate, analyze(estate, as_of=dt.date(2026, 11, 25), inputs=[info]), path)
    with chromium(path.parent) as b:
        b.get("about:blank")
        b.logs("browser")
        b.get(path.as_uri())
        yield b


def test_readiness_tooltip_and_detail_reasons(browser: Browser, tmp_path: Path) -> None:
    tooltip = browser.run("return document.querySelector('#vm-rows tr td.has-reasons .badge').title")
    assert "not evaluated: device.usb (missing USB devices: no vUSB tab in the export)" in tooltip
    browser.run("[...document.querySelectorAll('#vm-rows tr')].find(tr => tr.textContent.includes('vm-2')).click()")
    assert browser.run("return document.getElementById('vm-detail').open") is True
    items = browser.run("return [...document.querySelectorAll('#d-body .reason-list li')].map(li => li.textContent)")
    assert "not evaluated: device.usb (missing USB devices: no vUSB tab in the export)" in items
    # The host's ESXi version is a site prerequisite to verify, named beside the readiness.
    assert any(text.startswith("host.esxi-old: verify: host 10.5.126.198:") for text in items), items
    headings = browser.run("return [...document.querySelectorAll('#d-body .reasons h4')].map(h => h.textContent)")
    assert headings == ["Why unknown – Azure VMware Solution", "Why unknown – VMware Cloud on AWS",
                        "Site tasks before it moves (readiness above is as after them)"]
    shot = Path(os.environ.get("VMSCAN_SCREENSHOT_DIR", tmp_path)) / "coverage-detail.png"
    browser.screenshot(shot)
    assert shot.stat().st_size > 10_000
    browser.click("#d-close")
    errors = [e for e in browser.logs("browser") if e.get("level") in ("SEVERE", "WARNING")]
    assert errors == []


def test_data_coverage_section(browser: Browser) -> None:
    inputs = browser.run("return document.querySelector('#coverage-inputs tbody').textContent")
    assert "vNetwork, vCD, vUSB, vSnapshot, vTools" in inputs and "vFloppy" not in inputs
    assert "10.5.126.198" in inputs and "vmscan collect" in inputs
    rules = browser.run("return [...document.querySelectorAll('#coverage-rules tbody tr')].map(tr => tr.textContent)")
    assert any("device.usb" in row and "RVTools export has no vUSB tab" in row for row in rules)
    assert browser.run("return document.querySelector('nav a[href=\"#coverage\"]') !== null") is True
    assert browser.run("return document.querySelectorAll('#coverage-callout').length") == 1
    # Not in source is stated once at the top (RVTools 4.x: floppy, vTPM ...), apart from the gaps.
    limits = browser.run("return [...document.querySelectorAll('#source-limits')].map(p => p.textContent)")
    assert len(limits) == 1 and "7 checks the input format cannot make" in limits[0]
    assert "device.floppy-connected" in limits[0] and "vm.vtpm" in limits[0]


def test_vm_detail_keeps_the_three_outcomes_apart(browser: Browser) -> None:
    browser.run("[...document.querySelectorAll('#vm-rows tr')].find(tr => tr.textContent.includes('vm-2')).click()")
    headings = browser.run("return [...document.querySelectorAll('#d-body h3')].map(h => h.textContent)")
    # 11 rules lack data on vm-2; 2 of them (host.esxi-old, net.standard-vswitch) are site tasks.
    assert headings[1:] == ["Findings (0 rules)", "Not evaluated: data missing from the input (9 rules, 18 target "
                            "results)", "Not in this source (7 rules, 14 target results)"], headings
    cell = browser.run("return [...document.querySelectorAll('#vm-rows tr')].find(tr => "
                       "tr.textContent.includes('vm-2')).lastChild.textContent")
    assert cell == "0 +9 unknown"
    browser.click("#d-close")
