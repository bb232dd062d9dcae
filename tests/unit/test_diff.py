"""`vmscan diff`: hand-built pairs of estates with known changes, and the same estate in two formats."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from scanner.cli import main
from scanner.inventory.io import save_estate
from scanner.inventory.model import Disk, Snapshot
from tests.factories import GIB, clean_disk, clean_host, clean_vm, estate_of

AS_OF = "2026-11-25"


def old_estate():
    """Five VMs: app01 (clean), web01 (a snapshot), db01, old01 (to be removed), mover (Cluster1)."""
    return estate_of(
        clean_vm("vc-uuid/vm-100", name="app01"),
        clean_vm("vc-uuid/vm-101", name="web01", snapshot_count=1,
                 snapshots=[Snapshot(name="before patch", created="2026-10-01T00:00:00Z")]),
        clean_vm("vc-uuid/vm-102", name="db01"),
        clean_vm("vc-uuid/vm-103", name="old01"),
        clean_vm("vc-uuid/vm-104", name="mover"),
    )


def new_estate():
    """The same estate a few weeks later, with five known changes:
    app01 renamed app01-prod; web01's snapshot deleted; db01 got a second disk (60 → 160 GiB);
    old01 removed; mover moved to Cluster2; new01 added with a physical RDM (a new blocker)."""
    second_disk = clean_disk(key=2001, label="Hard disk 2", capacity_bytes=100 * GIB,
                             file_name="[vsan-ds] db01/db01_1.vmdk", unit_number=1)
    rdm = Disk(key=2001, label="Hard disk 2", capacity_bytes=10 * GIB, backing="rdm_physical", mode="persistent",
               sharing="none", controller_type="scsi_pvscsi", controller_bus_sharing="none", controller_key=1000,
               unit_number=1, lun_uuid="naa.600")
    return dataclasses.replace(estate_of(
        clean_vm("vc-uuid/vm-100", name="app01-prod"),
        clean_vm("vc-uuid/vm-101", name="web01"),
        clean_vm("vc-uuid/vm-102", name="db01", disks=[clean_disk(), second_disk]),
        clean_vm("vc-uuid/vm-104", name="mover", cluster="Cluster2"),
        clean_vm("vc-uuid/vm-105", name="new01", disks=[clean_disk(), rdm]),
        host=clean_host(),
    ), collected_at="2026-11-25T00:00:00Z")


@pytest.fixture()
def pair(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "week1.json.gz", tmp_path / "week2.json.gz"
    save_estate(old_estate(), old)
    save_estate(new_estate(), new)
    return old, new


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_diff_lists_exactly_the_known_changes(pair: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = pair
    code, out, _ = run("diff", str(old), str(new), "--as-of", AS_OF, "--out", str(tmp_path / "d"))
    assert code == 0
    data = json.loads((tmp_path / "d" / "diff.json").read_text())
    assert data["schema"] == "vmscan-diff"
    (diff,) = data["pairs"]
    assert [vm["name"] for vm in diff["added"]] == ["new01"]
    assert [vm["name"] for vm in diff["removed"]] == ["old01"]
    changed = {c["name"]: c for c in diff["changed"]}
    assert sorted(changed) == ["app01-prod", "db01", "mover", "web01"]
    assert diff["unchanged"] == 0
    assert [(f["field"], f["old"], f["new"]) for f in changed["app01-prod"]["changes"]] == [
        ("name", "app01", "app01-prod")]
    assert changed["app01-prod"]["matched_by"] == "id"
    assert [(f["field"], f["old"], f["new"]) for f in changed["db01"]["changes"]] == [
        ("storage GiB", 60.0, 160.0), ("disks", 1, 2)]
    assert [(f["field"], f["old"], f["new"]) for f in changed["mover"]["changes"]] == [
        ("cluster", "Cluster1", "Cluster2")]
    web = changed["web01"]
    assert [(f["field"], f["old"], f["new"]) for f in web["changes"]] == [("snapshots", 1, 0)]
    assert web["findings_cleared"] == ["vm.snapshots"]
    assert web["findings_new"] == []
    rules = {d["rule_id"]: d for d in diff["rules"]}
    assert (rules["vm.snapshots"]["vms_old"], rules["vm.snapshots"]["vms_new"], rules["vm.snapshots"]["cleared"],
            rules["vm.snapshots"]["appeared"]) == (1, 0, 1, 0)
    assert rules["disk.rdm-physical"]["appeared"] == 1
    assert diff["new_blockers"] == [["new01", "disk.rdm-physical"]]
    # Terminal summary says the same in words.
    assert "1 added, 1 removed, 4 changed, 0 unchanged" in out
    assert "name app01 → app01-prod" in out
    assert "vm.snapshots [warning]: 1 → 0 (−1 / +0)" in out


def test_fail_on_new_blocker_gates(pair: tuple[Path, Path]) -> None:
    old, new = pair
    code, _, err = run("diff", str(old), str(new), "--as-of", AS_OF, "--fail-on", "new-blocker")
    assert code == 1
    assert "1 new blocker(s): new01 (disk.rdm-physical)" in err
    # The reverse direction removes new01: no new blocker.
    code, _, _ = run("diff", str(new), str(old), "--as-of", AS_OF, "--fail-on", "new-blocker")
    assert code == 0


def test_same_estate_twice_reports_no_change(pair: tuple[Path, Path]) -> None:
    old, _ = pair
    code, out, _ = run("diff", str(old), str(old), "--as-of", AS_OF)
    assert code == 0
    assert "0 added, 0 removed, 0 changed, 5 unchanged" in out


def test_name_fallback_says_so(tmp_path: Path) -> None:
    """A VM re-registered (new moref) keeps its name: matched by name, and the report says so."""
    old, new = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    save_estate(estate_of(clean_vm("vc-uuid/vm-100", name="app01")), old)
    save_estate(estate_of(clean_vm("vc-uuid/vm-900", name="app01", num_cpu=8)), new)
    code, out, _ = run("diff", str(old), str(new), "--as-of", AS_OF)
    assert code == 0
    assert "0 added, 0 removed, 1 changed" in out
    assert "1 VM(s) matched by name only" in out
    assert "vCPU 4 → 8" in out


def test_snapshot_and_its_rvtools_export_differ_only_by_what_the_format_lacks(tmp_path: Path) -> None:
    """The bundled sample and its own RVTools export: no VM added, removed or changed in a comparable field."""
    from importlib import resources

    sample = resources.files("fixtures").joinpath("sample-estate.json.gz")
    exported = tmp_path / "sample-rvtools.xlsx"
    with resources.as_file(sample) as sample_path:
        code, _, err = run("export", str(sample_path), "--format", "rvtools", "-o", str(exported))
        assert code == 0, err
        code, _, _ = run("diff", str(sample_path), str(exported), "--as-of", AS_OF, "--out", str(tmp_path / "d"))
    assert code == 0
    (diff,) = json.loads((tmp_path / "d" / "diff.json").read_text())["pairs"]
    assert diff["added"] == [] and diff["removed"] == []
    assert diff["matched_by_name"] == 0
    field_changes = [(c["name"], f["field"]) for c in diff["changed"] for f in c["changes"]]
    assert field_changes == []
    # A finding the export cannot carry is "no longer checked", never "cleared".
    assert all(d["cleared"] == 0 for d in diff["rules"]), [d for d in diff["rules"] if d["cleared"]]


def test_three_scans_show_the_trend_in_every_output(pair: tuple[Path, Path], tmp_path: Path) -> None:
    old, new = pair
    code, out, _ = run("diff", str(old), str(new), str(old), "--as-of", AS_OF, "--out", str(tmp_path / "d"))
    assert code == 0
    assert out.count("→") >= 2
    data = json.loads((tmp_path / "d" / "diff.json").read_text())
    assert [s["label"] for s in data["scans"]] == ["week1.json.gz", "week2.json.gz", "week1.json.gz"]
    assert [s["vm_count"] for s in data["scans"]] == [5, 5, 5]
    assert [s["vms_with_blockers"] for s in data["scans"]] == [0, 1, 0]
    assert len(data["pairs"]) == 2
    workbook = load_workbook(tmp_path / "d" / "diff.xlsx", read_only=True)
    assert workbook.sheetnames == ["Trend", "Added VMs", "Removed VMs", "Changed fields", "Findings", "Readiness",
                                   "Rules"]
    trend = list(workbook["Trend"].iter_rows(values_only=True))
    assert [row[4] for row in trend[1:]] == [5, 5, 5]
    added = list(workbook["Added VMs"].iter_rows(values_only=True))
    assert [(row[0], row[1]) for row in added[1:]] == [("week1.json.gz → week2.json.gz", "new01"),
                                                      ("week2.json.gz → week1.json.gz", "old01")]
    html = (tmp_path / "d" / "diff.html").read_text()
    assert html.count('class="trend-row"') == 3 * 2 + 3  # readiness per target per scan + blocker bars
    assert str(tmp_path) not in html


def test_diff_bad_input_is_one_line_exit_2(tmp_path: Path) -> None:
    code, _, err = run("diff", "--as-of", "2026-11-25", str(tmp_path / "nope.json.gz"), str(tmp_path / "nope2.json.gz"))
    assert code == 2
    assert err.count("\n") == 1
    code, _, err = run("diff", "--as-of", "2026-11-25", str(tmp_path / "only-one.json.gz"))
    assert code == 2
    assert "at least two scans" in err
