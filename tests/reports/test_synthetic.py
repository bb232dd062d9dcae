from scanner.inventory.io import load_estate, save_estate
from scanner.serde import to_plain
from scanner.synthetic import HOSTILE_STRINGS, generate_estate


def test_same_seed_same_estate_and_other_seed_differs():
    assert to_plain(generate_estate(120, seed=3)) == to_plain(generate_estate(120, seed=3))
    assert to_plain(generate_estate(120, seed=3)) != to_plain(generate_estate(120, seed=4))


def test_exact_vm_count_and_realistic_mix():
    estate = generate_estate(3000, seed=1)
    vms = estate.all_vms()
    assert len(vms) == 3000
    assert len({vm.id for vm in vms}) == 3000
    assert len(estate.vcenters) == 2 and len(estate.all_clusters()) >= 4 and len(estate.all_hosts()) >= 100
    assert {vm.power_state for vm in vms} == {"powered_on", "powered_off", "suspended"}
    assert any(vm.template for vm in vms)
    assert any(d.backing == "rdm_physical" for vm in vms for d in vm.disks or [])
    assert any(n.adapter_type == "e1000" for vm in vms for n in vm.nics or [])
    assert any(c.backing == "iso" for vm in vms for c in vm.cdroms or [])
    assert any(vm.usb_devices for vm in vms)
    assert any(vm.snapshots for vm in vms)
    assert min(vm.hardware_version or 99 for vm in vms) <= 8
    assert any((vm.guest_id or "").startswith("winNet") for vm in vms)
    assert estate.collection_issues


def test_hostile_strings_present_even_in_tiny_estates():
    estate = generate_estate(len(HOSTILE_STRINGS) + 1, seed=0)
    names = [vm.name for vm in estate.all_vms()]
    assert names[: len(HOSTILE_STRINGS)] == list(HOSTILE_STRINGS)
    assert any(len(vm.annotation or "") > 32_767 for vm in estate.all_vms())


def test_round_trips_through_a_snapshot(tmp_path):
    estate = generate_estate(50, seed=2)
    save_estate(estate, tmp_path / "e.json.gz")
    assert to_plain(load_estate(tmp_path / "e.json.gz")) == to_plain(estate)
