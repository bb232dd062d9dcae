"""Several vCenters in one collection: concurrent, one snapshot, a failing vCenter does not lose the others."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import main
from scanner.inventory.io import load_estate
from tests.ports import refused_ports
from tests.vcsim.conftest import require_toolchain
from tests.vcsim.harness import Simulator, Topology

pytestmark = pytest.mark.vcsim

SECOND_TOPOLOGY = Topology(datacenters=1, clusters=1, standalone_hosts=1, cluster_hosts=2, machines=3)


@pytest.fixture(scope="module")
def second_vcsim() -> Iterator[Simulator]:
    """A second, smaller simulator (its own process, port and inventory)."""
    require_toolchain()
    with Simulator(SECOND_TOPOLOGY) as simulator:
        yield simulator


def refused_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/sdk"


def run_collect(args: list[str], password: str) -> Any:
    return CliRunner().invoke(
        main, ["collect", "-u", "user", "--password-env", "VMSCAN_TEST_PW", "--perf-days", "0", *args],
        env={"VMSCAN_TEST_PW": password},
    )  # fmt: skip


def test_two_vcenters_and_a_refused_one_give_one_snapshot(
    vcsim: Simulator, second_vcsim: Simulator, seeded_manifest: Any, tmp_path: Path, refused_port: int
) -> None:
    assert vcsim.password == second_vcsim.password
    refused = refused_url(refused_port)
    output = tmp_path / "estate.json.gz"
    result = run_collect(
        ["-s", vcsim.sdk_url, "-s", refused, "-s", second_vcsim.sdk_url, "-o", str(output)], vcsim.password
    )
    assert result.exit_code == 0, result.output
    refused_display = refused.removesuffix("/sdk")
    assert f"vmscan: warning: connection refused by {refused_display}" in result.output
    estate = load_estate(output)
    assert [len(vc.vms) for vc in estate.vcenters] == [vcsim.topology.vm_count, SECOND_TOPOLOGY.vm_count]
    assert [vc.source_detail["server"] for vc in estate.vcenters] == [
        vcsim.sdk_url.removesuffix("/sdk"),
        second_vcsim.sdk_url.removesuffix("/sdk"),
    ]
    failed = [i for i in estate.collection_issues if i.vcenter == refused_display]
    assert len(failed) == 1 and failed[0].message.startswith("vCenter not collected: connection refused")
    ids = [vm.id for vm in estate.all_vms()]
    assert len(ids) == len(set(ids)), "VM ids must stay unique across vCenters"


def test_servers_file_and_all_failing(vcsim: Simulator, second_vcsim: Simulator, tmp_path: Path) -> None:
    listing = tmp_path / "vcenters.txt"
    listing.write_text(f"# lab\n{vcsim.sdk_url}\n\n{second_vcsim.sdk_url}\n", encoding="utf-8")
    output = tmp_path / "both.json.gz"
    result = run_collect(["--servers-file", str(listing), "-o", str(output)], vcsim.password)
    assert result.exit_code == 0, result.output
    assert len(load_estate(output).vcenters) == 2

    nothing = tmp_path / "nothing.json.gz"
    with refused_ports(2) as (first, second):
        result = run_collect(["-s", refused_url(first), "-s", refused_url(second), "-o", str(nothing)], vcsim.password)
    assert result.exit_code == 2
    assert result.output.count("connection refused") == 2
    assert not nothing.exists()
