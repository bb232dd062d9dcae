"""Policy file: deep merge over targets.toml, strict keys and types, rule overrides, retain lists."""

from __future__ import annotations

import datetime as dt

import pytest

from scanner.analysis.engine import analyze
from scanner.errors import InputError
from scanner.inventory.model import Snapshot
from scanner.policy import default_policy, load_policy
from tests.factories import clean_vm, estate_of

AS_OF_DATE = dt.date(2026, 11, 25)


def write(tmp_path, text: str) -> str:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def fails(vm, policy) -> dict[str, str]:
    assessment = analyze(estate_of(vm), as_of=AS_OF_DATE, policy=policy, targets=["avs"])
    return {f.rule_id: f.severity for f in assessment.findings if f.status == "fail"}


def test_defaults_load_from_package_data():
    policy = default_policy()
    assert policy.threshold("snapshot_max_age_days") == 3
    assert policy.hcx_methods()["hcx_bulk"]["min_hardware_version"] == 7
    assert "AV36P" in policy.target_data("avs")["node_types"]


def test_every_threshold_has_a_source():
    thresholds = default_policy().data["rules"]["thresholds"]
    sources = thresholds["sources"]
    assert set(thresholds) - {"sources"} == set(sources)
    assert all(url.startswith("https://") for url in sources.values())


def test_every_guest_family_and_method_has_sources():
    data = default_policy().data
    for family in data["guest_os"]["families"].values():
        assert family["source"].startswith("https://") and family["support_source"].startswith("https://")
    # Families without a date (none found in the sources) report their end of support as unknown.
    undated = {fid for fid, f in data["guest_os"]["families"].items()
               if not isinstance(f.get("end_of_support"), dt.date) and not f.get("rolling")}
    assert undated == {"oracle_linux_5", "oracle_linux_10", "opensuse_10", "opensuse_11", "opensuse_12",
                       "opensuse_13", "opensuse_42", "debian_13", "photon_1", "photon_2", "photon_3", "photon_4",
                       "photon_5", "solaris_10", "solaris_11", "solaris_legacy"}
    for method in data["hcx"]["methods"].values():
        assert method["source"].startswith("https://")


def test_threshold_override_changes_the_outcome(tmp_path):
    vm = clean_vm(snapshots=[Snapshot(name="s", created="2026-11-15T00:00:00Z")], snapshot_count=1)
    assert "vm.snapshots" in fails(vm, default_policy())
    policy = load_policy(write(tmp_path, "[rules.thresholds]\nsnapshot_max_count = 1\nsnapshot_max_age_days = 30\n"))
    assert "vm.snapshots" not in fails(vm, policy)
    assert policy.record()["overrides"] == {"rules": {"thresholds": {"snapshot_max_count": 1,
                                                                      "snapshot_max_age_days": 30}}}


def test_float_threshold_accepts_integer(tmp_path):
    policy = load_policy(write(tmp_path, "[rules.thresholds]\nvm_storage_large_tib = 1\n"))
    assert policy.threshold("vm_storage_large_tib") == 1.0


def test_disable_and_reseverity_rules(tmp_path):
    policy = load_policy(write(tmp_path, """
[rules."vm.cpu-exceeds-node"]
severity = "warning"
[rules."net.nic-legacy"]
enabled = false
"""))
    from tests.factories import clean_nic

    vm = clean_vm(num_cpu=200, nics=[clean_nic(adapter_type="e1000")])
    assert fails(vm, policy) == {"vm.cpu-exceeds-node": "warning"}
    assessment = analyze(estate_of(vm), as_of=AS_OF_DATE, policy=policy)
    assert assessment.vms[0].readiness["avs"] == "ready_with_conditions"
    infos = {r.id: r for r in assessment.rules}
    assert infos["net.nic-legacy"].enabled is False
    assert infos["vm.cpu-exceeds-node"].severity == "warning"


def test_new_node_type_is_accepted_and_used():
    from scanner.policy import build_policy, load_default_data

    defaults = load_default_data()
    # A new node type must carry every key its siblings have (whatever other features added).
    av128 = dict(defaults["targets"]["avs"]["node_types"]["AV52"], cores=128, memory=4096)
    policy = build_policy(defaults, {"targets": {"avs": {"node_types": {"AV128": av128}}}}, "policy.toml")
    assert fails(clean_vm(num_cpu=200), policy) == {}


@pytest.mark.parametrize(("text", "message"), [
    ("[rules.thresholds]\nsnapshot_max_age_dayz = 5\n",
     "policy.toml: unknown key 'rules.thresholds.snapshot_max_age_dayz'"),
    ("[rules.thresholds]\nsnapshot_max_age_days = \"ten\"\n",
     "policy.toml: 'rules.thresholds.snapshot_max_age_days' must be an integer, got string"),
    ("[rules.thresholds]\nsnapshot_max_age_days = true\n",
     "'rules.thresholds.snapshot_max_age_days' must be an integer, got boolean"),
    ("[hcx.methods.hcx_bulk]\nmin_hardware_version = 7.5\n",
     "'hcx.methods.hcx_bulk.min_hardware_version' must be an integer, got number"),
    ("[hcx.preference]\npowered_on = [\"hcx_vmotion\", 3]\n", "'hcx.preference.powered_on[1]' must be a string"),
    ("[hcx.preference]\npowered_on = [\"hcx_teleport\"]\n", "names unknown method 'hcx_teleport'"),
    ("[rules.\"disk.nope\"]\nenabled = false\n", "unknown key 'rules.\"disk.nope\"'"),
    ("[rules.\"disk.rdm-physical\"]\nseverity = \"fatal\"\n",
     "'rules.\"disk.rdm-physical\".severity' must be one of blocker, warning, info"),
    ("[rules.\"disk.rdm-physical\"]\nenabled = \"no\"\n", "'rules.\"disk.rdm-physical\".enabled' must be a boolean"),
    ("[rules.\"disk.rdm-physical\"]\nmute = true\n", "unknown key 'rules.\"disk.rdm-physical\".mute'"),
    ("[retain]\nnames = [\"x\"]\n", "unknown key 'retain.names'"),
    ("[retain]\nname_patterns = \"sap-*\"\n", "'retain.name_patterns' must be an array of strings"),
    ("[retain]\ncustom_attributes = { a = 1 }\n", "'retain.custom_attributes' must be a table of strings"),
    ("[targets.avs.node_types.AV80]\ncores = 80\n", "'targets.avs.node_types.AV80' is missing key"),
    ("[targets.avs.node_types.AV80]\ncorez = 80\n", "unknown key 'targets.avs.node_types.AV80.corez'"),
    ("[guest_os.families.windows_xp]\nname_regex = \"(unclosed\"\n", "is not a valid regular expression"),
    ("rules = 5\n", "'rules' must be a table, got integer"),
    ("[rule.thresholds]\nsnapshot_max_count = 1\n", "unknown key 'rule'"),
    ("[hcx.method.hcx_bulk]\nmin_hardware_version = 7\n", "unknown key 'hcx.method'"),
    ("[rules.thresholds\n", "policy.toml: not valid TOML"),
])
def test_invalid_policy_names_the_key(tmp_path, text, message):
    with pytest.raises(InputError) as info:
        load_policy(write(tmp_path, text))
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_policy_file(tmp_path):
    with pytest.raises(InputError, match="policy file not found"):
        load_policy(str(tmp_path / "nope.toml"))


def test_merge_does_not_mutate_defaults(tmp_path):
    load_policy(write(tmp_path, "[rules.thresholds]\nsnapshot_max_age_days = 99\n"))
    assert default_policy().threshold("snapshot_max_age_days") == 3


def test_sections_added_by_others_merge_generically(tmp_path):
    from scanner.policy import build_policy

    defaults = default_policy().data
    defaults["sizing"] = {"avs": {"cpu_overcommit": 4.0, "ftt": "raid1"}}
    policy = build_policy(defaults, {"sizing": {"avs": {"cpu_overcommit": 6}}}, "policy.toml")
    assert policy.data["sizing"]["avs"] == {"cpu_overcommit": 6.0, "ftt": "raid1"}
    with pytest.raises(InputError, match=r"unknown key 'sizing\.avs\.cpu_overcomit'"):
        build_policy(defaults, {"sizing": {"avs": {"cpu_overcomit": 6}}}, "policy.toml")


def test_documented_example_policy_loads_and_applies():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "docs" / "examples" / "policy.toml"
    policy = load_policy(str(example))
    assert policy.threshold("snapshot_max_age_days") == 7
    assert policy.rule_overrides["net.nic-legacy"].enabled is False
    assert policy.retain.custom_attributes == {"Migrate": "no"}
    family = policy.data["guest_os"]["families"]["windows_server_2012"]
    assert family["end_of_support"] == dt.date(2026, 10, 13)
    assert family["guest_ids"] == ["windows8Server64Guest"]  # untouched keys keep their defaults
    vm = clean_vm(guest_id_tools="windows8Server64Guest", guest_full_name_tools=None)
    assert fails(vm, policy) == {"vm.guest-os-end-of-support": "blocker"}


def test_a_sizing_key_set_once_applies_to_every_target(tmp_path):
    # The defaults repeat cpu_oversubscription in [sizing.avs] and [sizing.vmc]; a user's
    # [sizing] value must not be silently shadowed by them.
    from scanner.analysis.sizing import effective_parameters

    policy = load_policy(write(tmp_path, "[sizing]\ncpu_oversubscription = 2\n[sizing.vmc]\ncompression = 1.1\n"))
    assert effective_parameters(policy.data, "avs")["cpu_oversubscription"] == 2.0
    assert effective_parameters(policy.data, "vmc")["cpu_oversubscription"] == 2.0
    assert effective_parameters(policy.data, "vmc")["compression"] == 1.1
    # A per-target value the user sets still wins for that target.
    policy = load_policy(write(tmp_path, "[sizing]\ncpu_oversubscription = 2\n"
                                         "[sizing.vmc]\ncpu_oversubscription = 5\n"))
    assert effective_parameters(policy.data, "avs")["cpu_oversubscription"] == 2.0
    assert effective_parameters(policy.data, "vmc")["cpu_oversubscription"] == 5.0


def test_a_zero_set_once_in_sizing_is_refused_not_ignored(tmp_path):
    from scanner.analysis.sizing import effective_parameters, parse_parameters

    policy = load_policy(write(tmp_path, "[sizing]\ncpu_oversubscription = 0\n"))
    with pytest.raises(InputError, match="cpu_oversubscription"):
        parse_parameters(effective_parameters(policy.data, "avs"), "avs")


def test_negative_thresholds_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"'rules.thresholds.snapshot_max_age_days' must be 0 or more, got -5"):
        load_policy(write(tmp_path, "[rules.thresholds]\nsnapshot_max_age_days = -5\n"))
