"""Error classification at the one boundary: what the fake answers -> which core error."""

from __future__ import annotations

import asyncio
import email.utils
import time

import httpx
import pytest
from failover_sync_cloudflare.errors import api_errors, retry_after

from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.model import RRset, Zone
from failover_sync.testing import upsert
from failover_sync.testing.process import free_port
from providers.cloudflare.tests.cffake import CloudflareFake, Fault
from providers.cloudflare.tests.cfhelpers import ProviderFactory

APP = "app.example.test."
LIST = "dns-records-for-a-zone-list-dns-records"


def list_error(provider_factory: ProviderFactory, zone: Zone, **options: object) -> ProviderError:
    async def case() -> ProviderError:
        provider = provider_factory(**options)
        try:
            await provider.list_rrsets(zone, [(APP, "A")])
        except ProviderError as exc:
            return exc
        finally:
            await provider.aclose()
        raise AssertionError("no error")

    return asyncio.run(case())


def test_429_is_transient_with_retry_after_and_blocks_the_token(
    fake: CloudflareFake, zone: Zone, provider_factory: ProviderFactory
) -> None:
    fake.fail_next(Fault(429, 10000, "Rate limited", retry_after=30))

    async def case() -> tuple[ProviderError, ProviderError]:
        provider = provider_factory()
        try:
            errors = []
            for _ in range(2):
                with pytest.raises(TransientProviderError) as info:
                    await provider.list_rrsets(zone, [(APP, "A")])
                errors.append(info.value)
            return errors[0], errors[1]
        finally:
            await provider.aclose()

    first, second = asyncio.run(case())
    assert isinstance(first, TransientProviderError)
    assert first.retry_after == 30
    assert isinstance(second, TransientProviderError)
    assert 29 < (second.retry_after or 0) <= 30
    assert "rate limited by Cloudflare" in str(second)
    assert fake.count() == 1  # the second call was never sent


def test_sdk_retries_are_counted_and_honour_retry_after(
    fake: CloudflareFake, zone: Zone, provider_factory: ProviderFactory
) -> None:
    fake.fail_next(Fault(503, 10001, "service unavailable", count=2, retry_after=0.01))

    async def case() -> int:
        provider = provider_factory(max_retries=2)
        try:
            assert await provider.list_rrsets(zone, [(APP, "A")]) == []
            return provider.api.requests
        finally:
            await provider.aclose()

    assert asyncio.run(case()) == 3
    assert fake.count(LIST) == 3


@pytest.mark.parametrize("status", [500, 502, 503, 408, 409])
def test_5xx_408_409_are_transient(
    fake: CloudflareFake, zone: Zone, provider_factory: ProviderFactory, status: int
) -> None:
    fake.fail_next(Fault(status, 10001, "try again"))
    error = list_error(provider_factory, zone)
    assert isinstance(error, TransientProviderError)
    assert f"HTTP {status}: 10001: try again" in str(error)


def test_connection_refused_is_transient(zone: Zone, provider_factory: ProviderFactory) -> None:
    dead = f"http://127.0.0.1:{free_port()}/client/v4"
    error = list_error(provider_factory, zone, base_url=dead)
    assert isinstance(error, TransientProviderError)
    assert "connection to the Cloudflare API failed" in str(error)


def test_unknown_token_is_permanent_and_never_echoed(
    fake: CloudflareFake, zone: Zone, provider_factory: ProviderFactory, token: str
) -> None:
    fake.tokens.pop(token)
    error = list_error(provider_factory, zone)
    assert not isinstance(error, TransientProviderError)
    assert "HTTP 401: 9109: Invalid access token" in str(error)
    assert "Zone > DNS > Edit" in str(error)
    assert token not in str(error)


def test_token_without_the_zone_is_a_permanent_403(
    fake: CloudflareFake, zone: Zone, provider_factory: ProviderFactory, token: str
) -> None:
    fake.tokens[token] = frozenset({"other.test"})
    error = list_error(provider_factory, zone)
    assert not isinstance(error, TransientProviderError)
    assert "HTTP 403: 10000: Authentication error" in str(error)


def test_an_identical_record_created_meanwhile_is_a_permanent_81058(
    fake: CloudflareFake, zone_id: str, zone: Zone, provider_factory: ProviderFactory
) -> None:
    async def case() -> ProviderError:
        provider = provider_factory()
        try:
            await provider.list_rrsets(zone, [(APP, "A")])
            fake.add_record(zone_id, "app", "A", "192.0.2.1")
            with pytest.raises(ProviderError) as info:
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
            return info.value
        finally:
            await provider.aclose()

    error = asyncio.run(case())
    assert not isinstance(error, TransientProviderError)
    assert "81058: An identical record already exists." in str(error)


def test_retry_after_forms() -> None:
    assert retry_after(httpx.Headers({"Retry-After": "7"})) == 7
    assert retry_after(httpx.Headers({})) is None
    assert retry_after(httpx.Headers({"Retry-After": "soon"})) is None
    later = email.utils.formatdate(time.time() + 100, usegmt=True)
    assert 95 < (retry_after(httpx.Headers({"Retry-After": later})) or 0) <= 100


def test_api_errors_flattens_chains() -> None:
    body = {
        "errors": [
            {
                "code": 6003,
                "message": "Invalid request headers",
                "error_chain": [{"code": 6111, "message": "Invalid format"}],
            }
        ]
    }
    assert api_errors(body) == [(6003, "Invalid request headers"), (6111, "Invalid format")]
    assert api_errors("not json") == []


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (81057, "The record already exists."),
        (81058, "An identical record already exists."),
        (81053, "An A, AAAA, or CNAME record with that host already exists."),
    ],
)
def test_rejected_batches_are_permanent_with_cloudflares_message(
    fake: CloudflareFake, zone: Zone, provider_factory: ProviderFactory, code: int, message: str
) -> None:
    fake.fail_next(Fault(400, code, message, operation="dns-records-for-a-zone-batch-dns-records"))

    async def case() -> ProviderError:
        provider = provider_factory()
        try:
            with pytest.raises(ProviderError) as info:
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
            return info.value
        finally:
            await provider.aclose()

    error = asyncio.run(case())
    assert not isinstance(error, TransientProviderError)
    assert str(error) == f"Cloudflare API HTTP 400: {code}: {message}"
    assert fake.records(fake_zone_id(fake)) == []


def fake_zone_id(fake: CloudflareFake) -> str:
    (zone_id,) = fake.zones
    return zone_id
