"""Power-off dates against the seeded simulator, checked against its event history read per VM."""

from __future__ import annotations

from typing import Any

import pytest
from pyVmomi import vim

from scanner.collector.collect import collect_estate
from scanner.collector.mappers import iso_utc
from scanner.inventory.model import Estate
from tests.vcsim.harness import Simulator

pytestmark = pytest.mark.vcsim


@pytest.fixture(scope="module")
def estate(vcsim: Simulator, seeded_manifest: Any) -> Estate:
    return collect_estate(vcsim.sdk_url, vcsim.user, vcsim.password)


def latest_power_off(si: Any, vm: Any) -> str | None:
    """The VM's latest VmPoweredOffEvent in the simulator's history, asked about that VM alone."""
    spec = vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=vm, recursion="self"),
        eventTypeId=["VmPoweredOffEvent"], maxCount=1000,  # the simulator serves one page of maxCount
    )
    times = [e.createdTime for e in si.content.eventManager.QueryEvents(spec)]
    return iso_utc(max(times)) if times else None


def test_powered_off_since_is_the_latest_power_off_event(estate: Estate, vcsim_si: Any, seeded_manifest: Any):
    vms = {vm.name: vm for vm in vcsim_si.content.viewManager.CreateContainerView(
        vcsim_si.content.rootFolder, [vim.VirtualMachine], True).view}
    off = [vm for vm in estate.all_vms() if vm.power_state == "powered_off"]
    # powered_off, powered_off_before_history and the template.
    assert len(off) == 3
    for vm in off:
        expected = latest_power_off(vcsim_si, vms[vm.name])
        assert vm.powered_off_since == expected, vm.name
        if expected is None:
            assert vm.powered_off_before is not None, vm.name
    by_name = {vm.name: vm for vm in off}
    assert by_name[seeded_manifest.vm_for("powered_off")].powered_off_since is not None
    assert by_name[seeded_manifest.vm_for("powered_off_before_history")].powered_off_since is None


def test_history_start_bounds_the_vms_without_an_event(estate: Estate, seeded_manifest: Any):
    (vcenter,) = estate.vcenters
    assert vcenter.source_detail["power_events"] == "read"
    start = vcenter.source_detail["power_events_since"]
    aged_out = next(vm for vm in estate.all_vms() if vm.name == seeded_manifest.vm_for("powered_off_before_history"))
    assert aged_out.powered_off_before == start
    assert [i for i in estate.collection_issues if i.property == "powered_off_since"] == []
    # Only powered-off VMs get a date.
    assert all(vm.powered_off_since is None and vm.powered_off_before is None
               for vm in estate.all_vms() if vm.power_state != "powered_off")
