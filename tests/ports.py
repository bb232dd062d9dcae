"""Loopback ports a test holds itself, so nothing else can take them while it runs."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator


@contextlib.contextmanager
def refused_ports(count: int = 1) -> Iterator[list[int]]:
    """``count`` distinct loopback ports, bound but not listening: connecting to them is refused.

    The sockets stay bound until the block ends, so no other process can start listening on a port
    in between (picking a "free" port and closing it leaves that window open).
    """
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
        yield ports
