"""Helpers shared by the Akamai tests and bench: ``.edgerc`` files, providers, configs, an
in-process controller whose endpoint health is set by hand, call counting."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from failover_sync_akamai import AkamaiOptions, AkamaiProvider

from failover_sync import RetryPolicy, Zone
from failover_sync.config.loader import Config, load_config_text
from failover_sync.controller.controller import Controller
from failover_sync.health.probes import Prober
from providers.akamai.tests.akfake import AkamaiFake, Client

ProviderFactory = Callable[..., AkamaiProvider]
"""``provider_factory(**options)`` of conftest: an AkamaiProvider on the fake."""

SHORT = {
    "get-zones-zone-recordsets": "GET zones/recordsets",
    "post-changelists": "POST changelists",
    "get-changelists-zone-recordsets": "GET changelists/recordsets",
    "post-changelists-zone-recordsets-add-change": "POST add-change",
    "post-changelists-zone-submit": "POST submit",
    "get-changelists-zone-diff": "GET changelists/diff",
    "delete-changelists-zone": "DELETE changelists",
}


def write_edgerc(path: Path, client: Client, *, host: str, section: str = "default") -> Path:
    path.write_text(
        f"[{section}]\nclient_secret = {client.client_secret}\nhost = {host}\n"
        f"access_token = {client.access_token}\nclient_token = {client.client_token}\n"
    )
    return path


def factory(base_url: str, edgerc: Path, directory: Path) -> ProviderFactory:
    def build(**options: Any) -> AkamaiProvider:
        merged: dict[str, Any] = {
            "base_url": base_url,
            "edgerc": edgerc,
            "requests_per_second": 100,
            "burst": 1000,
            **options,
        }
        return AkamaiProvider("akamai", AkamaiOptions(**merged), config_dir=directory)

    return build


def config_yaml(
    base_url: str,
    records: str,
    *,
    credentials: str,
    interval: float = 30.0,
    timeout: float = 0.5,
    resync: float = 60.0,
) -> str:
    """A config with provider ``ak`` on the fake, zone example.test and ``records`` (YAML
    indented under ``records:``); ``credentials`` is YAML text like ``, edgerc: /x``."""
    return f"""
providers:
  ak: {{type: akamai, base_url: "{base_url}", requests_per_second: 50, burst: 50{credentials}}}
zones:
  - {{name: example.test, provider: ak}}
resync_seconds: {resync}
defaults:
  ttl: 60
  health_check: {{protocol: HTTP, port: 9, path: /healthz, interval_seconds: {interval},
                 failure_threshold: 2, success_threshold: 1, request_timeout_seconds: {timeout}}}
records:
{records}
"""


def load(text: str, directory: Path) -> Config:
    path = directory / "failover-sync.yaml"
    path.write_text(text)
    return load_config_text(text, path)


def controller(config: Config, *, retry: RetryPolicy | None = None) -> Controller:
    """A Controller like ``failover-sync run`` builds, without probe loops."""
    return Controller(
        desired={zone: config.records_of(zone) for zone in config.zones},
        providers=config.build_providers(),
        prober=Prober(),
        resync_seconds=config.resync_seconds,
        retry=retry or RetryPolicy(attempts=4, initial_seconds=0.01, max_seconds=0.05),
    )


def set_health(ctl: Controller, value: str, healthy: bool) -> None:
    """Force the verdict of every target probing ``value``."""
    for target, state in ctl.states.items():
        if target.value == value:
            state.healthy = healthy


async def close(ctl: Controller) -> None:
    await ctl.prober.aclose()
    for provider in ctl.providers.values():
        await provider.aclose()


def only_zone(ctl: Controller) -> Zone:
    (zone,) = ctl.desired
    return zone


def since(fake: AkamaiFake, start: int) -> Counter[str]:
    """Requests received from index ``start`` of ``fake.calls``, by short operation name."""
    return Counter(SHORT.get(c.operation, c.operation) for c in fake.calls[start:])


@dataclass(frozen=True)
class CallFigures:
    """API requests counted by the fake, per phase of the controller's life."""

    startup_read: Counter[str]
    steady_reconcile: Counter[str]
    failover_reconcile: Counter[str]
    failback_reconcile: Counter[str]


def count_calls(records: str, *, primary: str, secondary: str, directory: Path) -> CallFigures:
    """Startup, one steady reconcile, one failover (``primary`` down) and one failback of
    ``records`` against a fresh fake, counting requests per phase. ``records`` must publish
    ``primary`` (it is published beforehand, as an operator left it)."""
    with AkamaiFake() as fake:
        fake.add_zone("example.test")
        client = fake.add_client()
        edgerc = write_edgerc(directory / "edgerc", client, host="unused.test")
        text = config_yaml(fake.base_url, records, credentials=f", edgerc: {edgerc}")
        config = load(text, directory)
        for record in config.records:
            fake.write("example.test", record.name, record.type, record.ttl, [primary])

        async def run() -> CallFigures:
            ctl = controller(config)
            zone = only_zone(ctl)
            try:
                start = len(fake.calls)
                await ctl.presume_health()
                startup = since(fake, start)
                start = len(fake.calls)
                await ctl.reconcile_zone(zone)
                steady = since(fake, start)
                set_health(ctl, primary, False)
                set_health(ctl, secondary, True)
                start = len(fake.calls)
                await ctl.reconcile_zone(zone)
                failover = since(fake, start)
                set_health(ctl, primary, True)
                start = len(fake.calls)
                await ctl.reconcile_zone(zone)
                failback = since(fake, start)
            finally:
                await close(ctl)
            return CallFigures(startup, steady, failover, failback)

        figures = asyncio.run(run())
        assert fake.violations == []
        assert fake.rejected == []
        return figures
