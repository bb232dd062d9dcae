"""`vmscan analyze` carries sizing: terminal line per target, assessment JSON, basis and policy overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.analysis.io import load_assessment
from scanner.cli import main

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
KUBEV2V = str(FIXTURES / "kubev2v-example1.xlsx")
SAMPLE = str(FIXTURES / "sample-estate.json.gz")


def test_analyze_prints_and_writes_sizing_per_target(tmp_path: Path) -> None:
    output = tmp_path / "assessment.json"
    result = CliRunner().invoke(main, ["analyze", "--as-of", "2026-11-25",
                                       KUBEV2V, "--sizing-basis", "allocated", "-o", str(output)])
    assert result.exit_code == 0, result.output
    # docs/sizing.md: 3 x AV36P (the 3-host minimum binds; AV36 is of limited availability, AV52
    # ties at 3 nodes with more capacity). VMC (i3.metal is limited): i3en.metal takes
    # 48 x 1.25 x 4 x 0.85 = 204 vCPU; 69 vCPU need 1 working host + 1 spare = 2, CPU the most
    # utilised of the resources needing 2: 69 / 204 = 33.8 %.
    assert ("sizing       3 x AV36P (1 cluster(s), 1 spare), bound by the minimum cluster size; "
            "as on-premises (allocated), confidence n/a") in result.output
    assert "sizing       2 x i3en.metal (1 cluster(s), 1 spare), bound by cpu at 33.8% after headroom" in result.output
    assert ("headroom: N+1 per cluster, management reserve 46 GHz CPU / 171.88 GiB memory, vSAN slack 25%"
            in result.output)
    assert "rule: no prices given: fewest nodes among node types that can form a first cluster" in result.output
    sizing = {s.target: s for s in load_assessment(output).sizing}
    assert set(sizing) == {"avs", "vmc"}
    assert sizing["avs"].basis == "allocated"
    assert sizing["avs"].parameters["cpu_oversubscription"] == 4.0
    assert {o.node_type for o in sizing["avs"].options} == {"AV36", "AV36P", "AV48", "AV52", "AV64"}


def test_sample_estate_names_the_binding_resource_and_the_vm_too_large(tmp_path: Path) -> None:
    output = tmp_path / "assessment.json"
    result = CliRunner().invoke(main, ["analyze", "--as-of", "2026-11-25",
                                       SAMPLE, "--sizing-basis", "allocated", "-o", str(output)])
    assert result.exit_code == 0, result.output
    avs = next(s for s in load_assessment(output).sizing if s.target == "avs")
    option = avs.recommended_option()
    # By hand from the snapshot: 120 VMs, 1 template; DC0_H0_VM14 (128 vCPU, 4 TiB RAM) fits no AVS
    # node; the other 118 allocate 629 vCPU and 2,210 GiB. An AV52 host gives 52 cores x 2 threads x
    # 4 vCPU = 416 vCPU and 1,536 GiB; with one host kept spare and the management reserve taken off
    # (136.296 vCPU, 171.88 GiB), 3 hosts offer 2 x 416 - 136.296 = 695.704 vCPU and
    # 2 x 1,536 - 171.88 = 2,900.12 GiB. CPU needs 3 hosts (2 do not hold 629 vCPU after the spare and
    # the reserve), so does memory; cpu, the first resource needing all 3, binds (docs/sizing.md).
    assert avs.vm_count == 119
    assert avs.vms_fitting_no_node_type == ["dbed6e0c-bd88-4ef6-b594-21283e1c677f/vm-159"]
    assert option is not None
    assert (option.node_type, option.nodes, option.clusters, option.binding_resource) == (
        "AV52", 3, 1, "cpu")
    use = {r.resource: r for r in option.resources}
    assert (use["cpu"].demand, use["cpu"].nodes_needed) == (629, 3)
    assert use["cpu"].capacity == pytest.approx(2 * 52 * 2 * 4 - 136.296)
    assert (use["memory"].demand, use["memory"].nodes_needed) == (2210, 3)
    assert use["memory"].capacity == pytest.approx(2 * 1536 - 171.88)
    assert "sizing       3 x AV52 (1 cluster(s), 1 spare), bound by cpu at 90.4% after headroom" in result.output


def test_policy_overrides_sizing_and_bad_values_exit_2(tmp_path: Path) -> None:
    policy = tmp_path / "policy.toml"
    # FTT2 has no policy below 5 hosts (FTT2-RAID1 needs 5): the small estate becomes 5 x AV36P,
    # bound by the minimum cluster size.
    policy.write_text("[sizing]\nftt = 2\n", encoding="utf-8")
    output = tmp_path / "assessment.json"
    result = CliRunner().invoke(
        main, ["analyze", "--as-of", "2026-11-25",
               KUBEV2V, "--sizing-basis", "allocated", "--policy", str(policy), "-o", str(output)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "sizing       5 x AV36P (1 cluster(s), 1 spare), bound by the minimum cluster size; as on-premises "
        "(allocated), confidence n/a (configuration, not measurement); 9 VMs, FTT2-RAID1" in result.output
    )
    policy.write_text("[sizing.avs]\ncpu_oversubscription = 0.0\n", encoding="utf-8")
    bad = CliRunner().invoke(main, ["analyze", "--as-of", "2026-11-25",
                                    KUBEV2V, "--policy", str(policy), "-o", str(output)])
    assert bad.exit_code == 2
    assert "sizing.avs.cpu_oversubscription" in bad.output
    assert len(bad.output.strip().splitlines()) == 1
