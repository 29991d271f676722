"""The token bucket: unit tests on a fake clock, then pacing real HTTP requests to moto."""

from __future__ import annotations

import asyncio
import time

from failover_sync_route53 import TokenBucket
from failover_sync_route53.ratelimit import shared_bucket
from failover_sync_route53.testing import THROTTLING, FaultProxy

from failover_sync import Zone

from .conftest import provider_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_burst_then_paced_in_order() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        bucket.acquire()
    assert clock.slept == [0.5, 0.5, 0.5]
    assert clock.now == 1.5
    assert bucket.acquired == 5


def test_reservations_queue_up() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4.0, clock=clock, sleep=clock.sleep)
    waits = [bucket.reserve() for _ in range(6)]
    assert waits == [0.0, 0.0, 0.0, 0.0, 0.25, 0.5]


def test_refill_is_capped_at_one_second_of_budget() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2.0, clock=clock, sleep=clock.sleep)
    clock.now = 100.0
    assert [bucket.reserve() for _ in range(3)] == [0.0, 0.0, 0.5]


def test_slow_rate_has_a_burst_of_one() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0.5, clock=clock, sleep=clock.sleep)
    assert [bucket.reserve() for _ in range(3)] == [0.0, 2.0, 4.0]


def test_shared_per_account_key_and_the_lowest_rate_wins() -> None:
    first = shared_bucket("test|account:111111111111", 4.0)
    second = shared_bucket("test|account:111111111111", 2.0)
    assert first is second
    assert first.rate == 2.0
    assert shared_bucket("test|account:222222222222", 4.0) is not first


def test_real_requests_are_paced_and_retries_pay_too(zone: Zone, proxy: FaultProxy) -> None:
    async def case() -> None:
        provider = provider_for(proxy.url, max_requests_per_second=5)
        keys = [(f"app.{zone.name}", "A")]
        try:
            started = time.monotonic()
            for _ in range(11):
                await provider.list_rrsets(zone, keys)
            elapsed = time.monotonic() - started
            assert elapsed >= 1.1  # 5 at once, then one every 0.2 s
            stamps = [c.at - proxy.calls[0].at for c in proxy.calls]
            assert all(at >= (i - 5) * 0.2 - 0.1 for i, at in enumerate(stamps))
            assert provider.bucket is not None
            before = provider.bucket.acquired
            proxy.inject(THROTTLING)
            await provider.list_rrsets(zone, keys)  # botocore's retry takes a token too
            assert provider.bucket.acquired - before == 2
        finally:
            await provider.aclose()

    asyncio.run(case())
