"""`vmscan plan`: deterministic wave plans for a hand-built estate, with the arithmetic written out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from scanner.cli import main
from scanner.inventory.io import save_estate
from scanner.waves.plan import parse_bandwidth
from tests.factories import clean_nic, clean_vm, estate_of

AS_OF = "2026-11-25"


def app_vm(vm_id: str, name: str, app: str, **changes: object):
    return clean_vm(vm_id, name=name, custom_attributes={"Application": app}, **changes)


def estate():
    """Eight VMs. Application "erp": 3 VMs, "crm": 2 VMs, "web": 1 VM on a standard-vSwitch port group;
    ft01 has Fault Tolerance running (a blocker for every method), arch01 is powered off, tpl01 is a
    template (retire). Every clean VM: 60 GiB disk (no committed size known), 16 GiB memory."""
    return estate_of(
        app_vm("vc-uuid/vm-1", "erp-db", "erp"),
        app_vm("vc-uuid/vm-2", "erp-app", "erp"),
        app_vm("vc-uuid/vm-3", "erp-web", "erp"),
        app_vm("vc-uuid/vm-4", "crm-db", "crm"),
        app_vm("vc-uuid/vm-5", "crm-app", "crm"),
        app_vm("vc-uuid/vm-6", "web01", "web", nics=[clean_nic(network="VM Network", network_kind="standard")]),
        app_vm("vc-uuid/vm-7", "ft01", "erp", ft_state="running"),
        app_vm("vc-uuid/vm-8", "arch01", "crm", power_state="powered_off"),
        clean_vm("vc-uuid/vm-9", name="tpl01", template=True, power_state="powered_off"),
    )


@pytest.fixture()
def snapshot(tmp_path: Path) -> Path:
    path = tmp_path / "estate.json.gz"
    save_estate(estate(), path)
    return path


def plan(snapshot: Path, out: Path, *extra: str) -> tuple[dict, str]:
    result = CliRunner().invoke(main, ["plan", str(snapshot), "--out", str(out), "--as-of", AS_OF,
                                       "--group-by", "attribute:Application", "--bandwidth", "1Gbps", *extra],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads((out / "plan.json").read_text()), result.stdout


def test_bandwidth_units() -> None:
    assert parse_bandwidth("1Gbps") == 1000
    assert parse_bandwidth("500 Mbit/s") == 500
    assert parse_bandwidth("10G") == 10000
    assert parse_bandwidth("250") == 250


def test_groups_stay_whole_blocked_and_retire_kept_out(snapshot: Path, tmp_path: Path) -> None:
    data, out = plan(snapshot, tmp_path / "p", "--max-vms-per-wave", "3")
    names = {vm["vm_id"]: vm["name"] for vm in data["vms"]}
    waves = [(w["number"], w["week"], w["kind"], sorted(names[i] for i in w["vm_ids"]), sorted(w["groups"]))
             for w in data["waves"]]
    # Live groups: crm (2 VMs), erp (3 VMs without the blocked ft01), web (1 VM). Whichever order the
    # readiness of web01 gives them, first fit at 3 VMs per wave puts crm and web together and erp
    # alone (erp never fits beside crm); the powered-off VM goes to a cold wave after them.
    assert waves == [
        (1, 1, "live", ["crm-app", "crm-db", "web01"], ["crm", "web"]),
        (2, 1, "live", ["erp-app", "erp-db", "erp-web"], ["erp"]),
        (3, 2, "cold", ["arch01"], ["crm"]),
    ]
    assert [names[i] for i in data["blocked"]] == ["ft01"]
    assert [names[i] for i in data["retire"]] == ["tpl01"]
    assert "6 VMs in 3 waves over 2 week(s)" not in out  # arch01 is in a wave too
    assert "7 VMs in 3 waves over 2 week(s)" in out


def test_durations_by_hand(snapshot: Path, tmp_path: Path) -> None:
    data, _ = plan(snapshot, tmp_path / "p", "--max-vms-per-wave", "3")
    # 1 Gbps × 0.7 = 700 Mbps = 87.5e6 B/s = 87.5e6 × 3600 / 2^30 = 293.37 GiB per hour.
    gib_per_hour = 700e6 / 8 * 3600 / 2**30
    wave1, wave2, wave3 = data["waves"]
    # Wave 1: three vMotions (serial, in the window): each copies 60 GiB of disk + 16 GiB of memory.
    assert wave1["methods"] == {"hcx_vmotion": 3}
    assert wave1["data_gib"] == 180.0
    assert wave1["window_hours"] == round(3 * 76 / gib_per_hour, 1) == 0.8
    assert wave1["replication_hours"] == 0.0
    # Wave 3: one cold migration of 60 GiB, inside the window, no memory copied.
    assert wave3["methods"] == {"hcx_cold": 1}
    assert wave3["window_hours"] == round(60 / gib_per_hour, 1) == 0.2
    assert wave2["window_hours"] == 0.8


def test_group_larger_than_a_wave_is_split_and_said(snapshot: Path, tmp_path: Path) -> None:
    data, out = plan(snapshot, tmp_path / "p", "--max-vms-per-wave", "2")
    erp = next(g for g in data["groups"] if g["name"] == "erp")
    assert erp["split_into"] == 2
    assert all(len(w["vm_ids"]) <= 2 for w in data["waves"])
    assert "1 move group(s) larger than one wave were split: erp" in out


def test_network_tasks_and_cutover_order(snapshot: Path, tmp_path: Path) -> None:
    data, out = plan(snapshot, tmp_path / "p", "--max-vms-per-wave", "3")
    tasks = {t["network"]: t for t in data["network"]}
    assert tasks["VM Network"]["kind"] == "standard"
    assert tasks["VM Network"]["action"].startswith("distributed switch first")
    assert (tasks["VM Network"]["first_wave"], tasks["VM Network"]["cutover_after_wave"]) == (1, 1)
    # App-VLAN100 carries ft01, which stays behind (blocked): the segment can never be cut over.
    assert tasks["App-VLAN100"]["staying_vms"] == 1
    assert tasks["App-VLAN100"]["cutover_after_wave"] is None
    assert "need a distributed switch (or re-IP) before their first wave: VM Network" in out


def test_edited_group_file_is_fed_back(snapshot: Path, tmp_path: Path) -> None:
    _, _ = plan(snapshot, tmp_path / "p", "--max-vms-per-wave", "3")
    rows = list(csv.reader((tmp_path / "p" / "move-groups.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["VM", "vCenter", "Group", "Formed by"]
    edited = [rows[0]] + [[r[0], r[1], "together" if r[0] in ("web01", "erp-db") else r[2], r[3]] for r in rows[1:]]
    group_file = tmp_path / "groups.csv"
    group_file.write_text("\n".join(",".join(r) for r in edited), encoding="utf-8")
    data, _ = plan(snapshot, tmp_path / "p2", "--max-vms-per-wave", "3", "--groups", str(group_file))
    together = next(g for g in data["groups"] if g["name"] == "together")
    assert together["rule"] == "group file"
    assert len(together["vm_ids"]) == 2
    wave_of = {i: w["number"] for w in data["waves"] for i in w["vm_ids"]}
    assert wave_of["vc-uuid/vm-6"] == wave_of["vc-uuid/vm-1"]


def test_outputs_hcx_csv_per_wave_and_workbook(snapshot: Path, tmp_path: Path) -> None:
    plan(snapshot, tmp_path / "p", "--max-vms-per-wave", "3")
    wave1 = list(csv.DictReader((tmp_path / "p" / "waves" / "wave-01.csv").read_text(encoding="utf-8-sig")
                                .splitlines()))
    assert sorted(r["VM Name"] for r in wave1) == ["crm-app", "crm-db", "web01"]
    assert {r["Migration Type"] for r in wave1} == {"vMotion"}
    assert {r["Mobility Group"] for r in wave1} == {"wave-01 web", "wave-01 crm"}
    workbook = load_workbook(tmp_path / "p" / "plan.xlsx", read_only=True)
    assert workbook.sheetnames == ["Waves", "Wave VMs", "Move groups", "Network", "Kept out", "Assumptions"]
    kept = list(workbook["Kept out"].iter_rows(values_only=True))[1:]
    assert sorted((r[0], r[1]) for r in kept) == [("blocked", "ft01"), ("retire", "tpl01")]
    html = (tmp_path / "p" / "plan.html").read_text()
    assert html.count('class="timeline-row"') == 3
    assert str(tmp_path) not in html


def test_bad_options_exit_2(snapshot: Path, tmp_path: Path) -> None:
    for extra in (["--bandwidth", "fast"], ["--group-by", "colour"], ["--group-by", "name:("],
                  ["--max-vms-per-wave", "0"], ["--groups", str(tmp_path / "missing.csv")]):
        result = CliRunner().invoke(main, ["plan", str(snapshot), "--out", str(tmp_path / "x"), *extra])
        assert result.exit_code == 2, (extra, result.output)
        assert not (tmp_path / "x").exists()


def test_large_synthetic_estate_plans_within_limits(tmp_path: Path) -> None:
    """The packing stays within its limits on a large synthetic estate."""
    from scanner.inventory.io import save_estate as save
    from scanner.synthetic import generate_estate

    path = tmp_path / "big.json.gz"
    save(generate_estate(2000, seed=3), path)
    result = CliRunner().invoke(main, ["plan", str(path), "--out", str(tmp_path / "p"), "--as-of", AS_OF,
                                       "--max-vms-per-wave", "40", "--max-tib-per-wave", "10"])
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "p" / "plan.json").read_text())
    assert all(len(w["vm_ids"]) <= 40 and w["data_gib"] <= 10 * 1024 for w in data["waves"])
    in_waves = [i for w in data["waves"] for i in w["vm_ids"]]
    assert len(in_waves) == len(set(in_waves))
    assert len(in_waves) + len(data["blocked"]) + len(data["retire"]) + len(data["retain"]) == 2000


def test_wave_names_the_site_prerequisites_its_vms_wait_for(tmp_path: Path) -> None:
    """A VM on an ESXi 6.0 host (below HCX's source minimum) moves in a wave that says to upgrade first."""
    from tests.factories import clean_host

    old_host = clean_host(id="vc-uuid/host-2", name="esx-old", esxi_version="6.0.0", esxi_build="3620759")
    estate_with_old = estate_of(app_vm("vc-uuid/vm-1", "erp-db", "erp"),
                                app_vm("vc-uuid/vm-2", "crm-db", "crm", host="esx-old"))
    estate_with_old.vcenters[0].hosts.append(old_host)
    path = tmp_path / "old.json.gz"
    save_estate(estate_with_old, path)
    data, out = plan(path, tmp_path / "p", "--max-vms-per-wave", "1")
    names = {vm["vm_id"]: vm["name"] for vm in data["vms"]}
    waits = {names[w["vm_ids"][0]]: w["prerequisites"] for w in data["waves"]}
    assert waits["erp-db"] == []
    assert len(waits["crm-db"]) == 1 and "esx-old" in waits["crm-db"][0]
    assert "site prerequisites to finish before wave(s)" in out
