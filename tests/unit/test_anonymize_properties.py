"""Property tests for anonymized sharing: nothing leaks, and the map restores everything exactly."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.anonymize import AnonymizationMap, anonymize_estate, deanonymize_file
from scanner.inventory.io import load_estate, save_estate
from scanner.inventory.model import VM, CollectionIssue, Disk, Estate, Host, Nic, Snapshot, Source, VCenter
from scanner.serde import to_plain

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Letters that never occur in hex pseudonyms, mixed case: a name drawn from these cannot show up
# in the anonymized output by coincidence, so finding one there is a real leak.
# (Bracketed by Q...Q so that no schema key such as "hosts" can be drawn.)
distinctive = st.text(alphabet="ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=12).map(
    lambda text: f"Q{text}Q")
# Anything printable or not (no lone surrogates: JSON text must be valid UTF-8).
any_text = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=40)


def estate_with(names: list[str], free: list[str]) -> Estate:
    n = iter(names)
    f = iter(free)
    vm = VM(
        id="502e71fa-1a2b-4c3d-8e9f-0a1b2c3d4e5f/vm-1", moref="vm-1", name=next(n), vcenter=next(n),
        folder_path=f"/{next(n)}/vm/{next(n)}", datacenter=next(n), cluster=next(n), host=next(n),
        resource_pool=next(n), hostname=next(n), annotation=next(f), custom_attributes={"k": next(f)},
        ipv4_addresses=["10.1.2.3"], disks=[Disk(datastore=next(n), file_name=f"[{next(n)}] {next(n)}/{next(n)}.vmdk")],
        nics=[Nic(network=next(n), mac_address="00:50:56:01:02:03")],
        snapshots=[Snapshot(name=next(f), description=next(f))],
    )
    vc = VCenter(name=vm.vcenter or "vc", hosts=[Host(id="u/host-1", name=vm.host)], vms=[vm])
    # Messages name known objects plus accounts; free text of unknown origin is out of reach (docs).
    account = f"{next(f)}\\{next(f)} ({next(f)}@corp.example)"
    issue = CollectionIssue(vcenter=vc.name, object_name=vm.name,
                            message=f"cannot read {vm.name} on {vm.host} as {account}")
    return Estate(collected_at="2026-01-01T00:00:00Z", source=Source(kind="synthetic"), vcenters=[vc],
                  collection_issues=[issue])


@SETTINGS
@given(st.lists(distinctive, min_size=15, max_size=15), st.lists(distinctive, min_size=8, max_size=8))
def test_no_name_survives_anonymization(names, free):
    estate = estate_with(names, free)
    text = json.dumps(to_plain(anonymize_estate(estate, AnonymizationMap.new())), ensure_ascii=False)
    assert [s for s in names + free if s in text] == []


@SETTINGS
@given(st.lists(any_text.filter(bool), min_size=15, max_size=15), st.lists(any_text, min_size=8, max_size=8))
def test_map_restores_the_snapshot_exactly(names, free):
    estate = estate_with(names, free)
    mapping = AnonymizationMap.new()
    with tempfile.TemporaryDirectory() as folder:
        shared, restored = Path(folder) / "shared.json.gz", Path(folder) / "restored.json.gz"
        save_estate(anonymize_estate(estate, mapping), shared)
        deanonymize_file(shared, mapping, restored)
        assert load_estate(restored) == estate


@SETTINGS
@given(st.binary(max_size=2048), st.sampled_from(["r.html", "r.json", "r.csv", "r.xlsx", "r.txt", "r.json.gz"]))
def test_deanonymize_never_crashes_on_random_files(data, name):
    from scanner.errors import InputError

    mapping = AnonymizationMap.new()
    mapping.name("vm", "web01")
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / name, Path(folder) / f"out-{name}"
        source.write_bytes(data)
        try:
            deanonymize_file(source, mapping, target)
        except InputError as exc:
            assert "\n" not in str(exc)
            assert not target.exists()
