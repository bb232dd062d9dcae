"""Server parsing, TLS defaults and connection errors (no server needed)."""

from __future__ import annotations

import ssl

import pytest

from scanner.collector.session import Endpoint, connect, parse_server, ssl_context
from scanner.errors import CollectionError
from tests.ci import require


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("vc.example.com", Endpoint("https", "vc.example.com", 443, "/sdk")),
        ("vc.example.com:8443", Endpoint("https", "vc.example.com", 8443, "/sdk")),
        ("https://vc.example.com", Endpoint("https", "vc.example.com", 443, "/sdk")),
        ("https://vc.example.com/sdk/", Endpoint("https", "vc.example.com", 443, "/sdk")),
        ("http://127.0.0.1:8989/sdk", Endpoint("http", "127.0.0.1", 8989, "/sdk")),
        ("[::1]:8989", Endpoint("https", "::1", 8989, "/sdk")),
    ],
)
def test_parse_server(text: str, expected: Endpoint) -> None:
    assert parse_server(text) == expected


@pytest.mark.parametrize("text", ["", "ftp://vc", "https://", "https://user:pw@vc.example.com", "vc:notaport"])
def test_parse_server_rejects(text: str) -> None:
    with pytest.raises(CollectionError) as info:
        parse_server(text)
    assert "pw" not in str(info.value)


def test_tls_verification_is_on_by_default() -> None:
    context = ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    insecure = ssl_context(insecure=True)
    assert insecure.verify_mode == ssl.CERT_NONE


def test_missing_ca_file(tmp_path: object) -> None:
    with pytest.raises(CollectionError, match="cannot read CA file"):
        ssl_context(ca_file="/nonexistent/ca.pem")


def test_connection_refused_is_one_line_without_password(refused_port: int) -> None:
    port = refused_port
    with pytest.raises(CollectionError) as info:
        connect(f"http://127.0.0.1:{port}/sdk", "user", "Secr3t!")
    message = str(info.value)
    assert "connection refused" in message and str(port) in message
    assert "Secr3t!" not in message and "\n" not in message


def test_unresolvable_host() -> None:
    with pytest.raises(CollectionError, match="cannot resolve host name"):
        connect("vcenter.does-not-exist.invalid", "user", "Secr3t!")


def test_not_a_vsphere_endpoint() -> None:
    """A plain HTTP server that is not vCenter: one-line error, not a pyVmomi traceback."""
    import http.server
    import threading

    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with pytest.raises(CollectionError) as info:
            connect(f"http://127.0.0.1:{server.server_port}/sdk", "user", "Secr3t!")
        assert "Secr3t!" not in str(info.value)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def self_signed_https_server(tmp_path: object) -> object:
    """An HTTPS server on 127.0.0.1 with a throw-away self-signed certificate (needs openssl)."""
    import http.server
    import shutil
    import subprocess
    import threading
    from pathlib import Path

    require("openssl not found (.ci/run installs it)" if shutil.which("openssl") is None else None)
    directory = Path(str(tmp_path))
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=vc.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def test_untrusted_certificate_is_refused_even_on_localhost(self_signed_https_server: int) -> None:
    """pyVmomi skips verification for 127.0.0.1 unless given a context; vmscan always gives one."""
    with pytest.raises(CollectionError) as info:
        connect(f"https://127.0.0.1:{self_signed_https_server}/sdk", "user", "Secr3t!")
    message = str(info.value)
    assert "not trusted" in message and "--insecure" in message
    assert "Secr3t!" not in message and "\n" not in message


def test_insecure_skips_verification(self_signed_https_server: int) -> None:
    """With --insecure the TLS handshake succeeds; this server is no vCenter, which is the error."""
    with pytest.raises(CollectionError) as info:
        connect(f"https://127.0.0.1:{self_signed_https_server}/sdk", "user", "Secr3t!", insecure=True)
    assert "not trusted" not in str(info.value)
