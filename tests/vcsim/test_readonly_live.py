"""Against the simulator: a full collection sends only allow-listed methods; a write is refused unsent."""

from __future__ import annotations

from typing import Any

import pytest
from pyVmomi.SoapAdapter import SoapStubAdapter

from scanner.collector.collect import collect_estate
from scanner.collector.readonly import READ_ONLY_METHODS, ReadOnlyViolation
from scanner.collector.session import vcenter_session
from tests.vcsim.harness import Simulator

pytestmark = pytest.mark.vcsim


def test_full_collection_sends_only_read_only_methods(vcsim: Simulator, seeded_manifest: Any, monkeypatch):
    # Recorded at the class level, below vmscan's own guard, so that even calls made before the
    # guard is installed (SmartConnect's RetrieveServiceContent and Login) are seen.
    sent: list[str] = []
    original = SoapStubAdapter.InvokeMethod

    def recording(self, mo, info, args, outerStub=None):
        sent.append(info.wsdlName)
        return original(self, mo, info, args, outerStub)

    monkeypatch.setattr(SoapStubAdapter, "InvokeMethod", recording)
    # The streaming parser posts PropertyCollector calls on the stub's connection itself, after
    # the same allow-list check: record there too.
    import scanner.collector.soapstream as soapstream

    checked = soapstream.check_stub_call

    def recording_stream(stub, name):
        sent.append(name)
        return checked(stub, name)

    monkeypatch.setattr(soapstream, "check_stub_call", recording_stream)
    estate = collect_estate(vcsim.sdk_url, vcsim.user, vcsim.password, page_size=5, perf_days=1)
    assert len(estate.all_vms()) == vcsim.topology.vm_count
    assert set(sent) - READ_ONLY_METHODS == set()
    # The recording saw the collection: login, paged retrieval, views, perf history, logout.
    assert {"Login", "RetrievePropertiesEx", "CreateContainerView", "DestroyView", "QueryPerf", "Logout"} <= set(sent)
    # ... and the event history read for power-off dates, every collector destroyed again.
    assert {"CreateCollectorForEvents", "ReadNextEvents", "DestroyCollector"} <= set(sent)
    assert sent.count("CreateCollectorForEvents") == sent.count("DestroyCollector")


def test_a_write_method_is_refused_and_never_reaches_the_server(vcsim: Simulator, seeded_manifest: Any):
    with vcenter_session(vcsim.sdk_url, vcsim.user, vcsim.password) as si:
        root = si.RetrieveContent().rootFolder
        with pytest.raises(ReadOnlyViolation, match="CreateFolder"):
            root.CreateFolder("vmscan-must-not-exist")
    # Checked through an unguarded connection: the folder was not created.
    from pyVim.connect import Disconnect

    raw = vcsim.connect()
    try:
        names = [child.name for child in raw.RetrieveContent().rootFolder.childEntity]
    finally:
        Disconnect(raw)
    assert "vmscan-must-not-exist" not in names


def test_wire_sees_only_read_only_methods(vcsim: Simulator, seeded_manifest: Any):
    # Independent of any Python hook: a proxy reads the SOAP method of every request on the wire.
    from tests.vcsim.flaky_proxy import FlakyProxy

    with FlakyProxy(vcsim.port, fault="none") as proxy:
        estate = collect_estate(proxy.url(), vcsim.user, vcsim.password, page_size=5, perf_days=1)
        methods = list(proxy.methods)
    assert len(estate.all_vms()) == vcsim.topology.vm_count
    assert set(methods) - READ_ONLY_METHODS == set()
    assert {"RetrieveServiceContent", "Login", "RetrievePropertiesEx", "CreateContainerView", "DestroyView",
            "QueryPerf", "Logout"} <= set(methods)
