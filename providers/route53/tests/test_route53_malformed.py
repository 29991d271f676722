"""Malformed answers over real HTTP (a proxy in front of moto answers them instead): truncated
XML, wrong types, HTML pages with 200 and 502. Each ends in ProviderError (transient for 5xx),
never another exception type, and nothing is written."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from failover_sync_route53.testing import Fault, FaultProxy

from failover_sync import MalformedAnswer, ProviderError, RRset, TransientProviderError, Zone
from failover_sync.testing import upsert

from .conftest import provider_for

LIST = "ListResourceRecordSets"
CHANGE = "ChangeResourceRecordSets"
HTML_PAGE = b"<html><body><h1>Bad Gateway</h1><p>nginx</p></body></html>"
"""Well-formed enough to parse as XML: botocore finds no field in it."""
HTML_LOOSE = (
    b'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>Error</title></head>'
    b"<body><p>Something went wrong<br></body></html>"
)
"""Not XML at all (a void element, an unclosed tag)."""


def _record_set(name: str, inner: str) -> str:
    return (
        f"<ResourceRecordSet><Name>{name}</Name><Type>A</Type>{inner}"
        "<ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord>"
        "</ResourceRecords></ResourceRecordSet>"
    )


def list_answer(name: str, inner: str = "<TTL>60</TTL>", *, cut: int | None = None) -> bytes:
    """A ListResourceRecordSets document with one A record at ``name`` (``inner``: its TTL
    element), cut after ``cut`` bytes when given."""
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<ListResourceRecordSetsResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
        f"<ResourceRecordSets>{_record_set(name, inner)}</ResourceRecordSets>"
        "<IsTruncated>false</IsTruncated><MaxItems>300</MaxItems>"
        "</ListResourceRecordSetsResponse>"
    ).encode()
    return body if cut is None else body[:cut]


def app(zone: Zone) -> str:
    return f"app.{zone.name}"


def permanent(status: int, body: bytes, content_type: str = "text/xml") -> list[Fault]:
    return [Fault(status=status, raw=body, content_type=content_type)]


def transient_html() -> list[Fault]:
    """botocore retries a 502 once (``botocore_max_attempts`` 2): both attempts get it."""
    return [Fault(status=502, raw=HTML_LOOSE, content_type="text/html")] * 2


def _for(operation: str, faults: list[Fault]) -> list[Fault]:
    return [
        Fault(status=f.status, raw=f.raw, content_type=f.content_type, operation=operation)
        for f in faults
    ]


LIST_CASES: dict[str, tuple[list[Fault], type[ProviderError]]] = {
    "truncated-xml": (permanent(200, b""), ProviderError),  # body set per zone below
    "missing-ttl": (permanent(200, b""), ProviderError),
    "ttl-not-a-number": (permanent(200, b""), ProviderError),
    "html-200-wellformed": (permanent(200, HTML_PAGE, "text/html"), ProviderError),
    "html-200": (permanent(200, HTML_LOOSE, "text/html"), ProviderError),
    "html-502": (transient_html(), TransientProviderError),
    # 200 with a valid listing that lacks the SOA every hosted zone has: not "no records".
    "empty-but-valid": (permanent(200, b""), MalformedAnswer),
    "records-without-soa": (permanent(200, b""), MalformedAnswer),
}


def _list_faults(case: str, zone: Zone) -> list[Fault]:
    name = app(zone)
    bodies = {
        "truncated-xml": list_answer(name, cut=len(list_answer(name)) // 2),
        "missing-ttl": list_answer(name, ""),
        "ttl-not-a-number": list_answer(name, "<TTL>sixty</TTL>"),
        "empty-but-valid": list_answer(name).replace(
            _record_set(name, "<TTL>60</TTL>").encode(), b""
        ),
        "records-without-soa": list_answer(name),
    }
    faults = LIST_CASES[case][0]
    if case in bodies:
        faults = [Fault(status=200, raw=bodies[case])]
    return _for(LIST, faults)


def _no_writes(proxy: FaultProxy, r53: Any, zone: Zone) -> None:
    assert not [c for c in proxy.calls if c.operation == CHANGE and not c.fault]
    records = r53.list_resource_record_sets(HostedZoneId=zone.options["hosted_zone_id"])
    assert {r["Type"] for r in records["ResourceRecordSets"]} == {"SOA", "NS"}


@pytest.mark.parametrize("case", list(LIST_CASES))
def test_malformed_list_answers_are_provider_errors(
    zone: Zone, proxy: FaultProxy, r53: Any, case: str
) -> None:
    async def run() -> ProviderError:
        provider = provider_for(proxy.url)
        try:
            proxy.inject(*_list_faults(case, zone))
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(zone, [(app(zone), "A")])
            return info.value
        finally:
            await provider.aclose()

    error = asyncio.run(run())
    expected = LIST_CASES[case][1]
    assert isinstance(error, expected)
    if expected is MalformedAnswer:
        assert "has no SOA at" in str(error)
    if expected is ProviderError:
        assert not isinstance(error, TransientProviderError)
    assert error.provider == "aws"
    assert error.zone == zone.name
    assert not proxy.faults  # every injected answer was served
    _no_writes(proxy, r53, zone)


WRITE_CASES: dict[str, tuple[list[Fault], type[ProviderError]]] = {
    "truncated-xml": (
        permanent(200, b'<?xml version="1.0"?>\n<ChangeResourceRecordSetsResponse><Chan'),
        ProviderError,
    ),
    "change-info-missing": (
        permanent(200, b'<?xml version="1.0"?>\n<ChangeResourceRecordSetsResponse/>'),
        ProviderError,
    ),
    "html-200-wellformed": (permanent(200, HTML_PAGE, "text/html"), ProviderError),
    "html-200": (permanent(200, HTML_LOOSE, "text/html"), ProviderError),
    "html-502": (transient_html(), TransientProviderError),
}


@pytest.mark.parametrize("case", list(WRITE_CASES))
def test_malformed_write_answers_are_provider_errors(
    zone: Zone, proxy: FaultProxy, r53: Any, case: str
) -> None:
    faults, expected = WRITE_CASES[case]

    async def run() -> ProviderError:
        provider = provider_for(proxy.url)
        try:
            proxy.inject(*_for(CHANGE, faults))
            with pytest.raises(ProviderError) as info:
                await provider.apply(zone, [upsert(RRset.of(app(zone), "A", 60, ["192.0.2.1"]))])
            return info.value
        finally:
            await provider.aclose()

    error = asyncio.run(run())
    assert isinstance(error, expected)
    if expected is ProviderError:
        assert not isinstance(error, TransientProviderError)
    assert not proxy.faults
    _no_writes(proxy, r53, zone)


def test_malformed_sync_status_is_a_provider_error(zone: Zone, proxy: FaultProxy, r53: Any) -> None:
    """A GetChange answer without ChangeInfo (after an accepted write) is a ProviderError."""

    async def run() -> ProviderError:
        provider = provider_for(proxy.url, wait_for_sync=True)
        try:
            proxy.inject(Fault(status=200, raw=HTML_PAGE, operation="GetChange"))
            with pytest.raises(ProviderError) as info:
                await provider.apply(zone, [upsert(RRset.of(app(zone), "A", 60, ["192.0.2.1"]))])
            return info.value
        finally:
            await provider.aclose()

    assert not isinstance(asyncio.run(run()), TransientProviderError)
