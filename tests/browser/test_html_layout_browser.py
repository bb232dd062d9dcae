"""HTML report layout in Chromium: the VM table fits a 1400 px window and every table an A4 page in print;
the detail view counts like the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.reporters.html import write_html
from scanner.synthetic import generate_estate
from tests.browser.webdriver import chromium
from tests.reports.factory import assess

pytestmark = pytest.mark.browser

# A4 is 210 mm = 794 CSS px; Chromium's default print margins (about 1 cm each side) leave ~718 px.
A4_CONTENT_WIDTH = 718


def test_every_table_fits_an_a4_page_in_print(tmp_path: Path) -> None:
    path = tmp_path / "report.html"
    estate = generate_estate(300, seed=11)
    write_html(estate, assess(estate), path)
    with chromium(tmp_path) as browser:
        browser.get(path.as_uri())
        browser.cdp("Emulation.setEmulatedMedia", {"media": "print"})
        browser.cdp("Emulation.setDeviceMetricsOverride",
                    {"width": A4_CONTENT_WIDTH, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
        browser.wait_until(f"window.innerWidth === {A4_CONTENT_WIDTH} && window.matchMedia('print').matches")
        layout = browser.run("""
            const wide = [];
            document.querySelectorAll('table').forEach(t => {
              const r = t.getBoundingClientRect();
              if (r.width > 0 && r.right > window.innerWidth + 1) wide.push([t.id || t.className, Math.round(r.right)]);
            });
            return {wide: wide, page: document.documentElement.scrollWidth,
                    vmRows: document.querySelectorAll('#vm-rows tr').length};""")
    assert layout["vmRows"] > 0
    assert layout["wide"] == [], f"tables wider than the page in print: {layout['wide']}"
    assert layout["page"] <= A4_CONTENT_WIDTH


SCREEN_WIDTH = 1400
VM_TABLE_HEADERS = ["Name", "vCenter", "Cluster", "Power", "Guest OS", "vCPU", "Mem GiB", "Disk GiB",
                    "AVS", "VMC", "HCX method", "Disposition", "Findings"]


def _vm_table_on_screen(path: Path) -> dict[str, object]:
    with chromium(path.parent) as browser:
        browser.get(path.as_uri())
        browser.cdp("Emulation.setDeviceMetricsOverride",
                    {"width": SCREEN_WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False})
        browser.wait_until(f"window.innerWidth === {SCREEN_WIDTH}")
        return dict(browser.run("""
            const wrap = document.querySelector('#vms .table-wrap');
            const box = wrap.getBoundingClientRect();
            const headers = [...document.querySelectorAll('#vm-table thead th')].map(th => {
              const r = th.getBoundingClientRect();
              return [th.textContent.trim(), r.left >= box.left - 1 && r.right <= box.right + 1];
            });
            return {scroll: wrap.scrollWidth, client: wrap.clientWidth, headers: headers,
                    page: document.documentElement.scrollWidth,
                    rows: document.querySelectorAll('#vm-rows tr').length};"""))


@pytest.mark.parametrize("estate_name", ["synthetic", "long-names"])
def test_vm_table_needs_no_sideways_scroll_at_1400_px(tmp_path: Path, estate_name: str) -> None:
    """Every column (the filters act on readiness, method and disposition) visible without scrolling."""
    estate = generate_estate(300, seed=11)
    if estate_name == "long-names":
        for vm in estate.all_vms()[:40]:
            vm.name = "application-server-with-a-very-long-descriptive-name-" + (vm.name or "")
            vm.cluster = "production-cluster-with-a-long-name-eu-west-01"
            vm.guest_full_name = "Microsoft Windows Server 2022 Datacenter Edition (64-bit) with extras"
        estate.vcenters[0].name = "vcenter-appliance-01.datacenter-amsterdam.corp.example.com"
    path = tmp_path / "report.html"
    write_html(estate, assess(estate), path)
    layout = _vm_table_on_screen(path)
    assert layout["rows"] > 0
    assert [name for name, _ in layout["headers"]] == VM_TABLE_HEADERS  # type: ignore[union-attr]
    assert layout["scroll"] <= layout["client"], layout
    hidden = [name for name, visible in layout["headers"] if not visible]  # type: ignore[union-attr]
    assert hidden == [], f"VM table columns outside the window at {SCREEN_WIDTH} px: {hidden}"
    assert layout["page"] <= SCREEN_WIDTH


def test_detail_view_counts_findings_like_the_table(tmp_path: Path) -> None:
    """The table's Findings column counts rules; the detail heading must not say 2 for the same VM."""
    path = tmp_path / "report.html"
    estate = generate_estate(60, seed=3)
    write_html(estate, assess(estate), path)
    with chromium(tmp_path) as browser:
        browser.get(path.as_uri())
        checked = browser.run("""
            const out = [];
            const rows = [...document.querySelectorAll('#vm-rows tr')]
              .filter(tr => Number(tr.lastChild.querySelector('.found').textContent) > 0);
            for (const tr of rows.slice(0, 5)) {
              tr.click();
              out.push([tr.lastChild.querySelector('.found').textContent,
                        document.querySelector('#d-body h3.findings-found').textContent]);
              document.getElementById('vm-detail').close();
            }
            return out;""")
    assert checked, "no VM with findings in the synthetic estate"
    for count, heading in checked:
        assert heading.startswith(f"Findings ({count} rule"), (count, heading)
