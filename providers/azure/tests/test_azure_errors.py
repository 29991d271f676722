"""Errors at the one boundary: 401/403/404 permanent with what to check, 429 and 5xx
transient with Retry-After, the client-side token bucket, azure-core's retries capped, and
options or credentials missing."""

from __future__ import annotations

import asyncio
import secrets
import socket
from pathlib import Path

import pytest
from azure.identity.aio import DefaultAzureCredential
from failover_sync_azure import AzureOptions, AzureProvider
from failover_sync_azure.client import bucket_for

from failover_sync import ProviderError, RetryPolicy, SecretUnavailable, TransientProviderError
from failover_sync.model import RRset, Zone
from failover_sync.testing import upsert
from failover_sync.testing.backends import BlackHole
from providers.azure.tests.azfake import AzureDnsFake, Fault
from providers.azure.tests.azhelpers import GROUP, SUBSCRIPTION, ProviderFactory, TestCredential

APP = "app.example.test."
LIST = "RecordSets_ListByType"


def read_error(provider: AzureProvider, zone: Zone) -> ProviderError:
    async def case() -> ProviderError:
        try:
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(zone, [(APP, "A")])
            return info.value
        finally:
            await provider.aclose()

    return asyncio.run(case())


def test_401_names_the_credential_chain_and_never_the_token(
    fake: AzureDnsFake, provider_factory: ProviderFactory, zone: Zone, tmp_path: Path
) -> None:
    secret = "unknown-token-value"
    options = provider_factory().options
    provider = AzureProvider("az", options, config_dir=tmp_path, credential=TestCredential(secret))
    error = read_error(provider, zone)
    assert not isinstance(error, TransientProviderError)
    assert "HTTP 401 InvalidAuthenticationToken" in str(error)
    assert "DefaultAzureCredential" in str(error)
    assert "example.test" in str(error)
    assert secret not in str(error)


def test_403_names_the_role_to_assign(
    fake: AzureDnsFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.grants = []
    error = read_error(provider_factory(), zone)
    assert not isinstance(error, TransientProviderError)
    assert "HTTP 403 AuthorizationFailed" in str(error)
    assert "Microsoft.Network/dnsZones/<TYPE>/read" in str(error)


def test_404_zone_names_subscription_group_and_zone(
    fake: AzureDnsFake, provider_factory: ProviderFactory
) -> None:
    provider = provider_factory()

    async def case() -> ProviderError:
        try:
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(
                    Zone("nowhere.test.", "az", {}), [("nowhere.test.", "A")]
                )
            return info.value
        finally:
            await provider.aclose()

    error = asyncio.run(case())
    assert not isinstance(error, TransientProviderError)
    assert "HTTP 404 ParentResourceNotFound" in str(error)
    assert "check subscription_id, resource_group and the zone name" in str(error)


def test_zone_entry_overrides_subscription_and_group(
    fake: AzureDnsFake, provider_factory: ProviderFactory
) -> None:
    other_sub, other_group = "00000000-0000-4000-8000-0000000000ff", "other-rg"
    other = fake.add_zone(other_sub, other_group, "other.test")
    fake.set_record(other, "A", "app", 60, ["192.0.2.7"])
    zone = Zone("other.test.", "az", {"subscription_id": other_sub, "resource_group": other_group})

    async def case() -> list[RRset]:
        provider = provider_factory()
        try:
            return await provider.list_rrsets(zone, [("app.other.test.", "A")])
        finally:
            await provider.aclose()

    assert asyncio.run(case()) == [RRset.of("app.other.test.", "A", 60, ["192.0.2.7"])]


def test_missing_subscription_is_a_clear_error(
    fake: AzureDnsFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    error = read_error(provider_factory(subscription_id=None), zone)
    assert "zone example.test.: no subscription_id: set it on provider az" in str(error)


def test_429_storm_is_transient_with_retry_after_and_blocks_the_bucket(
    fake: AzureDnsFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.fail_next(Fault(429, "TooManyRequests", "throttled", count=3, retry_after=0.3))

    async def case() -> None:
        provider = provider_factory()
        try:
            with pytest.raises(TransientProviderError) as info:
                await provider.list_rrsets(zone, [(APP, "A")])
            assert info.value.retry_after == pytest.approx(0.3)
            assert "HTTP 429 TooManyRequests" in str(info.value)
            sent = fake.count()
            # Blocked for the Retry-After: refused at once, nothing sent.
            with pytest.raises(TransientProviderError, match="ARM asked to wait") as blocked:
                await provider.list_rrsets(zone, [(APP, "A")])
            assert blocked.value.retry_after is not None
            assert 0 < blocked.value.retry_after <= 0.3
            assert fake.count() == sent
            # The core's retry policy waits out each Retry-After; nothing multiplies it.
            policy = RetryPolicy(attempts=5, initial_seconds=0.01, max_seconds=1.0)
            assert await policy.call(lambda: provider.list_rrsets(zone, [(APP, "A")])) == []
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert fake.count(LIST) == 4  # 3 throttled + 1 served; the blocked call never went out


@pytest.mark.parametrize("status", [500, 503])
def test_5xx_is_transient_and_sent_once(
    fake: AzureDnsFake, provider_factory: ProviderFactory, zone: Zone, status: int
) -> None:
    """azure-core's RetryPolicy would retry 5xx up to 10 times; retry_total=0 sends once."""
    fake.fail_next(Fault(status, "InternalServerError", "boom", count=5))
    error = read_error(provider_factory(), zone)
    assert isinstance(error, TransientProviderError)
    assert fake.count(LIST) == 1


def test_write_budget_refuses_before_sending(
    fake: AzureDnsFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    async def case() -> None:
        provider = provider_factory(writes_per_second=0.5, write_burst=1, max_wait_seconds=0)
        try:
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
            with pytest.raises(TransientProviderError, match="write budget") as info:
                await provider.apply(
                    zone, [upsert(RRset.of("api.example.test.", "A", 60, ["192.0.2.1"]))]
                )
            assert info.value.retry_after is not None
            assert info.value.retry_after > 1.0
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert fake.count("RecordSets_CreateOrUpdate") == 1


def test_the_bucket_waits_when_the_wait_is_short(
    fake: AzureDnsFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    """A call that finds the bucket empty waits for its token (here 1/4 s) and goes out."""
    principal = secrets.token_hex(4)

    async def case() -> None:
        provider = provider_factory(
            reads_per_second=4, read_burst=1, managed_identity_client_id=principal
        )
        try:
            for _ in range(3):
                assert await provider.list_rrsets(zone, [(APP, "A")]) == []
        finally:
            await provider.aclose()

    asyncio.run(case())
    bucket = bucket_for(SUBSCRIPTION, principal, "read", 4, 1)
    assert bucket.acquired == 3
    assert bucket.waited_seconds > 0
    assert fake.count(LIST) == 3


def test_connection_refused_is_transient(provider_factory: ProviderFactory, zone: Zone) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    error = read_error(provider_factory(base_url=f"https://127.0.0.1:{port}"), zone)
    assert isinstance(error, TransientProviderError)
    assert "connection to ARM failed" in str(error)


def test_token_variable_missing_is_named(
    fake: AzureDnsFake, zone: Zone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AZ_TEST_TOKEN", raising=False)
    options = AzureOptions(
        subscription_id=SUBSCRIPTION,
        resource_group=GROUP,
        base_url=fake.base_url,
        access_token_env="AZ_TEST_TOKEN",
    )
    error = read_error(AzureProvider("az", options, config_dir=tmp_path), zone)
    assert isinstance(error, SecretUnavailable)
    assert "$AZ_TEST_TOKEN" in str(error)


def test_default_credential_is_the_default(tmp_path: Path) -> None:
    async def case() -> None:
        options = AzureOptions(subscription_id=SUBSCRIPTION, resource_group=GROUP)
        provider = AzureProvider("az", options, config_dir=tmp_path)
        try:
            # Built, never asked for a token: no request leaves the machine.
            assert isinstance(provider.client._credential, DefaultAzureCredential)
        finally:
            await provider.aclose()

    asyncio.run(case())


def test_options_reject_bad_values() -> None:
    with pytest.raises(ValueError, match="subscription_id"):
        AzureOptions(subscription_id="not-a-guid")
    with pytest.raises(ValueError, match="base_url"):
        AzureOptions(base_url="http://127.0.0.1:1")
    with pytest.raises(ValueError, match="not both"):
        AzureOptions(access_token_env="A", access_token_file=Path("t"))
    with pytest.raises(ValueError, match="extra"):
        AzureOptions(client_secret="x")  # type: ignore[call-arg]


def test_a_timeout_is_transient(provider_factory: ProviderFactory, zone: Zone) -> None:
    """ARM accepts the connection and never answers (not even the TLS handshake)."""
    hole = BlackHole("127.0.0.1")
    try:
        provider = provider_factory(base_url=f"https://127.0.0.1:{hole.port}", timeout_seconds=0.3)
        error = read_error(provider, zone)
    finally:
        hole.close()
    assert isinstance(error, TransientProviderError)
    assert "connection to ARM failed" in str(error)
