"""Helpers shared by the Cloudflare tests and bench: configs and an in-process controller
whose endpoint health is set by hand (no probes)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from failover_sync_cloudflare import CloudflareProvider

from failover_sync.config.loader import Config, load_config_text
from failover_sync.controller.controller import Controller
from failover_sync.health.probes import Prober
from failover_sync.model import Zone
from failover_sync.provider.retry import RetryPolicy
from failover_sync.testing import standard_guards
from providers.cloudflare.tests.cffake import CloudflareFake

ProviderFactory = Callable[..., CloudflareProvider]
"""``provider_factory(**options)`` of conftest: a CloudflareProvider on the fake."""


def config_yaml(
    base_url: str,
    records: str,
    *,
    token_file: Path | None = None,
    extra_options: str = "",
    zone_extra: str = "",
    interval: float = 30.0,
    timeout: float = 0.5,
    resync: float = 60.0,
) -> str:
    """A config with provider ``cf`` on the fake, zone example.test and ``records`` (YAML
    text indented under ``records:``)."""
    token = f", api_token_file: {token_file}" if token_file else ""
    return f"""
providers:
  cf: {{type: cloudflare, base_url: "{base_url}"{token}{extra_options}}}
zones:
  - {{name: example.test, provider: cf{zone_extra}}}
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


def controller(
    config: Config, *, retry: RetryPolicy | None = None, guards: bool = False
) -> Controller:
    """A Controller like ``failover-sync run`` builds, without probe loops; ``guards``
    adds the CLI's guard chain (ownership markers and brakes)."""
    desired = {zone: config.records_of(zone) for zone in config.zones}
    return Controller(
        desired=desired,
        guards=standard_guards(desired) if guards else None,
        providers=config.build_providers(),
        prober=Prober(),
        resync_seconds=config.resync_seconds,
        retry=retry or RetryPolicy(attempts=4, initial_seconds=0.01, max_seconds=0.05),
    )


def set_health(ctl: Controller, value: str, healthy: bool) -> None:
    """Force the verdict of every target probing ``value``."""
    for target in ctl.board:
        if target.value == value:
            ctl.board.state(target).healthy = healthy


async def close(ctl: Controller) -> None:
    await ctl.prober.aclose()
    for provider in ctl.providers.values():
        await provider.aclose()


def only_zone(ctl: Controller) -> Zone:
    (zone,) = ctl.desired
    return zone


@dataclass(frozen=True)
class CallFigures:
    """API requests counted by the fake, per phase of the controller's life."""

    startup_read: Counter[str]
    steady_reconcile: Counter[str]
    failover_reconcile: Counter[str]
    failback_reconcile: Counter[str]


def _since(fake: CloudflareFake, start: int) -> Counter[str]:
    return Counter(SHORT.get(c.operation, c.operation) for c in fake.calls[start:])


SHORT = {
    "zones-get": "zones.list",
    "dns-records-for-a-zone-list-dns-records": "dns.records.list",
    "dns-records-for-a-zone-batch-dns-records": "dns.records.batch",
}


def count_calls(
    records: str,
    *,
    primary: str,
    secondary: str,
    by_name: bool,
    directory: Path,
    guards: bool = False,
) -> CallFigures:
    """Run startup, one steady reconcile, one failover (``primary`` down, ``secondary`` up)
    and one failback of ``records`` against a fresh fake, counting requests per phase.
    ``records`` must already publish ``primary``."""
    with CloudflareFake() as fake:
        zone_id = fake.add_zone("example.test")
        token = fake.add_token()
        token_file = directory / "token"
        token_file.write_text(token)
        zone_extra = "" if by_name else f", zone_id: {zone_id}"
        text = config_yaml(fake.base_url, records, token_file=token_file, zone_extra=zone_extra)
        config = load(text, directory)
        for record in config.records:  # the primary is published, as an operator left it
            fake.add_record(zone_id, record.name, record.type, primary, ttl=record.ttl)

        async def run() -> CallFigures:
            ctl = controller(config, guards=guards)
            zone = only_zone(ctl)
            try:
                start = len(fake.calls)
                await ctl.presume_health()
                startup = _since(fake, start)
                start = len(fake.calls)
                await ctl.reconcile_zone(zone)
                steady = _since(fake, start)
                set_health(ctl, primary, False)
                set_health(ctl, secondary, True)
                start = len(fake.calls)
                await ctl.reconcile_zone(zone)
                failover = _since(fake, start)
                set_health(ctl, primary, True)
                start = len(fake.calls)
                await ctl.reconcile_zone(zone)
                failback = _since(fake, start)
            finally:
                await close(ctl)
            return CallFigures(startup, steady, failover, failback)

        return asyncio.run(run())
