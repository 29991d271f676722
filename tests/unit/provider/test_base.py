"""The provider interface: retry policy and the entry-point loader."""

from __future__ import annotations

import asyncio

import pytest

from failover_sync.provider.base import (
    ProviderError,
    ProviderNotInstalled,
    RetryPolicy,
    TransientProviderError,
    load_provider_class,
)
from failover_sync.provider.zonefile import ZoneFileProvider

FAST = RetryPolicy(attempts=3, initial_seconds=0.001, max_seconds=0.05)


def calls_until(errors: list[Exception], policy: RetryPolicy = FAST) -> tuple[int, object]:
    count = 0

    async def fn() -> str:
        nonlocal count
        count += 1
        if errors:
            raise errors.pop(0)
        return "ok"

    result: object
    try:
        result = asyncio.run(policy.call(fn))
    except ProviderError as exc:
        result = exc
    return count, result


def test_transient_errors_are_retried_up_to_attempts() -> None:
    count, result = calls_until([TransientProviderError("503")] * 2)
    assert (count, result) == (3, "ok")
    count, result = calls_until([TransientProviderError("503")] * 5)
    assert count == 3
    assert isinstance(result, TransientProviderError)


def test_permanent_errors_are_not_retried() -> None:
    count, result = calls_until([ProviderError("bad key")])
    assert count == 1
    assert str(result) == "bad key"


def test_retry_after_is_honoured_but_a_lockout_is_not_waited_for() -> None:
    policy = RetryPolicy(attempts=3, initial_seconds=0.001, max_seconds=0.2)
    started = asyncio.run(_timed(policy, [TransientProviderError("429", retry_after=0.1)]))
    assert started >= 0.1
    count, result = calls_until([TransientProviderError("locked", retry_after=300)], policy)
    assert count == 1
    assert isinstance(result, TransientProviderError)


async def _timed(policy: RetryPolicy, errors: list[Exception]) -> float:
    loop = asyncio.get_running_loop()
    begin = loop.time()

    async def fn() -> None:
        if errors:
            raise errors.pop(0)

    await policy.call(fn)
    return loop.time() - begin


def test_loader_finds_the_embedded_provider_and_names_missing_ones() -> None:
    assert load_provider_class("zonefile") is ZoneFileProvider
    with pytest.raises(ProviderNotInstalled, match="pip install failover-sync-nosuch"):
        load_provider_class("nosuch")
