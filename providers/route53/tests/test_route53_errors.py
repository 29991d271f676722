"""Errors over real HTTP: AWS error documents from a proxy in front of moto, and moto's own."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest
from failover_sync_route53.testing import (
    ACCESS_DENIED,
    PRIOR_REQUEST_NOT_COMPLETE,
    SERVICE_UNAVAILABLE,
    THROTTLING,
    Fault,
    FaultProxy,
)

from failover_sync import (
    ProviderError,
    RetryPolicy,
    RRset,
    StaleRRsetError,
    TransientProviderError,
    Zone,
)
from failover_sync.testing import upsert

from .conftest import provider_for

FAST_RETRY = RetryPolicy(attempts=3, initial_seconds=0.01, max_seconds=0.05)


def run(fn: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        await fn()

    asyncio.run(main())


def rrset(zone: Zone, value: str = "192.0.2.1") -> RRset:
    return RRset.of(f"app.{zone.name}", "A", 60, [value])


def test_one_throttling_is_absorbed_by_botocore(zone: Zone, proxy: FaultProxy) -> None:
    async def case() -> None:
        provider = provider_for(proxy.url)
        try:
            proxy.inject(THROTTLING)
            assert await provider.list_rrsets(zone, [rrset(zone).key]) == []
            assert [(c.operation, c.status) for c in proxy.calls] == [
                ("ListResourceRecordSets", 400),
                ("ListResourceRecordSets", 200),
            ]
        finally:
            await provider.aclose()

    run(case)


@pytest.mark.parametrize(
    "fault",
    [THROTTLING, PRIOR_REQUEST_NOT_COMPLETE, SERVICE_UNAVAILABLE],
    ids=["Throttling", "PriorRequestNotComplete", "503"],
)
def test_transient_write_errors_are_retried_by_the_core(
    zone: Zone, proxy: FaultProxy, fault: Fault
) -> None:
    async def case() -> None:
        provider = provider_for(proxy.url, botocore_max_attempts=1)
        try:
            wanted = rrset(zone)
            proxy.inject(Fault(fault.code, fault.status, fault.message, "ChangeResourceRecordSets"))
            with pytest.raises(TransientProviderError, match=fault.code):
                await provider.apply(zone, [upsert(wanted)])
            proxy.inject(*[Fault(fault.code, fault.status, fault.message)] * 2)
            await FAST_RETRY.call(lambda: provider.apply(zone, [upsert(wanted)]))
            assert await provider.list_rrsets(zone, [wanted.key]) == [wanted]
            assert proxy.count("ChangeResourceRecordSets") == 4
        finally:
            await provider.aclose()

    run(case)


def test_retry_after_is_passed_to_the_core(zone: Zone, proxy: FaultProxy) -> None:
    async def case() -> None:
        provider = provider_for(proxy.url, botocore_max_attempts=1)
        try:
            proxy.inject(Fault("ServiceUnavailable", 503, "busy", retry_after=3))
            with pytest.raises(TransientProviderError) as info:
                await provider.list_rrsets(zone, [rrset(zone).key])
            assert info.value.retry_after == 3.0
        finally:
            await provider.aclose()

    run(case)


def test_layers_multiply_as_documented(zone: Zone, proxy: FaultProxy) -> None:
    async def case() -> None:
        provider = provider_for(proxy.url, botocore_max_attempts=2)
        try:
            proxy.inject(*[THROTTLING] * 10)
            with pytest.raises(TransientProviderError, match="Throttling: Rate exceeded"):
                await FAST_RETRY.call(lambda: provider.list_rrsets(zone, [rrset(zone).key]))
            assert proxy.count() == 2 * FAST_RETRY.attempts
        finally:
            await provider.aclose()

    run(case)


def test_access_denied_is_permanent_with_aws_message(zone: Zone, proxy: FaultProxy) -> None:
    async def case() -> None:
        provider = provider_for(proxy.url)
        try:
            proxy.inject(ACCESS_DENIED)
            with pytest.raises(ProviderError) as info:
                await FAST_RETRY.call(lambda: provider.apply(zone, [upsert(rrset(zone))]))
            assert not isinstance(info.value, TransientProviderError)
            assert "AccessDenied" in str(info.value)
            assert "is not authorized to perform: route53:ChangeResourceRecordSets" in str(
                info.value
            )
            assert "IAM policy" in str(info.value)
            assert proxy.count() == 1  # neither botocore nor the core retried
            assert "dummy-secret" not in str(info.value)
        finally:
            await provider.aclose()

    run(case)


def test_invalid_change_batch_is_permanent(zone: Zone, moto_url: str) -> None:
    async def case() -> None:
        provider = provider_for(moto_url)
        try:
            outside = RRset.of("app.elsewhere.test.", "A", 60, ["192.0.2.1"])
            with pytest.raises(ProviderError, match="InvalidChangeBatch") as info:
                await provider.apply(zone, [upsert(outside)])
            assert not isinstance(info.value, TransientProviderError)
        finally:
            await provider.aclose()

    run(case)


def test_no_such_zone_is_permanent_for_writes_too(broken_zone: Zone, moto_url: str) -> None:
    async def case() -> None:
        provider = provider_for(moto_url)
        try:
            with pytest.raises(ProviderError, match="NoSuchHostedZone") as info:
                await provider.apply(broken_zone, [upsert(rrset(broken_zone))])
            assert not isinstance(info.value, TransientProviderError)
        finally:
            await provider.aclose()

    run(case)


def test_connection_refused_is_transient(zone: Zone) -> None:
    from failover_sync.testing.process import free_port

    async def case() -> None:
        provider = provider_for(f"http://127.0.0.1:{free_port()}", botocore_max_attempts=1)
        try:
            with pytest.raises(TransientProviderError, match="EndpointConnectionError"):
                await provider.list_rrsets(zone, [rrset(zone).key])
        finally:
            await provider.aclose()

    run(case)


def test_no_credentials_is_a_clear_permanent_error(
    zone: Zone, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")

    async def case() -> None:
        provider = provider_for(moto_url)
        try:
            with pytest.raises(ProviderError, match="no AWS credentials found") as info:
                await provider.list_rrsets(zone, [rrset(zone).key])
            assert not isinstance(info.value, TransientProviderError)
        finally:
            await provider.aclose()

    run(case)


def test_create_over_an_existing_rrset_is_stale(zone: Zone, moto_url: str) -> None:
    """A CREATE (before == ()) of an RRset that exists: InvalidChangeBatch "... but it
    already exists", classified StaleRRsetError (moto refuses a CREATE of the same values)."""

    async def case() -> None:
        provider = provider_for(moto_url)
        try:
            await provider.apply(zone, [upsert(rrset(zone))])
            with pytest.raises(StaleRRsetError, match="already exists") as info:
                await provider.apply(zone, [upsert(rrset(zone))])
            assert f"app.{zone.name}" in str(info.value)
        finally:
            await provider.aclose()

    run(case)
