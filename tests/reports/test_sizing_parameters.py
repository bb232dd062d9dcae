"""The report and workbook show the sizing parameters used, the notes and the VMs that fit no node type."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import openpyxl
from click.testing import CliRunner

from scanner.analysis.io import load_assessment
from scanner.cli import main
from scanner.inventory.io import load_estate
from scanner.reporters.html import render_html

REPO = Path(__file__).resolve().parents[2]
KUBEV2V = REPO / "fixtures" / "kubev2v-example1.xlsx"
SAMPLE = REPO / "fixtures" / "sample-estate.json.gz"


def report(tmp_path: Path, source: Path, *extra: str) -> Path:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["report", "--as-of", "2026-11-25",
                                       str(source), "--out", str(out), "--format", "html,xlsx,json",
                                       *extra])
    assert result.exit_code == 0, result.output
    return out


def sheet_rows(path: Path, sheet: str) -> tuple[tuple[object, ...], list[tuple[object, ...]]]:
    """(header, data rows) of one table sheet, checked to be one filterable table."""
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(rows[0]))}{len(rows)}"
    return rows[0], rows[1:]


def parameter_rows(path: Path) -> dict[tuple[str, str], tuple[object, object]]:
    """(target, parameter) -> (value, source) from sheets "Sizing parameters" and "Sizing sources"."""
    header, rows = sheet_rows(path, "Sizing parameters")
    assert header == ("Target", "Parameter", "Meaning", "Value", "Source")
    source_header, sources = sheet_rows(path, "Sizing sources")
    assert source_header == ("Target", "Source", "Reference", "Parameters")
    references = {(target, number): reference for target, number, reference, _ in sources}
    # Each target's sources listed once, numbered from 1.
    for target in {target for target, *_ in sources}:
        numbers = [number for t, number, *_ in sources if t == target]
        assert numbers == list(range(1, len(numbers) + 1))
    return {(target, key): (value, references[(target, number)] if number is not None else None)
            for target, key, _, value, number in rows}


def test_workbook_shows_the_shipped_parameters_as_numbers(tmp_path: Path) -> None:
    out = report(tmp_path, KUBEV2V)
    params = parameter_rows(out / "report.xlsx")
    # scanner/data/targets.toml: [sizing.avs] cpu_oversubscription = 4.0, [sizing.vmc] hyperthreading_factor = 1.25
    assert params[("avs", "cpu_oversubscription")][0] == 4.0
    assert params[("vmc", "hyperthreading_factor")][0] == 1.25
    assert params[("vmc", "cpu_max_utilisation")][0] == 0.85
    assert params[("avs", "host_failures_to_tolerate")][0] == 1
    # The management reserve cites the AVS architecture page, not the [sizing] table's source.
    assert params[("avs", "management_reserve_cpu_ghz")] == (
        46.0, "https://learn.microsoft.com/azure/azure-vmware/architecture-private-clouds (as of 2025-04-02)")
    assert params[("avs", "ftt")][0] == 1
    assert params[("avs", "cpu_oversubscription")][1].startswith("https://learn.microsoft.com/")
    assessment = load_assessment(out / "assessment.json")
    for result in assessment.sizing:
        option = result.recommended_option()
        assert option is not None
        assert params[(result.target, "storage_policy")][0] == option.storage_policy
        assert params[(result.target, "basis")][0] == result.basis


def test_policy_override_changes_what_is_shown_and_names_the_file(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    policy.write_text("[sizing]\nftt = 2\n[sizing.avs]\ncpu_oversubscription = 6.0\n", encoding="utf-8")
    out = report(tmp_path, KUBEV2V, "--policy", str(policy))
    params = parameter_rows(out / "report.xlsx")
    assert params[("avs", "cpu_oversubscription")] == (6.0, f"policy file {policy.name}")
    assert params[("vmc", "cpu_oversubscription")][0] == 4.0  # the override was for AVS only
    assert params[("avs", "ftt")] == (2, f"policy file {policy.name}")
    assert params[("avs", "storage_policy")][0] == "FTT2-RAID1"
    doc = lxml.html.fromstring((out / "report.html").read_text(encoding="utf-8"))
    avs_terms = doc.xpath("//dl[@class='params']")[0]
    shown = {dt.get("title"): dt.getnext().text_content() for dt in avs_terms.xpath("./dt")}
    assert shown["cpu_oversubscription"].startswith("6 ")
    assert shown["ftt"].startswith("2 ")


def test_vms_fitting_no_node_are_named_in_html_and_workbook(tmp_path: Path) -> None:
    out = report(tmp_path, SAMPLE, "--as-of", "2025-06-30")
    assessment = load_assessment(out / "assessment.json")
    estate = load_estate(SAMPLE)
    names = {vm.id: vm.name for vm in estate.all_vms()}
    avs = next(s for s in assessment.sizing if s.target == "avs")
    assert avs.vms_fitting_no_node_type, "the seeded estate has a VM larger than any AVS node"
    too_large = names[avs.vms_fitting_no_node_type[0]]

    html = (out / "report.html").read_text(encoding="utf-8")
    doc = lxml.html.fromstring(html)
    card = doc.xpath("//h2[@id='sizing']/following-sibling::div[1]/div")[0]
    text = card.text_content()
    assert "Parameters used" in text
    # One line for the node types that leave out the same VMs (here every AVS type, one VM).
    misfit_lines = [p.text_content() for p in card.xpath(".//p") if "fit no node of type" in p.text_content()]
    assert misfit_lines == [f"VMs that fit no node of type AV36, AV36P, AV48, AV52, AV64 (1): {too_large}"]
    for note in avs.notes:
        assert note in text

    header, rows = sheet_rows(out / "report.xlsx", "VMs that fit no node")
    assert header == ("Target", "Node type", "VM", "VM id")
    listed = set(rows)
    assert len(listed) == len(rows) == sum(len(o.vms_not_fitting) for s in assessment.sizing for o in s.options)
    _, notes = sheet_rows(out / "report.xlsx", "Sizing notes")
    assert notes == [(s.target, note) for s in assessment.sizing for note in s.notes]
    for option in avs.options:
        for vm_id in option.vms_not_fitting:
            assert ("avs", option.node_type, names[vm_id], vm_id) in listed


def test_html_escapes_parameter_and_vm_text(tmp_path: Path) -> None:
    out = report(tmp_path, SAMPLE)
    estate = load_estate(SAMPLE)
    assessment = load_assessment(out / "assessment.json")
    avs = next(s for s in assessment.sizing if s.target == "avs")
    misfit = avs.vms_fitting_no_node_type[0]
    next(vm for vm in estate.all_vms() if vm.id == misfit).name = "<b>big</b>"
    avs.notes.append("<script>x</script>")
    html = render_html(estate, assessment)
    assert "&lt;b&gt;big&lt;/b&gt;" in html and "<b>big</b>" not in html
    assert "&lt;script&gt;x&lt;/script&gt;" in html


def test_basis_confidence_headroom_and_rule_beside_every_host_count(tmp_path: Path) -> None:
    # RVTools input: as on-premises, confidence n/a; the sample snapshot carries a 30-day history.
    for source, basis in ((KUBEV2V, "as on-premises (allocated), confidence n/a"),
                          (SAMPLE, "performance (utilisation history), p95 x 1.3, confidence high (5/5")):
        out = report(tmp_path / source.stem, source)
        assessment = load_assessment(out / "assessment.json")
        doc = lxml.html.fromstring((out / "report.html").read_text(encoding="utf-8"))
        cards = doc.xpath("//h2[@id='sizing']/following-sibling::div[1]/div")
        summary = [row[0] for row in openpyxl.load_workbook(out / "report.xlsx")["Summary"].iter_rows(values_only=True)
                   if isinstance(row[0], str)]
        for result, card in zip(assessment.sizing, cards, strict=True):
            option = result.recommended_option()
            assert option is not None
            text = " ".join(card.text_content().split())
            assert f": {option.nodes} x {option.node_type} (" in card.xpath(".//h3")[0].text_content()
            assert f"Basis: {basis}" in text
            assert "Headroom included: N+1 per cluster" in text
            assert "Recommendation rule: no prices given: fewest nodes" in text
            line = next(s for s in summary if s.startswith(("Azure VMware Solution: ", "VMware Cloud on AWS: "))
                        and result.target in ("avs" if s.startswith("Azure") else "vmc"))
            assert basis in line and "headroom: N+1 per cluster" in line and "rule: " in line


def test_sizing_quantities_name_their_unit_and_storage_is_raw(tmp_path: Path) -> None:
    import re

    out = report(tmp_path, KUBEV2V)
    doc = lxml.html.fromstring((out / "report.html").read_text(encoding="utf-8"))
    cards = doc.xpath("//h2[@id='sizing']/following-sibling::div[1]/div")
    assert cards
    for card in cards:
        text = " ".join(card.text_content().split())
        caption = " ".join(card.xpath(".//table[@class='sizing']/caption")[0].text_content().split())
        assert "CPU in vCPU" in caption and "memory in GiB" in caption and "storage in raw TiB" in caption
        # Every reserve and every demand / capacity pair with its unit (a bare "reserve 141.5" was GHz or vCPU?).
        assert re.findall(r"reserve [\d,.]+(?![\d,.])(?! (?:vCPU|GiB|GHz))", text) == []
        assert re.search(r"[\d.]+ / [\d,.]+ TiB raw after headroom", text)
        assert re.search(r"management reserve \d+ GHz CPU / [\d.]+ GiB memory|Headroom included: N\+1", text)
        # Shares with one decimal, as the workbook's 0.0 % format shows them.
        shares = re.findall(r"(\d+(?:\.\d+)?)% all hosts up", text)
        assert shares and all("." in share for share in shares)


def test_shares_have_one_decimal_and_settings_stay_as_given() -> None:
    from scanner.analysis.model import SHARE_FORMAT_XLSX, setting_text, share_text

    assert share_text(0.965) == "96.5%" and share_text(1.0) == "100.0%" and share_text(0.9996) == "100.0%"
    assert SHARE_FORMAT_XLSX == "0.0%"  # what Excel and LibreOffice show for the same value
    assert (setting_text(0.25), setting_text(0.85), setting_text(0.125)) == ("25%", "85%", "12.5%")
