"""Targets as data (issue 20): which targets exist and run, per-target hand-worked sizing (Amazon EVS's
4-host minimum, AVS Gen 2's vSAN ESA policies), the side-by-side comparison, the price file.

Shipped facts the cases use (scanner/data/targets.toml):
  EVS i4i.metal: 64 cores, 1,024 GiB, 30 TB raw (decimal: 30e12 / 2^40 = 27.285 TiB); cluster 4..16;
    no management reserve published (0); [sizing] defaults: 64 x 2 x 4 = 512 vCPU per node.
  AVS Gen 2 AV64: 64 cores, 1,024 GB (DIMM = GiB), 19.25 TB = 17.508 TiB raw; cluster 3..16; reserve
    46 GHz / 171.88 GiB; ESA RAID-5 2+1 (1.5x) from 3 hosts, 4+1 (1.25x) from 6.
  Storage raw demand = (disk + swap) x RAID factor / 1.5 (dedupe); usable per node = raw x 0.75.
"""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scanner.analysis.comparison import compare_targets, format_comparison_lines
from scanner.analysis.engine import analyze
from scanner.analysis.prices import load_prices
from scanner.analysis.sizing import size_target
from scanner.analysis.targets import ALL_TARGETS, default_targets, resolve_targets, target_ids
from scanner.cli import main
from scanner.errors import InputError
from scanner.pipeline import assess_settings, load_and_assess
from scanner.policy import default_policy, load_default_data
from scanner.rules import load_catalogue
from tests.factories import AS_OF, clean_vm, estate_of
from tests.unit.test_sizing import GIB, TIB, shipped_config, vm
from tests.unit.test_sizing import estate_of as sizing_estate

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "fixtures" / "sample-estate.json.gz"
KUBEV2V = REPO / "fixtures" / "kubev2v-example1.xlsx"
PRICES_EXAMPLE = REPO / "docs" / "examples" / "prices.toml"
EVERY_TARGET = ("avs", "vmc", "avs-gen2", "evs", "gcve")


def test_targets_come_from_the_data() -> None:
    data = load_default_data()
    assert target_ids(data) == EVERY_TARGET
    assert default_targets(data) == ("avs", "vmc")
    assert resolve_targets(None, data) == ("avs", "vmc")
    assert resolve_targets("all", data) == EVERY_TARGET
    assert resolve_targets("gcve,avs", data) == ("avs", "gcve")  # the data's order
    with pytest.raises(InputError, match="unknown target 'nope'"):
        resolve_targets("avs,nope", data)


def test_every_target_has_cited_facts() -> None:
    data = load_default_data()
    for target in EVERY_TARGET:
        table = data["targets"][target]
        assert table["source"].startswith("https://") and table["as_of"], target
        assert table["cluster"]["source"].startswith("https://"), target
        assert set(table["migration_methods"]) <= {"hcx_vmotion", "hcx_rav", "hcx_bulk", "hcx_cold"}
        for name, node in table["node_types"].items():
            assert node["source"].startswith("https://") and node["as_of"], (target, name)
    assert data["targets"]["evs"]["licence_minimums"] == {
        "cores": 256, "vsan_tib": 110, "source": "https://docs.aws.amazon.com/evs/latest/APIReference/API_LicenseInfo.html",
        "as_of": "2026-12-06"}
    # Unverified facts are said so in the data, not hidden.
    assert "cluster.max_hosts" in data["targets"]["gcve"]["unconfirmed"]


def test_new_targets_get_every_rule() -> None:
    registry = load_catalogue()
    specs = registry.specs()
    assert all(spec.targets == ALL_TARGETS for spec in specs)
    for target in ("avs-gen2", "evs", "gcve"):
        assert all(spec.applies_to(target) for spec in specs)


def test_a_vm_too_large_for_some_targets_blocks_those_only() -> None:
    # 1,200 GiB: over VMC/EVS i4i.metal (1,024 GiB) and Gen 2 AV64 (1,024 GiB), under AVS AV52
    # (1,536 GiB) and GCVE ve2 (2,048 GiB). Near miss: 1,000 GiB fits every target.
    big = clean_vm("vc-uuid/vm-1", name="big", memory_mib=1200 * 1024)
    near = clean_vm("vc-uuid/vm-2", name="near", memory_mib=1000 * 1024)
    assessment = analyze(estate_of(big, near), targets=EVERY_TARGET, as_of=_date(AS_OF))
    blocked = {t for f in assessment.findings if f.rule_id == "vm.memory-exceeds-node" and f.status == "fail"
               for t in f.targets}
    assert blocked == {"vmc", "avs-gen2", "evs"}
    assert not [f for f in assessment.findings if f.rule_id == "vm.memory-exceeds-node" and f.vm_id == near.id]
    outcome = {o.name: o for o in assessment.vms}
    assert outcome["big"].readiness["avs"] != "not_ready" and outcome["big"].readiness["evs"] == "not_ready"
    rows = {row.target: row for row in compare_targets(assessment)}
    assert rows["evs"].specific_blockers == [("vm.memory-exceeds-node", 1)]
    assert rows["avs"].specific_blockers == [] and rows["gcve"].specific_blockers == []


def _date(text: str):
    import datetime as dt
    return dt.date.fromisoformat(text)


# --------------------------------------------------------------------------------------------
# Hand-worked sizing per target

def test_evs_never_below_its_four_host_minimum() -> None:
    # 1 x (2 vCPU, 4 GiB, 10 GiB): every resource needs 1 working host + 1 spare = 2; the EVS
    # environment minimum is 4 -> 4 x i4i.metal, bound by the minimum cluster; RAID-5 (from 4 hosts).
    result = size_target(sizing_estate([vm(1, 2, 4, 10 * GIB)]), None, "evs", shipped_config(), "allocated")
    option = result.recommended_option()
    assert option is not None and option.node_type == "i4i.metal"
    assert (option.nodes, option.clusters, option.binding_resource) == (4, 1, "minimum_cluster")
    assert option.storage_policy == "FTT1-RAID5"


def test_evs_memory_bound_above_the_minimum() -> None:
    # 250 x (2 vCPU, 16 GiB, 10 GiB): memory 4,000 GiB / 1,024 = 3.91 -> 4 working + 1 spare = 5.
    # CPU 500 vCPU / 512 -> 1 (+1); storage (2,500 + 4,000 swap) GiB = 6.348 TiB x 1.33 / 1.5 =
    # 5.628 TiB raw / (27.285 x 0.75 = 20.46) -> 1. Five hosts, bound by memory.
    vms = [vm(i, 2, 16, 10 * GIB) for i in range(250)]
    option = size_target(sizing_estate(vms), None, "evs", shipped_config(), "allocated").recommended_option()
    assert option is not None and (option.nodes, option.binding_resource) == (5, "memory")
    memory = next(r for r in option.resources if r.resource == "memory")
    assert memory.demand == pytest.approx(4000.0) and memory.capacity == pytest.approx(4 * 1024.0)
    storage = next(r for r in option.resources if r.resource == "storage")
    assert storage.capacity == pytest.approx(5 * 30e12 / TIB * 0.75, rel=1e-3)


def test_avs_gen2_uses_esa_raid5_where_gen1_policies_need_raid1() -> None:
    # 10 x (2 vCPU, 4 GiB, 10 TiB): disk + swap = 100 TiB + 40 GiB = 100.039 TiB.
    # AV64 Gen 2 usable per node 19.25e12 / 2^40 x 0.75 = 13.131 TiB.
    #   ESA RAID-5 2+1 (>= 3 hosts): 100.039 x 1.5 / 1.5 = 100.039 -> ceil(7.62) = 8
    #   ESA RAID-5 4+1 (>= 6 hosts): 100.039 x 1.25 / 1.5 = 83.366 -> ceil(6.35) = 7 (>= 6): fewest
    #   RAID-1: x 2 / 1.5 = 133.39 -> 11
    vms = [vm(i, 2, 4, 10 * TIB) for i in range(10)]
    option = size_target(sizing_estate(vms), None, "avs-gen2", shipped_config(), "allocated").recommended_option()
    assert option is not None and option.node_type == "AV64"
    assert (option.nodes, option.binding_resource, option.storage_policy) == (7, "storage", "FTT1-RAID5-ESA-4+1")
    usable = 19.25e12 / TIB * 0.75
    assert math.ceil((100 + 40 / 1024) * 1.25 / 1.5 / usable) == 7


def test_gen2_uses_esa_raid5_at_three_hosts_on_the_sample() -> None:
    # The sample carries a utilisation history: the default (auto) basis sizes on performance.
    settings = assess_settings("all", None, _date(AS_OF))
    _estate, assessment = load_and_assess([str(SAMPLE)], settings)
    gen2 = next(s for s in assessment.sizing if s.target == "avs-gen2").recommended_option()
    gcve = next(s for s in assessment.sizing if s.target == "gcve").recommended_option()
    assert gen2 is not None and gcve is not None
    gen2_storage = next(r for r in gen2.resources if r.resource == "storage")
    gcve_storage = next(r for r in gcve.resources if r.resource == "storage")
    # Same estate, same (disk + swap) / 1.5: at 3 hosts Gen 2's ESA RAID-5 2+1 stores it at 1.5x,
    # GCVE's OSA table can only use RAID-1 (RAID-5 needs 4 hosts) at 2x: raw demand 2 / 1.5 apart.
    assert (gen2.nodes, gen2.storage_policy) == (3, "FTT1-RAID5-ESA-2+1")
    assert (gcve.nodes, gcve.storage_policy) == (3, "FTT1-RAID1")
    assert gcve_storage.demand == pytest.approx(gen2_storage.demand * 2 / 1.5, rel=1e-3)
    assert gen2_storage.capacity == pytest.approx(3 * 19.25e12 / TIB * 0.75, rel=1e-3)


# --------------------------------------------------------------------------------------------
# The comparison

def test_comparison_on_the_bundled_sample_matches_each_targets_sizing() -> None:
    settings = assess_settings("all", None, _date(AS_OF))
    _estate, assessment = load_and_assess([str(SAMPLE)], settings)
    rows = compare_targets(assessment)
    assert [r.target for r in rows] == list(EVERY_TARGET)
    for row in rows:
        sizing = next(s for s in assessment.sizing if s.target == row.target)
        option = sizing.recommended_option()
        assert option is not None
        assert (row.node_type, row.nodes, row.binding_resource) == (option.node_type, option.nodes,
                                                                     option.binding_resource)
        # DC0_H0_VM14 (128 vCPU, 4 TiB RAM) fits no node of any target.
        assert row.vms_fitting_no_node_type == 1
        assert row.costs == [] and not row.unpriced
    lines = format_comparison_lines(assessment)
    assert lines[0].startswith("targets side by side")
    assert any("EVS" in line and "4 x i4i.metal" in line and "minimum_cluster" in line for line in lines)
    assert any("256 cores" in line for line in lines)
    assert "  cost: no price file given (--prices FILE); vmscan ships no prices and shows none" in lines


def test_comparison_on_kubev2v_by_hand() -> None:
    # 9 VMs, 69 vCPU, 143.27 GiB, 1.4057 TiB (docs/sizing.md worked check). Every target needs 1
    # working host + 1 spare for each resource, so its minimum cluster decides: AVS 3, Gen 2 3, EVS 4,
    # GCVE 3. VMC's minimum is 2 = the CPU count itself (i3en.metal 48 x 1.25 x 4 x 0.85 = 204 vCPU;
    # 69 / 204 -> 1 + 1 spare), and CPU is the most utilised resource that needs those 2: "cpu".
    settings = assess_settings("all", None, _date(AS_OF))
    _estate, assessment = load_and_assess([str(KUBEV2V)], settings)
    rows = {row.target: row for row in compare_targets(assessment)}
    assert {t: (r.nodes, r.binding_resource) for t, r in rows.items()} == {
        "avs": (3, "minimum_cluster"), "vmc": (2, "cpu"), "avs-gen2": (3, "minimum_cluster"),
        "evs": (4, "minimum_cluster"), "gcve": (3, "minimum_cluster")}
    assert all(r.vms_fitting_no_node_type == 0 for r in rows.values())
    assert all(sum(r.readiness.values()) == 9 for r in rows.values())


# --------------------------------------------------------------------------------------------
# Prices

def test_price_file_round_trip(tmp_path: Path) -> None:
    # The example file: AV36P on-demand 10 EUR/hour x 730 = 7,300/month; 3-year 4,000/month.
    prices = load_prices(str(PRICES_EXAMPLE), load_default_data())
    av36p = {p.term: p.monthly for p in prices if p.node_type == "AV36P"}
    assert av36p == {"on-demand": 7300.0, "3-year": 4000.0}
    out = tmp_path / "assessment.json"
    result = CliRunner().invoke(main, ["analyze", str(KUBEV2V), "--as-of", AS_OF, "--target", "avs,evs", "--prices",
                                       str(PRICES_EXAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    # kubev2v: 3 x AV36P (the only priced AVS type is recommended) and 4 x i4i.metal (11 EUR/hour).
    assert "on-demand: 21,900 EUR/month, 788,400 EUR over 3 years; 3-year: 12,000 EUR/month, 432,000 EUR" \
           in result.output
    assert "on-demand: 32,120 EUR/month, 1,156,320 EUR over 3 years" in result.output
    from scanner.analysis.io import load_assessment
    saved = load_assessment(out)
    assert {(p.target, p.node_type, p.term) for p in saved.prices} == {
        ("avs", "AV36P", "on-demand"), ("avs", "AV36P", "3-year"), ("evs", "i4i.metal", "on-demand")}
    rows = {row.target: row for row in compare_targets(saved)}
    assert [(c.term, c.monthly, c.three_years) for c in rows["avs"].costs] == [
        ("on-demand", 21900.0, 788400.0), ("3-year", 12000.0, 432000.0)]


def test_report_with_prices_writes_the_targets_sheet_and_section(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(KUBEV2V), "--as-of", AS_OF, "--out", str(tmp_path / "r"),
                                       "--target", "all", "--prices", str(PRICES_EXAMPLE)])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(tmp_path / "r" / "report.xlsx", read_only=True)["Targets"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    by_target = [dict(zip(header, row, strict=False)) for row in rows[1:]]
    evs = next(r for r in by_target if r["Target"] == "EVS")
    assert (evs["Node type"], evs["Hosts"], evs["Cost per month"], evs["Cost over 3 years"]) == (
        "i4i.metal", 4, 32120.0, 1156320.0)
    assert next(r for r in by_target if r["Target"] == "GCVE")["Price term"] == "not priced"
    html = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert 'id="targets"' in html and "Amazon Elastic VMware Service" in html


@pytest.mark.parametrize(("text", "message"), [
    ('currency = "EUR"\n[[price]]\ntarget = "avs"\nnode_type = "AV99"\nterm = "on-demand"\nper = "hour"\n'
     'amount = 1.0\n', "has no node type 'AV99'"),
    ('currency = "EUR"\n[[price]]\ntarget = "avs"\nnode_type = "AV36"\nterm = "5-year"\nper = "hour"\n'
     'amount = 1.0\n', "term must be one of"),
    ('currency = "EUR"\n[[price]]\ntarget = "avs"\nnode_type = "AV36"\nterm = "1-year"\nper = "hour"\n'
     'amount = -1.0\n', "amount must be a number above 0"),
    ("currency = \n", "not valid TOML"),
])
def test_bad_price_file_exits_2_with_one_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "prices.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["analyze", str(KUBEV2V), "--as-of", AS_OF, "--prices", str(path)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
    assert str(tmp_path) not in result.output  # named by file name


def test_price_file_that_is_no_regular_file_or_missing_exits_2(tmp_path: Path) -> None:
    for path in ("/dev/zero", str(tmp_path), str(tmp_path / "missing.toml")):
        result = CliRunner().invoke(main, ["analyze", str(KUBEV2V), "--as-of", AS_OF, "--prices", path])
        assert result.exit_code == 2 and "Traceback" not in result.output, (path, result.output)
        if path != str(tmp_path):  # a folder is refused by click's path check, as for --policy
            assert len(result.output.strip().splitlines()) == 1, result.output


def test_unknown_target_is_refused_by_the_option() -> None:
    result = CliRunner().invoke(main, ["analyze", str(KUBEV2V), "--as-of", AS_OF, "--target", "Azure!"])
    assert result.exit_code == 2 and "is not a target" in result.output


def test_default_policy_lists_all_targets_in_its_data() -> None:
    assert tuple(default_policy().data["targets"]) == EVERY_TARGET


# --------------------------------------------------------------------------------------------
# Native IaaS sizes (targets.toml [native]; fewest vCPUs, then least memory)

def test_native_size_picks_by_hand() -> None:
    from scanner.analysis.native import catalogue, smallest_fit

    sizes = catalogue(load_default_data())
    azure, ec2 = sizes["azure"], sizes["ec2"]
    # 3 vCPU / 3.44 GiB (kubev2v vm-3): the 4-vCPU sizes are F4s_v2 (8 GiB), D4s_v5 (16), E4s_v5 (32).
    assert smallest_fit(azure, 3, 3.44)["name"] == "Standard_F4s_v2"
    assert smallest_fit(ec2, 3, 3.44)["name"] == "c6i.xlarge"
    # 8 vCPU / 16.41 GiB (kubev2v vm-5): F8s_v2 has 16 GiB - too little - so D8s_v5 (32 GiB).
    assert smallest_fit(azure, 8, 16.41)["name"] == "Standard_D8s_v5"
    assert smallest_fit(ec2, 8, 16.41)["name"] == "m6i.2xlarge"
    # 2 vCPU / 16 GiB exactly: E2s_v5 (2, 16) fits (>=); r6i.large (2, 16) too.
    assert smallest_fit(azure, 2, 16)["name"] == "Standard_E2s_v5"
    assert smallest_fit(ec2, 2, 16)["name"] == "r6i.large"
    # 100 vCPU / 700 GiB: beyond every Azure size listed (E104is_v5 has 672 GiB); m6i.32xlarge (128, 512)
    # lacks memory, r6i.32xlarge (128, 1,024) holds it.
    assert smallest_fit(azure, 100, 700) is None
    assert smallest_fit(ec2, 100, 700)["name"] == "r6i.32xlarge"


def test_native_sizes_for_replatform_vms_of_kubev2v(tmp_path: Path) -> None:
    # kubev2v: vm-3 (3 vCPU, 3,526 MiB) and vm-5 (8 vCPU, 16,799 MiB) are the replatform candidates
    # (end-of-support guest OS); the others are rehost and get no native size.
    out = tmp_path / "a.json"
    result = CliRunner().invoke(main, ["analyze", str(KUBEV2V), "--as-of", AS_OF, "-o", str(out)])
    assert result.exit_code == 0, result.output
    from scanner.analysis.io import load_assessment
    saved = load_assessment(out)
    picks = {o.name: {n.provider: n.size for n in o.native_sizes} for o in saved.vms if o.native_sizes}
    assert picks == {"vm-3": {"azure": "Standard_F4s_v2", "ec2": "c6i.xlarge"},
                     "vm-5": {"azure": "Standard_D8s_v5", "ec2": "m6i.2xlarge"}}
    vm5 = next(o for o in saved.vms if o.name == "vm-5").native_sizes[0]
    assert (vm5.basis, vm5.demand_vcpu, vm5.demand_memory_gib) == ("allocated", 8.0, 16.41)
    assert {o.disposition for o in saved.vms if o.native_sizes} == {"replatform"}
    # --native-sizes all: every VM; none: no VM.
    everyone = CliRunner().invoke(main, ["analyze", str(KUBEV2V), "--as-of", AS_OF, "--native-sizes", "all",
                                         "-o", str(out)])
    assert everyone.exit_code == 0
    assert sum(1 for o in load_assessment(out).vms if o.native_sizes) == 9
    CliRunner().invoke(main, ["analyze", str(KUBEV2V), "--as-of", AS_OF, "--native-sizes", "none", "-o", str(out)])
    assert not any(o.native_sizes for o in load_assessment(out).vms)


def test_native_size_column_in_the_vm_sheet(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(KUBEV2V), "--as-of", AS_OF, "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(tmp_path / "r" / "report.xlsx", read_only=True)["VMs"]
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("Native IaaS size")
    cells = {row[0]: row[column] for row in rows[1:]}
    assert cells["vm-5"] == "azure: Standard_D8s_v5; ec2: m6i.2xlarge"
    assert cells["vm-3"] == "azure: Standard_F4s_v2; ec2: c6i.xlarge (unconfirmed)"
    assert cells["vm-1"] is None
    assert 'id="native"' in (tmp_path / "r" / "report.html").read_text(encoding="utf-8")


def test_a_target_offering_fewer_methods_recommends_among_those_in_the_same_analysis() -> None:
    # Readiness results are shared between targets offering the same methods (ReadinessMemo): a
    # target offering only Bulk must not get another target's vMotion. Near miss: avs offers all.
    policy = default_policy()
    policy.data["targets"]["vmc"]["migration_methods"] = ["hcx_bulk"]
    assessment = analyze(estate_of(clean_vm("vc-uuid/vm-1")), targets=["avs", "vmc", "gcve"], policy=policy,
                         as_of=_date(AS_OF))
    outcome = assessment.vms[0]
    assert outcome.recommended_method == {"avs": "hcx_vmotion", "vmc": "hcx_bulk", "gcve": "hcx_vmotion"}
    assert outcome.readiness == {"avs": "ready", "vmc": "ready", "gcve": "ready"}
