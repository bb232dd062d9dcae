"""Record a raw RetrievePropertiesEx response for the VMs of the seeded simulator (test data).

Writes tests/unit/data/vcsim-vms-response.xml.gz: the exact bytes govmomi's simulator sends for
vmscan's VM property request, after seeding the conditions of tests/vcsim/seed.py. The stream
parser's unit tests compare their parse of it with pyVmomi's deserializer.

    python scripts/record_soap_sample.py
"""

from __future__ import annotations

import gzip
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "tests/unit/data/vcsim-vms-response.xml.gz"


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from pyVim.connect import Disconnect
    from pyVmomi import vim, vmodl

    from scanner.collector import mappers
    from scanner.collector.properties import _container_view, _filter_spec
    from tests.vcsim.conftest import SEEDED_TOPOLOGY
    from tests.vcsim.harness import Simulator
    from tests.vcsim.seed import seed_estate

    with Simulator(SEEDED_TOPOLOGY) as simulator:
        si = simulator.connect()
        try:
            seed_estate(si)
            content = si.RetrieveContent()
            view = _container_view(content, vim.VirtualMachine)
            spec = _filter_spec(view, vim.VirtualMachine, mappers.VM_PROPERTIES, via_view=True)
            pc = content.propertyCollector
            stub = si._stub
            options = vmodl.query.PropertyCollector.RetrieveOptions(maxObjects=500)
            request = stub.SerializeRequest(pc, pc._GetMethodInfo("RetrievePropertiesEx"), [[spec], options])
            conn = stub.GetConnection()
            headers = {"Cookie": stub.cookie, "SOAPAction": stub.versionId, "Content-Type": "text/xml; charset=UTF-8"}
            conn.request("POST", stub.path, request, headers)
            body = conn.getresponse().read()
            conn.close()
        finally:
            Disconnect(si)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUTPUT, "wb") as handle, gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as gz:
        gz.write(body)
    print(f"wrote {OUTPUT} ({len(body)} bytes uncompressed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
