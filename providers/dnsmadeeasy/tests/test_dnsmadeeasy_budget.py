"""The request budget: our own requests never exceed ``limit - reserve`` in any window, the
server's count stops us at the reserve, and exhaustion (ours or the API's 400) is transient
with a wait for the window."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from failover_sync_dnsmadeeasy import DnsMadeEasyProvider
from failover_sync_dnsmadeeasy.budget import RequestBudget
from failover_sync_dnsmadeeasy.options import DnsMadeEasyOptions
from failover_sync_dnsmadeeasy.signing import DnsMadeEasyAuth

from failover_sync import TransientProviderError
from failover_sync.model import Zone
from providers.dnsmadeeasy.tests.dmefake import DnsMadeEasyFake
from providers.dnsmadeeasy.tests.dmehelpers import with_provider

APP = "app.example.test."


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_paced_requests_never_exceed_limit_minus_reserve_in_any_window() -> None:
    clock = Clock()
    budget = RequestBudget(150, reserve=15, burst=40, clock=clock)
    times = []
    for _ in range(1000):  # a client that sends as fast as the bucket lets it
        clock.now += budget.bucket.reserve()
        times.append(clock.now)
    start, most = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 300.0:
            start += 1
        most = max(most, end - start + 1)
    assert most <= 135
    assert times[39] == times[0]  # the burst goes out at once


def test_server_count_at_the_reserve_blocks_until_our_oldest_request_leaves() -> None:
    clock = Clock()
    budget = RequestBudget(150, reserve=15, burst=40, clock=clock)
    budget._sent.append(clock.now - 100)  # one of ours, 100 s ago
    budget.observe(
        httpx.Headers({"x-dnsme-requestLimit": "150", "x-dnsme-requestsRemaining": "15"})
    )
    assert budget.bucket.blocked_for() == pytest.approx(200.0)
    assert budget.remaining == 15


def test_lower_announced_limit_shrinks_the_bucket() -> None:
    budget = RequestBudget(150, reserve=15, burst=40, clock=Clock())
    budget.observe(httpx.Headers({"x-dnsme-requestLimit": "60", "x-dnsme-requestsRemaining": "59"}))
    assert budget.limit == 60
    assert budget.bucket.rate == pytest.approx((60 - 15 - 40) / 300)


@pytest.fixture
def small() -> Iterator[DnsMadeEasyFake]:
    with DnsMadeEasyFake(limit=30) as fake:
        yield fake


def _setup(small: DnsMadeEasyFake, tmp_path: Path) -> tuple[str, str, Zone]:
    api_key, secret = small.add_account()
    domain = small.add_domain("example.test", api_key)
    return api_key, secret, Zone("example.test.", "dme", {"domain_id": domain})


def _provider(
    small: DnsMadeEasyFake, api_key: str, secret: str, tmp_path: Path
) -> DnsMadeEasyProvider:
    directory = tmp_path
    (directory / "k").write_text(api_key)
    (directory / "s").write_text(secret)
    options = DnsMadeEasyOptions(
        base_url=small.base_url,
        api_key_file=Path("k"),
        secret_key_file=Path("s"),
        request_limit=30,
        reserve_requests=5,
        burst=10,
        max_wait_seconds=0,
    )
    return DnsMadeEasyProvider("dme", options, config_dir=directory)


def _other_client(
    small: DnsMadeEasyFake, api_key: str, secret: str, requests: int
) -> httpx.Response:
    """Another user of the same key (a certificate client, say)."""
    with httpx.Client(auth=DnsMadeEasyAuth(api_key, secret)) as client:
        for _ in range(requests):
            answer = client.get(f"{small.base_url}/dns/managed/")
    return answer


def test_own_budget_refuses_before_the_api_does(small: DnsMadeEasyFake, tmp_path: Path) -> None:
    api_key, secret, zone = _setup(small, tmp_path)
    provider = _provider(small, api_key, secret, tmp_path)

    async def run(provider: DnsMadeEasyProvider) -> TransientProviderError:
        for _ in range(10):  # the burst
            await provider.list_rrsets(zone, [(APP, "A")])
        with pytest.raises(TransientProviderError) as info:
            await provider.list_rrsets(zone, [(APP, "A")])
        return info.value

    error = with_provider(lambda: provider, run)
    assert "not sent" in str(error)
    assert "record listing of app.example.test. A" in str(error)
    assert error.retry_after is not None
    assert error.retry_after > 0
    assert small.count() == 10
    assert all(c.status == 200 for c in small.calls)


def test_other_clients_use_stops_us_at_the_reserve(small: DnsMadeEasyFake, tmp_path: Path) -> None:
    api_key, secret, zone = _setup(small, tmp_path)
    _other_client(small, api_key, secret, 24)
    provider = _provider(small, api_key, secret, tmp_path)

    async def run(provider: DnsMadeEasyProvider) -> TransientProviderError:
        await provider.list_rrsets(zone, [(APP, "A")])  # answer: 5 remaining = the reserve
        with pytest.raises(TransientProviderError) as info:
            await provider.list_rrsets(zone, [(APP, "A")])
        return info.value

    error = with_provider(lambda: provider, run)
    assert "exhausted" in str(error)
    assert error.retry_after == pytest.approx(300.0, abs=5)
    assert small.count() == 25  # the refused call was not sent


def test_api_rate_limit_400_is_transient_and_blocks(small: DnsMadeEasyFake, tmp_path: Path) -> None:
    api_key, secret, zone = _setup(small, tmp_path)
    drained = _other_client(small, api_key, secret, 30)
    assert drained.headers["x-dnsme-requestsRemaining"] == "0"
    provider = _provider(small, api_key, secret, tmp_path)

    async def run(provider: DnsMadeEasyProvider) -> None:
        with pytest.raises(TransientProviderError) as info:
            await provider.list_rrsets(zone, [(APP, "A")])
        assert "HTTP 400: Rate limit exceeded" in str(info.value)
        assert info.value.retry_after == pytest.approx(300.0, abs=5)
        sent = small.count()
        with pytest.raises(TransientProviderError, match="not sent"):
            await provider.list_rrsets(zone, [(APP, "A")])
        assert small.count() == sent

    with_provider(lambda: provider, run)
    assert small.calls[30].status == 400
