"""The HTML report in a real headless Chromium: loads cleanly, offline, filters work, stays inert."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from scanner.analysis.model import Assessment
from scanner.inventory.model import Estate
from scanner.reporters.html import write_html
from scanner.synthetic import generate_estate
from tests.browser.webdriver import Browser, chromium
from tests.reports.factory import assess

pytestmark = pytest.mark.browser

VM_COUNT = 600
# A real rule the synthetic estate triggers; the report is given a javascript: reference for it, which
# must be shown as text and never become a link (the shipped catalogue cites only https pages).
ISO_RULE = "device.cdrom-connected"
HOSTILE_REFERENCE = "javascript:alert(3)"


def assessed() -> tuple[Estate, Assessment]:
    estate = generate_estate(VM_COUNT, seed=7)
    assessment = assess(estate)
    rule = next(r for r in assessment.rules if r.id == ISO_RULE)
    rule.references = [*rule.references, HOSTILE_REFERENCE]
    return estate, assessment


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "report.html"
    write_html(*assessed(), path)
    return path


@pytest.fixture(scope="module")
def browser(report: Path):
    with chromium(report.parent) as b:
        # Drain the start-up page's log entries so only the report's own requests remain.
        b.get("about:blank")
        b.logs("performance")
        b.logs("browser")
        b.get(report.as_uri())
        yield b


def visible_count(browser: Browser) -> int:
    return int(browser.run("return Number(document.getElementById('vm-count').dataset.count)"))


def visible_names(browser: Browser) -> list[str]:
    return list(browser.run("return [...document.querySelectorAll('#vm-rows td.name')].map(td => td.textContent)"))


def choose(browser: Browser, select_id: str, text: str) -> None:
    """Pick the option of ``select_id`` that shows ``text`` (a rule id, a target), not one by position."""
    value = browser.run(f"return [...document.querySelectorAll('#{select_id} option')]"
                        ".filter(o => o.textContent === arguments[0]).map(o => o.value)", text)
    assert len(value) == 1, (select_id, text, value)
    browser.click(f"#{select_id} option[value='{value[0]}']")


def reset(browser: Browser) -> None:
    browser.click("#f-reset")
    assert visible_count(browser) == VM_COUNT


def test_loads_without_console_errors_or_network(browser: Browser, report: Path, tmp_path: Path) -> None:
    assert browser.run("return document.title").startswith("Migration readiness assessment")
    assert visible_count(browser) == VM_COUNT
    # Paged rendering: 100 rows in the DOM, not all 600.
    assert browser.run("return document.querySelectorAll('#vm-rows tr').length") == 100
    errors = [e for e in browser.logs("browser") if e.get("level") in ("SEVERE", "WARNING")]
    assert errors == []
    urls = browser.requested_urls()
    assert urls == [report.as_uri()], urls
    assert browser.run("return performance.getEntriesByType('resource').length") == 0
    shot = tmp_path / "report.png"
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("VMSCAN_SCREENSHOT_DIR"):
        shutil.copy(shot, Path(os.environ["VMSCAN_SCREENSHOT_DIR"]) / "report.png")


def test_search_changes_visible_rows(browser: Browser) -> None:
    reset(browser)
    browser.type("#q", "HYPERLINK")
    assert visible_count(browser) == 1
    assert visible_names(browser) == ['=HYPERLINK("http://example.invalid","x")']
    reset(browser)
    browser.type("#q", "no vm has this name")
    assert visible_count(browser) == 0
    assert browser.run("return document.querySelectorAll('#vm-rows tr').length") == 0
    reset(browser)


def test_filters_change_visible_rows(browser: Browser, report: Path) -> None:
    _, assessment = assessed()
    expected_not_ready_vmc = sum(1 for o in assessment.vms if o.readiness["vmc"] == "not_ready")
    expected_retire = sum(1 for o in assessment.vms if o.disposition == "retire")
    expected_usb = sum(1 for o in assessment.vms if "device.usb" in o.finding_ids)
    assert 0 < expected_usb < VM_COUNT
    assert 0 < expected_not_ready_vmc < VM_COUNT
    reset(browser)
    choose(browser, "f-target", "VMware Cloud on AWS")
    browser.click("#f-readiness option[value='not_ready']")
    assert visible_count(browser) == expected_not_ready_vmc
    reset(browser)
    browser.click("#f-disposition option[value='retire']")
    assert visible_count(browser) == expected_retire
    reset(browser)
    choose(browser, "f-rule", "device.usb")
    assert visible_count(browser) == expected_usb
    reset(browser)


def test_sort_by_vcpu(browser: Browser) -> None:
    reset(browser)
    browser.click("#vm-table th[data-col='7']")
    cpus = browser.run("return [...document.querySelectorAll('#vm-rows tr')].map(tr => tr.children[5].textContent)")
    values = [int(v.replace(",", "")) for v in cpus]
    assert values == sorted(values)
    browser.click("#vm-table th[data-col='7']")
    cpus = browser.run("return [...document.querySelectorAll('#vm-rows tr')].map(tr => tr.children[5].textContent)")
    values = [int(v.replace(",", "")) for v in cpus]
    assert values == sorted(values, reverse=True)
    reset(browser)


def test_hostile_names_stay_inert_text(browser: Browser) -> None:
    reset(browser)
    browser.type("#q", "alert(1)")
    names = visible_names(browser)
    assert "<script>alert(1)</script>" in names
    # Only our two script elements exist (the JSON data island and the report script).
    assert browser.run("return document.scripts.length") == 2
    browser.run("document.querySelector('#vm-rows tr').click()")
    assert browser.run("return document.getElementById('vm-detail').open") is True
    assert browser.run("return document.getElementById('d-title').textContent") == "<script>alert(1)</script>"
    annotation = browser.run("return document.querySelector('#d-body dd.annotation').textContent")
    assert annotation == "<script>alert(1)</script>"
    assert browser.run("return document.querySelectorAll('#d-body script, #d-body img').length") == 0
    browser.click("#d-close")
    assert browser.run("return window.__alerts") == []
    reset(browser)


def test_detail_view_shows_findings_with_remediation_and_safe_links(browser: Browser) -> None:
    reset(browser)
    _, assessment = assessed()
    rule = next(r for r in assessment.rules if r.id == ISO_RULE)
    choose(browser, "f-rule", ISO_RULE)
    browser.run("document.querySelector('#vm-rows tr').click()")
    text = browser.run("return document.getElementById('d-body').textContent")
    assert rule.title in text and "Remediation:" in text and rule.remediation in text
    # A javascript: reference is shown as text, never as a link.
    assert browser.run("return document.querySelectorAll('#d-body a[href^=\"javascript\"]').length") == 0
    assert HOSTILE_REFERENCE in text
    browser.click("#d-close")
    assert browser.run("return window.__alerts") == []
    reset(browser)


def test_detail_view_lists_the_results_held_once_for_the_vms_vcenter(browser: Browser) -> None:
    """vCenter-wide results (schema 3) are sent once and shown in every VM's details, in rule order."""
    reset(browser)
    _, assessment = assessed()
    browser.run("document.querySelector('#vm-rows tr').click()")
    vm_id = browser.run("var dt = [...document.querySelectorAll('#d-body dl.facts dt')]"
                        ".find(d => d.textContent === 'VM id'); return dt.nextElementSibling.textContent")
    first = next(o for o in assessment.vms if o.vm_id == vm_id)
    wide = [w for w in assessment.vcenter_findings if w.vcenter == first.vcenter]
    assert wide, "generate_estate's vCenters lack some data on every VM"
    unknown = browser.run("var h = document.querySelector('#d-body h3.findings-unknown');"
                          "return h ? h.textContent : ''")
    count = len(first.unknown_ids)
    assert unknown.startswith(f"Not evaluated: data missing from the input ({count} rule")
    shown = browser.run("return [...document.querySelectorAll('#d-body .finding')]"
                        ".map(b => b.querySelector('span.muted').textContent.split(' · ')[1])")
    order = [r.id for r in assessment.rules]
    expected = [f.rule_id for f in assessment.every_finding() if f.vm_id == first.vm_id and f.status != "not_in_source"]
    fails = [r for r in expected if r in first.finding_ids]
    unknowns = sorted((r for r in expected if r not in first.finding_ids), key=order.index)
    assert shown == [*fails, *unknowns]
    assert {w.rule_id for w in wide if w.status == "unknown"} <= set(shown)
    browser.click("#d-close")
    reset(browser)
