"""The committed sample estate still shows every seeded condition on exactly its VM (offline)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.inventory.io import load_estate
from scanner.inventory.model import Estate
from tests.vcsim.conditions import CONDITION_CHECKS

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
MANIFEST = json.loads((FIXTURES / "sample-estate.conditions.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def estate() -> Estate:
    return load_estate(FIXTURES / "sample-estate.json.gz")


def test_shape(estate: Estate) -> None:
    assert 60 <= len(estate.all_vms()) <= 300
    assert len(estate.all_clusters()) >= 3
    assert estate.source.kind == "vcenter"
    assert all(vm.id.startswith(f"{estate.vcenters[0].instance_uuid}/vm-") for vm in estate.all_vms())
    assert (FIXTURES / "sample-estate.json.gz").stat().st_size < 300 * 1024


def test_manifest_covers_every_condition() -> None:
    assert set(MANIFEST["conditions"]) == set(CONDITION_CHECKS)


@pytest.mark.parametrize("condition", sorted(CONDITION_CHECKS))
def test_condition_on_exactly_its_vm(condition: str, estate: Estate) -> None:
    matching = sorted(vm.name or "" for vm in estate.all_vms() if CONDITION_CHECKS[condition](vm))
    assert matching == [MANIFEST["conditions"][condition]]


def test_baseline_looks_like_a_real_estate(estate: Estate) -> None:
    """What the seed's baseline promises (tests/vcsim/seed.py), seen in the committed snapshot."""
    from tests.vcsim.seed import BASELINE_BOOT_DISKS_GIB, BASELINE_GUESTS

    gib = 1024**3
    vms = estate.all_vms()
    # vCenter reports notConfigured for VMs outside an FT pair; the simulator omits the state and
    # the collector derives it from the absent config.ftInfo.
    assert {vm.ft_state for vm in vms} == {"not_configured"}
    # CD-ROMs: a disconnected client device unless a CD-ROM condition was seeded on the VM.
    cdrom_vms = {MANIFEST["conditions"][c] for c in MANIFEST["conditions"] if c.startswith("cdrom_")}
    for vm in vms:
        if vm.name not in cdrom_vms:
            assert [(c.backing, c.connected, c.start_connected) for c in vm.cdroms or []] == [
                ("client", False, False)
            ], vm.name
    # Disks: a 40-120 GiB boot disk, data disks up to 500 GiB; provisioned storage follows them
    # although the simulator's committed/uncommitted figures do not.
    for vm in vms:
        assert vm.disks and (vm.disks[0].capacity_bytes or 0) // gib in BASELINE_BOOT_DISKS_GIB, vm.name
        assert vm.provisioned_bytes == sum(d.capacity_bytes or 0 for d in vm.disks), vm.name
    assert sum(len(vm.disks or []) > 1 for vm in vms) >= len(vms) // 3
    # Guests: the configured and the Tools-reported guest agree, from the mix unless seeded old.
    old_guest_vms = {MANIFEST["conditions"]["guest_os_win2003"], MANIFEST["conditions"]["guest_os_rhel5"]}
    mix = dict(BASELINE_GUESTS)
    for vm in vms:
        assert vm.guest_id == vm.guest_id_tools, vm.name
        if vm.name not in old_guest_vms:
            assert vm.guest_id in mix and vm.guest_full_name == mix[vm.guest_id], vm.name
    assert {vm.guest_id for vm in vms} >= set(mix)


def test_datastores_hold_their_vms(estate: Estate) -> None:
    """The first thing a prospect saw was LocalDS_0 at 252 GiB, -28,774 GiB free, 11,520 % used.

    Hand count: the 120 VMs' disks total 29,001 GiB, all on LocalDS_0; x 1.25 = 36,251 GiB, rounded
    up to 36 TiB = 36,864 GiB; free 36,864 - 29,001 = 7,863 GiB (79 % used).
    """
    gib = 1024**3
    on_datastore: dict[str, int] = {}
    for vm in estate.all_vms():
        for disk in vm.disks or []:
            on_datastore[disk.datastore or ""] = on_datastore.get(disk.datastore or "", 0) + (disk.capacity_bytes or 0)
    assert on_datastore == {"LocalDS_0": 29_001 * gib}
    [datastore] = estate.all_datastores()
    assert (datastore.capacity_bytes, datastore.free_bytes) == (36_864 * gib, 7_863 * gib)
    for datastore in estate.all_datastores():
        assert datastore.free_bytes is not None and 0 <= datastore.free_bytes <= (datastore.capacity_bytes or 0)
        assert (datastore.capacity_bytes or 0) >= on_datastore.get(datastore.name or "", 0)
