"""Shared fixtures of the core tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from failover_sync.cli.demo import free_port
from failover_sync.testing.backends import HttpBackend

# Hypothesis profiles (HYPOTHESIS_PROFILE): ``default`` keeps `make test` fast (the state
# machine runs about 2,700 steps); ``nightly`` runs more than 10,000. No example database:
# runs stay reproducible from the seed printed on failure.
_COMMON = {"deadline": None, "database": None, "suppress_health_check": [HealthCheck.too_slow]}
settings.register_profile("default", max_examples=60, stateful_step_count=50, **_COMMON)
settings.register_profile("nightly", max_examples=300, stateful_step_count=50, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def backend_pair() -> Iterator[tuple[HttpBackend, HttpBackend]]:
    """Two HTTP backends on 127.0.0.2 and 127.0.0.3 sharing one free port."""
    port = free_port("127.0.0.2", "127.0.0.3")
    web1 = HttpBackend("127.0.0.2", port).start()
    web2 = HttpBackend("127.0.0.3", port).start()
    yield web1, web2
    web1.stop()
    web2.stop()
