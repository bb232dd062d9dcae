import dataclasses
import gzip
import html
import ipaddress
import json
import re
import stat
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from scanner import anonymize as anon
from scanner.anonymize import (
    FIELD_RULES,
    IDENTIFIER,
    SAFE,
    UUID,
    AnonymizationMap,
    anonymize_estate,
    deanonymize_file,
    model_string_fields,
)
from scanner.cli import main
from scanner.inventory.io import load_estate, save_estate
from scanner.inventory.model import (
    VM,
    Cluster,
    CollectionIssue,
    Controller,
    Datacenter,
    Datastore,
    Disk,
    Estate,
    GuestDisk,
    Host,
    Network,
    Nic,
    PassthroughDevice,
    PerfStats,
    PortDevice,
    RemovableDrive,
    Snapshot,
    Source,
    UsbController,
    UsbDevice,
    VCenter,
)
from scanner.serde import to_plain

UUID1 = "502e71fa-1a2b-4c3d-8e9f-0a1b2c3d4e5f"


def rich_estate() -> Estate:
    """Every identifying field filled with a distinctive value (names chosen not to occur by chance)."""
    web = VM(
        id=f"{UUID1}/vm-101",
        moref="vm-101",
        name="payroll-web01",
        vcenter="vcsa-zurich.contoso.local",
        bios_uuid="4210aaaa-bbbb-cccc-dddd-eeeeffff0001",
        instance_uuid="5010aaaa-bbbb-cccc-dddd-eeeeffff0001",
        folder_path="/DC-Zurich/vm/Finance/Payroll",
        datacenter="DC-Zurich",
        cluster="CL-Gold",
        host="esx-zh-07.contoso.local",
        resource_pool="RP-Finance",
        vapp="vApp-Payroll",
        power_state="powered_on",
        guest_id="windows2019srv_64Guest",
        guest_full_name="Microsoft Windows Server 2019 (64-bit)",
        tools_version="12352",
        ipv4_addresses=["10.42.7.19", "172.16.99.3"],
        ipv6_addresses=["fd00:abcd::19", "fe80::250:56ff:fe9a:1b2c"],
        hostname="payroll-web01.fin.contoso.local",
        annotation="Owner Jane Doe, ticket CHG-4711\nreplaces payroll-old; root password: Hunter2-zh",
        custom_attributes={"Owner": "jane.doe@contoso.com", "CostCenter": "CC-8812", "svc-pwd": "Tr0ub4dor-zh"},
        controllers=[Controller(key=1000, label="SCSI controller 0", type="scsi_pvscsi", bus_sharing="none")],
        disks=[
            Disk(key=2000, label="Hard disk 1", capacity_bytes=1 << 34, provisioning="thin", backing="flat",
                 datastore="DS-Gold-01", file_name="[DS-Gold-01] payroll-web01/payroll-web01.vmdk",
                 controller_type="scsi_pvscsi"),
            Disk(key=2001, label="Hard disk 2", backing="rdm_physical", datastore="DS-Gold-01",
                 file_name="[DS-Gold-01] payroll-web01/payroll-web01_1-rdmp.vmdk",
                 lun_uuid="naa.600a098038303053453f463045727a51"),
        ],
        nics=[Nic(key=4000, label="Network adapter 1", adapter_type="vmxnet3", network="PG-Finance-VLAN42",
                  network_kind="distributed", mac_address="00:50:56:9a:1b:2c", mac_type="assigned")],
        cdroms=[RemovableDrive(key=3000, label="CD/DVD drive 1", backing="iso",
                               backing_path="[DS-ISO] Images/en_windows_server_2019_zhvault.iso")],
        floppies=[],
        serial_ports=[PortDevice(key=9000, label="Serial port 1", backing="network",
                                 backing_path="telnet://serialhub.contoso.local:7001")],
        parallel_ports=[PortDevice(key=9100, label="Parallel port 1", backing="file",
                                   backing_path="[DS-Gold-01] payroll-web01/lpt-capture.txt")],
        usb_controllers=[UsbController(key=7000, label="USB xHCI controller", type="usb3")],
        usb_devices=[UsbDevice(key=7100, label="USB 1", backing_path="path:1/0/3 HASP-Dongle-Payroll")],
        passthrough_devices=[PassthroughDevice(key=13000, label="PCI device 0", kind="vgpu", detail="grid_t4-4q")],
        snapshots=[Snapshot(name="before-payroll-upgrade", description="Requested by Jane Doe",
                            created="2024-03-01T10:00:00Z", power_state="powered_off")],
        snapshot_count=1,
        guest_disks=[GuestDisk(path="C:\\", capacity_bytes=100), GuestDisk(path="D:\\PayrollData", capacity_bytes=5),
                     GuestDisk(path="/var/lib/payrolldb", capacity_bytes=7)],
        perf={"cpu.usagemhz": PerfStats(unit="MHz", p95=800.0, samples=10, coverage=1.0)},
    )
    db = VM(
        id=f"{UUID1}/vm-102",
        moref="vm-102",
        name="payroll-db01",
        vcenter="vcsa-zurich.contoso.local",
        datacenter="DC-Zurich",
        cluster="CL-Gold",
        host="esx-zh-08.contoso.local",
        power_state="powered_off",
        ipv4_addresses=["10.42.7.20"],
        nics=[Nic(network="PG-Finance-VLAN42", mac_address="00-50-56-9A-1B-2D", adapter_type="e1000e")],
        disks=[Disk(datastore="DS-Gold-02", file_name="[DS-Gold-02] payroll-db01/payroll-db01.vmdk",
                    lun_uuid="naa.600a098038303053453f463045727a51")],
    )
    # An RVTools-style id that embeds a name; the part that is not a UUID/moref must be replaced.
    orphan = VM(id="rvtools:vcsa-zurich/legacy-fax01", name="legacy-fax01", vcenter="vcsa-zurich.contoso.local")
    hosts = [
        Host(id=f"{UUID1}/host-7", moref="host-7", name="esx-zh-07.contoso.local", datacenter="DC-Zurich",
             cluster="CL-Gold", vendor="Dell Inc.", model="PowerEdge R650", cpu_vendor="intel",
             esxi_version="7.0.3", esxi_build="21930508", product_full_name="VMware ESXi 7.0.3 build-21930508"),
        Host(id=f"{UUID1}/host-8", moref="host-8", name="esx-zh-08.contoso.local", datacenter="DC-Zurich",
             cluster="CL-Gold"),
        Host(id=f"{UUID1}/host-9", moref="host-9", name="192.168.77.9", datacenter="DC-Zurich"),
    ]
    vc = VCenter(
        name="vcsa-zurich.contoso.local",
        instance_uuid=UUID1,
        version="7.0.3",
        full_name="VMware vCenter Server 7.0.3 build-21958406",
        source_kind="vcenter",
        source_detail={"server": "https://vcsa-zurich.contoso.local/sdk", "api_version": "7.0.3.0",
                       "vi_sdk_server": "vcsa-zurich.contoso.local", "vi_sdk_uuid": UUID1, "ip": "10.42.0.5",
                       "build": "21958406", "exported_at": "2024-03-01 10:00:00", "file": "C:\\Users\\jdoe\\zh.xlsx"},
        datacenters=[Datacenter(name="DC-Zurich", moref="datacenter-2")],
        clusters=[Cluster(id=f"{UUID1}/domain-c7", moref="domain-c7", name="CL-Gold", datacenter="DC-Zurich",
                          evc_mode="intel-cascadelake",
                          hosts=["esx-zh-07.contoso.local", "esx-zh-08.contoso.local"])],
        hosts=hosts,
        datastores=[
            Datastore(id=f"{UUID1}/datastore-11", moref="datastore-11", name="DS-Gold-01", type="vmfs",
                      hosts=["esx-zh-07.contoso.local"]),
            Datastore(id=f"{UUID1}/datastore-12", moref="datastore-12", name="DS-Gold-02", type="nfs"),
            Datastore(id=f"{UUID1}/datastore-13", moref="datastore-13", name="DS-ISO", type="nfs"),
        ],
        networks=[Network(id=f"{UUID1}/dvportgroup-20", moref="dvportgroup-20", name="PG-Finance-VLAN42",
                          kind="distributed", vlan="42", switch="DVS-Zurich-Core")],
        vms=[web, db, orphan],
    )
    issues = [
        CollectionIssue(vcenter="vcsa-zurich.contoso.local", object_id=f"{UUID1}/vm-102",
                        object_name="payroll-db01", property="guest.net",
                        message="NoPermission reading payroll-db01 on esx-zh-08.contoso.local (10.42.7.20)"),
        CollectionIssue(vcenter="vcsa-zurich.contoso.local", object_id="vm-999", object_name="ghost-vm-zh",
                        message="deleted during collection; see /home/jdoe/vmscan/run.log"),
    ]
    return Estate(
        collected_at="2026-11-25T00:00:00Z",
        source=Source(kind="vcenter", tool="vmscan 0.1.0",
                      detail={"input1": "/home/jdoe/exports/zurich.json.gz", "version": "0.1.0"}),
        vcenters=[vc],
        collection_issues=issues,
    )


# Substrings that identify the customer even when the whole field value does not appear.
IDENTIFYING_FRAGMENTS = [
    "contoso", "Zurich", "zurich", "payroll", "Payroll", "Jane", "Doe", "jdoe", "CHG-4711", "Finance",
    "VLAN42", "Gold", "zhvault", "serialhub", "HASP", "legacy-fax", "ghost-vm", "10.42.", "172.16.", "fd00:abcd",
    "192.168.", "9a:1b:2c", "9A-1B-2D", "600a0980", "CC-8812", "lpt-capture", "run.log",
    "250:56ff", "Hunter2", "Tr0ub4dor",
]


def sensitive_originals(estate: Estate) -> set[str]:
    """Every value of length >= 3 in a field that is not declared safe (ids: their non-moref parts)."""
    found: set[str] = set()

    def visit(obj: object) -> None:
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            for f in dataclasses.fields(obj):
                value = getattr(obj, f.name)
                rule = FIELD_RULES.get((type(obj).__name__, f.name))
                if rule is not None:
                    collect(rule.value, value)
                    if isinstance(value, dict) and rule.key != SAFE:
                        found.update(k for k in value if len(k) >= 3)
                visit(value)
        elif isinstance(obj, list):
            for item in obj:
                visit(item)
        elif isinstance(obj, dict):
            for item in obj.values():
                visit(item)

    def collect(kind: str, value: object) -> None:
        if isinstance(value, str):
            if kind == SAFE or len(value) < 3:
                return
            if kind in (IDENTIFIER, UUID):
                found.update(p for p in value.split("/") if len(p) >= 3 and not re.match(r"^[a-z]+-[a-z]?\d+$", p)
                             and not re.match(r"^[0-9a-f-]{36}$", p))
                return
            # Kept on purpose: version-like source details ("0.1.0") and bare drive roots ("C:\\").
            if kind == anon.DETAIL and (anon._VERSION_RE.match(value) or anon._TIMESTAMP_RE.match(value)
                                        or anon._UUID_RE.match(value)):
                return
            if kind == anon.GUEST_PATH and re.fullmatch(r"[A-Za-z]:[\\/]?|/", value):
                return
            found.add(value)
        elif isinstance(value, list):
            for item in value:
                collect(kind, item)
        elif isinstance(value, dict):
            for item in value.values():
                collect(kind, item)

    visit(estate)
    return found


def serialized(estate: Estate) -> str:
    return json.dumps(to_plain(estate), ensure_ascii=False)


def test_every_string_field_of_the_model_is_declared():
    # A new str field in scanner/inventory/model.py must be classified here, or it could leak.
    declared = set(FIELD_RULES)
    assert model_string_fields() - declared == set(), "undeclared string fields: classify them in FIELD_RULES"
    assert declared - model_string_fields() == set(), "FIELD_RULES names fields that no longer exist"


def test_undeclared_field_is_refused_at_runtime(monkeypatch):
    rules = dict(FIELD_RULES)
    del rules[("VM", "annotation")]
    monkeypatch.setattr(anon, "FIELD_RULES", rules)
    with pytest.raises(RuntimeError, match=r"VM\.annotation"):
        anonymize_estate(rich_estate(), AnonymizationMap.new())


def test_no_original_identifying_string_remains():
    estate = rich_estate()
    originals = sensitive_originals(estate)
    assert {"payroll-web01", "DC-Zurich", "10.42.7.19", "Requested by Jane Doe"} <= originals
    text = serialized(anonymize_estate(estate, AnonymizationMap.new()))
    leaked = sorted(o for o in originals | set(IDENTIFYING_FRAGMENTS) if o in text)
    assert leaked == []


def test_hidden_attribute_keys():
    text = serialized(anonymize_estate(rich_estate(), AnonymizationMap.new(), hide_attribute_keys=True))
    assert "CostCenter" not in text and "Owner" not in text
    kept = serialized(anonymize_estate(rich_estate(), AnonymizationMap.new()))
    assert '"CostCenter"' in kept


def test_secret_bearing_notes_keep_only_the_fact():
    out = anonymize_estate(rich_estate(), AnonymizationMap.new(), hide_attribute_keys=True)
    web = out.vcenters[0].vms[0]
    assert re.fullmatch(r"note-[0-9a-f]{8} \(contains password=\*{8}\)", web.annotation)
    # the attribute is flagged by its (now hidden) name "svc-pwd": a generic marker, no name in it
    assert sum(v.endswith(anon.GENERIC_SECRET_MARKER) for v in web.custom_attributes.values()) == 1
    kept = anonymize_estate(rich_estate(), AnonymizationMap.new()).vcenters[0].vms[0]
    assert re.fullmatch(r"attr-[0-9a-f]{8}", kept.custom_attributes["svc-pwd"])  # the kept name suffices


def test_safe_vocabulary_and_numbers_are_kept():
    out = anonymize_estate(rich_estate(), AnonymizationMap.new())
    vm = out.vcenters[0].vms[0]
    assert vm.power_state == "powered_on"
    assert vm.guest_id == "windows2019srv_64Guest"
    assert vm.disks[1].backing == "rdm_physical"
    assert vm.nics[0].adapter_type == "vmxnet3"
    assert vm.passthrough_devices[0].detail == "grid_t4-4q"
    assert vm.disks[0].capacity_bytes == 1 << 34
    assert vm.id == f"{UUID1}/vm-101" and vm.moref == "vm-101"
    assert vm.bios_uuid == "4210aaaa-bbbb-cccc-dddd-eeeeffff0001"
    assert vm.folder_path.startswith("/folder-") and "/vm/" in vm.folder_path
    assert vm.guest_disks[0].path == "C:\\"
    assert vm.perf["cpu.usagemhz"].p95 == 800.0
    detail = out.vcenters[0].source_detail
    assert detail["api_version"] == "7.0.3.0" and detail["build"] == "21958406"
    assert detail["vi_sdk_uuid"] == UUID1 and detail["exported_at"] == "2024-03-01 10:00:00"
    assert detail["vi_sdk_server"] == out.vcenters[0].name
    assert ipaddress.ip_address(detail["ip"]) in ipaddress.IPv4Network("240.0.0.0/4")
    assert re.fullmatch(r"C:\\path-[0-9a-f]{8}\\path-[0-9a-f]{8}\\path-[0-9a-f]{8}\.xlsx", detail["file"])
    assert re.fullmatch(r"id-[0-9a-f]{8}/id-[0-9a-f]{8}", out.vcenters[0].vms[2].id)


def test_references_between_objects_stay_consistent():
    out = anonymize_estate(rich_estate(), AnonymizationMap.new())
    vc = out.vcenters[0]
    web, db, _ = vc.vms
    host_names = {h.name for h in vc.hosts}
    assert web.host in host_names and db.host in host_names
    assert set(vc.clusters[0].hosts) <= host_names
    assert web.cluster == vc.clusters[0].name == db.cluster
    assert web.datacenter == vc.datacenters[0].name == vc.hosts[0].datacenter
    assert web.nics[0].network == vc.networks[0].name == db.nics[0].network
    ds_names = {d.name for d in vc.datastores}
    assert web.disks[0].datastore in ds_names
    assert web.disks[0].file_name.startswith(f"[{web.disks[0].datastore}] ")
    assert web.disks[0].file_name.endswith(".vmdk")
    assert web.cdroms[0].backing_path.startswith(f"[{vc.datastores[2].name}] ")
    # Shared RDM: both VMs point at the same LUN before and after.
    assert web.disks[1].lun_uuid == db.disks[0].lun_uuid != "naa.600a098038303053453f463045727a51"
    assert web.vcenter == vc.name == out.collection_issues[0].vcenter
    # Free text reuses the pseudonyms of the names it mentions.
    issue = out.collection_issues[0]
    assert issue.object_name == db.name
    assert db.name in issue.message and db.host in issue.message and db.ipv4_addresses[0] in issue.message
    assert issue.message.startswith("NoPermission reading ")


def test_ip_and_mac_pseudonyms_stay_syntactically_valid():
    out = anonymize_estate(rich_estate(), AnonymizationMap.new())
    web, db, _ = out.vcenters[0].vms
    for address in web.ipv4_addresses + db.ipv4_addresses:
        assert ipaddress.IPv4Address(address) in ipaddress.IPv4Network("240.0.0.0/4")
    ula, link_local = web.ipv6_addresses  # fd00:abcd::19, fe80::250:56ff:fe9a:1b2c
    assert ipaddress.IPv6Address(ula) in ipaddress.IPv6Network("2001:db8::/32")
    assert ipaddress.IPv6Address(link_local) in ipaddress.IPv6Network("fe80::/64")
    assert "250:56ff" not in link_local  # the MAC-derived interface part is gone
    mac = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
    assert mac.match(web.nics[0].mac_address) and web.nics[0].mac_address.startswith("00:50:56:")
    assert mac.match(db.nics[0].mac_address) and db.nics[0].mac_address != web.nics[0].mac_address
    assert web.nics[0].mac_address != "00:50:56:9a:1b:2c"


def test_same_key_same_pseudonyms_other_key_different(tmp_path):
    first_map = AnonymizationMap.new()
    first = serialized(anonymize_estate(rich_estate(), first_map))
    first_map.save(tmp_path / "m.json")
    again = serialized(anonymize_estate(rich_estate(), AnonymizationMap.load(tmp_path / "m.json")))
    assert again == first
    # Same key, fresh entries: the HMAC alone reproduces the pseudonyms.
    assert serialized(anonymize_estate(rich_estate(), AnonymizationMap(first_map.key))) == first
    assert serialized(anonymize_estate(rich_estate(), AnonymizationMap.new())) != first


def test_collision_gets_a_longer_pseudonym():
    key = b"k" * 32
    taken = AnonymizationMap(key).name("vm", "alpha")
    crowded = AnonymizationMap(key, {taken: ("vm", "someone-else")})
    other = crowded.name("vm", "alpha")
    assert other != taken and other.startswith(taken) and len(other) == len(taken) + 4
    assert crowded.name("vm", "alpha") == other


def test_map_file_is_private_and_reverses_a_snapshot_exactly(tmp_path):
    mapping = AnonymizationMap.new()
    original = rich_estate()
    save_estate(anonymize_estate(original, mapping), tmp_path / "shared.json.gz")
    mapping.save(tmp_path / "map.json")
    assert stat.S_IMODE((tmp_path / "map.json").stat().st_mode) == 0o600
    data = json.loads((tmp_path / "map.json").read_text())
    assert data["format"] == "vmscan-anonymization-map" and len(bytes.fromhex(data["key"])) == 32
    restored = tmp_path / "restored.json.gz"
    count = deanonymize_file(tmp_path / "shared.json.gz", AnonymizationMap.load(tmp_path / "map.json"), restored)
    assert count > 30
    assert load_estate(restored) == original


@pytest.mark.parametrize(
    "content",
    [b"", b"{}", b"not json", json.dumps({"format": "vmscan-anonymization-map", "version": 1, "key": "zz",
                                          "entries": {}}).encode(),
     json.dumps({"format": "vmscan-anonymization-map", "version": 2}).encode()],
)
def test_bad_map_file_is_an_input_error(tmp_path, content):
    from scanner.errors import InputError

    path = tmp_path / "map.json"
    path.write_bytes(content)
    with pytest.raises(InputError, match="map"):
        AnonymizationMap.load(path)


def _anonymized_names(tmp_path):
    mapping = AnonymizationMap.new()
    estate = rich_estate()
    estate.vcenters[0].vms[0].name = '<img src=x onerror="alert(1)">\\'
    estate.vcenters[0].vms[1].name = "=cmd|' /C calc'!A0"
    out = anonymize_estate(estate, mapping)
    return mapping, out.vcenters[0].vms[0].name, out.vcenters[0].vms[1].name


def test_deanonymize_html_escapes_restored_names(tmp_path):
    mapping, web, db = _anonymized_names(tmp_path)
    src = tmp_path / "r.html"
    src.write_text(f'<td title="{web}">{web}</td><script>const d = {{"n": "{db}"}};</script>')
    deanonymize_file(src, mapping, tmp_path / "real.html")
    text = (tmp_path / "real.html").read_text()
    assert "<img" not in text and "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#92;" in text
    assert "=cmd|&#x27; /C calc&#x27;!A0" in text


def test_deanonymize_html_json_island_gets_script_json_escapes(tmp_path):
    mapping, web, _ = _anonymized_names(tmp_path)
    src = tmp_path / "r.html"
    src.write_text(f'<p>{web}</p><script type="application/json" id="vm-data">["{web}"]</script><p>{web}</p>')
    deanonymize_file(src, mapping, tmp_path / "real.html")
    text = (tmp_path / "real.html").read_text()
    start = text.index('id="vm-data">') + len('id="vm-data">')
    island = text[start : text.index("</script>", start)]
    assert "<" not in island and json.loads(island) == ['<img src=x onerror="alert(1)">\\']
    assert text.count("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&#92;") == 2  # the markup outside


def test_deanonymize_json_stays_valid_json(tmp_path):
    mapping, web, db = _anonymized_names(tmp_path)
    src = tmp_path / "a.json"
    src.write_text(json.dumps({"vms": [{"name": web}, {"name": db}]}))
    deanonymize_file(src, mapping, tmp_path / "real.json")
    data = json.loads((tmp_path / "real.json").read_text())
    assert data["vms"][0]["name"] == '<img src=x onerror="alert(1)">\\'


def test_deanonymize_csv_requotes_and_guards_formulas(tmp_path):
    import csv

    mapping, web, db = _anonymized_names(tmp_path)
    src = tmp_path / "vms.csv"
    src.write_text(f"name,note\r\n{db},-5\r\n{web},ok\r\n", newline="")
    deanonymize_file(src, mapping, tmp_path / "real.csv")
    rows = list(csv.reader((tmp_path / "real.csv").open(newline="")))
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-5"]  # guard only on restored cells
    assert rows[2][0] == '<img src=x onerror="alert(1)">\\'


def test_deanonymize_xlsx_keeps_restored_formula_text_as_text(tmp_path):
    mapping, web, db = _anonymized_names(tmp_path)
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["name"])
    sheet.append([db])
    sheet.append([f"VM {web} is fine"])
    workbook.save(tmp_path / "r.xlsx")
    deanonymize_file(tmp_path / "r.xlsx", mapping, tmp_path / "real.xlsx")
    cells = openpyxl.load_workbook(tmp_path / "real.xlsx").active
    assert cells["A2"].value == "=cmd|' /C calc'!A0" and cells["A2"].data_type == "s"
    assert cells["A3"].value == "VM <img src=x onerror=\"alert(1)\">\\ is fine"


def test_cli_anonymize_and_deanonymize(tmp_path):
    save_estate(rich_estate(), tmp_path / "estate.json.gz")
    runner = CliRunner()
    args = ["anonymize", str(tmp_path / "estate.json.gz"), "-o", str(tmp_path / "shared.json.gz"),
            "--map", str(tmp_path / "map.json")]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "do not share" in result.output
    shared = gzip.decompress((tmp_path / "shared.json.gz").read_bytes()).decode()
    assert "payroll" not in shared and "contoso" not in shared
    assert stat.S_IMODE((tmp_path / "map.json").stat().st_mode) == 0o600
    first = (tmp_path / "shared.json.gz").read_bytes()
    assert runner.invoke(main, args).exit_code == 0
    assert (tmp_path / "shared.json.gz").read_bytes() == first  # reused map -> same pseudonyms

    report = tmp_path / "report.csv"
    vm_name = json.loads(shared)["vcenters"][0]["vms"][0]["name"]
    report.write_text(f"vm\r\n{vm_name}\r\n")
    result = runner.invoke(main, ["deanonymize", str(report), "--map", str(tmp_path / "map.json"),
                                  "-o", str(tmp_path / "real.csv")])
    assert result.exit_code == 0, result.output
    assert "payroll-web01" in (tmp_path / "real.csv").read_text()


@pytest.mark.parametrize(
    "extra",
    [
        ["-o", "{tmp}/same.json", "--map", "{tmp}/same.json"],
        ["-o", "{tmp}/estate.json.gz", "--map", "{tmp}/map.json"],
        ["-o", "{tmp}/out.json.gz", "--map", "{tmp}/estate.json.gz"],
        ["-o", "{tmp}/out.json.gz", "--map", "{tmp}/notamap.json"],
    ],
)
def test_cli_anonymize_refuses_dangerous_paths(tmp_path, extra):
    save_estate(rich_estate(), tmp_path / "estate.json.gz")
    (tmp_path / "notamap.json").write_text('{"hello": 1}')
    before = sorted(p.name for p in tmp_path.iterdir())
    estate_bytes = (tmp_path / "estate.json.gz").read_bytes()
    args = ["anonymize", str(tmp_path / "estate.json.gz")] + [a.format(tmp=tmp_path) for a in extra]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert result.output.startswith("vmscan: error:") and result.output.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert (tmp_path / "estate.json.gz").read_bytes() == estate_bytes


# ---------------------------------------------------------------- analysis and reports of the anonymized estate

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "sample-estate.json.gz"
KUBEV2V = Path(__file__).resolve().parents[2] / "fixtures" / "kubev2v-example1.xlsx"


def _estates():
    from scanner.inputs import load_inputs

    return {
        "rich": rich_estate(),
        "sample-fixture": load_estate(SAMPLE),
        "kubev2v-rvtools": load_inputs([str(KUBEV2V)])[0],
    }


@pytest.mark.parametrize("name", ["rich", "sample-fixture", "kubev2v-rvtools"])
def test_analysis_of_the_anonymized_estate_gives_the_same_findings_per_vm(name):
    import datetime as dt

    from scanner.analysis.engine import analyze

    original = _estates()[name]
    anonymized = anonymize_estate(original, AnonymizationMap.new())
    as_of = dt.date(2026, 11, 25)
    before = analyze(original, as_of=as_of)
    after = analyze(anonymized, as_of=as_of)
    pseudonym = {o.id: a.id for o, a in zip(original.all_vms(), anonymized.all_vms(), strict=True)}

    def findings(assessment, rename):
        return sorted((rename(f.vm_id), f.rule_id, f.targets, f.status, f.severity) for f in assessment.findings)

    def outcomes(assessment, rename):
        return sorted((rename(o.vm_id), json.dumps([o.readiness, o.methods, o.recommended_method, o.disposition,
                                                     sorted(o.finding_ids), sorted(o.unknown_ids)], sort_keys=True))
                      for o in assessment.vms)

    assert before.findings, "the estate should produce findings, or the comparison proves nothing"
    assert findings(before, pseudonym.__getitem__) == findings(after, lambda vm_id: vm_id)
    assert outcomes(before, pseudonym.__getitem__) == outcomes(after, lambda vm_id: vm_id)
    assert to_plain(before.summary) == to_plain(after.summary)
    assert [to_plain(s.options) for s in before.sizing] == [to_plain(s.options) for s in after.sizing]


def test_reports_of_the_anonymized_estate_leak_no_original(tmp_path):
    import datetime as dt
    import zipfile

    from scanner.analysis.engine import analyze
    from scanner.reporters.html import write_html
    from scanner.reporters.xlsx import write_xlsx

    original = rich_estate()
    anonymized = anonymize_estate(original, AnonymizationMap.new())
    assessment = analyze(anonymized, as_of=dt.date(2026, 11, 25))
    write_html(anonymized, assessment, tmp_path / "report.html")
    write_xlsx(anonymized, assessment, tmp_path / "report.xlsx")
    html_text = (tmp_path / "report.html").read_text(encoding="utf-8")
    with zipfile.ZipFile(tmp_path / "report.xlsx") as archive:
        xlsx_text = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    assert anonymized.all_vms()[0].name in html_text and anonymized.all_vms()[0].name in xlsx_text
    for text in (html_text, xlsx_text):
        leaked = sorted(o for o in sensitive_originals(original) | set(IDENTIFYING_FRAGMENTS)
                        if o in text or html.escape(o) in text)
        assert leaked == []


def test_cli_deanonymize_a_whole_report_folder(tmp_path):
    save_estate(rich_estate(), tmp_path / "estate.json.gz")
    runner = CliRunner()
    assert runner.invoke(main, ["anonymize", str(tmp_path / "estate.json.gz"), "-o", str(tmp_path / "shared.json.gz"),
                                "--map", str(tmp_path / "map.json")]).exit_code == 0
    result = runner.invoke(main, ["report", str(tmp_path / "shared.json.gz"), "--out", str(tmp_path / "shared"),
                                  "--format", "html,xlsx,csv,json", "--as-of", "2026-11-25"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["deanonymize", str(tmp_path / "shared"), "--map", str(tmp_path / "map.json"),
                                  "-o", str(tmp_path / "real")])
    assert result.exit_code == 0, result.output
    shared_files = sorted(p.relative_to(tmp_path / "shared") for p in (tmp_path / "shared").rglob("*") if p.is_file())
    real_files = sorted(p.relative_to(tmp_path / "real") for p in (tmp_path / "real").rglob("*") if p.is_file())
    assert real_files == shared_files and len(real_files) >= 4
    html_text = next((tmp_path / "real").rglob("*.html")).read_text(encoding="utf-8")
    assert "payroll-web01" in html_text and "esx-zh-07.contoso.local" in html_text
    book = openpyxl.load_workbook(next((tmp_path / "real").rglob("*.xlsx")))
    cells = {c.value for ws in book.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert "payroll-web01" in cells
    csv_text = "".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "real").rglob("*.csv"))
    assert "payroll-db01" in csv_text
    # Refuses to write into a folder that already has files.
    again = runner.invoke(main, ["deanonymize", str(tmp_path / "shared"), "--map", str(tmp_path / "map.json"),
                                 "-o", str(tmp_path / "real")])
    assert again.exit_code == 2 and "not empty" in again.output


def test_deanonymize_xlsx_leaves_formulas_alone_and_stays_valid_xml(tmp_path):
    mapping = AnonymizationMap.new()
    estate = rich_estate()
    estate.vcenters[0].vms[0].name = 'bell\x07"); =cmd|"'
    name = anonymize_estate(estate, mapping).vcenters[0].vms[0].name
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet["A1"] = name
    sheet["B1"] = f'=LEN("{name}")'
    workbook.save(tmp_path / "r.xlsx")
    assert deanonymize_file(tmp_path / "r.xlsx", mapping, tmp_path / "real.xlsx") == 1
    cells = openpyxl.load_workbook(tmp_path / "real.xlsx").active
    assert cells["A1"].value == 'bell\ufffd"); =cmd|"' and cells["A1"].data_type == "s"
    assert cells["B1"].value == f'=LEN("{name}")'  # the formula still holds the pseudonym, untouched


@pytest.mark.parametrize("source", ["rich", "sample-fixture", "kubev2v-rvtools"])
def test_report_of_the_anonymized_estate_restores_to_the_original_report(tmp_path, source):
    # Anonymize -> report (by the consultant) -> deanonymize (back home) gives the very report the
    # original estate gives: every CSV table has the same rows.
    import csv

    inputs = {"rich": tmp_path / "rich.json.gz", "sample-fixture": SAMPLE, "kubev2v-rvtools": KUBEV2V}
    if source == "rich":
        save_estate(rich_estate(), inputs["rich"])
    runner = CliRunner()
    original_input = str(inputs[source])
    steps = [
        ["anonymize", original_input, "-o", str(tmp_path / "shared.json.gz"), "--map", str(tmp_path / "map.json")],
        ["report", original_input, "--out", str(tmp_path / "original"), "--format", "csv", "--as-of", "2026-11-25"],
        ["report", str(tmp_path / "shared.json.gz"), "--out", str(tmp_path / "shared"), "--format", "csv",
         "--as-of", "2026-11-25"],
        ["deanonymize", str(tmp_path / "shared"), "--map", str(tmp_path / "map.json"), "-o", str(tmp_path / "back")],
    ]
    for args in steps:
        result = runner.invoke(main, args)
        assert result.exit_code == 0, (args[0], result.output)

    def rows(path):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            table = list(csv.reader(handle))
        if path.name == "data_coverage_inputs.csv":
            # Its first column is the input path as given, which is a different file by design.
            table = [row[1:] for row in table]
        return sorted(map(tuple, table))

    tables = sorted(p.relative_to(tmp_path / "original") for p in (tmp_path / "original").rglob("*.csv"))
    assert len(tables) >= 5
    for table in tables:
        assert rows(tmp_path / "back" / table) == rows(tmp_path / "original" / table), table


def test_rvtools_export_of_the_anonymized_estate_leaks_nothing(tmp_path):
    import zipfile

    original = rich_estate()
    save_estate(anonymize_estate(original, AnonymizationMap.new()), tmp_path / "shared.json.gz")
    result = CliRunner().invoke(main, ["export", str(tmp_path / "shared.json.gz"), "--format", "rvtools",
                                       "-o", str(tmp_path / "shared-rvtools.xlsx")])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "shared-rvtools.xlsx") as archive:
        text = "".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    assert "vInfo" in text
    leaked = sorted(o for o in sensitive_originals(original) | set(IDENTIFYING_FRAGMENTS)
                    if o in text or html.escape(o) in text)
    assert leaked == []


def test_mask_secrets_keeps_masks_and_short_values():
    from scanner.textsafety import mask_secrets

    assert mask_secrets("login: password=Secr3t! ok") == "login: password=******** ok"
    assert mask_secrets("note-1a2b3c4d (contains pwd=********)") == "note-1a2b3c4d (contains pwd=********)"
    assert mask_secrets("pw: ab") == "pw: ab"
    assert mask_secrets(None) is None
