"""Every report format from the real catalogue and the real assessment of the bundled sample estate."""

from __future__ import annotations

import csv

import lxml.html
import openpyxl

from scanner.reporters.csv import write_csv
from scanner.reporters.html import render_html
from scanner.reporters.xlsx import write_xlsx
from scanner.rules import load_catalogue
from tests.reports.factory import sample

CATALOGUE = sorted(spec.id for spec in load_catalogue().specs())


def test_the_sample_assessment_uses_the_shipped_catalogue():
    estate, assessment = sample()
    assert sorted(rule.id for rule in assessment.rules) == CATALOGUE
    assert {f.rule_id for f in assessment.findings} <= set(CATALOGUE)
    assert len(assessment.vms) == len(estate.all_vms()) == 120


def test_html_lists_every_rule_and_links_only_its_references():
    estate, assessment = sample()
    doc = lxml.html.fromstring(render_html(estate, assessment))
    listed = [row.get("id") for row in doc.xpath("//section[@id='rules']//tbody/tr")]
    assert len(listed) == len(CATALOGUE)
    assert sorted(listed) == sorted(f"rule-{rule_id}" for rule_id in CATALOGUE)
    external = {a.get("href") for a in doc.xpath("//a[@href]") if not a.get("href").startswith("#")}
    assert {ref for rule in assessment.rules for ref in rule.references} <= external
    assert all(href.startswith("https://") for href in external), external


def test_xlsx_and_csv_carry_every_finding_of_the_sample(tmp_path):
    estate, assessment = sample()
    write_xlsx(estate, assessment, tmp_path / "report.xlsx")
    book = openpyxl.load_workbook(tmp_path / "report.xlsx", read_only=True)
    rules = [row[0] for row in book["Rules"].iter_rows(min_row=2, values_only=True)]
    assert sorted(rules) == CATALOGUE
    findings = list(book["Findings"].iter_rows(min_row=2, values_only=True))
    assert len(findings) == len(assessment.findings)
    (tmp_path / "csv").mkdir()
    write_csv(estate, assessment, tmp_path / "csv")
    with open(tmp_path / "csv" / "findings.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(assessment.findings)
    rule_column = next(name for name in rows[0] if name.lower().startswith("rule"))
    assert {row[rule_column] for row in rows} == {f.rule_id for f in assessment.findings}
