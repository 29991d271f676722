"""What is read from the PowerDNS API is bounded, a zone answer must look like a zone, and a
rejected record is named.

A 45 MB answer (from a server in a process of its own, so that only the adapter's memory is
measured) is refused as a MalformedAnswer, whether it declares its length or comes chunked,
and the process's peak RSS grows by far less than the answer. A valid-looking answer without
the zone's SOA, or for another zone, is a MalformedAnswer, never "no records".
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from failover_sync_powerdns import PowerDNSProvider

from failover_sync import MalformedAnswer, ProviderError, RRset, TransientProviderError, Zone
from failover_sync.testing import upsert
from failover_sync.testing.powerdns import PowerDNS
from failover_sync.testing.process import big_answer_server, peak_rss_growth

ANSWER_BYTES = 45 * 1024 * 1024
Make = Callable[..., PowerDNSProvider]
ZONE = Zone("x.test.", "pdns")


def _list_error(provider: PowerDNSProvider) -> ProviderError:
    return list_error(provider, [("a.x.test.", "A")])


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
    assert growth < 2 * 32 * 2**20 + 16 * 2**20


def test_a_smaller_limit_is_an_option(tmp_path: Path, pdns_provider: Make) -> None:
    with big_answer_server(tmp_path, 2 * 1024 * 1024) as url:
        error = list_error(
            pdns_provider(url=url, max_answer_bytes=1024 * 1024), [("a.x.test.", "A")]
        )
    assert isinstance(error, MalformedAnswer)
    assert "1048576-byte limit" in str(error)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"name": "x.test.", "rrsets": []}', "no SOA at x.test."),
        (
            b'{"name": "other.test.", "rrsets": [{"name": "other.test.", "type": "SOA", '
            b'"ttl": 60, "records": [{"content": "a. b. 1 2 3 4 5"}]}]}',
            "for zone other.test., not x.test.",
        ),
        (
            b'{"name": "x.test.", "rrsets": [{"name": "b.x.test.", "type": "A", "ttl": 60, '
            b'"records": [{"content": "192.0.2.1"}]}]}',
            "no SOA at x.test.",
        ),
    ],
    ids=["empty-but-valid", "another-zone", "filter-ignored-without-soa"],
)
def test_an_answer_that_is_not_this_zone_is_malformed(
    canned: ThreadingHTTPServer, pdns_provider: Make, body: bytes, expected: str
) -> None:
    """200 with empty rrsets (or another zone's data) is not "the records are gone"."""
    canned.answer = (200, body, {})  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{canned.server_address[1]}"
    error = _list_error(pdns_provider(url=url))
    assert isinstance(error, MalformedAnswer)
    assert expected in str(error)


def test_a_cname_conflict_is_a_permanent_error_naming_the_record(
    powerdns: PowerDNS, new_zone: Callable[[str], Zone], pdns_provider: Make
) -> None:
    """A foreign CNAME at a managed name: PowerDNS answers 422 for the whole PATCH; the error
    is permanent and names the record, so that the core can split the batch."""
    zone = new_zone("cname")
    app = f"app.{zone.name}"
    powerdns.replace(zone.name, app, "CNAME", 60, [f"elsewhere.{zone.name}"])
    provider = pdns_provider()

    async def case() -> ProviderError:
        try:
            with pytest.raises(ProviderError) as info:
                await provider.apply(
                    zone,
                    [
                        upsert(RRset.of(app, "A", 60, ["192.0.2.1"])),
                        upsert(RRset.of(f"api.{zone.name}", "A", 60, ["192.0.2.2"])),
                    ],
                )
            return info.value
        finally:
            await provider.aclose()

    error = asyncio.run(case())
    assert not isinstance(error, TransientProviderError)
    assert "HTTP 422" in str(error)
    assert app in str(error)
    assert powerdns.query(app, "CNAME") == (f"elsewhere.{zone.name}",)
    assert powerdns.query(f"api.{zone.name}", "A") == ()  # all-or-nothing: nothing written
