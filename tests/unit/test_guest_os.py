"""Guest OS identification from every source, end of support at --as-of, explicit unknowns."""

from __future__ import annotations

import datetime as dt

import pytest

from scanner.analysis.engine import analyze
from scanner.policy import default_policy
from scanner.rules.guest import guest_catalogue, identify
from tests.factories import clean_vm, estate_of

AS_OF = dt.date(2026, 12, 6)
NO_GUEST = dict(guest_id=None, guest_full_name=None, guest_id_tools=None, guest_full_name_tools=None,
                guest_detailed_data=None)


def reading(**fields):
    return identify(clean_vm(**{**NO_GUEST, **fields}), guest_catalogue(default_policy()))


def eos_results(**fields):
    assessment = analyze(estate_of(clean_vm(**{**NO_GUEST, **fields})), targets=["avs"], as_of=AS_OF)
    return [(f.status, f.message) for f in assessment.findings if f.rule_id == "vm.guest-os-end-of-support"]


@pytest.mark.parametrize(("text", "family"), [
    ("Microsoft Windows Server 2003 Standard (32-bit)", "windows_server_2003"),
    ("Microsoft Windows Server 2008 R2 (64-bit)", "windows_server_2008"),
    ("Microsoft Windows Server 2012 R2 Datacenter", "windows_server_2012"),
    ("Microsoft Windows Server 2016 or later (64-bit)", "windows_server_2016"),
    ("Microsoft Windows Server 2019 (64-bit)", "windows_server_2019"),
    ("Microsoft Windows Server 2022 Datacenter", "windows_server_2022"),
    ("Microsoft Windows Server 2025 (64-bit)", "windows_server_2025"),
    ("Microsoft Windows 7 (64-bit)", "windows_7"),
    ("Microsoft Windows 8.1 (64-bit)", "windows_8"),
    ("Microsoft Windows 10 (64-bit)", "windows_10"),
    ("Microsoft Windows 11 (64-bit)", "windows_11"),
    ("Microsoft Windows XP Professional (32-bit)", "windows_xp"),
    ("Red Hat Enterprise Linux 5 (64-bit)", "rhel_5"),
    ("Red Hat Enterprise Linux 7 (64-bit)", "rhel_7"),
    ("Red Hat Enterprise Linux 10 (64-bit)", "rhel_10"),
    ("CentOS 7 (64-bit)", "centos_7"),
    ("CentOS Stream 9", "centos_stream_9"),
    ("Rocky Linux 9.5 (Blue Onyx)", "rocky_9"),
    ("AlmaLinux 8.10 (Cerulean Leopard)", "almalinux_8"),
    ("Oracle Linux 7 (64-bit)", "oracle_linux_7"),
    ("SUSE Linux Enterprise 10 (64-bit)", "sles_10"),
    ("SUSE Linux Enterprise Server 15 SP5", "sles_15"),
    ("openSUSE Leap 15.6", "opensuse_15"),
    ("Ubuntu 14.04.6 LTS", "ubuntu_14_04"),
    ("Ubuntu 24.04.1 LTS", "ubuntu_24_04"),
    ("Debian GNU/Linux 7 (64-bit)", "debian_7"),
    ("Debian GNU/Linux 13 (64-bit)", "debian_13"),
    ("Fedora Linux 40 (Server Edition)", "fedora_40"),
    ("VMware Photon OS 4.0", "photon_4"),
    ("FreeBSD 13.2-RELEASE", "freebsd_13"),
    ("Oracle Solaris 10 (64-bit)", "solaris_10"),
    ("Oracle Solaris 11 (64-bit)", "solaris_11"),
])
def test_each_os_family_is_parsed_from_its_name(text, family):
    found = reading(guest_full_name=text)
    assert found is not None and found.family is not None and found.family.id == family


@pytest.mark.parametrize(("guest_id", "family"), [
    ("windows2019srvNext_64Guest", "windows_server_2022"), ("rhel8_64Guest", "rhel_8"),
    ("sles12_64Guest", "sles_12"), ("debian11_64Guest", "debian_11"), ("freebsd14_64Guest", "freebsd_14"),
])
def test_vsphere_guest_ids_name_a_family(guest_id, family):
    found = reading(guest_id=guest_id)
    assert found is not None and found.family is not None and found.family.id == family


def test_tools_win_over_a_contradicting_configuration():
    # Configured as RHEL 7 but VMware Tools say Rocky Linux 9.5: never read as RHEL 7.
    found = reading(guest_full_name="Red Hat Enterprise Linux 7 (64-bit)", guest_id="rhel7_64Guest",
                    guest_full_name_tools="Rocky Linux 9.5 (Blue Onyx)")
    assert found is not None and found.family is not None and found.family.id == "rocky_9"
    assert found.field == "guest_full_name_tools"
    assert eos_results(guest_full_name="Red Hat Enterprise Linux 7 (64-bit)",
                       guest_full_name_tools="Rocky Linux 9.5 (Blue Onyx)") == []


def test_tools_naming_another_os_family_overrides_the_configuration():
    # An Ubuntu configured as RHEL 5 whose Tools name only "Ubuntu Linux": the version is unknown,
    # not RHEL 5's.
    found = reading(guest_full_name="Red Hat Enterprise Linux 5 (64-bit)", guest_id_tools="ubuntu64Guest")
    assert found is not None and found.distro == "ubuntu" and found.family is None
    assert eos_results(guest_full_name="Red Hat Enterprise Linux 5 (64-bit)", guest_id_tools="ubuntu64Guest") == [
        ("unknown", "Ubuntu: version not known")]


def test_configuration_adds_the_version_tools_leave_out():
    # Tools say "Other 4.x Linux" (no distribution): the configured Debian 11 is not contradicted.
    found = reading(guest_full_name="Debian GNU/Linux 11 (64-bit)", guest_id_tools="other4xLinux64Guest")
    assert found is not None and found.family is not None and found.family.id == "debian_11"


def test_guest_detailed_data_is_the_most_specific_source():
    detailed = ("architecture='X86' bitness='64' distroName='Ubuntu' distroVersion='20.04' familyName='Linux' "
                "kernelVersion='5.4.0-150-generic' prettyName='Ubuntu 20.04.6 LTS'")
    found = reading(guest_full_name="Ubuntu Linux (64-bit)", guest_full_name_tools="Ubuntu Linux (64-bit)",
                    guest_detailed_data=detailed)
    assert found is not None and found.family is not None and found.family.id == "ubuntu_20_04"
    assert eos_results(guest_full_name="Ubuntu Linux (64-bit)", guest_detailed_data=detailed) == [
        ("fail", "Ubuntu 20.04 LTS reached end of support on 2025-05-31")]


def test_bitness_is_not_a_version():
    found = reading(guest_full_name="Red Hat Fedora (32-bit)")
    assert found is not None and found.distro == "fedora" and found.version is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"guest_full_name": "Ubuntu Linux (64-bit)"}, "Ubuntu: version not known"),
    ({"guest_full_name": "Other 4.x or later Linux (64-bit)"}, "linux (distribution not named): version not known"),
    ({"guest_full_name": "Amazon Linux 2 (64-bit)"}, "Amazon Linux 2: no end-of-support date on file"),
    ({"guest_full_name": "Oracle Solaris 11 (64-bit)"}, "Oracle Solaris 11: no end-of-support date on file"),
    ({"guest_full_name": "Plan 9 from Bell Labs"}, "guest OS not recognised (Plan 9 from Bell Labs)"),
    ({}, "guest OS not known"),
])
def test_an_os_version_that_cannot_be_told_is_an_explicit_unknown(fields, message):
    assert eos_results(**fields) == [("unknown", message)]


def test_end_of_support_is_information_and_leaves_readiness_alone():
    old = clean_vm(guest_id="rhel7_64Guest", guest_id_tools="rhel7_64Guest",
                   guest_full_name="Red Hat Enterprise Linux 7 (64-bit)",
                   guest_full_name_tools="Red Hat Enterprise Linux 7 (64-bit)")
    unknown_version = clean_vm("vc-uuid/vm-101", **{**NO_GUEST, "guest_full_name": "Ubuntu Linux (64-bit)"})
    assessment = analyze(estate_of(old, unknown_version), targets=["avs"], as_of=AS_OF)
    by_name = {o.vm_id: o for o in assessment.vms}
    assert by_name["vc-uuid/vm-100"].readiness["avs"] == "ready"
    assert by_name["vc-uuid/vm-100"].disposition == "replatform"
    assert by_name["vc-uuid/vm-101"].readiness["avs"] == "ready"
    assert by_name["vc-uuid/vm-101"].disposition == "rehost"
    gap = next(g for g in assessment.coverage.rules if g.rule_id == "vm.guest-os-end-of-support")
    assert gap.vm_count_unknown == 1 and gap.vm_count_readiness == 0


def test_end_of_support_dates_are_pinned_to_the_assessment_date():
    fields = {"guest_full_name": "Microsoft Windows Server 2016 (64-bit)"}
    vm = clean_vm(**{**NO_GUEST, **fields})
    before = analyze(estate_of(vm), targets=["avs"], as_of=dt.date(2027, 1, 11))
    after = analyze(estate_of(vm), targets=["avs"], as_of=dt.date(2027, 1, 12))
    assert not [f for f in before.findings if f.rule_id == "vm.guest-os-end-of-support"]
    [finding] = [f for f in after.findings if f.rule_id == "vm.guest-os-end-of-support"]
    assert finding.status == "fail" and finding.evidence["days_past"] == 0
    assert finding.evidence["source"] == "https://learn.microsoft.com/lifecycle/products/windows-server-2016"


def test_every_family_has_a_source_and_every_dated_family_a_date():
    for family in guest_catalogue(default_policy()).families:
        assert family.source.startswith("https://"), family.id
        assert family.end_of_support is not None or family.rolling or family.version or family.pattern, family.id


def test_rvtools_47_guest_detailed_data_column_is_read(tmp_path):
    from scanner.rvtools.reader import read_rvtools
    from tests.unit.rvtools_helpers import variant_sheets, write_workbook

    sheets = variant_sheets("4.7")
    head, web, db = sheets["vInfo"]
    sheets["vInfo"] = [[*head, "Guest Detailed Data"],
                       [*web, "distroName='Rocky Linux' distroVersion='9.5' prettyName='Rocky Linux 9.5 (Blue Onyx)'"],
                       [*db, None]]
    vms = {vm.name: vm for vm in read_rvtools(write_workbook(tmp_path / "rv.xlsx", sheets)).all_vms()}
    assert vms["web01"].guest_detailed_data.startswith("distroName='Rocky Linux'")
    assert vms["db01"].guest_detailed_data is None
    # web01 is configured as RHEL 8: the detailed data (Tools) says Rocky Linux 9.
    found = identify(vms["web01"], guest_catalogue(default_policy()))
    assert found is not None and found.family is not None and found.family.id == "rocky_9"
