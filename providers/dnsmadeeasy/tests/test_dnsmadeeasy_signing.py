"""Request signing: the official test vector, the headers sent, and the fake's checks of them
(a wrong secret, a skewed clock, missing headers) ending as permanent errors that name what to
check and never a key."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import hmac
from pathlib import Path

import httpx
import pytest
from failover_sync_dnsmadeeasy.signing import DnsMadeEasyAuth, http_date, signature

from failover_sync import ProviderError, TransientProviderError
from failover_sync.model import Zone
from providers.dnsmadeeasy.tests.dmefake import DnsMadeEasyFake
from providers.dnsmadeeasy.tests.dmehelpers import ProviderFactory

# DNS Made Easy API V2.0 documentation p. 8 (API.md "Authentication": official test vector).
VECTOR_SECRET = "c9b5625f-9834-4ff8-baba-4ed5f32cae55"
VECTOR_DATE = "Sat, 12 Feb 2011 20:59:04 GMT"
VECTOR_HMAC = "b3502e6116a324f3cf4a8ed693d78bcee8d8fe3c"


def test_official_test_vector() -> None:
    assert signature(VECTOR_SECRET, VECTOR_DATE) == VECTOR_HMAC


def test_http_date_is_an_imf_fixdate() -> None:
    assert http_date(1297544344) == VECTOR_DATE


def test_auth_sets_the_three_headers_with_a_fresh_date() -> None:
    auth = DnsMadeEasyAuth(
        "1c1a3c91-4770-4ce7-96f4-54c0eb0e457a", VECTOR_SECRET, clock=lambda: 1297544344
    )
    request = httpx.Request("GET", "http://127.0.0.1/V2.0/dns/managed/")
    signed = next(auth.auth_flow(request))
    assert signed.headers["x-dnsme-apiKey"] == "1c1a3c91-4770-4ce7-96f4-54c0eb0e457a"
    assert signed.headers["x-dnsme-requestDate"] == VECTOR_DATE
    assert signed.headers["x-dnsme-hmac"] == VECTOR_HMAC
    assert VECTOR_SECRET not in repr(auth)


def _raw_get(fake: DnsMadeEasyFake, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client() as client:
        return client.get(f"{fake.base_url}/dns/managed/", headers=headers)


def test_fake_accepts_other_date_forms_and_checks_the_string_as_sent(fake: DnsMadeEasyFake) -> None:
    api_key, secret = fake.add_account()
    now = email.utils.formatdate(usegmt=True).replace(" GMT", " +0000")  # S1's form
    mac = hmac.new(secret.encode(), now.encode(), hashlib.sha1).hexdigest()
    ok = _raw_get(
        fake, {"x-dnsme-apiKey": api_key, "x-dnsme-requestDate": now, "x-dnsme-hmac": mac}
    )
    assert ok.status_code == 200
    assert ok.headers["x-dnsme-requestLimit"] == "150"
    other = now.replace(" +0000", " GMT")  # the same instant, another string: HMAC differs
    bad = _raw_get(
        fake, {"x-dnsme-apiKey": api_key, "x-dnsme-requestDate": other, "x-dnsme-hmac": mac}
    )
    assert (bad.status_code, bad.json()) == (403, {"error": ["Unable to verify HMAC"]})
    missing = _raw_get(fake, {"x-dnsme-apiKey": api_key, "x-dnsme-requestDate": now})
    assert (missing.status_code, missing.json()) == (403, {"error": ["Missing API key or HMAC"]})


def _read(provider_factory: ProviderFactory, zone: Zone) -> ProviderError:
    async def case() -> ProviderError:
        provider = provider_factory()
        try:
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(zone, [("app.example.test.", "A")])
            return info.value
        finally:
            await provider.aclose()

    return asyncio.run(case())


def test_wrong_secret_is_permanent_and_names_the_keys(
    provider_factory: ProviderFactory, zone: Zone, tmp_path: Path, account: tuple[str, str]
) -> None:
    (tmp_path / "dme-secret-key").write_text("not-the-secret\n")
    error = _read(provider_factory, zone)
    assert not isinstance(error, TransientProviderError)
    assert "HTTP 403" in str(error)
    assert "Unable to verify HMAC" in str(error)
    assert "secret_key" in str(error)
    assert "domain example.test." in str(error)
    assert account[0] not in str(error)
    assert account[1] not in str(error)


def test_unknown_api_key_is_permanent(
    provider_factory: ProviderFactory, zone: Zone, tmp_path: Path
) -> None:
    (tmp_path / "dme-api-key").write_text("00000000-0000-0000-0000-000000000000\n")
    error = _read(provider_factory, zone)
    assert not isinstance(error, TransientProviderError)
    assert "HTTP 403" in str(error)


@pytest.mark.parametrize(("offset", "refused"), [(20.0, False), (-45.0, True), (45.0, True)])
def test_clock_skew_of_30_s_or_more_is_refused(
    fake: DnsMadeEasyFake,
    provider_factory: ProviderFactory,
    zone: Zone,
    offset: float,
    refused: bool,
) -> None:
    fake.clock_offset = offset
    if not refused:

        async def case() -> None:
            provider = provider_factory()
            try:
                assert await provider.list_rrsets(zone, [("app.example.test.", "A")]) == []
            finally:
                await provider.aclose()

        asyncio.run(case())
        assert fake.calls[-1].status == 200
        return
    error = _read(provider_factory, zone)
    assert not isinstance(error, TransientProviderError)
    assert "too far out of sync" in str(error)
    assert "clock" in str(error)
