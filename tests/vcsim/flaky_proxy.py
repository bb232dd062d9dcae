"""A loopback TCP proxy that misbehaves on cue, put between vmscan and the simulator.

``FlakyProxy(port, fault="drop", on=b"RetrievePropertiesEx", nth=3)`` forwards everything, except
that the third request containing ``on`` is never forwarded: with ``drop`` the client connection
is reset (RST), with ``stall`` it is held open and silent (the client must time out). ``times``
says how many such requests get the fault (default 1; 0 = every one from ``nth`` on).
``delay_s`` slows every forwarded request, to make a collection last long enough to interrupt.
``methods`` records the SOAP method of every request seen on the wire (forwarded or not).
"""

from __future__ import annotations

import re
import socket
import struct
import threading
import time


class FlakyProxy:
    def __init__(self, target_port: int, fault: str = "drop", on: bytes = b"RetrievePropertiesEx", nth: int = 1,
                 times: int = 1, delay_s: float = 0.0, target_host: str = "127.0.0.1") -> None:
        assert fault in ("drop", "stall", "none")
        self.target = (target_host, target_port)
        self.fault, self.on, self.nth, self.times, self.delay_s = fault, on, nth, times, delay_s
        self.seen = 0  # requests containing ``on``
        self.faults = 0  # faults injected
        self.connections = 0
        self.methods: list[str] = []
        self._lock = threading.Lock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def url(self, path: str = "/sdk") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def __enter__(self) -> FlakyProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._server.close()
        for sock in list(self._sockets):
            try:
                sock.close()
            except OSError:
                pass

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._sockets += [client, upstream]
            with self._lock:
                self.connections += 1
            threading.Thread(target=self._requests, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    def _should_fault(self, chunk: bytes, tail: bytes) -> bool:
        if self.fault == "none" or self.on not in tail + chunk:
            return False
        with self._lock:
            self.seen += 1
            due = self.seen >= self.nth and (self.times == 0 or self.faults < self.times)
            if due:
                self.faults += 1
            return due

    _SOAP_METHOD = re.compile(rb"<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?([A-Za-z_]\w*)")

    def _requests(self, client: socket.socket, upstream: socket.socket) -> None:
        tail = b""
        seen = bytearray()
        scanned = 0
        try:
            while chunk := client.recv(65536):
                seen += chunk
                for match in self._SOAP_METHOD.finditer(seen, scanned):
                    with self._lock:
                        self.methods.append(match.group(1).decode())
                    scanned = match.end()
                if self._should_fault(chunk, tail):
                    if self.fault == "drop":
                        # SO_LINGER 0: close with RST, as a dying firewall or load balancer would.
                        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        client.close()
                        upstream.close()
                        return
                    # stall: swallow the request, answer nothing, keep the connection open
                    while not self._stop.is_set() and client.recv(65536):
                        pass
                    return
                tail = chunk[-(len(self.on) - 1):]  # a match split across chunks, counted once
                if self.delay_s:
                    time.sleep(self.delay_s)
                upstream.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (client, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            try:
                sink.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
