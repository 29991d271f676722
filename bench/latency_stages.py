"""Provider stages of ``bench/failover_latency.py``: one real authoritative server per provider.

A stage is a context manager that starts the server with the zone ``bench.test.`` and yields an
:class:`Authoritative`: where DNS is served, the provider block of our config, the environment
the controller needs, and whether a server-side health-checked peer record (``lua``) exists.

``powerdns``  PowerDNS with the LUA ``ifurlup`` peer record next to our record.
``rfc2136``   BIND 9 ``named`` updated over RFC 2136 with the generated TSIG key. BIND has no
              server-side health-checked record, so there is no peer: our figures only.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from failover_sync.testing.bind import BindZone, bind_server
from failover_sync.testing.powerdns import powerdns_server

PRIMARY, SECONDARY = "127.0.0.31", "127.0.0.32"
ZONE = "bench.test."
OURS, PEER = f"app.{ZONE}", f"lua.{ZONE}"
TTL = 5


@dataclass(frozen=True)
class Settings:
    """Detector settings shared by both sides (seconds, counts)."""

    interval: float = 1.0
    failures: int = 1
    successes: int = 1
    timeout: float = 0.9
    """Ours; the core wants it below the interval. PowerDNS 4.7 takes whole seconds, so the
    peer gets ``max(1, round(timeout))``."""
    recheck: float | None = None
    """Ours only: ``recheck_interval_seconds`` (the peer has no rapid recheck)."""

    @property
    def bound(self) -> float:
        """Our detector's worst case, phase jitter and recheck included (the formula of
        :attr:`failover_sync.model.HealthCheck.detection_seconds`)."""
        from failover_sync.model import HealthCheck

        return HealthCheck(
            interval_seconds=self.interval,
            failure_threshold=self.failures,
            request_timeout_seconds=self.timeout,
            recheck_interval_seconds=self.recheck,
        ).detection_seconds


@dataclass
class Authoritative:
    """What a provider stage offers the benchmark: where DNS is served, the provider block of
    our config, the environment the controller needs, and whether a server-side peer record
    (``lua``) exists."""

    address: str
    port: int
    provider_yaml: str
    env: dict[str, str]
    peer: bool


Stage = Callable[[Path, Settings, int], contextlib.AbstractContextManager[Authoritative]]
"""``(folder, settings, backend port) -> context manager of the running server``."""


def powerdns_stage(
    directory: Path, settings: Settings, port: int
) -> contextlib.AbstractContextManager[Authoritative]:
    """PowerDNS with the LUA peer record next to our record."""

    @contextlib.contextmanager
    def stage() -> Iterator[Authoritative]:
        pdns_settings = {
            "enable-lua-records": "yes",
            "lua-health-checks-interval": str(max(1, round(settings.interval))),
            "cache-ttl": "0",
        }
        with powerdns_server(directory / "pdns", pdns_settings) as server:
            server.create_zone(ZONE)
            sets = f"{{{{'{PRIMARY}'}}, {{'{SECONDARY}'}}}}"
            url = f"http://app.{ZONE.rstrip('.')}:{port}/healthz"
            timeout = max(1, round(settings.timeout))
            lua = f"A \"ifurlup('{url}', {sets}, {{timeout='{timeout}'}})\""
            server.replace(ZONE, PEER, "LUA", TTL, [lua])
            yield Authoritative(
                "127.0.0.1",
                server.dns_port,
                f'{{type: powerdns, url: "{server.url}", api_key_env: PDNS_API_KEY}}',
                {"PDNS_API_KEY": server.api_key},
                peer=True,
            )

    return stage()


def bind_stage(
    directory: Path, settings: Settings, port: int
) -> contextlib.AbstractContextManager[Authoritative]:
    """BIND 9 taking our RFC 2136 updates (TSIG key from ``tsig-keygen``); no peer record."""

    @contextlib.contextmanager
    def stage() -> Iterator[Authoritative]:
        with bind_server(directory / "bind", [BindZone(ZONE.rstrip("."))]) as server:
            yield Authoritative(
                server.address,
                server.port,
                f"{{type: rfc2136, server: {server.address}, port: {server.port}, "
                f'tsig_key_file: "{server.key_file}"}}',
                {},
                peer=False,
            )

    return stage()


STAGES: dict[str, Stage] = {
    "powerdns": powerdns_stage,
    "rfc2136": bind_stage,
}
"""Provider name -> stage."""
