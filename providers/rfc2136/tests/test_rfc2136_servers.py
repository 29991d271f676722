"""Refusals worded as what each real server's answer can mean: Knot (NOTAUTH + TSIG BADKEY for
a request its ACL does not grant, as for an unknown key) and PowerDNS as an RFC 2136 server
(plain NOTAUTH for a wrong secret, an unknown key, a key not allowed). Each server is started
by the harness; nothing is written by a refused UPDATE."""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from failover_sync_rfc2136 import RFC2136Options, RFC2136Provider

from failover_sync import ProviderError, StaleRRsetError, TransientProviderError
from failover_sync.model import RRset, Zone
from failover_sync.testing import upsert
from failover_sync.testing.knot import KnotServer, KnotZone, knot_server
from failover_sync.testing.powerdns import RFC2136_SETTINGS, PowerDNS, powerdns_server

APP = "app.example.test."
ZONE = Zone("example.test.", "dns")
KNOT_UPDATE_ONLY = """\
key:
  - id: failover-sync
    algorithm: hmac-sha256
    secret: <base64 secret>
acl:
  - id: update
    key: failover-sync
    action: update
zone:
  - domain: example.test
    acl: [update]
"""


def failure(call: Callable[[RFC2136Provider], Awaitable[object]], p: RFC2136Provider) -> str:
    async def case() -> ProviderError:
        try:
            with pytest.raises(ProviderError) as info:
                await call(p)
            return info.value
        finally:
            await p.aclose()

    error = asyncio.run(case())
    assert not isinstance(error, TransientProviderError)
    return str(error)


def write(p: RFC2136Provider) -> Awaitable[None]:
    return p.apply(ZONE, [upsert(RRset.of(APP, "A", 60, ["192.0.2.1"]))])


def read(p: RFC2136Provider) -> Awaitable[list[RRset]]:
    return p.list_rrsets(ZONE, [(APP, "A")])


def make(port: int, name: str, secret: str, read_mode: str = "axfr") -> RFC2136Provider:
    options = RFC2136Options(
        server="127.0.0.1",
        port=port,
        tsig_name=name,
        tsig_secret_env="RFC2136_TEST_SECRET",
        timeout_seconds=3.0,
        read=read_mode,
    )
    provider = RFC2136Provider("dns", options, config_dir=Path("."))
    provider.tsig(ZONE)  # loads the secret from the environment now
    return provider


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    return lambda value: monkeypatch.setenv("RFC2136_TEST_SECRET", value)


# -- Knot -------------------------------------------------------------------------------------


@pytest.fixture
def knot(tmp_path: Path) -> Iterator[KnotServer]:
    """Knot granting updates of every name to the key, and no transfer."""
    with knot_server(tmp_path / "k", [KnotZone("example.test")], sections=KNOT_UPDATE_ONLY) as s:
        yield s


def test_knot_transfer_not_granted_says_acl_or_unknown_key(
    knot: KnotServer, secret_env: Callable[[str], None]
) -> None:
    secret_env(knot.secret)
    text = failure(read, make(knot.port, "failover-sync", knot.secret))
    assert "Knot DNS answered NOTAUTH with TSIG error BADKEY" in text
    assert "action: transfer" in text
    assert "read: query" in text
    assert knot.secret not in text


def test_knot_unknown_key_is_worded_the_same_way(
    knot: KnotServer, secret_env: Callable[[str], None]
) -> None:
    secret_env(knot.secret)
    text = failure(write, make(knot.port, "other-key", knot.secret))
    assert "Knot DNS answered NOTAUTH with TSIG error BADKEY" in text
    assert "other-key. (hmac-sha256) is not known to the server" in text
    assert knot.query(APP, "A") == set()


def test_knot_refuses_a_create_over_an_existing_rrset(
    knot: KnotServer, secret_env: Callable[[str], None]
) -> None:
    """before == () is written with the prerequisite "RRset does not exist": YXRRSET."""
    secret_env(knot.secret)
    p = make(knot.port, "failover-sync", knot.secret, "query")

    async def case() -> None:
        try:
            await p.apply(ZONE, [upsert(RRset.of(APP, "A", 60, ["198.51.100.7"]))])
            with pytest.raises(StaleRRsetError, match="YXRRSET"):
                await write(p)
        finally:
            await p.aclose()

    asyncio.run(case())
    assert knot.query(APP, "A") == {"198.51.100.7"}


# -- PowerDNS as an RFC 2136 server ----------------------------------------------------------


@pytest.fixture(scope="module")
def pdns(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PowerDNS, str]]:
    """PowerDNS with dnsupdate=yes; zone example.test allows key failover-sync (update and
    AXFR), key ``stranger`` exists but is allowed nothing."""
    with powerdns_server(tmp_path_factory.mktemp("pdns2136"), RFC2136_SETTINGS) as server:
        server.create_zone("example.test")
        secret = base64.b64encode(secrets.token_bytes(32)).decode()
        server.allow_rfc2136("example.test", "failover-sync", secret)
        server.pdnsutil("import-tsig-key", "stranger", "hmac-sha256", secret)
        yield server, secret


def pdns_case(
    pdns: tuple[PowerDNS, str], secret_env: Callable[[str], None], name: str, wrong: bool
) -> tuple[PowerDNS, str, RFC2136Provider]:
    server, secret = pdns
    used = base64.b64encode(secrets.token_bytes(32)).decode() if wrong else secret
    secret_env(used)
    return server, used, make(server.dns_port, name, used)


@pytest.mark.parametrize(
    ("key", "wrong_secret", "call"),
    [
        ("failover-sync", True, write),
        ("unknown-key", False, write),
        ("failover-sync", True, read),
        ("stranger", False, read),
    ],
    ids=["wrong-secret", "unknown-key", "wrong-secret-axfr", "key-not-allowed-axfr"],
)
def test_powerdns_notauth_names_every_meaning(
    pdns: tuple[PowerDNS, str],
    secret_env: Callable[[str], None],
    key: str,
    wrong_secret: bool,
    call: Callable[[RFC2136Provider], Awaitable[object]],
) -> None:
    server, used, provider = pdns_case(pdns, secret_env, key, wrong_secret)
    text = failure(call, provider)
    assert "PowerDNS answered NOTAUTH" in text
    assert "(server: PowerDNS Authoritative Server 4." in text
    assert "a wrong secret" in text
    assert "it does not know" in text
    meta = "TSIG-ALLOW-AXFR" if call is read else "TSIG-ALLOW-DNSUPDATE"
    assert meta in text
    assert "pdnsutil get-meta example.test" in text
    assert used not in text
    assert server.query(APP, "A") == ()


def test_powerdns_key_not_allowed_to_update(
    pdns: tuple[PowerDNS, str], secret_env: Callable[[str], None]
) -> None:
    """A known key outside TSIG-ALLOW-DNSUPDATE: PowerDNS answers a signed REFUSED."""
    server, _used, provider = pdns_case(pdns, secret_env, "stranger", False)
    text = failure(write, provider)
    assert "REFUSED: PowerDNS (server: PowerDNS Authoritative Server 4." in text
    assert "TSIG-ALLOW-DNSUPDATE" in text
    assert "update-policy" not in text
    assert server.query(APP, "A") == ()


def test_powerdns_rfc2136_write_and_create_if_absent(
    pdns: tuple[PowerDNS, str], secret_env: Callable[[str], None]
) -> None:
    """The granted key writes; a create over an RRset that exists is refused (YXRRSET)."""
    server, secret = pdns
    secret_env(secret)
    p = make(server.dns_port, "failover-sync", secret)
    name = "created.example.test."

    async def case() -> None:
        try:
            first = RRset.of(name, "A", 60, ["192.0.2.5"])
            await p.apply(ZONE, [upsert(first)])
            assert await p.list_rrsets(ZONE, [first.key]) == [first]
            with pytest.raises(StaleRRsetError):
                await p.apply(ZONE, [upsert(RRset.of(name, "A", 60, ["192.0.2.6"]))])
        finally:
            await p.aclose()

    asyncio.run(case())
    assert server.query(name, "A") == ("192.0.2.5",)
