"""Fixtures for live tests against govmomi's vCenter simulator (marked ``vcsim``).

Under CI (``tests.ci.in_ci``) a missing Go toolchain or govmomi source tree fails the tests; elsewhere they
are skipped with a message naming what is missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.ci import require
from tests.vcsim.harness import Simulator, Topology, missing_toolchain

# Enough VMs (3 pools x 16) to put every seeded condition on its own VM.
SEEDED_TOPOLOGY = Topology(datacenters=1, clusters=2, standalone_hosts=1, cluster_hosts=2, machines=16)


def require_toolchain() -> None:
    problem = missing_toolchain()
    require(f"vcsim toolchain missing: {problem}" if problem else None)


@pytest.fixture(scope="session")
def vcsim() -> Iterator[Simulator]:
    """A running simulator, seeded with a varied estate (see ``seeded_manifest``)."""
    require_toolchain()
    with Simulator(SEEDED_TOPOLOGY) as simulator:
        yield simulator


@pytest.fixture(scope="session")
def seeded_manifest(vcsim: Simulator) -> Any:
    """Seed the session simulator once; return the SeedManifest (condition -> VM name)."""
    from pyVim.connect import Disconnect

    from tests.vcsim.seed import seed_estate

    si = vcsim.connect()
    try:
        return seed_estate(si)
    finally:
        Disconnect(si)


@pytest.fixture
def vcsim_si(vcsim: Simulator) -> Iterator[Any]:
    """A pyVmomi ServiceInstance for the session simulator, disconnected after the test."""
    from pyVim.connect import Disconnect

    si = vcsim.connect()
    try:
        yield si
    finally:
        Disconnect(si)
