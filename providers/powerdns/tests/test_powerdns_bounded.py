"""What is read from the PowerDNS API is bounded, and a zone answer must look like a zone.

A 45 MB answer (from a server in a process of its own, so that only the adapter's memory is
measured) is refused as a MalformedAnswer, whether it declares its length or comes chunked,
and the process's peak RSS grows by far less than the answer. A valid-looking answer without
the zone's SOA, or for another zone, is a MalformedAnswer, never "no records".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from failover_sync_powerdns import PowerDNSProvider

from failover_sync import MalformedAnswer, ProviderError, Zone
from failover_sync.testing.process import big_answer_server, peak_rss_growth

ANSWER_BYTES = 45 * 1024 * 1024
Make = Callable[..., PowerDNSProvider]
ZONE = Zone("x.test.", "pdns")


def list_error(provider: PowerDNSProvider, keys: list[tuple[str, str]]) -> ProviderError:
    async def case() -> ProviderError:
        try:
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(ZONE, keys)
            return info.value
        finally:
            await provider.aclose()

    return asyncio.run(case())


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_45_mb_answer_is_malformed_and_memory_stays_low(
    tmp_path: Path, pdns_provider: Make, chunked: bool
) -> None:
    with big_answer_server(tmp_path, ANSWER_BYTES, chunked=chunked) as url:
        provider = pdns_provider(url=url, timeout_seconds=60)
        errors: list[ProviderError] = []
        growth = peak_rss_growth(lambda: errors.append(list_error(provider, [("a.x.test.", "A")])))
    (error,) = errors
    assert isinstance(error, MalformedAnswer)
    assert "limit" in str(error)
    print(
        f"peak RSS growth reading a 45 MB answer ({'chunked' if chunked else 'length'}): "
        f"{growth / 2**20:.1f} MiB"
    )
    # Two GETs run at once (the name and the apex SOA), each read up to the 32 MiB limit and
    # then dropped: the peak stays under both limits (the unbounded read took 1.2 GB).
    assert growth < 2 * 32 * 2**20 + 8 * 2**20


def test_a_smaller_limit_is_an_option(tmp_path: Path, pdns_provider: Make) -> None:
    with big_answer_server(tmp_path, 2 * 1024 * 1024) as url:
        error = list_error(
            pdns_provider(url=url, max_answer_bytes=1024 * 1024), [("a.x.test.", "A")]
        )
    assert isinstance(error, MalformedAnswer)
    assert "1048576-byte limit" in str(error)
