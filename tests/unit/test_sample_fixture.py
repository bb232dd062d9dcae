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
