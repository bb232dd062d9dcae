"""The streaming PropertyCollector parser, checked value by value against pyVmomi's deserializer.

Responses are either recorded from the seeded simulator (tests/unit/data, see
scripts/record_soap_sample.py) or serialized by pyVmomi itself from data objects built here, so
both parsers read exactly the same bytes. The transport (paging, gzip, SOAP faults, cancel) runs
against a small fake SDK endpoint on the loopback interface.
"""

from __future__ import annotations

import datetime
import gzip
import http.client
import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl

from scanner.collector import mappers, soapstream
from scanner.collector.properties import MissingProperty, ObjectProperties
from scanner.collector.soapstream import (
    ObjectSetAnswers,
    StreamParseError,
    StreamResult,
    TypeCatalog,
    object_set_requests,
    parse_retrieve_result,
    stream_pages,
)
from scanner.errors import InputError

PC = vmodl.query.PropertyCollector
Device = vim.vm.device
VERSION = "vim.version.version12"
RECORDED = Path(__file__).parent / "data" / "vcsim-vms-response.xml.gz"


class FakeStub:
    """What both deserializers need from a stub: the API version."""

    version = VERSION

    def SupportServerGUIDs(self) -> bool:
        return False


STUB = FakeStub()


# --- helpers ------------------------------------------------------------------------------------


def same(mine: Any, ref: Any, path: str = "$") -> None:
    """Deep equality of pyVmomi values: same classes, same attributes, same values."""
    if isinstance(ref, VmomiSupport.DataObject):
        assert type(mine) is type(ref), f"{path}: {type(mine)} != {type(ref)}"
        assert set(vars(mine)) == set(vars(ref)), f"{path}: {set(vars(mine)) ^ set(vars(ref))}"
        for key, value in vars(ref).items():
            same(vars(mine)[key], value, f"{path}.{key}")
    elif isinstance(ref, VmomiSupport.ManagedObject):
        assert type(mine) is type(ref) and mine._moId == ref._moId, f"{path}: {mine!r} != {ref!r}"
    elif isinstance(ref, list):
        assert isinstance(mine, list) and len(mine) == len(ref), f"{path}: {mine!r} != {ref!r}"
        for index, (a, b) in enumerate(zip(mine, ref, strict=True)):
            same(a, b, f"{path}[{index}]")
    else:
        assert mine == ref, f"{path}: {mine!r} != {ref!r}"
        assert (mine is None) == (ref is None), path
        if isinstance(ref, bool | float | datetime.datetime):
            assert type(mine) is type(ref), f"{path}: {type(mine)} != {type(ref)}"


def response_body(result: Any, method: str = "RetrievePropertiesEx") -> bytes:
    """A SOAP response envelope for ``result`` (a RetrieveResult or None), serialized by pyVmomi."""
    ns_map = dict(SoapAdapter.SOAP_NSMAP)
    ns_map["urn:vim25"] = ""
    inner = ""
    if result is not None:
        info = VmomiSupport.Object(name="returnval", type=PC.RetrieveResult, version=VERSION, flags=0)
        inner = SoapAdapter.Serialize(result, info, VERSION, ns_map)
        if isinstance(inner, bytes):
            inner = inner.decode("utf-8")
    return (
        f'{SoapAdapter.XML_HEADER}\n{SoapAdapter.SOAP_START}<{method}Response xmlns="urn:vim25">'
        f"{inner}</{method}Response>{SoapAdapter.SOAP_END}"
    ).encode()


def fault_body(fault_type: str, message: str, detail_xml: str) -> bytes:
    """A SOAP fault as vCenter sends it (HTTP 500)."""
    return (
        f"{SoapAdapter.XML_HEADER}\n{SoapAdapter.SOAP_START}<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
        f"<faultstring>{message}</faultstring><detail>"
        f'<{fault_type}Fault xmlns="urn:vim25" xsi:type="{fault_type}">{detail_xml}</{fault_type}Fault>'
        f"</detail></soapenv:Fault>{SoapAdapter.SOAP_END}"
    ).encode()


def stream_parse(body: bytes, chunk_size: int = 64 * 1024) -> tuple[list[ObjectProperties], StreamResult]:
    result = StreamResult()
    chunks = (body[i : i + chunk_size] for i in range(0, len(body), chunk_size))
    items = list(parse_retrieve_result(chunks, TypeCatalog(STUB), result))
    return items, result


def pyvmomi_parse(body: bytes) -> Any:
    return SoapAdapter.SoapResponseDeserializer(STUB).Deserialize(body, PC.RetrieveResult)


def assert_same_as_pyvmomi(body: bytes) -> list[ObjectProperties]:
    items, result = stream_parse(body)
    reference = pyvmomi_parse(body)
    objects = reference.objects if reference is not None else []
    assert [i.moref for i in items] == [o.obj._moId for o in objects]
    for item, ref in zip(items, objects, strict=True):
        same(item.obj, ref.obj)
        ref_values = {p.name: p.val for p in ref.propSet}
        assert set(item.values) == set(ref_values)
        for name, value in ref_values.items():
            same(item.values[name], value, f"{item.moref}:{name}")
    assert result.token == (reference.token if reference is not None else None)
    return items


def content(moref: str, props: dict[str, Any], missing: list[Any] = ()) -> Any:  # type: ignore[assignment]
    return PC.ObjectContent(
        obj=vim.VirtualMachine(moref),
        propSet=[vmodl.DynamicProperty(name=k, val=v) for k, v in props.items()],
        missingSet=list(missing),
    )


def rich_devices() -> list[Any]:
    """One of each device/backing family the mappers distinguish."""
    scsi = Device.ParaVirtualSCSIController(key=1000, busNumber=0, sharedBus="physicalSharing")
    scsi.deviceInfo = vim.Description(label="SCSI controller 0", summary="PVSCSI")
    ide = Device.VirtualIDEController(key=200, busNumber=0, device=[3000])
    flat = Device.VirtualDisk(
        key=2000,
        controllerKey=1000,
        unitNumber=0,
        capacityInKB=4 * 1024 * 1024,
        capacityInBytes=4 * 1024**3,
        backing=Device.VirtualDisk.FlatVer2BackingInfo(
            fileName="[ds1] vm/vm.vmdk",
            diskMode="persistent",
            thinProvisioned=False,
            eagerlyScrub=True,
            datastore=vim.Datastore("datastore-1"),
            sharing="sharingMultiWriter",
        ),
    )
    rdm = Device.VirtualDisk(
        key=2001,
        controllerKey=1000,
        unitNumber=1,
        capacityInKB=1024,
        backing=Device.VirtualDisk.RawDiskMappingVer1BackingInfo(
            fileName="[ds1] vm/rdm.vmdk",
            compatibilityMode="physicalMode",
            lunUuid="0200000000600508b1001c",
            deviceName="/vmfs/devices/disks/naa.600508b1001c",
            diskMode="independent_persistent",
        ),
    )
    sparse = Device.VirtualDisk(
        key=2002,
        controllerKey=1000,
        unitNumber=2,
        capacityInKB=2048,
        backing=Device.VirtualDisk.SparseVer2BackingInfo(fileName="[ds2] vm/sparse.vmdk", diskMode="persistent"),
    )
    e1000 = Device.VirtualE1000(
        key=4000,
        macAddress="00:50:56:aa:bb:cc",
        addressType="assigned",
        backing=Device.VirtualEthernetCard.NetworkBackingInfo(
            deviceName="VM Network", network=vim.Network("network-7")
        ),
        connectable=Device.VirtualDevice.ConnectInfo(connected=True, startConnected=True, allowGuestControl=True),
    )
    vmxnet3 = Device.VirtualVmxnet3(
        key=4001,
        backing=Device.VirtualEthernetCard.DistributedVirtualPortBackingInfo(
            port=vim.dvs.PortConnection(portgroupKey="dvportgroup-9", switchUuid="50 1a")
        ),
    )
    cdrom_iso = Device.VirtualCdrom(
        key=3000,
        controllerKey=200,
        backing=Device.VirtualCdrom.IsoBackingInfo(fileName="[iso] linux.iso"),
        connectable=Device.VirtualDevice.ConnectInfo(connected=False, startConnected=False),
    )
    cdrom_client = Device.VirtualCdrom(
        key=3001, backing=Device.VirtualCdrom.RemotePassthroughBackingInfo(deviceName="", exclusive=False)
    )
    serial = Device.VirtualSerialPort(
        key=9000,
        yieldOnPoll=True,
        backing=Device.VirtualSerialPort.URIBackingInfo(serviceURI="telnet://:7001", direction="server"),
    )
    vgpu = Device.VirtualPCIPassthrough(key=13000, backing=Device.VirtualPCIPassthrough.VmiopBackingInfo(vgpu="grid"))
    return [scsi, ide, flat, rdm, sparse, e1000, vmxnet3, cdrom_iso, cdrom_client, serial, vgpu]


def rich_result(token: str | None = None) -> Any:
    snapshot = vim.vm.SnapshotInfo(
        rootSnapshotList=[
            vim.vm.SnapshotTree(
                name="base",
                description="first",
                createTime=datetime.datetime(2024, 5, 1, 12, 30, tzinfo=datetime.UTC),
                state="poweredOff",
                quiesced=False,
                snapshot=vim.vm.Snapshot("snapshot-1"),
                vm=vim.VirtualMachine("vm-1"),
                id=1,
                childSnapshotList=[
                    vim.vm.SnapshotTree(
                        name="child",
                        description="",
                        createTime=datetime.datetime(2024, 5, 2, tzinfo=datetime.UTC),
                        state="poweredOn",
                        quiesced=True,
                        id=2,
                        snapshot=vim.vm.Snapshot("snapshot-2"),
                        vm=vim.VirtualMachine("vm-1"),
                    )
                ],
            )
        ]
    )
    vm1 = content(
        "vm-1",
        {
            "name": "web-01 <&> ünïcode",
            "config.hardware.device": Device.VirtualDevice.Array(rich_devices()),
            "config.hardware.numCPU": 4,
            "config.template": False,
            "config.cpuAllocation": vim.ResourceAllocationInfo(reservation=0, limit=-1),
            "config.bootOptions": vim.vm.BootOptions(efiSecureBootEnabled=True),
            "guest.net": vim.vm.GuestInfo.NicInfo.Array(
                [vim.vm.GuestInfo.NicInfo(ipAddress=["10.0.0.5", "fe80::1%eth0"], network="VM Network")]
            ),
            "customValue": vim.CustomFieldsManager.Value.Array(
                [vim.CustomFieldsManager.StringValue(key=101, value="finance")]
            ),
            "snapshot": snapshot,
            "summary.storage": vim.vm.Summary.StorageSummary(
                committed=2**40 + 7,
                uncommitted=0,
                unshared=5,
                timestamp=datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC),
            ),
            "summary.runtime.bootTime": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
            "runtime.powerState": "poweredOn",
            "runtime.host": vim.HostSystem("host-12"),
        },
    )
    empty = content(
        "vm-2",
        {
            "name": "empty",
            "config.hardware.device": Device.VirtualDevice.Array(),
            "guest.net": vim.vm.GuestInfo.NicInfo.Array(),
        },
    )
    hosts = PC.ObjectContent(
        obj=vim.ClusterComputeResource("domain-c7"),
        propSet=[
            vmodl.DynamicProperty(
                name="host", val=vim.HostSystem.Array([vim.HostSystem("host-1"), vim.HostSystem("host-2")])
            )
        ],
    )
    return PC.RetrieveResult(token=token, objects=[vm1, empty, hosts])


# --- parsing ------------------------------------------------------------------------------------


def test_recorded_simulator_response_is_parsed_exactly_as_pyvmomi_does() -> None:
    body = gzip.decompress(RECORDED.read_bytes())
    # govmomi spells the xsi prefix "XMLSchema-instance": the parser must go by namespace.
    assert b"XMLSchema-instance:type=" in body
    items = assert_same_as_pyvmomi(body)
    assert len(items) == 48
    devices = [d for item in items for d in item.values["config.hardware.device"] or []]
    backings = {type(getattr(d, "backing", None)) for d in devices}
    assert Device.VirtualDisk.FlatVer2BackingInfo in backings
    assert Device.VirtualCdrom.IsoBackingInfo in backings
    assert Device.VirtualSerialPort.URIBackingInfo in backings
    assert any(isinstance(d, Device.VirtualE1000) for d in devices)


def test_polymorphic_devices_arrays_and_nested_objects_match_pyvmomi() -> None:
    items = assert_same_as_pyvmomi(response_body(rich_result()))
    devices = items[0].values["config.hardware.device"]
    assert [type(d) for d in devices] == [type(d) for d in rich_devices()]
    assert items[1].values["config.hardware.device"] == []
    assert [h._moId for h in items[2].values["host"]] == ["host-1", "host-2"]
    assert isinstance(items[2].values["host"][0], vim.HostSystem)


def test_mappers_give_the_same_vm_from_either_parser() -> None:
    body = response_body(rich_result())
    items, _ = stream_parse(body)
    reference = pyvmomi_parse(body).objects[0]
    lookups = mappers.Lookups(vcenter_name="vc", vcenter_uuid="uuid", datastore_names={"datastore-1": "ds1"})
    mine = mappers.map_vm("vm-1", mappers.PropertyValues(items[0].values), lookups)
    theirs = mappers.map_vm("vm-1", mappers.PropertyValues({p.name: p.val for p in reference.propSet}), lookups)
    assert mine == theirs
    assert [d.backing for d in mine.disks or []] == ["flat", "rdm_physical", "sparse"]
    assert [n.adapter_type for n in mine.nics or []] == ["e1000", "vmxnet3"]
    assert [c.backing for c in mine.cdroms or []] == ["iso", "client"]
    assert mine.snapshot_count == 2 and mine.storage_committed_bytes == 2**40 + 7


def test_missing_set_faults_become_missing_properties() -> None:
    denied = vim.fault.NoPermission(privilegeId="System.Read", msg="Permission to perform this operation was denied.")
    result = PC.RetrieveResult(
        objects=[
            content(
                "vm-9",
                {"name": "locked"},
                missing=[
                    PC.MissingProperty(path="config", fault=denied),
                    PC.MissingProperty(path="guest.net", fault=vmodl.fault.SystemError(reason="x", msg="")),
                ],
            )
        ]
    )
    items, _ = stream_parse(response_body(result))
    assert items[0].values == {"name": "locked"}
    assert items[0].missing == [
        MissingProperty(
            path="config", fault="NoPermission", message="Permission to perform this operation was denied."
        ),
        MissingProperty(path="guest.net", fault="SystemError", message=""),
    ]
    assert items[0].is_missing("config.hardware.device")
    vm = mappers.map_vm(
        "vm-9",
        mappers.PropertyValues(items[0].values, [m.path for m in items[0].missing]),
        mappers.Lookups(vcenter_name="vc", vcenter_uuid="u"),
    )
    assert vm.disks is None and vm.num_cpu is None and vm.ipv4_addresses is None


def test_token_is_read_and_an_empty_result_yields_nothing() -> None:
    _, result = stream_parse(response_body(rich_result(token="session[52ab]token-1")))
    assert result.token == "session[52ab]token-1"
    items, result = stream_parse(response_body(None))
    assert items == [] and result.token is None


def test_tiny_chunks_give_the_same_objects() -> None:
    body = response_body(rich_result())
    whole, _ = stream_parse(body)
    dribbled, _ = stream_parse(body, chunk_size=7)
    for a, b in zip(whole, dribbled, strict=True):
        for name in a.values:
            same(b.values[name], a.values[name])


def test_unknown_types_and_properties_from_a_newer_server_are_tolerated() -> None:
    body = response_body(rich_result()).decode()
    # A device type and a property this pyVmomi has never heard of.
    body = body.replace('xsi:type="VirtualSerialPort"', 'xsi:type="VirtualQuantumPort"', 1)
    body = body.replace("<key>200</key>", "<key>200</key><futureProperty><a>1</a></futureProperty>", 1)
    items, _ = stream_parse(body.encode())
    devices = items[0].values["config.hardware.device"]
    assert type(devices[-2]) is Device.VirtualDevice  # the declared type, keeping what it knows
    assert devices[-2].key == 9000
    assert devices[1].key == 200


def test_only_the_outermost_returnvals_children_are_objects() -> None:
    # A returnval (with an objects and a token) inside an object, in a property pyVmomi does not
    # know: part of that object (ignored), not more objects of the answer nor its token.
    plain = response_body(rich_result()).decode()
    nested = plain.replace(
        "<propSet>",
        '<futureProperty><returnval><objects><obj type="VirtualMachine">vm-smuggled</obj></objects>'
        "<token>not-the-token</token></returnval></futureProperty><propSet>", 1)
    assert nested != plain
    for chunk_size in (7, 64 * 1024):
        items, result = stream_parse(nested.encode(), chunk_size)
        reference, _ = stream_parse(plain.encode(), chunk_size)
        assert [i.moref for i in items] == [i.moref for i in reference] == ["vm-1", "vm-2", "domain-c7"]
        assert result.token is None
        for a, b in zip(items, reference, strict=True):
            for name in b.values:
                same(a.values[name], b.values[name])


def test_a_feed_holds_its_last_object_until_it_is_known_to_be_complete() -> None:
    body = response_body(rich_result())
    starts = [match.start() for match in re.finditer(b"<objects>", body)]
    second_end = body.index(b"</objects>", starts[1]) + len(b"</objects>")
    parser = soapstream._ResultParser(TypeCatalog(STUB), StreamResult())
    assert parser.feed(body[: starts[0]]) == []
    # The first object whole, but the last element fed: nothing tells it is complete yet.
    assert parser.feed(body[starts[0] : starts[1]]) == []
    assert parser.feed(b"", whole=True) == []  # `whole` is believed only right after "</objects>"
    items = parser.feed(body[starts[1] : second_end], whole=True)
    assert [i.moref for i in items] == ["vm-1", "vm-2"]
    assert parser.feed(body[second_end:]) == []  # the last object: held until the close
    assert [i.moref for i in parser.close()] == ["domain-c7"]


@pytest.mark.parametrize(
    "body",
    [
        b"<not-closed",
        b"<html><body>proxy error</body></html>",
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>',
    ],
)
def test_malformed_or_foreign_responses_raise_stream_parse_error(body: bytes) -> None:
    with pytest.raises(StreamParseError):
        stream_parse(body)


def test_bad_primitive_values_raise_stream_parse_error() -> None:
    body = response_body(rich_result()).decode()
    body = re.sub(r'(<name>config.template</name><val xsi:type="xsd:boolean">)false', r"\1maybe", body)
    with pytest.raises(StreamParseError, match="boolean"):
        stream_parse(body.encode())


# --- transport: a fake SDK endpoint --------------------------------------------------------------


class FakeSdk(http.server.BaseHTTPRequestHandler):
    """Answers PropertyCollector calls from ``server.script``: method name -> list of (status, body)."""

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        request = self.rfile.read(length).decode()
        match = re.search(r"<soapenv:Body><(\w+) ", request)
        method = match.group(1) if match else "?"
        server: Any = self.server
        server.requests.append((method, request, self.headers.get("Cookie")))
        script = server.script[method]
        # A function answers by the request's text (requests sent from several threads at once).
        status, body = script(request) if callable(script) else script.pop(0)
        if "gzip" in (self.headers.get("Accept-Encoding") or "") and server.compress:
            body = gzip.compress(body)
            self.send_response(status)
            self.send_header("Content-Encoding", "gzip")
        else:
            self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def sdk() -> Iterator[Any]:
    server: Any = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeSdk)
    server.requests = []
    server.script = {}
    server.compress = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def property_collector(server: Any) -> Any:
    stub = SoapAdapter.SoapStubAdapter(url=f"http://127.0.0.1:{server.server_address[1]}/sdk", version=VERSION)
    stub.cookie = 'vmware_soap_session="abc"'
    return PC("propertyCollector", stub)


def page(names: list[str], token: str | None) -> bytes:
    return response_body(PC.RetrieveResult(token=token, objects=[content(n, {"name": n}) for n in names]))


def spec() -> Any:
    return PC.FilterSpec(
        propSet=[PC.PropertySpec(type=vim.VirtualMachine, pathSet=["name"])],
        objectSet=[PC.ObjectSpec(obj=vim.view.ContainerView("session[1]view"), skip=True)],
    )


def test_pages_are_followed_with_continue_tokens_over_gzip(sdk: Any) -> None:
    sdk.script = {
        "RetrievePropertiesEx": [(200, page(["vm-1", "vm-2"], "tok-1"))],
        "ContinueRetrievePropertiesEx": [(200, page(["vm-3"], "tok-2")), (200, page(["vm-4"], None))],
    }
    counts: list[int] = []
    items = list(stream_pages(property_collector(sdk), spec(), page_size=2, on_page=counts.append))
    assert [i.moref for i in items] == ["vm-1", "vm-2", "vm-3", "vm-4"]
    assert isinstance(items[0].obj, vim.VirtualMachine)
    assert sum(counts) == 4
    methods = [m for m, _, _ in sdk.requests]
    assert methods == ["RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "ContinueRetrievePropertiesEx"]
    assert "<maxObjects>2</maxObjects>" in sdk.requests[0][1]
    assert ">tok-1</token>" in sdk.requests[1][1] and ">tok-2</token>" in sdk.requests[2][1]
    assert all(cookie == 'vmware_soap_session="abc"' for _, _, cookie in sdk.requests)


def test_a_soap_fault_is_raised_as_the_pyvmomi_fault(sdk: Any) -> None:
    sdk.compress = False
    fault = fault_body("InvalidProperty", "InvalidProperty", "<name>config.nonsense</name>")
    sdk.script = {"RetrievePropertiesEx": [(500, fault)]}
    with pytest.raises(vmodl.query.InvalidProperty) as raised:
        list(stream_pages(property_collector(sdk), spec(), page_size=10))
    assert raised.value.name == "config.nonsense"


def test_stopping_early_cancels_the_remaining_pages(sdk: Any) -> None:
    sdk.script = {
        "RetrievePropertiesEx": [(200, page(["vm-1", "vm-2"], "tok-1"))],
        "CancelRetrievePropertiesEx": [(200, response_body(None, "CancelRetrievePropertiesEx"))],
    }
    pages = stream_pages(property_collector(sdk), spec(), page_size=2)
    assert next(pages).moref == "vm-1"
    pages.close()
    assert [m for m, _, _ in sdk.requests] == ["RetrievePropertiesEx", "CancelRetrievePropertiesEx"]
    assert ">tok-1</token>" in sdk.requests[1][1]


def test_an_http_error_status_is_raised(sdk: Any) -> None:
    sdk.compress = False
    sdk.script = {"RetrievePropertiesEx": [(503, b"busy")]}
    with pytest.raises(http.client.HTTPException, match="503"):
        list(stream_pages(property_collector(sdk), spec(), page_size=10))


def test_object_set_requests_are_the_text_pyvmomi_writes(sdk: Any) -> None:
    collector = property_collector(sdk)
    stub = collector._stub
    info = collector._GetMethodInfo("RetrievePropertiesEx")
    # Objects of the view's type and of a subtype (a Network view lists port groups).
    sets = [[vim.Network("network-7"), vim.dvs.DistributedVirtualPortgroup("dvportgroup-9")],
            [vim.Network("network-8")]]
    requests = object_set_requests(collector, sets, vim.Network, ["name", "summary"], 25)
    for objects, request in zip(sets, requests, strict=True):
        spec = PC.FilterSpec(
            propSet=[PC.PropertySpec(type=vim.Network, pathSet=["name", "summary"], all=False)],
            objectSet=[PC.ObjectSpec(obj=obj, skip=False) for obj in objects], reportMissingObjectsInResults=True,
        )
        assert request == stub.SerializeRequest(collector, info, [[spec], PC.RetrieveOptions(maxObjects=25)])
    # An id with XML's special characters is escaped (pyVmomi would write it as it is: not XML).
    (odd,) = object_set_requests(collector, [[vim.Network('net<&>"1')]], vim.Network, ["name"], 25)
    obj = etree.fromstring(odd).find(".//{urn:vim25}objectSet/{urn:vim25}obj")
    assert obj is not None and obj.text == 'net<&>"1' and obj.get("type") == "Network"


def parts_server(sdk: Any, answers: dict[str, tuple[int, bytes]]) -> None:
    """RetrievePropertiesEx answered by the first object the request names (the parts race each other)."""

    def answer(request: str) -> tuple[int, bytes]:
        match = re.search(r'<obj type="VirtualMachine">([^<]+)</obj>', request)
        assert match, request
        return answers[match.group(1)]

    sdk.script["RetrievePropertiesEx"] = answer


def vm_sets(*sets: list[str]) -> list[list[Any]]:
    return [[vim.VirtualMachine(moref) for moref in morefs] for morefs in sets]


def test_object_set_answers_come_in_request_order_with_their_continuation_pages(sdk: Any) -> None:
    collector = property_collector(sdk)
    sets = vm_sets(["vm-1", "vm-2"], ["vm-3"], ["vm-4"], ["vm-5"])
    # The first part pages (a server answering fewer than maxObjects): its continuation comes before part 2.
    parts_server(sdk, {"vm-1": (200, page(["vm-1"], "tok-1")), "vm-3": (200, page(["vm-3"], None)),
                       "vm-4": (200, page(["vm-4"], None)), "vm-5": (200, page(["vm-5"], None))})
    sdk.script["ContinueRetrievePropertiesEx"] = [(200, page(["vm-2"], None))]
    answers = ObjectSetAnswers(collector, object_set_requests(collector, sets, vim.VirtualMachine, ["name"], 2))
    counts: list[int] = []
    items = list(answers.items(page_size=2, on_page=counts.append))
    assert [i.moref for i in items] == ["vm-1", "vm-2", "vm-3", "vm-4", "vm-5"]
    assert sum(counts) == 5 and isinstance(items[0].obj, vim.VirtualMachine)
    methods = [m for m, _, _ in sdk.requests]
    assert methods.count("RetrievePropertiesEx") == 4 and methods.count("ContinueRetrievePropertiesEx") == 1
    assert all(cookie == 'vmware_soap_session="abc"' for _, _, cookie in sdk.requests)


def test_an_object_set_answer_that_fails_raises_where_its_objects_would_come(sdk: Any) -> None:
    collector = property_collector(sdk)
    sdk.compress = False
    fault = fault_body("InvalidProperty", "InvalidProperty", "<name>config.nonsense</name>")
    parts_server(sdk, {"vm-1": (200, page(["vm-1"], None)), "vm-2": (500, fault)})
    answers = ObjectSetAnswers(collector, object_set_requests(collector, vm_sets(["vm-1"], ["vm-2"]),
                                                              vim.VirtualMachine, ["name"], 1))
    items = answers.items(page_size=1)
    assert next(items).moref == "vm-1"
    with pytest.raises(vmodl.query.InvalidProperty):
        next(items)


def test_object_set_answers_read_at_most_two_parts_ahead_and_no_more_once_closed(sdk: Any) -> None:
    collector = property_collector(sdk)
    morefs = [f"vm-{n}" for n in range(1, 6)]
    parts_server(sdk, {moref: (200, page([moref], None)) for moref in morefs})
    answers = ObjectSetAnswers(collector, object_set_requests(collector, vm_sets(*([m] for m in morefs)),
                                                              vim.VirtualMachine, ["name"], 1))
    items = answers.items(page_size=1)
    assert next(items).moref == "vm-1"  # vm-2 and vm-3 are asked for meanwhile
    answers.close()
    items.close()
    for reader in threading.enumerate():
        if reader.name == "vmscan-answer-reader":
            reader.join(10)
    assert sorted(m for m, _, _ in sdk.requests) == ["RetrievePropertiesEx"] * 3


def test_an_answer_read_ahead_past_its_limit_is_refused_in_one_line(sdk: Any, monkeypatch: Any) -> None:
    # Held whole while an earlier answer is parsed: a hostile server's huge answers are refused,
    # not held (three at a time) until memory runs out. A normal answer under the limit is read.
    collector = property_collector(sdk)
    sdk.compress = False
    small, large = page(["vm-1"], None), page([f"vm-{n}" for n in range(2, 400)], None)
    monkeypatch.setenv("VMSCAN_MAX_READ_AHEAD_BYTES", str(len(small) + 100))
    parts_server(sdk, {"vm-1": (200, small), "vm-2": (200, large)})
    answers = ObjectSetAnswers(collector, object_set_requests(collector, vm_sets(["vm-1"], ["vm-2"]),
                                                              vim.VirtualMachine, ["name"], 500))
    items = answers.items(page_size=500)
    assert next(items).moref == "vm-1"
    with pytest.raises(InputError) as caught:
        next(items)
    message = str(caught.value)
    assert "\n" not in message and "VMSCAN_MAX_READ_AHEAD_BYTES" in message
    assert message.startswith(f"a vCenter answer read ahead of over {len(small) + 100:,} bytes")


# --- devices no mapper reads ----------------------------------------------------------------------

KEPT = {Device.VirtualDevice: mappers.MAPPED_DEVICE_TYPES}


def unread_devices() -> list[Any]:
    """Devices of classes no mapper family picks (what the collection leaves unbuilt)."""
    return [
        Device.VirtualKeyboard(key=600, controllerKey=300, unitNumber=0),
        Device.VirtualVideoCard(key=500, videoRamSizeInKB=4096, numDisplays=1),
        Device.VirtualPCIController(key=100, busNumber=0, device=[500, 12000]),
        Device.VirtualVMCIDevice(key=12000, id=-1, deviceInfo=vim.Description(label="VMCI", summary="vmci")),
        Device.VirtualPointingDevice(
            key=700, backing=Device.VirtualPointingDevice.DeviceBackingInfo(deviceName="", hostPointingDevice="auto")
        ),
    ]


def test_kept_items_leave_out_unread_devices_and_the_mapped_vm_is_the_same() -> None:
    devices = rich_devices()
    mixed = [devices[0], *unread_devices()[:3], *devices[1:], *unread_devices()[3:]]
    result = rich_result()
    result.objects[0].propSet[1].val = Device.VirtualDevice.Array(mixed)
    recorded = gzip.decompress(RECORDED.read_bytes())
    lookups = mappers.Lookups(vcenter_name="vc", vcenter_uuid="uuid", datastore_names={"datastore-1": "ds1"})
    for body in (response_body(result), recorded):
        full, _ = stream_parse(body)
        kept = list(parse_retrieve_result(iter([body]), TypeCatalog(STUB, KEPT), StreamResult()))
        assert [i.moref for i in kept] == [i.moref for i in full]
        left_out = 0
        for mine, ref in zip(kept, full, strict=True):
            assert set(mine.values) == set(ref.values)
            for name, value in ref.values.items():
                if name == "config.hardware.device":
                    wanted = [d for d in value if isinstance(d, mappers.MAPPED_DEVICE_TYPES)]
                    left_out += len(value) - len(wanted)
                    assert len(mine.values[name]) == len(wanted)
                    for a, b in zip(mine.values[name], wanted, strict=True):
                        same(a, b, f"{mine.moref}:{name}")
                else:
                    same(mine.values[name], value, f"{mine.moref}:{name}")
            mapped = mappers.map_vm(mine.moref, mappers.PropertyValues(mine.values), lookups)
            assert mapped == mappers.map_vm(ref.moref, mappers.PropertyValues(ref.values), lookups)
        assert left_out > 0  # the bodies do hold devices no mapper reads


def test_kept_items_read_an_unknown_or_missing_device_type_as_the_declared_base() -> None:
    # A device type newer than this pyVmomi (or no xsi:type) is a plain VirtualDevice: no mapper
    # reads one, so it is left out like the other unread devices; known devices around it stay.
    body = response_body(rich_result())
    marker = b'<VirtualDevice xsi:type="VirtualE1000">'
    assert body.count(marker) == 1
    extra = (b'<VirtualDevice xsi:type="VirtualFutureWidget"><key>77</key><newThing>x</newThing></VirtualDevice>'
             b"<VirtualDevice><key>78</key></VirtualDevice>")
    body = body.replace(marker, extra + marker)
    full, _ = stream_parse(body)
    kept = list(parse_retrieve_result(iter([body]), TypeCatalog(STUB, KEPT), StreamResult()))
    full_devices = full[0].values["config.hardware.device"]
    assert [d.key for d in full_devices if type(d) is Device.VirtualDevice] == [77, 78]
    assert [type(d) for d in kept[0].values["config.hardware.device"]] == [type(d) for d in rich_devices()]
    lookups = mappers.Lookups(vcenter_name="vc", vcenter_uuid="uuid", datastore_names={"datastore-1": "ds1"})
    assert mappers.map_vm("vm-1", mappers.PropertyValues(kept[0].values), lookups) == mappers.map_vm(
        "vm-1", mappers.PropertyValues(full[0].values), lookups
    )


@pytest.mark.parametrize("text", [
    "2026-12-07T06:47:38.262844095Z", "2026-12-07T06:47:38Z", "2026-12-07T06:47:38.1Z", "2026-12-07T06:47:38.000000Z",
    "1970-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z", "2024-02-29T12:00:00Z", "0000-01-01T00:00:00Z",
    "2026-12-07T06:47:38.0123456789012345Z",
    # not the fast form: left to pyVmomi (offsets, 24:00, a leap second, dates only, junk)
    "2026-12-07T06:47:38+02:00", "2026-12-07T06:47:38-05:30", "2026-12-07T24:00:00Z", "2026-12-07T23:59:60Z",
    "2026-12-07", "2026-12", "2026", "2026-12-07T06:47:38", "2026-12-07T06:47Z", "2026-12-07T06:47:38.Z",
    "2026-12-07T06:47:38.12345678901234567Z", "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z", "2026-12-32T00:00:00Z",
    "2026-12-07T06:47:38Z\n", " 2026-12-07T06:47:38Z", "2026-12-07t06:47:38z", "-0001-01-01T00:00:00Z",
    "٢٠٢٦-12-07T06:47:38Z", "", "now", "2026-12-07T06:47:38ZZ",
])
def test_datetime_fast_path_equals_pyvmomi(text):
    from pyVmomi import Iso8601

    from scanner.collector.soapstream import parse_datetime

    expected = Iso8601.ParseISO8601(text)
    got = parse_datetime(text)
    assert got == expected
    if expected is not None:
        assert got.tzinfo is expected.tzinfo and got.utcoffset() == expected.utcoffset()
        assert type(got) is type(expected)
