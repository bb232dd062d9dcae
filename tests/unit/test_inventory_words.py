"""`vmscan inventory` in words, with the collection issues themselves listed (was "Collection issues 1")."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.model import CollectionIssue
from scanner.inventory.summary import ISSUES_LISTED, format_summary, summarize
from scanner.synthetic import generate_estate

FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-estate.json.gz"


def test_sample_estate_in_words() -> None:
    result = CliRunner().invoke(main, ["inventory", str(FIXTURE)])
    assert result.exit_code == 0, result.output
    # Hand count (fixtures/README.md): 119 VMs by power state plus 1 template; 10 hosts, 3 clusters.
    assert result.stdout.splitlines() == [
        "120 VMs (116 powered on, 2 powered off, 1 suspended, 1 template)",
        "on 10 hosts in 3 clusters, 1 datacenter, 1 vCenter",
        "1 datastore, 3 networks",
        "758 vCPU, 6,308.0 GiB memory, 28.32 TiB provisioned",
        "every property was read (no collection issues)",
    ]
    assert "powered_on" not in result.stdout


def test_collection_issues_are_listed_not_just_counted(tmp_path: Path) -> None:
    from scanner.inventory.io import save_estate

    estate = generate_estate(20, seed=5)
    estate.collection_issues = [
        CollectionIssue(vcenter="vc01", object_id=f"vm-{n}", object_name=f"web{n:02}", property="guest.net",
                        message="NoPermission: System.Read") for n in range(ISSUES_LISTED + 3)
    ]
    assert format_summary(summarize(estate)).splitlines()[-1] == f"{ISSUES_LISTED + 3} collection issues:"
    path = tmp_path / "estate.json.gz"
    save_estate(estate, path)
    result = CliRunner().invoke(main, ["inventory", str(path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "  - web00: NoPermission: System.Read" in lines
    assert sum(1 for line in lines if "NoPermission" in line) == ISSUES_LISTED
    assert lines[-1] == "  ... and 3 more (listed in the report)"
