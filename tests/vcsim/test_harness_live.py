"""The simulator harness itself: build, start, connect, seed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.vcsim.harness import Simulator
from tests.vcsim.seed import CONDITIONS

pytestmark = pytest.mark.vcsim


def test_simulator_serves_the_requested_topology(vcsim: Simulator, vcsim_si: Any) -> None:
    from pyVmomi import vim

    content = vcsim_si.RetrieveContent()
    assert content.about.apiType == "VirtualCenter"
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.VirtualMachine], True)
    try:
        assert len(view.view) == vcsim.topology.vm_count
    finally:
        view.DestroyView()


def test_seeding_puts_every_condition_on_its_own_vm(seeded_manifest: Any) -> None:
    seeded = set(seeded_manifest.conditions)
    # vTPM is the only condition the simulator cannot represent (API 6.5, see seed.py).
    assert set(seeded_manifest.unsupported) == {"vtpm"}
    assert seeded | set(seeded_manifest.unsupported) == set(CONDITIONS)
    assert len(set(seeded_manifest.conditions.values())) == len(seeded_manifest.conditions)
