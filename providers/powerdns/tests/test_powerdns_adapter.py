"""Unit tests of the adapter's pure parts (options, wire format, error classification) and of
its behaviour against the real server and against canned faulty answers."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from failover_sync_powerdns import (
    PowerDNSOptions,
    PowerDNSProvider,
    classify,
    parse_rrsets,
    patch_body,
    zone_id,
)
from failover_sync_powerdns.options import load_api_key
from failover_sync_powerdns.wire import MalformedAnswer
from pydantic import ValidationError

import failover_sync
from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.model import Action, Change, RRset, Zone
from failover_sync.testing import upsert
from failover_sync.testing.powerdns import PowerDNS

REQUEST = httpx.Request("GET", "http://127.0.0.1:1/api/v1/servers/localhost/zones/x.test.")


def response(
    status: int, body: bytes = b"", headers: dict[str, str] | None = None
) -> httpx.Response:
    return httpx.Response(status, content=body, headers=headers, request=REQUEST)


# --- options -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        {"url": "http://h:8081"},
        {"url": "http://h:8081", "api_key_env": "K", "api_key_file": "k"},
        {"url": "ftp://h", "api_key_env": "K"},
        {"url": "http://h", "api_key_env": "K", "api_key": "secret"},
        {"url": "http://h", "api_key_env": "K", "timeout_seconds": 0},
    ],
)
def test_invalid_options(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        PowerDNSOptions.model_validate(raw)


def test_url_is_normalised() -> None:
    options = PowerDNSOptions.model_validate({"url": "http://h:8081/api/v1/", "api_key_env": "K"})
    assert options.url == "http://h:8081"
    assert options.server_id == "localhost"


def test_api_key_from_env_and_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PDNS_TEST_KEY", " s3cret \n")
    by_env = PowerDNSOptions.model_validate({"url": "http://h", "api_key_env": "PDNS_TEST_KEY"})
    key = load_api_key(by_env, tmp_path, provider="p")
    assert key.get_secret_value() == "s3cret"
    assert "s3cret" not in repr(key)
    assert "s3cret" not in str(key)
    (tmp_path / "key").write_text("filekey\n")
    by_file = PowerDNSOptions.model_validate({"url": "http://h", "api_key_file": "key"})
    assert load_api_key(by_file, tmp_path, provider="p").get_secret_value() == "filekey"


def test_missing_api_key_is_a_permanent_error_naming_the_source(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PDNS_ABSENT_KEY", raising=False)
    by_env = PowerDNSOptions.model_validate({"url": "http://h", "api_key_env": "PDNS_ABSENT_KEY"})
    with pytest.raises(ProviderError, match=r"\$PDNS_ABSENT_KEY is not set"):
        load_api_key(by_env, tmp_path, provider="p")
    by_file = PowerDNSOptions.model_validate({"url": "http://h", "api_key_file": "nope"})
    with pytest.raises(ProviderError, match="cannot read the PowerDNS API key file"):
        load_api_key(by_file, tmp_path, provider="p")


# --- wire format -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("example.test.", "example.test."),
        ("my_zone.example.", "my=5Fzone.example."),
        ("a/b.example.", "a=2Fb.example."),
        (".", "=2E"),
    ],
)
def test_zone_id(name: str, expected: str) -> None:
    assert zone_id(name) == expected


def test_parse_rrsets_is_canonical_and_skips_disabled_records() -> None:
    body = b"""{"name": "x.test.", "rrsets": [
      {"name": "App.X.test.", "type": "A", "ttl": 30, "comments": [],
       "records": [{"content": "192.0.2.2", "disabled": false},
                   {"content": "192.0.2.1", "disabled": false},
                   {"content": "192.0.2.9", "disabled": true}]},
      {"name": "off.x.test.", "type": "A", "ttl": 30,
       "records": [{"content": "192.0.2.3", "disabled": true}]}]}"""
    assert parse_rrsets(body) == [RRset.of("app.x.test.", "A", 30, ["192.0.2.1", "192.0.2.2"])]


@pytest.mark.parametrize(
    "body", [b"not json", b"[]", b'{"rrsets": [{"name": "a."}]}', b'{"rrsets": "x"}']
)
def test_parse_rrsets_rejects_malformed_answers(body: bytes) -> None:
    with pytest.raises(MalformedAnswer):
        parse_rrsets(body)


def test_patch_body_replaces_every_change_in_one_body() -> None:
    a = RRset.of("a.x.test", "A", 30, ["192.0.2.1"])
    b = RRset.of("b.x.test", "AAAA", 60, ["2001:db8::1", "2001:db8::2"])
    body = patch_body([upsert(a), upsert(b)])
    assert body == {
        "rrsets": [
            {
                "name": "a.x.test.",
                "type": "A",
                "ttl": 30,
                "changetype": "REPLACE",
                "records": [{"content": "192.0.2.1", "disabled": False}],
            },
            {
                "name": "b.x.test.",
                "type": "AAAA",
                "ttl": 60,
                "changetype": "REPLACE",
                "records": [
                    {"content": "2001:db8::1", "disabled": False},
                    {"content": "2001:db8::2", "disabled": False},
                ],
            },
        ]
    }
    assert all("comments" not in rrset for rrset in body["rrsets"])


@pytest.mark.parametrize(
    "change",
    [
        Change(Action.DELETE, "a.x.test.", "A", 30, ("192.0.2.1",), (), "gone"),
        Change(Action.UPSERT, "a.x.test.", "A", 30, ("192.0.2.1",), (), "empty"),
    ],
)
def test_patch_body_never_deletes(change: Change) -> None:
    with pytest.raises(ValueError, match="never deletes"):
        patch_body([change])


# --- error classification ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "needle"),
    [
        (401, b"Unauthorized", "API key is wrong"),
        (403, b"Forbidden", "API key is wrong"),
        (404, b"Not Found", "no such zone"),
        (422, b'{"error": "RRset x.other. IN A: Name is out of zone"}', "Name is out of zone"),
        (400, b'{"error": "bad request"}', "bad request"),
    ],
)
def test_client_errors_are_permanent_with_the_server_message(
    status: int, body: bytes, needle: str
) -> None:
    error = classify(response(status, body), provider="p", zone="x.test.")
    assert type(error) is ProviderError
    assert needle in str(error)
    assert f"HTTP {status}" in str(error)
    assert (error.provider, error.zone) == ("p", "x.test.")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_server_errors_are_transient(status: int) -> None:
    error = classify(response(status, b"busy"))
    assert isinstance(error, TransientProviderError)
    assert error.retry_after is None


def test_retry_after_seconds_and_date() -> None:
    error = classify(response(503, headers={"Retry-After": "7"}))
    assert isinstance(error, TransientProviderError)
    assert error.retry_after == 7.0
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    error = classify(response(429, headers={"Retry-After": later}))
    assert isinstance(error, TransientProviderError)
    assert error.retry_after is not None
    assert 25 <= error.retry_after <= 31
    error = classify(response(503, headers={"Retry-After": "soon"}))
    assert isinstance(error, TransientProviderError)
    assert error.retry_after is None


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("connection refused", request=REQUEST),
        httpx.ReadError("connection reset", request=REQUEST),
        httpx.RemoteProtocolError("server disconnected", request=REQUEST),
        httpx.ConnectTimeout("timed out", request=REQUEST),
        httpx.ReadTimeout("timed out", request=REQUEST),
        httpx.PoolTimeout("timed out", request=REQUEST),
    ],
)
def test_network_errors_are_transient(exc: httpx.HTTPError) -> None:
    error = classify(exc)
    assert isinstance(error, TransientProviderError)
    assert "PowerDNS GET /api/v1/servers/localhost/zones/x.test." in str(error)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.UnsupportedProtocol("no", request=REQUEST),
        httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] bad cert", request=REQUEST),
        httpx.DecodingError("bad gzip", request=REQUEST),
    ],
)
def test_unfixable_request_errors_are_permanent(exc: httpx.HTTPError) -> None:
    assert type(classify(exc)) is ProviderError


# --- against the real server -------------------------------------------------------------

Make = Callable[..., PowerDNSProvider]


def test_wrong_key_is_permanent_and_never_shows_a_key(
    pdns_provider: Make, new_zone: Callable[[str], Zone], powerdns: PowerDNS, tmp_path: Path
) -> None:
    zone = new_zone("badkey")
    (tmp_path / "wrong").write_text("wrong-key-value\n")
    provider = pdns_provider(api_key_file="wrong")

    async def case() -> ProviderError:
        try:
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(zone, [(f"app.{zone.name}", "A")])
            return info.value
        finally:
            await provider.aclose()

    error = asyncio.run(case())
    assert not isinstance(error, TransientProviderError)
    assert "HTTP 401" in str(error)
    assert "Unauthorized" in str(error)
    assert "wrong-key-value" not in str(error)
    assert powerdns.api_key not in str(error)


def test_comments_and_neighbours_are_kept(
    pdns_provider: Make, new_zone: Callable[[str], Zone], powerdns: PowerDNS
) -> None:
    zone = new_zone("comments")
    app = f"app.{zone.name}"
    comment = {"content": "owned by failover-sync", "account": "ops", "modified_at": 1}
    powerdns.api(
        "PATCH",
        f"/zones/{zone.name}",
        {
            "rrsets": [
                {"name": app, "type": "A", "ttl": 60, "changetype": "REPLACE",
                 "records": [{"content": "192.0.2.1", "disabled": False}],
                 "comments": [comment]},
                {"name": app, "type": "TXT", "ttl": 60, "changetype": "REPLACE",
                 "records": [{"content": '"hello"', "disabled": False}]},
            ]
        },
    )  # fmt: skip
    provider = pdns_provider()

    async def case() -> None:
        try:
            live = await provider.list_rrsets(zone, [(app, "A")])
            await provider.apply(zone, [upsert(RRset.of(app, "A", 30, ["192.0.2.2"]), live[0])])
        finally:
            await provider.aclose()

    asyncio.run(case())
    by_key = {(r["name"], r["type"]): r for r in powerdns.rrsets(zone.name)}
    assert by_key[(app, "A")]["records"] == [{"content": "192.0.2.2", "disabled": False}]
    assert by_key[(app, "A")]["ttl"] == 30
    assert [c["content"] for c in by_key[(app, "A")]["comments"]] == ["owned by failover-sync"]
    assert by_key[(app, "TXT")]["records"] == [{"content": '"hello"', "disabled": False}]


def test_a_rejected_batch_changes_nothing(
    pdns_provider: Make, new_zone: Callable[[str], Zone], powerdns: PowerDNS
) -> None:
    zone = new_zone("atomic")
    good = RRset.of(f"app.{zone.name}", "A", 30, ["192.0.2.1"])
    bad = RRset.of("app.elsewhere.test.", "A", 30, ["192.0.2.1"])
    provider = pdns_provider()

    async def case() -> None:
        try:
            with pytest.raises(ProviderError, match="out of zone") as info:
                await provider.apply(zone, [upsert(good), upsert(bad)])
            assert not isinstance(info.value, TransientProviderError)
            assert await provider.list_rrsets(zone, [good.key]) == []
        finally:
            await provider.aclose()

    asyncio.run(case())
    assert powerdns.query(good.name) == ()


def test_many_names_are_read_with_one_zone_get(
    pdns_provider: Make, new_zone: Callable[[str], Zone]
) -> None:
    zone = new_zone("many")
    rrsets = [RRset.of(f"h{i}.{zone.name}", "A", 30, [f"192.0.2.{i}"]) for i in range(1, 16)]
    provider = pdns_provider()

    async def case() -> None:
        try:
            await provider.apply(zone, [upsert(r) for r in rrsets])
            asked = [r.key for r in rrsets[:12]] + [(f"nothing.{zone.name}", "A")]
            assert await provider.list_rrsets(zone, asked) == sorted(rrsets[:12], key=str)
            few = [rrsets[0].key, (rrsets[0].name, "AAAA"), rrsets[1].key]
            assert await provider.list_rrsets(zone, few) == [rrsets[0], rrsets[1]]
        finally:
            await provider.aclose()

    asyncio.run(case())


# --- against faulty servers --------------------------------------------------------------


def _list_error(provider: PowerDNSProvider) -> ProviderError:
    async def case() -> ProviderError:
        try:
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(Zone("x.test.", "pdns"), [("a.x.test.", "A")])
            return info.value
        finally:
            await provider.aclose()

    return asyncio.run(case())


@pytest.mark.parametrize("body", [b"<html>proxy page</html>", b'{"rrsets": [{"name": 1}]}'])
def test_malformed_answer_is_permanent(
    canned: ThreadingHTTPServer, pdns_provider: Make, body: bytes
) -> None:
    canned.answer = (200, body, {})  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{canned.server_address[1]}"
    error = _list_error(pdns_provider(url=url))
    assert isinstance(error, failover_sync.MalformedAnswer)
    assert not isinstance(error, TransientProviderError)
    assert "malformed answer" in str(error)


def test_503_with_retry_after_is_transient(
    canned: ThreadingHTTPServer, pdns_provider: Make
) -> None:
    canned.answer = (503, b'{"error": "backend down"}', {"Retry-After": "2"})  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{canned.server_address[1]}"
    error = _list_error(pdns_provider(url=url))
    assert isinstance(error, TransientProviderError)
    assert error.retry_after == 2.0
    assert "backend down" in str(error)


def test_refused_and_hanging_servers_are_transient(pdns_provider: Make) -> None:
    with socket.socket() as refused:
        refused.bind(("127.0.0.1", 0))
        port = refused.getsockname()[1]  # bound, not listening: connections are refused
        error = _list_error(pdns_provider(url=f"http://127.0.0.1:{port}"))
    assert isinstance(error, TransientProviderError)
    with socket.socket() as hanging:
        hanging.bind(("127.0.0.1", 0))
        hanging.listen(8)  # never accepted: the kernel completes the connect, no answer comes
        port = hanging.getsockname()[1]
        error = _list_error(pdns_provider(url=f"http://127.0.0.1:{port}", timeout_seconds=0.2))
    assert isinstance(error, TransientProviderError)
    assert "timeout" in str(error)
