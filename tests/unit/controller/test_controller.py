"""The controller loop with real backends and the in-memory provider."""

from __future__ import annotations

import asyncio

from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.testing import InMemoryProvider
from failover_sync.testing.backends import HttpBackend
from tests.helpers.loop import (
    FAST_RETRY,
    ZONE,
    controller,
    live,
    run_loop,
    seed,
    wait_for,
)


def test_once_on_a_steady_zone_writes_nothing(
    backend_pair: tuple[HttpBackend, HttpBackend],
) -> None:
    provider = InMemoryProvider()
    seed(provider, "127.0.0.2")
    outcomes = asyncio.run(controller(backend_pair[0].port, provider).once())
    assert [o.error for o in outcomes] == [None]
    assert provider.writes == 0
    assert backend_pair[0].behaviour.requests == 1  # published and passing: one probe
    assert backend_pair[1].behaviour.requests == 2  # unpublished: success_threshold probes


def test_failover_and_failback_in_the_loop(backend_pair: tuple[HttpBackend, HttpBackend]) -> None:
    web1, _ = backend_pair
    provider = InMemoryProvider()
    seed(provider, "127.0.0.2")
    ctl = controller(web1.port, provider)

    async def body() -> None:
        web1.behaviour.status = 503
        took = await wait_for(lambda: live(provider) == ("127.0.0.3",), 3)
        # detector bound: 2 failures x 0.2 s interval + 0.1 s timeout, plus slack
        assert took < 2 * 0.2 + 0.1 + 0.3
        web1.behaviour.status = 200
        await wait_for(lambda: live(provider) == ("127.0.0.2",), 3)

    run_loop(ctl, body)
    assert provider.writes == 2


def test_steady_state_issues_zero_writes_across_resyncs(
    backend_pair: tuple[HttpBackend, HttpBackend],
) -> None:
    provider = InMemoryProvider()
    seed(provider, "127.0.0.2")
    ctl = controller(backend_pair[0].port, provider, resync=0.2)

    async def body() -> None:
        reads = provider.reads
        await asyncio.sleep(1.0)
        assert provider.reads >= reads + 3  # resyncs ran
        assert provider.writes == 0

    run_loop(ctl, body)


def test_resync_repairs_drift(backend_pair: tuple[HttpBackend, HttpBackend]) -> None:
    provider = InMemoryProvider()
    seed(provider, "127.0.0.2")
    ctl = controller(backend_pair[0].port, provider, resync=0.3)

    async def body() -> None:
        seed(provider, "198.51.100.66")  # an out-of-band edit
        await wait_for(lambda: live(provider) == ("127.0.0.2",), 2)

    run_loop(ctl, body)


def test_provider_errors_never_end_the_loop(backend_pair: tuple[HttpBackend, HttpBackend]) -> None:
    web1, _ = backend_pair
    provider = InMemoryProvider()
    seed(provider, "127.0.0.2")
    ctl = controller(web1.port, provider, resync=0.3)

    async def body() -> None:
        provider.faults = [ProviderError("zone is locked"), TransientProviderError("503")] * 2
        web1.behaviour.status = 503
        await wait_for(lambda: live(provider) == ("127.0.0.3",), 4)
        assert not provider.faults

    run_loop(ctl, body)


def test_transient_errors_are_retried_within_one_reconcile(
    backend_pair: tuple[HttpBackend, HttpBackend],
) -> None:
    provider = InMemoryProvider()
    provider.faults = [TransientProviderError("throttled", retry_after=0.01)] * 2
    outcomes = asyncio.run(controller(backend_pair[0].port, provider).once())
    assert outcomes[0].error is None
    assert live(provider) == ("127.0.0.2",)


def test_dry_run_never_writes(backend_pair: tuple[HttpBackend, HttpBackend]) -> None:
    provider = InMemoryProvider()
    outcomes = asyncio.run(controller(backend_pair[0].port, provider, dry_run=True).once())
    assert outcomes[0].plan is not None
    assert outcomes[0].plan.changes[0].after == ("127.0.0.2",)
    assert provider.writes == 0
    assert live(provider) == ()


def test_unreadable_zone_is_reported_not_raised(
    backend_pair: tuple[HttpBackend, HttpBackend],
) -> None:
    provider = InMemoryProvider()
    provider.faults = [ProviderError("no such zone")] * 3
    outcomes = asyncio.run(controller(backend_pair[0].port, provider).once())
    assert isinstance(outcomes[0].error, ProviderError)
    assert provider.writes == 0


def test_reads_are_not_retried_inside_a_retried_attempt(
    backend_pair: tuple[HttpBackend, HttpBackend],
) -> None:
    provider = InMemoryProvider()
    seed(provider, "127.0.0.2")
    ctl = controller(backend_pair[0].port, provider)
    asyncio.run(ctl.presume_health())
    reads = provider.reads
    provider.faults = [TransientProviderError("503")] * 5
    outcome = asyncio.run(ctl.reconcile_zone(ZONE))
    assert isinstance(outcome.error, TransientProviderError)
    assert provider.reads - reads == FAST_RETRY.attempts  # not attempts squared


def test_one_shot_skips_probing_for_unreadable_zones(
    backend_pair: tuple[HttpBackend, HttpBackend],
) -> None:
    provider = InMemoryProvider()
    provider.faults = [ProviderError("no such zone")] * 10
    backend_pair[0].behaviour.status = 503  # would need failure_threshold probes
    outcomes = asyncio.run(controller(backend_pair[0].port, provider).once())
    assert isinstance(outcomes[0].error, ProviderError)
    assert backend_pair[0].behaviour.requests == 0
