"""Shared fixtures of the core tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from failover_sync.demo import free_port
from tests.harness.backends import HttpBackend


@pytest.fixture
def backend_pair() -> Iterator[tuple[HttpBackend, HttpBackend]]:
    """Two HTTP backends on 127.0.0.2 and 127.0.0.3 sharing one free port."""
    port = free_port("127.0.0.2", "127.0.0.3")
    web1 = HttpBackend("127.0.0.2", port).start()
    web2 = HttpBackend("127.0.0.3", port).start()
    yield web1, web2
    web1.stop()
    web2.stop()
