"""The provider interface: retry policy and the entry-point loader."""

from __future__ import annotations

import asyncio

import pytest

from failover_sync.errors import ProviderError, ProviderNotInstalled, TransientProviderError
from failover_sync.provider.loader import load_provider_class
from failover_sync.provider.retry import RetryPolicy
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
    assert load_provider_class("ZoneFile") is ZoneFileProvider  # any case, like every enum
    with pytest.raises(ProviderNotInstalled) as unknown:
        load_provider_class("nosuch")
    assert "pip install" not in str(unknown.value)  # never a name nobody owns
    with pytest.raises(ProviderNotInstalled, match="did you mean 'zonefile'"):
        load_provider_class("zonfile")


def test_loader_names_the_distribution_of_a_published_adapter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("importlib.metadata.entry_points", lambda group: [])
    with pytest.raises(ProviderNotInstalled, match="pip install failover-sync-akamai"):
        load_provider_class("akamai")
