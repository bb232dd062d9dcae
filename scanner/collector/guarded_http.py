"""Bound every HTTP exchange with vCenter: a total deadline per call, a size cap, no unasked decoding.

pyVmomi's socket timeout applies to each read, so a server trickling one byte every half second
keeps a call alive forever; it decodes a gzip body whatever it asked for (400 KB became 6.1 GB)
and reads a response of any size. vmscan therefore wraps each connection the session's stub hands
out (pyVmomi's calls and the streaming parser's alike):

- ``request`` starts the call's deadline (``--timeout``, total time); a timer shuts the socket down
  when it passes, which ends any blocked or trickling read, and the read raises ``TimeoutError``;
- the response is read with short reads, counting bytes: over ``VMSCAN_MAX_SOAP_RESPONSE_BYTES``
  (after decompression) it is refused;
- a compressed body is decoded here, bounded, only when the request asked for it
  (``Accept-Encoding``); an unasked one is refused. pyVmomi then sees an identity body.

pyVmomi's API-version discovery before the login (``vimServiceVersions.xml``) opens connections
of its own, outside the stub; ``bounded_version_discovery`` guards those the same way.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import zlib
from collections.abc import Iterator
from typing import Any

from scanner.errors import CollectionError
from scanner.limits import SOAP_MAX_RATIO, SOAP_RATIO_FLOOR_BYTES, SOAP_RESPONSE_BYTES, VERSIONS_DOCUMENT_BYTES, Limit

READ_BYTES = 256 * 1024


class ResponseRefused(CollectionError):
    """vCenter's answer is larger than the limit or encoded in a way vmscan did not ask for."""


class GuardedResponse:
    """An ``http.client.HTTPResponse`` seen through the call's deadline and size cap."""

    def __init__(self, response: Any, call: GuardedConnection, accepted_encoding: bool,
                 size_limit: Limit = SOAP_RESPONSE_BYTES) -> None:
        self._response = response
        self._call = call
        self._size_limit = size_limit
        self._limit = size_limit.value()
        self._seen = 0
        self._raw_seen = 0
        # Decoded bytes not yet handed out, read from _pending_at on: slicing the rest off at each
        # small read (expat asks for 2 KiB) would copy a multi-MiB inflated piece over and over.
        self._pending = b""
        self._pending_at = 0
        encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
        self._inflater: Any = None
        self._wbits = zlib.MAX_WBITS
        if encoding not in ("identity", ""):
            if not accepted_encoding or encoding not in ("gzip", "deflate"):
                call.finish()
                raise ResponseRefused(f"vCenter sent a {encoding}-encoded response that vmscan did not ask for")
            self._wbits = zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS
            self._inflater = zlib.decompressobj(self._wbits)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._response, name)

    def getheader(self, name: str, default: Any = None) -> Any:
        if name.lower() == "content-encoding":
            return "identity" if default is not None else None  # decoded here
        return self._response.getheader(name, default)

    def _raw(self, size: int) -> bytes:
        self._call.check()
        try:
            data: bytes = self._response.read1(size) if size > 0 else self._response.read1()
        except (OSError, ValueError) as exc:
            self._call.check()  # the deadline's shutdown surfaces as a read error: say timeout
            if isinstance(exc, ValueError):
                raise ConnectionError(str(exc)) from None
            raise
        self._call.check()
        if not data:
            # read1 does not mark a fully read body complete (read does): without this the
            # pooled connection refuses its next request (ResponseNotReady).
            self._response.close()
        return data

    def read(self, size: int | None = -1) -> bytes:
        want = READ_BYTES if size is None or size < 0 else size
        if size is None or size < 0:
            return self._read_all()
        while self._pending_at >= len(self._pending):
            self._pending, self._pending_at = b"", 0
            raw = self._raw(READ_BYTES)
            if not raw:
                if self._inflater is not None:
                    self._pending = self._inflater.flush()
                    self._inflater = None
                    self._count(len(self._pending))
                if not self._pending:
                    self._call.finish()
                    return b""
                break
            self._raw_seen += len(raw)
            self._pending = raw if self._inflater is None else self._inflate(raw)
            self._count(len(self._pending))
        start = self._pending_at
        self._pending_at = start + want
        return self._pending[start:start + want] if start or want < len(self._pending) else self._pending

    def _inflate(self, raw: bytes) -> bytes:
        """Decode ``raw``, never more than the cap at once whatever the ratio (and gzip members)."""
        assert self._inflater is not None
        pieces = []
        budget = self._limit - self._seen + 1
        while raw:
            piece = self._inflater.decompress(raw, budget)
            pieces.append(piece)
            budget -= len(piece)
            if budget <= 0 or self._inflater.unconsumed_tail:
                self._count(self._limit + 1)
            decoded = self._seen + (self._limit - self._seen + 1 - budget)
            if decoded > SOAP_RATIO_FLOOR_BYTES and decoded > SOAP_MAX_RATIO * self._raw_seen:
                self._call.finish()
                raise ResponseRefused(f"a vCenter response decompresses {decoded // max(self._raw_seen, 1)}x "
                                      f"(over {SOAP_MAX_RATIO}x past {SOAP_RATIO_FLOOR_BYTES:,} bytes); "
                                      "refusing a likely decompression bomb")
            if self._inflater.eof:  # the next gzip member, if any
                raw = self._inflater.unused_data
                self._inflater = zlib.decompressobj(self._wbits)
            else:
                raw = b""
        return b"".join(pieces)

    def _read_all(self) -> bytes:
        parts: list[bytes] = []
        while True:
            piece = self.read(READ_BYTES)
            if not piece:
                return b"".join(parts)
            parts.append(piece)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _count(self, size: int) -> None:
        self._seen += size
        if self._seen > self._limit:
            self._call.finish()
            raise self._size_limit.refuse("a vCenter response of over", self._limit, self._limit)


class GuardedConnection:
    """Wraps one pooled ``http.client`` connection; each ``request`` is one bounded call."""

    def __init__(self, connection: Any, timeout_s: float, size_limit: Limit = SOAP_RESPONSE_BYTES) -> None:
        self._connection = connection
        self._timeout_s = timeout_s
        self._size_limit = size_limit
        self._timer: threading.Timer | None = None
        self._expired = False
        self._accepted_encoding = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
        self.finish()
        self._expired = False
        self._accepted_encoding = any(key.lower() == "accept-encoding" for key in (headers or {}))
        self._timer = threading.Timer(self._timeout_s, self._expire)
        self._timer.daemon = True
        self._timer.start()
        self._connection.request(method, url, body, headers or {}, **kwargs)

    def getresponse(self) -> GuardedResponse:
        try:
            response = self._connection.getresponse()
        except OSError:
            self.check()
            raise
        self.check()
        return GuardedResponse(response, self, self._accepted_encoding, self._size_limit)

    def _expire(self) -> None:
        self._expired = True
        sock = getattr(self._connection, "sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def check(self) -> None:
        if self._expired:
            raise TimeoutError(f"no complete answer within {self._timeout_s:g} s")

    def finish(self) -> None:
        """The call is over (body read, refused or abandoned): its deadline no longer applies."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        self.finish()
        self._connection.close()


def install_response_guard() -> None:
    """Wrap the connections of every pyVmomi SOAP stub, from the first call (Login) on.

    Installed at connect time (not at import). The deadline is the stub's own connection timeout
    (``httpConnectionTimeout``, set from ``--timeout``); a stub without one is left as it is.
    """
    from pyVmomi import SoapAdapter

    stub_class: Any = SoapAdapter.SoapStubAdapter
    if getattr(stub_class, "_vmscan_guarded", False):
        return
    original = stub_class.GetConnection

    def get_connection(stub: Any) -> Any:
        connection = original(stub)
        timeout_s = (getattr(stub, "schemeArgs", None) or {}).get("timeout")
        if isinstance(connection, GuardedConnection) or not timeout_s:
            return connection
        return GuardedConnection(connection, float(timeout_s))

    stub_class.GetConnection = get_connection
    stub_class._vmscan_guarded = True


# The deadline of the version discovery running in this thread (vCenters are collected in threads).
_discovery = threading.local()


def _discovery_connection(connection_class: Any) -> Any:
    """``connection_class`` as pyVim.connect makes it, guarded while this thread discovers versions."""

    def make(*args: Any, **kwargs: Any) -> Any:
        timeout_s = getattr(_discovery, "timeout_s", None)
        if timeout_s is None:
            return connection_class(*args, **kwargs)
        kwargs.setdefault("timeout", timeout_s)
        return GuardedConnection(connection_class(*args, **kwargs), timeout_s, VERSIONS_DOCUMENT_BYTES)

    return make


@contextlib.contextmanager
def bounded_version_discovery(timeout_s: float) -> Iterator[None]:
    """Bound pyVmomi's API-version discovery (the GET of vimServiceVersions.xml in SmartConnect).

    pyVim.connect makes that connection itself, with no timeout, and parses whatever it reads:
    a server that accepted the connection and never answered held ``vmscan collect --timeout 5``
    for good (still waiting after 120 s). While this is held, the connections pyVim.connect makes
    in this thread are GuardedConnections: the call's total deadline and a 1 MiB size cap.
    """
    from pyVim import connect

    if not getattr(connect, "_vmscan_guarded", False):
        for name in ("HTTPConnection", "HTTPSConnection"):
            setattr(connect, name, _discovery_connection(getattr(connect, name)))
        connect._vmscan_guarded = True  # type: ignore[attr-defined]
    _discovery.timeout_s = timeout_s
    try:
        yield
    finally:
        _discovery.timeout_s = None
