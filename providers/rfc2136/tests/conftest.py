"""Fixtures of the RFC 2136 adapter tests: a fresh ``named`` per test (fresh zone files, no
journal, a new TSIG key) and providers pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from failover_sync_rfc2136 import RFC2136Options, RFC2136Provider

from failover_sync.model import Zone
from failover_sync.provider.base import Provider
from failover_sync.testing.bind import BindServer, bind_server

MakeRFC2136 = Callable[..., RFC2136Provider]


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    """A started ``named`` serving ``example.test`` (all names granted to the key),
    ``narrow.test`` (only ``app`` granted) and ``closed.test`` (no transfers)."""
    with bind_server(tmp_path / "bind") as server:
        yield server


@pytest.fixture
def provider_for(bind: BindServer) -> MakeRFC2136:
    """Build a provider for ``bind`` with option overrides (default: the key file, AXFR)."""

    def build(**overrides: object) -> RFC2136Provider:
        options: dict[str, object] = {
            "server": bind.address,
            "port": bind.port,
            "tsig_key_file": str(bind.key_file),
            "timeout_seconds": 2.0,
        }
        options.update(overrides)
        return RFC2136Provider(
            "bind", RFC2136Options.model_validate(options), config_dir=bind.directory
        )

    return build


@pytest.fixture
def zone() -> Zone:
    return Zone("example.test.", "bind")


@pytest.fixture
def broken_zone() -> Zone:
    """A zone the server does not serve: NOTAUTH for transfers, REFUSED for queries."""
    return Zone("missing.test.", "bind")


@pytest.fixture(params=["axfr", "query"])
def make_provider(
    request: pytest.FixtureRequest, provider_for: MakeRFC2136
) -> Callable[[], Provider]:
    """Providers reading by AXFR and by query: the contract holds for both."""
    return lambda: provider_for(read=request.param)
