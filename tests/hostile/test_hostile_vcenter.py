"""A hostile or broken vCenter: every call ends within --timeout in total, responses are size-capped,
compressed bodies are decoded only when asked for, and junk in values is a one-line error (issue 18)."""

from __future__ import annotations

import gzip
import http.client
import http.server
import re
import resource
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from pyVmomi import SoapAdapter, vim

from scanner.collector.guarded_http import GuardedConnection, GuardedResponse, ResponseRefused, install_response_guard
from scanner.collector.soapstream import StreamParseError
from scanner.errors import InputError
from tests.hostile.runner import run_capped
from tests.unit.test_soapstream import content, response_body, stream_parse

PC_RESULT = vim.PropertyCollector.RetrieveResult
# 1 GiB of spaces as gzip (~1 MB on the wire): an XML parser reads on until the cap stops it.
GZIP_BOMB = b"".join([gzip.compress(b" " * 1024**2, compresslevel=9)] * 1024)


VERSIONS = (b'<?xml version="1.0" encoding="UTF-8"?><namespaces version="1.0"><namespace><name>urn:vim25</name>'
            b"<version>8.0.0.0</version><priorVersions><version>7.0</version><version>6.7</version>"
            b"</priorVersions></namespace></namespaces>")
_ENVELOPE = ('<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
             'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>'
             '<RetrieveServiceContentResponse xmlns="urn:vim25"><returnval>{}</returnval>'
             "</RetrieveServiceContentResponse></soapenv:Body></soapenv:Envelope>")
_LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">'
           + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)) + "]>")
LOGIN_ANSWERS = {
    "login-laughs": (_LAUGHS + _ENVELOPE.format("<about><name>&lol9;</name></about>")).encode(),
    "login-letters": _ENVELOPE.format('<rootFolder type="Folder">group-d1</rootFolder>'
                                      '<propertyCollector type="PropertyCollector">pc</propertyCollector>'
                                      "<about><name>x</name><apiVersion>8.0</apiVersion>"
                                      "<productLineId>vpx</productLineId><osType>linux</osType>"
                                      "<apiType>VirtualCenter</apiType><licenseProductMajorVersion>"
                                      + "9" * 5000 + "</licenseProductMajorVersion></about>").encode(),
}

VERSIONS_ANSWERS = {
    "versions-junk": b"<namespaces><<<",
    "versions-unknown-format": b'<namespaces version="2.0"><namespace/></namespaces>',
    # 8 MiB of comment: under the SOAP cap, over the version document's.
    "versions-huge": (b'<?xml version="1.0"?><!--' + b" " * 8 * 1024**2 + b"-->"
                      + VERSIONS[VERSIONS.index(b"<namespaces"):]),
}


class HostileHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        kind = self.path.strip("/").split("/")[0]
        if self.path.endswith("/vimServiceVersions.xml"):  # pyVmomi's version discovery
            if kind == "versions-silent":
                time.sleep(60)  # accepted, never answered
            elif kind in VERSIONS_ANSWERS:
                self._send(200, VERSIONS_ANSWERS[kind])
            else:
                self._send(200, VERSIONS)
            return
        if kind.startswith("login-"):
            self._send(200, LOGIN_ANSWERS[kind])
        elif kind == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(100_000):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.2)
        elif kind == "gzip":
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(GZIP_BOMB)))
            self.end_headers()
            self.wfile.write(GZIP_BOMB)
        elif kind == "small-gzip":
            body = gzip.compress(b"<ok/>")
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif kind == "big":
            self.send_response(200)
            self.send_header("Content-Length", str(8 * 1024**2))
            self.end_headers()
            for _ in range(8):
                self.wfile.write(b"x" * 1024**2)

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), HostileHandler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def call(server: str, path: str, timeout_s: float, headers: dict[str, str] | None = None) -> bytes:
    host, port = server.split(":")
    connection = GuardedConnection(http.client.HTTPConnection(host, int(port), timeout=timeout_s), timeout_s)
    try:
        connection.request("POST", path, b"<x/>", headers or {})
        return connection.getresponse().read()
    finally:
        connection.close()


def test_trickling_server_is_cut_at_the_total_deadline(server):
    start = time.monotonic()
    with pytest.raises(TimeoutError, match="within 1 s"):
        call(server, "/trickle", timeout_s=1.0)  # each byte comes well within the per-read timeout
    assert time.monotonic() - start < 3


def test_unasked_gzip_is_refused_undecoded(server):
    with pytest.raises(ResponseRefused, match="gzip-encoded response that vmscan did not ask for"):
        call(server, "/gzip", timeout_s=10)


def test_asked_gzip_is_decoded_but_capped(server, monkeypatch):
    assert call(server, "/small-gzip", 10, {"Accept-Encoding": "gzip, deflate"}) == b"<ok/>"  # near miss
    monkeypatch.setenv("VMSCAN_MAX_SOAP_RESPONSE_BYTES", str(64 * 1024**2))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(InputError, match="VMSCAN_MAX_SOAP_RESPONSE_BYTES"):
        call(server, "/gzip", 10, {"Accept-Encoding": "gzip, deflate"})
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mib < 300  # the 1 GiB it would expand to is never held


def test_oversized_response_is_refused(server, monkeypatch):
    monkeypatch.setenv("VMSCAN_MAX_SOAP_RESPONSE_BYTES", str(1024**2))
    with pytest.raises(InputError, match="a vCenter response of over 1,048,576 bytes"):
        call(server, "/big", timeout_s=10)
    monkeypatch.setenv("VMSCAN_MAX_SOAP_RESPONSE_BYTES", str(16 * 1024**2))
    assert len(call(server, "/big", timeout_s=10)) == 8 * 1024**2  # near miss


def test_pyvmomi_calls_go_through_the_guard(server, monkeypatch):
    install_response_guard()
    monkeypatch.setenv("VMSCAN_MAX_SOAP_RESPONSE_BYTES", str(64 * 1024**2))
    host, port = server.split(":")
    stub = SoapAdapter.SoapStubAdapter(host=host, port=-int(port), path="/trickle/sdk", connectionPoolTimeout=-1,
                                       httpConnectionTimeout=1.0)
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        vim.ServiceInstance("ServiceInstance", stub).RetrieveContent()
    assert time.monotonic() - start < 3
    stub = SoapAdapter.SoapStubAdapter(host=host, port=-int(port), path="/gzip/sdk", connectionPoolTimeout=-1,
                                       httpConnectionTimeout=60.0)  # generous: only the size error is under test
    with pytest.raises(InputError, match="VMSCAN_MAX_SOAP_RESPONSE_BYTES"):
        vim.ServiceInstance("ServiceInstance", stub).RetrieveContent()


class ChunkedResponse:
    """An http.client response whose body arrives in fixed small pieces, as on a busy loopback."""

    def __init__(self, body: bytes, encoding: str, piece: int) -> None:
        self._body, self._encoding, self._piece, self._at = body, encoding, piece, 0
        self.closed = False

    def getheader(self, name: str, default: Any = None) -> Any:
        return self._encoding if name.lower() == "content-encoding" else default

    def read1(self, size: int = -1) -> bytes:
        data = self._body[self._at:self._at + min(self._piece, size if size > 0 else self._piece)]
        self._at += len(data)
        return data

    def close(self) -> None:
        self.closed = True


class NoDeadline:
    def check(self) -> None:
        pass

    def finish(self) -> None:
        pass


@pytest.mark.parametrize("encoding", ["gzip", "identity"])
def test_small_reads_of_a_decoded_body_hand_out_each_byte_once(encoding):
    # expat reads 2 KiB at a time while one small gzip piece can inflate to MiBs: the bytes handed out
    # must be exactly the body, in order, whatever the two sizes (the CI run that timed out at 60 s
    # re-copied the rest of each inflated piece at every 2 KiB read).
    body = bytes(range(256)) * 40_000 + b"<end/>"
    wire = b"".join(gzip.compress(body[i:i + 3_000_000]) for i in range(0, len(body), 3_000_000)) \
        if encoding == "gzip" else body
    guarded = GuardedResponse(ChunkedResponse(wire, encoding, 16_000), NoDeadline(), accepted_encoding=True)
    pieces = []
    while piece := guarded.read(2048):
        assert len(piece) <= 2048
        pieces.append(piece)
    assert b"".join(pieces) == body
    assert guarded.read(2048) == b""


def _with_value(xml: bytes, number_text: str) -> bytes:
    return re.sub(rb"<numCpu>\d+</numCpu>", b"<numCpu>" + number_text.encode() + b"</numCpu>", xml, count=1)


def _vm_body() -> bytes:
    result = PC_RESULT(objects=[content("vm-1", {"config.hardware.numCPU": 4})])
    body = response_body(result)
    return body


@pytest.mark.parametrize("junk", ["four", "9" * 5000, "1e999999"])
def test_junk_or_huge_xsd_int_is_a_parse_error(junk):
    body = _vm_body()
    assert b'<val xsi:type="xsd:int">4</val>' in body
    with pytest.raises(StreamParseError, match=r"not a number|a number of"):
        stream_parse(body.replace(b'<val xsi:type="xsd:int">4</val>', f'<val xsi:type="xsd:int">{junk}</val>'.encode()))
    stream_parse(body)  # near miss: the same response with a real number


def test_one_huge_object_is_refused(monkeypatch):
    monkeypatch.setenv("VMSCAN_MAX_SOAP_OBJECT_BYTES", "100000")
    result = PC_RESULT(objects=[content("vm-1", {"config.annotation": "x" * 200_000})])
    with pytest.raises(InputError, match="one object in a vCenter response of over 100,000 bytes"):
        stream_parse(response_body(result))
    small = PC_RESULT(objects=[content(f"vm-{i}", {"config.annotation": "x" * 50_000}) for i in range(5)])
    items, _ = stream_parse(response_body(small))  # near miss: many objects, each under the limit
    assert len(items) == 5


@pytest.mark.parametrize("answer", ["login-laughs", "login-letters", "trickle"])
def test_collect_against_a_hostile_login_is_one_line_exit_2(server, tmp_path, answer):
    outcome = run_capped(["collect", "-s", f"http://{server}/{answer}/sdk", "-u", "ro", "--password-env", "P",
                          "--timeout", "2", "-o", "estate.json.gz"], cwd=tmp_path, env={"P": "x"})
    lines = outcome.stderr.strip().splitlines()
    assert outcome.exit_code == 2, outcome.stderr
    assert lines[0].startswith("vmscan: warning:") and "plain HTTP" in lines[0]
    assert len(lines) == 2 and lines[1].startswith("vmscan: error: "), outcome.stderr
    assert outcome.seconds < 30
    assert EXPECTED_LOGIN_ERROR[answer] in lines[1], lines[1]
    assert not (tmp_path / "estate.json.gz").exists()


@pytest.mark.parametrize("answer", [*VERSIONS_ANSWERS, "versions-silent"])
def test_collect_against_a_hostile_version_list_is_one_line_exit_2(server, tmp_path, answer):
    # pyVmomi reads vimServiceVersions.xml on a connection of its own before the login: without
    # vmscan's guard a silent server held the collection for good, and a junk or unknown list
    # was an internal error (exit 3).
    outcome = run_capped(["collect", "-s", f"http://{server}/{answer}/sdk", "-u", "ro", "--password-env", "P",
                          "--timeout", "2", "-o", "estate.json.gz"], cwd=tmp_path, env={"P": "x"})
    lines = outcome.stderr.strip().splitlines()
    assert outcome.exit_code == 2, outcome.stderr
    assert len(lines) == 2 and lines[1].startswith("vmscan: error: "), outcome.stderr
    assert outcome.seconds < 30
    assert EXPECTED_VERSIONS_ERROR[answer] in lines[1], lines[1]
    assert not (tmp_path / "estate.json.gz").exists()


EXPECTED_VERSIONS_ERROR = {
    "versions-junk": "unreadable API version list from http://127.0.0.1:",
    "versions-unknown-format": "vimServiceVersions.xml has version 2.0",
    "versions-huge": "VMSCAN_MAX_VERSIONS_DOCUMENT_BYTES",
    "versions-silent": "no complete answer within 2 s",
}


def test_the_version_discovery_guard_holds_only_in_the_thread_that_asked(server):
    # Outside vmscan's connect (another thread, a test harness) pyVim.connect's connections are
    # its own: no deadline, no cap.
    from pyVim import connect

    from scanner.collector.guarded_http import bounded_version_discovery

    host, port = server.split(":")
    seen: list[object] = []
    with bounded_version_discovery(2):
        seen.append(connect.HTTPConnection(host, port=int(port)))
        other = threading.Thread(target=lambda: seen.append(connect.HTTPConnection(host, port=int(port))))
        other.start()
        other.join()
    seen.append(connect.HTTPConnection(host, port=int(port)))
    assert [type(item).__name__ for item in seen] == ["GuardedConnection", "HTTPConnection", "HTTPConnection"]


EXPECTED_LOGIN_ERROR = {
    "login-laughs": "limit on input amplification factor",
    "login-letters": "licenseProductMajorVersion",  # pyVmomi names the field it could not convert
    "trickle": "no complete answer within 2 s",
}


def test_a_pooled_connection_takes_the_next_call_after_a_complete_answer(server):
    host, port = server.split(":")
    connection = GuardedConnection(http.client.HTTPConnection(host, int(port), timeout=5), 5)
    try:
        for _ in range(3):  # keep-alive: the same socket for every call
            connection.request("POST", "/small-gzip", b"<x/>", {"Accept-Encoding": "gzip"})
            response = connection.getresponse()
            assert response.read(3) == b"<ok"
            assert response.read() == b"/>"
    finally:
        connection.close()


def test_asked_gzip_expanding_over_250x_is_refused_early(server):
    # Under the size cap (1 GiB by default) but a bomb: refused once 64 MiB decoded at ~1000x.
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.monotonic()
    with pytest.raises(ResponseRefused, match="refusing a likely decompression bomb"):
        call(server, "/gzip", 30, {"Accept-Encoding": "gzip"})
    assert time.monotonic() - start < 5
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 300
