"""vcrpy configured for pyVmomi's SOAP traffic.

pyVmomi does not use ``http.client.HTTPConnection`` through the ``http.client`` module: its
SoapAdapter (and pyVim.connect's version discovery) hold their own references to the connection
classes, bound at import. vcrpy's default patches miss those, so they are added as
``custom_patches``. Requests are matched on HTTP method, path, SOAP method and a normalised body
(session-specific values never occur in the bodies vmscan sends, except the Login credentials,
which are scrubbed before recording and ignored when matching).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyVim.connect
import pyVmomi.SoapAdapter
import vcr
from vcr.stubs import VCRHTTPConnection, VCRHTTPSConnection

CASSETTE_DIR = Path(__file__).resolve().parent / "cassettes"
SCRUBBED = "SCRUBBED"
SESSION_COOKIE = "vmware_soap_session"

# pyVmomi writes <password versionId="6.5">...</password>: attributes are part of the match.
_LOGIN_FIELDS = re.compile(rb"<(userName|password)(\s[^>]*)?>.*?</\1>", re.S)
_COOKIE_VALUE = re.compile(SESSION_COOKIE + r'="?[^";]*"?')
_SESSION_KEY = re.compile(rb"<key>[0-9a-fA-F-]{20,}</key>")
_WHITESPACE = re.compile(rb">\s+<")
# The event filter's window starts a fixed number of days before "now" (scanner/collector/events.py),
# so its begin time differs on every run; it is matched as a placeholder.
_BEGIN_TIME = re.compile(rb"<beginTime>[^<]*</beginTime>")


def soap_method(body: bytes | None) -> str | None:
    """``RetrievePropertiesEx`` from a SOAP request body."""
    if not body:
        return None
    match = re.search(rb"<soapenv:Body>\s*<([A-Za-z_]+)", body)
    return match.group(1).decode() if match else None


def _body(request: Any) -> bytes:
    body = request.body or b""
    return body.encode() if isinstance(body, str) else body


def normalized_body(request: Any) -> bytes:
    body = _body(request)
    if soap_method(body) == "Login":
        body = _LOGIN_FIELDS.sub(rb"<\1\2>" + SCRUBBED.encode() + rb"</\1>", body)
    if soap_method(body) == "CreateCollectorForEvents":
        body = _BEGIN_TIME.sub(b"<beginTime>NOW-WINDOW</beginTime>", body)
    return _WHITESPACE.sub(b"><", body.strip())


def match_soap(r1: Any, r2: Any) -> None:
    if soap_method(_body(r1)) != soap_method(_body(r2)):
        raise AssertionError("different SOAP methods")
    if normalized_body(r1) != normalized_body(r2):
        raise AssertionError("different SOAP bodies")


def scrub_request(request: Any) -> Any:
    body = _body(request)
    if soap_method(body) == "Login":
        request.body = normalized_body(request)
    for header in list(request.headers):
        if header.lower() == "cookie":
            request.headers[header] = f'{SESSION_COOKIE}="{SCRUBBED}"'
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() == "set-cookie":
            headers[name] = [_COOKIE_VALUE.sub(f'{SESSION_COOKIE}="{SCRUBBED}"', v) for v in headers[name]]
    body = response.get("body", {})
    if isinstance(body.get("string"), bytes):
        # The Login response carries the session key, which is the cookie value.
        body["string"] = _SESSION_KEY.sub(b"<key>" + SCRUBBED.encode() + b"</key>", body["string"])
    return response


def pyvmomi_vcr(mode: str) -> vcr.VCR:
    """``mode`` "none" replays only (tests); "once" records a missing cassette (the recording script)."""
    recorder = vcr.VCR(
        cassette_library_dir=str(CASSETTE_DIR),
        record_mode=mode,
        match_on=["method", "path", "soap"],
        decode_compressed_response=True,
        before_record_request=scrub_request,
        before_record_response=scrub_response,
        custom_patches=(
            (pyVmomi.SoapAdapter, "HTTPConnection", VCRHTTPConnection),
            (pyVmomi.SoapAdapter, "HTTPSConnection", VCRHTTPSConnection),
            (pyVim.connect, "HTTPConnection", VCRHTTPConnection),
            (pyVim.connect, "HTTPSConnection", VCRHTTPSConnection),
        ),
    )
    recorder.register_matcher("soap", match_soap)
    return recorder
