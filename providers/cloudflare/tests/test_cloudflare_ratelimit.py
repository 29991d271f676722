"""429 storms and the request budget, in-process: reconciles go on, and we stay under the
budget instead of running into Cloudflare's five-minute lockout."""

from __future__ import annotations

import asyncio
from pathlib import Path

from failover_sync.provider.retry import RetryPolicy
from providers.cloudflare.tests import cfhelpers
from providers.cloudflare.tests.cffake import CloudflareFake, Fault

APP = "app.example.test."
RECORDS = (
    "  app.example.test:\n    type: A\n    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]\n"
)


def test_a_429_storm_neither_ends_the_loop_nor_crosses_the_budget(
    token: str, tmp_path: Path
) -> None:
    budget = 30
    with CloudflareFake(rate_limit=40, lockout=300) as fake:  # Cloudflare's real limit, scaled
        fake.tokens[token] = None
        zone_id = fake.add_zone("example.test")
        fake.add_record(zone_id, "app", "A", "192.0.2.1", ttl=60)
        token_file = tmp_path / "token"
        token_file.write_text(token)
        options = f", max_retries: 2, max_requests_per_5min: {budget}"
        text = cfhelpers.config_yaml(
            fake.base_url, RECORDS, token_file=token_file, extra_options=options
        )
        config = cfhelpers.load(text, tmp_path)

        async def loop() -> list[str]:
            ctl = cfhelpers.controller(
                config,
                retry=RetryPolicy(attempts=1),  # the budget asks for minutes: fail fast
            )
            zone = cfhelpers.only_zone(ctl)
            errors: list[str] = []
            try:
                await ctl.presume_health()
                cfhelpers.set_health(ctl, "192.0.2.1", False)
                cfhelpers.set_health(ctl, "192.0.2.2", True)
                fake.fail_next(Fault(429, 10000, "Rate limited", count=10, retry_after=0.02))
                for _ in range(40):  # the zone worker's rounds, resync compressed to 30 ms
                    outcome = await ctl.reconcile_zone(zone)
                    if outcome.error is not None:
                        errors.append(str(outcome.error))
                    await asyncio.sleep(0.03)
            finally:
                await cfhelpers.close(ctl)
            return errors

        errors = asyncio.run(loop())
        assert [r["content"] for r in fake.records(zone_id, APP, "A")] == ["192.0.2.2"]
        assert any("HTTP 429" in e for e in errors)
        assert any("request budget of 30" in e for e in errors)
        assert fake.lockouts == 0
        assert fake.max_in_window() <= budget
