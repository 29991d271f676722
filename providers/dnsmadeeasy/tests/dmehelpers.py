"""Helpers shared by the DNS Made Easy tests and bench: configs, an in-process controller
whose endpoint health is set by hand, and request counting per reconcile phase."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from failover_sync_dnsmadeeasy import DnsMadeEasyProvider

from failover_sync.config.loader import Config, load_config_text
from failover_sync.controller.controller import Controller
from failover_sync.health.probes import Prober
from failover_sync.provider.retry import RetryPolicy
from providers.dnsmadeeasy.tests.dmefake import DnsMadeEasyFake

T = TypeVar("T")
ProviderFactory = Callable[..., DnsMadeEasyProvider]
"""``provider_factory(**options)`` of conftest: a DnsMadeEasyProvider on the fake."""


def config_yaml(
    base_url: str,
    records: str,
    *,
    key_files: tuple[Path, Path] | None = None,
    extra_options: str = "",
    interval: float = 30.0,
    timeout: float = 0.5,
    resync: float = 60.0,
) -> str:
    """A config with provider ``dme`` on the fake, zone example.test and ``records`` (YAML
    text indented under ``records:``). Without ``key_files`` the keys come from the default
    variables ``DNSMADEEASY_API_KEY`` / ``DNSMADEEASY_SECRET_KEY``."""
    keys = ""
    if key_files is not None:
        keys = f", api_key_file: {key_files[0]}, secret_key_file: {key_files[1]}"
    return f"""
providers:
  dme: {{type: dnsmadeeasy, base_url: "{base_url}"{keys}{extra_options}}}
zones:
  - {{name: example.test, provider: dme}}
resync_seconds: {resync}
defaults:
  ttl: 60
  health_check: {{protocol: HTTP, port: 9, path: /healthz, interval_seconds: {interval},
                 failure_threshold: 2, success_threshold: 1, request_timeout_seconds: {timeout}}}
records:
{records}
"""


def names_yaml(count: int, values: tuple[str, str] = ("192.0.2.1", "192.0.2.2")) -> str:
    """``count`` failover A records ``host0.example.test`` ... under ``records:``."""
    return "".join(
        f"  host{i}.example.test:\n    type: A\n"
        f"    records: [{{value: {values[0]}}}, {{value: {values[1]}}}]\n"
        for i in range(count)
    )


def load(text: str, directory: Path) -> Config:
    path = directory / "failover-sync.yaml"
    path.write_text(text)
    return load_config_text(text, path)


def controller(config: Config) -> Controller:
    """A Controller like ``failover-sync run`` builds, without probe loops."""
    return Controller(
        desired={zone: config.records_of(zone) for zone in config.zones},
        providers=config.build_providers(),
        prober=Prober(),
        resync_seconds=config.resync_seconds,
        retry=RetryPolicy(attempts=4, initial_seconds=0.01, max_seconds=0.05),
    )


def set_health(ctl: Controller, value: str, healthy: bool) -> None:
    """Force the verdict of every target probing ``value``."""
    for target, state in ctl.states.items():
        if target.value == value:
            state.healthy = healthy


@dataclass(frozen=True)
class CallFigures:
    """API requests counted by the fake per phase (route name -> requests)."""

    startup_read: Counter[str]
    steady_reconcile: Counter[str]
    failover_reconcile: Counter[str]
    failback_reconcile: Counter[str]


def count_calls(
    records: str, *, primary: str, secondary: str, directory: Path, extra_options: str = ""
) -> CallFigures:
    """Run startup, one steady reconcile, one failover (``primary`` down, ``secondary`` up)
    and one failback of ``records`` (A records publishing ``primary``) against a fresh fake,
    counting requests per phase. The client budget is raised so that pacing never waits;
    ``extra_options`` is appended to the provider's options (``", full_read_above: 5"``)."""
    with DnsMadeEasyFake(limit=100_000) as fake:
        api_key, secret = fake.add_account()
        domain_id = fake.add_domain("example.test", api_key)
        (directory / "api").write_text(api_key)
        (directory / "secret").write_text(secret)
        text = config_yaml(
            fake.base_url,
            records,
            key_files=(directory / "api", directory / "secret"),
            extra_options=", request_limit: 100000, burst: 10000" + extra_options,
        )
        config = load(text, directory)
        for record in config.records:  # the primary is published, as an operator left it
            name = record.name.removesuffix(".example.test.")
            fake.add_record(domain_id, name, record.type, primary, ttl=record.ttl)

        async def run() -> CallFigures:
            ctl = controller(config)
            (zone,) = ctl.desired
            phases: list[Counter[str]] = []
            try:
                for step in ("startup", "steady", "failover", "failback"):
                    if step == "failover":
                        set_health(ctl, primary, False)
                        set_health(ctl, secondary, True)
                    if step == "failback":
                        set_health(ctl, primary, True)
                    start = len(fake.calls)
                    if step == "startup":
                        await ctl.presume_health()
                    else:
                        await ctl.reconcile_zone(zone)
                    phases.append(Counter(c.route for c in fake.calls[start:]))
            finally:
                await ctl.prober.aclose()
                for provider in ctl.providers.values():
                    await provider.aclose()
            return CallFigures(*phases)

        return asyncio.run(run())


def with_provider(
    factory: ProviderFactory, body: Callable[[DnsMadeEasyProvider], Awaitable[T]], **options: Any
) -> T:
    """Run ``body(provider)`` in a fresh event loop with a provider built from ``options``,
    closing the provider afterwards."""

    async def main() -> T:
        provider = factory(**options)
        try:
            return await body(provider)
        finally:
            await provider.aclose()

    return asyncio.run(main())
