"""HTML report reading aids (issue 17): a legend for readiness / method / disposition, one unit for
memory, each sizing source listed once, and the price column only when prices were given."""

import json
from collections import Counter
from pathlib import Path

import lxml.html
from click.testing import CliRunner

from scanner.cli import main

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "fixtures" / "sample-estate.json.gz"


def _report(tmp_path: Path, *extra: str) -> lxml.html.HtmlElement:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(FIXTURE), "--out", str(out), "--format", "html", *extra])
    assert result.exit_code == 0, result.output
    return lxml.html.fromstring((out / "report.html").read_text(encoding="utf-8"))


def test_legend_explains_readiness_method_and_disposition(tmp_path: Path) -> None:
    doc = _report(tmp_path)
    [legend] = doc.xpath("//section[@id='summary']//details[contains(@class, 'how-to-read')]")
    text = " ".join(legend.text_content().split())
    for term in ("Readiness", "HCX method", "Disposition", "Rehost", "Remediate", "Replatform", "Retire", "Retain"):
        assert term in text, term
    # The two cases first-time readers asked about: a template, and "ready" VMs that are replatform.
    assert "a template is ready (HCX Cold Migration, as it is powered off) yet retire" in text
    assert "ready with conditions yet replatform" in text


def test_detail_view_gives_memory_in_gib(tmp_path: Path) -> None:
    doc = _report(tmp_path)
    data = json.loads(doc.xpath("//script[@id='vm-data']")[0].text)
    facts = [dict(detail[3]) for detail in data["details"]]
    assert not [f for f in facts if "Memory (MiB)" in f]
    memory = Counter(f["Memory"] for f in facts)
    # Hand check against the table's Mem GiB column (row[8]) for every VM.
    for row, fact in zip(data["rows"], facts, strict=True):
        assert fact["Memory"] == f"{row[8]:,.1f} GiB"
    assert all(value.endswith(" GiB") for value in memory)


def test_sizing_sources_are_listed_once_per_card(tmp_path: Path) -> None:
    doc = _report(tmp_path)
    cards = doc.xpath("//section[@id='summary']//details[@class='params']")
    assert cards
    for card in cards:
        sources = [li.text_content().strip() for li in card.xpath(".//ol[contains(@class, 'sources')]/li")]
        assert sources and len(sources) == len(set(sources))
        markers = card.xpath(".//dd/sup")
        assert len(markers) >= len(sources)
        # The parameter rows carry a numbered marker, not the URL (it was repeated on ~20 rows).
        [rows] = card.xpath(".//dl")
        assert "http" not in rows.text_content()
        assert {m.text_content() for m in markers} == {f"[{n}]" for n in range(1, len(sources) + 1)}


def test_price_column_only_with_prices_otherwise_says_how(tmp_path: Path) -> None:
    doc = _report(tmp_path / "a")
    assert not [th for th in doc.xpath("//table[@class='sizing']//th") if th.text_content() == "Price"]
    hints = doc.xpath("//p[starts-with(@id, 'no-prices-')]")
    assert [h.get("id") for h in hints] == ["no-prices-avs", "no-prices-vmc"]
    assert "price_per_node" in hints[0].text_content() and "docs/sizing.md" in hints[0].text_content()
    policy = tmp_path / "prices.toml"
    policy.write_text("[targets.avs.node_types.AV36P]\nprice_per_node = 9000.0\n", encoding="utf-8")
    priced = _report(tmp_path / "b", "--policy", str(policy))
    headers = [[th.text_content() for th in table.xpath(".//th")] for table in priced.xpath("//table[@class='sizing']")]
    assert "Price" in headers[0] and "Price" not in headers[1]  # only AVS was given a price
    assert [h.get("id") for h in priced.xpath("//p[starts-with(@id, 'no-prices-')]")] == ["no-prices-vmc"]
