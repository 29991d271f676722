"""Malformed answers from the fake (injected raw bodies): truncated JSON, wrong types, HTML
pages with 200 and 502. Each ends in ProviderError (transient for 5xx), never another
exception type, and nothing is written."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.model import RRset, Zone
from failover_sync.testing import upsert
from providers.cloudflare.tests.cffake import CloudflareFake, Fault
from providers.cloudflare.tests.cfhelpers import ProviderFactory

APP = "app.example.test."
LIST = "dns-records-for-a-zone-list-dns-records"
BATCH = "dns-records-for-a-zone-batch-dns-records"
HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><hr>cloudflare</body></html>"
)


def envelope(result: Any, **extra: Any) -> bytes:
    return json.dumps(
        {"success": True, "errors": [], "messages": [], "result": result, **extra}
    ).encode()


def record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "0" * 31 + "1",
        "name": APP.rstrip("."),
        "type": "A",
        "content": "192.0.2.1",
        "ttl": 60,
        "proxied": False,
    }
    base.update(fields)
    return base


def page(result: Any) -> bytes:
    info = {"page": 1, "per_page": 100, "count": 1, "total_count": 1, "total_pages": 1}
    return envelope(result, result_info=info)


GOOD_LIST = page([record()])
LIST_CASES: dict[str, tuple[int, bytes, str, type[ProviderError]]] = {
    "truncated-json": (200, GOOD_LIST[: len(GOOD_LIST) // 2], "application/json", ProviderError),
    "content-a-number": (
        200,
        page([record(content=3221225985)]),
        "application/json",
        ProviderError,
    ),
    "ttl-a-string": (200, page([record(ttl="sixty")]), "application/json", ProviderError),
    "name-missing": (200, page([{"id": "x", "type": "A"}]), "application/json", ProviderError),
    "result-a-string": (200, page("192.0.2.1"), "application/json", ProviderError),
    "result-an-object": (200, page({"id": "x"}), "application/json", ProviderError),
    "result-null": (200, page(None), "application/json", ProviderError),
    "not-an-object": (200, b"[1, 2, 3]", "application/json", ProviderError),
    "html-200": (200, HTML_PAGE, "text/html", ProviderError),
    "html-200-as-json": (200, HTML_PAGE, "application/json", ProviderError),
    "html-502": (502, HTML_PAGE, "text/html", TransientProviderError),
}


def _check(error: ProviderError, expected: type[ProviderError], zone: Zone) -> None:
    assert isinstance(error, expected)
    if expected is ProviderError:
        assert not isinstance(error, TransientProviderError)
    assert error.provider == "cf"
    assert error.zone == zone.name


def _no_writes(fake: CloudflareFake, zone: Zone, *, batches: int = 0) -> None:
    """Every injected answer was served, ``batches`` batch calls were made (answered by the
    fault, not the store) and the zone holds no record."""
    assert not fake.faults
    assert fake.count(BATCH) == batches
    assert fake.records(str(zone.options["zone_id"])) == []


@pytest.mark.parametrize("case", list(LIST_CASES))
def test_malformed_list_answers_are_provider_errors(
    fake: CloudflareFake, zone: Zone, provider_factory: ProviderFactory, case: str
) -> None:
    status, body, content_type, expected = LIST_CASES[case]
    fake.fail_next(Fault(status, 0, "", operation=LIST, raw=body, content_type=content_type))

    async def run() -> ProviderError:
        provider = provider_factory()
        try:
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(zone, [(APP, "A")])
            return info.value
        finally:
            await provider.aclose()

    _check(asyncio.run(run()), expected, zone)
    _no_writes(fake, zone)


@pytest.mark.parametrize("case", ["truncated-json", "result-a-string", "html-200", "html-502"])
def test_malformed_read_before_a_write_writes_nothing(
    fake: CloudflareFake, zone: Zone, provider_factory: ProviderFactory, case: str
) -> None:
    status, body, content_type, expected = LIST_CASES[case]
    fake.fail_next(Fault(status, 0, "", operation=LIST, raw=body, content_type=content_type))

    async def run() -> ProviderError:
        provider = provider_factory()
        try:
            with pytest.raises(ProviderError) as info:
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
            return info.value
        finally:
            await provider.aclose()

    _check(asyncio.run(run()), expected, zone)
    _no_writes(fake, zone)


BATCH_CASES: dict[str, tuple[int, bytes, str, type[ProviderError]]] = {
    "truncated-json": (200, envelope({"posts": []})[:20], "application/json", ProviderError),
    "result-a-list": (200, envelope([1, 2]), "application/json", ProviderError),
    "html-200": (200, HTML_PAGE, "text/html", ProviderError),
    "html-502": (502, HTML_PAGE, "text/html", TransientProviderError),
}


@pytest.mark.parametrize("case", list(BATCH_CASES))
def test_malformed_batch_answers_are_provider_errors(
    fake: CloudflareFake, zone: Zone, provider_factory: ProviderFactory, case: str
) -> None:
    status, body, content_type, expected = BATCH_CASES[case]
    fake.fail_next(Fault(status, 0, "", operation=BATCH, raw=body, content_type=content_type))

    async def run() -> ProviderError:
        provider = provider_factory()
        try:
            with pytest.raises(ProviderError) as info:
                await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])
            return info.value
        finally:
            await provider.aclose()

    _check(asyncio.run(run()), expected, zone)
    _no_writes(fake, zone, batches=1)
