"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ports import refused_ports


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port held bound, not listening, for the test's duration (see tests.ports)."""
    with refused_ports(1) as (port,):
        yield port
