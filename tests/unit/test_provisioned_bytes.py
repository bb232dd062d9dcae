"""VM.provisioned_bytes: vCenter's storage summary when it is consistent, else the disk capacities."""

from __future__ import annotations

from scanner.inventory.model import VM, Disk

GIB = 1024**3


def vm_with(committed: int | None, uncommitted: int | None, *disks: Disk) -> VM:
    return VM(id="vc/vm-1", storage_committed_bytes=committed, storage_uncommitted_bytes=uncommitted,
              disks=list(disks))


def test_summary_total_when_it_covers_the_disks() -> None:
    # Thin 100 GiB disk with 30 GiB written plus 4 GiB swap/logs: committed 34, uncommitted 70.
    vm = vm_with(34 * GIB, 70 * GIB, Disk(capacity_bytes=100 * GIB, backing="flat"))
    assert vm.provisioned_bytes == 104 * GIB


def test_zero_summary_with_real_disks_is_not_zero_bytes() -> None:
    # The govmomi simulator reports committed 0 + uncommitted 0 for VMs with 100 GiB + 250 GiB disks.
    vm = vm_with(0, 0, Disk(capacity_bytes=100 * GIB, backing="flat"), Disk(capacity_bytes=250 * GIB, backing="flat"))
    assert vm.provisioned_bytes == 350 * GIB


def test_stale_summary_below_the_disks_falls_back_to_capacities() -> None:
    # Summary not refreshed after a 200 GiB disk was added.
    vm = vm_with(10 * GIB, 30 * GIB, Disk(capacity_bytes=40 * GIB, backing="flat"),
                 Disk(capacity_bytes=200 * GIB, backing="flat"))
    assert vm.provisioned_bytes == 240 * GIB


def test_rdm_lun_size_does_not_discredit_the_summary() -> None:
    # A 2 TiB RDM LUN is not datastore space: the summary (VM files + 50 GiB disk) stands.
    vm = vm_with(20 * GIB, 31 * GIB, Disk(capacity_bytes=50 * GIB, backing="flat"),
                 Disk(capacity_bytes=2048 * GIB, backing="rdm_physical"))
    assert vm.provisioned_bytes == 51 * GIB


def test_unknowns() -> None:
    assert vm_with(None, None).provisioned_bytes is None
    assert vm_with(None, None, Disk(capacity_bytes=None)).provisioned_bytes is None
    # Summary known, a disk capacity unknown: the summary is all there is.
    assert vm_with(0, 0, Disk(capacity_bytes=None)).provisioned_bytes == 0
    assert vm_with(None, 5, Disk(capacity_bytes=8 * GIB)).provisioned_bytes == 8 * GIB
    vm = VM(id="vc/vm-2", storage_committed_bytes=1, storage_uncommitted_bytes=2, disks=None)
    assert vm.provisioned_bytes == 3
