import json
import re

import lxml.html

from scanner.reporters.html import json_for_script, label, render_html, write_html
from scanner.synthetic import HOSTILE_STRINGS, generate_estate
from tests.reports.factory import assess


def render(vm_count=60, **kwargs):
    estate = generate_estate(vm_count, seed=5)
    assessment = assess(estate, **kwargs)
    return estate, assessment, render_html(estate, assessment)


def test_json_island_cannot_break_out_of_its_script():
    text = str(json_for_script({"a": "</script><!-- <script>x</script>", "b": "\u2028&"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"a": "</script><!-- <script>x</script>", "b": "\u2028&"}


def test_data_island_round_trips_hostile_names():
    _, assessment, html = render()
    doc = lxml.html.fromstring(html)
    scripts = doc.xpath("//script")
    assert [s.get("type") for s in scripts] == ["application/json", None]
    data = json.loads(scripts[0].text)
    names = [row[1] for row in data["rows"]]
    assert names[: len(HOSTILE_STRINGS)] == list(HOSTILE_STRINGS)
    assert len(data["rows"]) == len(assessment.vms) == 60


def test_markup_in_data_is_escaped_everywhere_else():
    _, _, html = render(policy_overrides={"retain": {"name_patterns": ["<b>policy</b>"]}})
    island = re.search(r'<script type="application/json" id="vm-data">(.*?)</script>', html, re.S)
    assert island
    outside = html.replace(island.group(0), "")
    assert "<script>alert" not in outside
    assert outside.count("<script") == 1  # the report's own script
    # The policy retains "<b>policy</b>": shown escaped in the About section.
    assert "&lt;b&gt;policy&lt;/b&gt;" in html


def test_self_contained_no_external_resources():
    _, assessment, html = render()
    doc = lxml.html.fromstring(html)
    assert doc.xpath("//link|//img|//iframe|//object|//embed|//script[@src]") == []
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    style = doc.xpath("//style")[0].text
    assert "url(" not in style and "@import" not in style
    # Only rule references become links: every catalogue reference, nothing else.
    external = {a.get("href") for a in doc.xpath("//a[@href]") if not a.get("href").startswith("#")}
    assert {ref for rule in assessment.rules for ref in rule.references} <= external
    assert all(href.startswith("https://") for href in external), external


def test_only_http_references_become_links():
    estate = generate_estate(10, seed=5)
    assessment = assess(estate)
    assessment.rules[0].references = ["javascript:alert(3)", *assessment.rules[0].references]
    doc = lxml.html.fromstring(render_html(estate, assessment))
    hrefs = [a.get("href") for a in doc.xpath("//a[@href]")]
    assert not [h for h in hrefs if not h.startswith(("#", "https://", "http://"))]
    assert "javascript:alert(3)" in doc.text_content()  # shown as text, not linked


def test_summary_sections_and_sizing_binding_resource():
    _, assessment, html = render()
    doc = lxml.html.fromstring(html)
    text = doc.text_content()
    for heading in ("Executive summary", "Readiness – Azure VMware Solution", "Disposition", "Top blockers",
                    "Target sizing", "Rule catalogue", "Collection issues", "About this report"):
        assert heading in text
    for result in assessment.sizing:
        for option in result.options:
            assert option.node_type in text
    bindings = {o.binding_resource for r in assessment.sizing for o in r.options}
    names = [span.text_content() for span in doc.xpath("//span[@class='res-name']")]
    shown = {name for name in names if "(binding)" in name}
    assert shown == {f"{label(b)} (binding)" for b in bindings if b in ("cpu", "memory", "storage")}
    assert len(doc.xpath("//section[@id='rules']//tbody/tr")) == len(assessment.rules)
    assert len(doc.xpath("//svg")) >= 5


def test_no_sizing_section_without_sizing():
    _, _, html = render(with_sizing=False)
    assert "Target sizing" not in html


def test_write_html_is_atomic_and_utf8(tmp_path):
    estate = generate_estate(20, seed=1)
    path = tmp_path / "report.html"
    write_html(estate, assess(estate), path)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
