"""The adapter against a real BIND 9: compare-and-swap, refusals that write nothing, message
splitting, network failures. One fresh ``named`` per test (see conftest.py)."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import dns.rcode
import pytest
from failover_sync_rfc2136 import RFC2136Options, RFC2136Provider
from failover_sync_rfc2136.errors import Context, from_rcode

from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.model import RRset, Zone
from failover_sync.provider.retry import RetryPolicy
from failover_sync.testing import upsert
from failover_sync.testing.bind import BindServer

ZONE = Zone("example.test.", "bind")
APP = "app.example.test."
MakeRFC2136 = Callable[..., RFC2136Provider]
OTHER_SECRET = "d4I5AbH7uyUS5SXStX29url/dhfNPUSHCNBwY2Zi/Jc="


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        await coro_fn()

    asyncio.run(main())


def failure(provider: RFC2136Provider, call: Callable[[], Awaitable[object]]) -> ProviderError:
    """The ProviderError that ``call`` raises (closing the provider after)."""
    caught: list[ProviderError] = []

    async def case() -> None:
        try:
            await call()
        except ProviderError as exc:
            caught.append(exc)
        finally:
            await provider.aclose()

    run(case)
    assert caught, "expected a ProviderError"
    return caught[0]


def test_compare_and_swap_refuses_a_stale_write(
    provider_for: MakeRFC2136, bind: BindServer
) -> None:
    """Read, another writer changes the RRset, our write (based on the read) must not win."""
    bind.update("example.test", APP, 60, "A", "192.0.2.1")
    provider = provider_for()

    async def case() -> None:
        (live,) = await provider.list_rrsets(ZONE, [(APP, "A")])
        bind.update("example.test", APP, 60, "A", "198.51.100.7")  # out of band
        with pytest.raises(TransientProviderError, match="NXRRSET") as info:
            await provider.apply(ZONE, [upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]), live)])
        assert APP in str(info.value)

    run(case)
    assert bind.query(APP, "A") == {"198.51.100.7"}


def test_compare_and_swap_on_a_new_rrset(provider_for: MakeRFC2136, bind: BindServer) -> None:
    """We read "absent"; someone creates it meanwhile: YXRRSET, theirs stays."""
    provider = provider_for()

    async def case() -> None:
        assert await provider.list_rrsets(ZONE, [(APP, "A")]) == []
        bind.update("example.test", APP, 60, "A", "198.51.100.7")
        with pytest.raises(TransientProviderError, match="YXRRSET"):
            await provider.apply(ZONE, [upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]))])

    run(case)
    assert bind.query(APP, "A") == {"198.51.100.7"}


def test_conflict_in_one_rrset_writes_none_of_the_message(
    provider_for: MakeRFC2136, bind: BindServer
) -> None:
    bind.update("example.test", APP, 60, "A", "192.0.2.1")
    provider = provider_for()

    async def case() -> None:
        (live,) = await provider.list_rrsets(ZONE, [(APP, "A")])
        bind.update("example.test", APP, 60, "A", "198.51.100.7")
        fresh = upsert(RRset.of("api.example.test.", "A", 60, ["192.0.2.9"]))
        stale = upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]), live)
        with pytest.raises(TransientProviderError):
            await provider.apply(ZONE, [fresh, stale])

    run(case)
    assert bind.query("api.example.test.", "A") == set()  # RFC 2136 3.2: all or nothing


def test_the_core_retry_rereads_after_a_conflict(
    provider_for: MakeRFC2136, bind: BindServer
) -> None:
    """RetryPolicy around read-plan-write (as the reconciler does): the second attempt works
    from the other writer's values, so nothing is overwritten blindly."""
    bind.update("example.test", APP, 60, "A", "192.0.2.1")
    provider = provider_for()
    befores: list[tuple[str, ...]] = []

    async def attempt() -> None:
        (live,) = await provider.list_rrsets(ZONE, [(APP, "A")])
        befores.append(live.values)
        if len(befores) == 1:
            bind.update("example.test", APP, 60, "A", "198.51.100.7")
        await provider.apply(ZONE, [upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]), live)])

    async def case() -> None:
        await RetryPolicy(attempts=3, initial_seconds=0.01, max_seconds=0.05).call(attempt)

    run(case)
    assert befores == [("192.0.2.1",), ("198.51.100.7",)]
    assert bind.query(APP, "A") == {"192.0.2.2"}


def test_ttl_only_change(provider_for: MakeRFC2136, bind: BindServer) -> None:
    bind.update("example.test", APP, 300, "A", "192.0.2.1")
    provider = provider_for()

    async def case() -> None:
        (live,) = await provider.list_rrsets(ZONE, [(APP, "A")])
        await provider.apply(ZONE, [upsert(RRset.of(APP, "A", 30, ["192.0.2.1"]), live)])

    run(case)
    assert bind.ttl(APP, "A") == 30


def test_cname_and_aaaa(provider_for: MakeRFC2136, bind: BindServer) -> None:
    provider = provider_for()
    www = RRset.of("www.example.test.", "CNAME", 60, ["app.example.org."])
    v6 = RRset.of(APP, "AAAA", 60, ["2001:db8::1", "2001:db8::2"])

    async def case() -> None:
        await provider.apply(ZONE, [upsert(www), upsert(v6)])
        for read in ("axfr", "query"):
            reader = RFC2136Provider(
                "bind", provider.opts.model_copy(update={"read": read}), config_dir=bind.directory
            )
            assert set(await reader.list_rrsets(ZONE, [www.key, v6.key])) == {www, v6}

    run(case)
    assert bind.query("www.example.test.", "CNAME") == {"app.example.org."}


def wrong_secret(monkeypatch: pytest.MonkeyPatch, provider_for: MakeRFC2136) -> RFC2136Provider:
    monkeypatch.setenv("WRONG_TSIG", OTHER_SECRET)
    return provider_for(tsig_key_file=None, tsig_name="failover-sync", tsig_secret_env="WRONG_TSIG")


def write_app(provider: RFC2136Provider, zone: Zone = ZONE) -> Callable[[], Awaitable[None]]:
    name = f"app.{zone.name}"
    return lambda: provider.apply(zone, [upsert(RRset.of(name, "A", 60, ["192.0.2.9"]))])


def read_app(provider: RFC2136Provider, zone: Zone = ZONE) -> Callable[[], Awaitable[object]]:
    return lambda: provider.list_rrsets(zone, [(f"app.{zone.name}", "A")])


@pytest.mark.parametrize("operation", ["write", "read"])
def test_wrong_secret_is_badsig(
    monkeypatch: pytest.MonkeyPatch, provider_for: MakeRFC2136, bind: BindServer, operation: str
) -> None:
    provider = wrong_secret(monkeypatch, provider_for)
    call = write_app(provider) if operation == "write" else read_app(provider)
    error = failure(provider, call)
    assert not isinstance(error, TransientProviderError)
    assert "BADSIG" in str(error)
    assert "secret differs" in str(error)
    assert "failover-sync." in str(error)
    assert OTHER_SECRET not in str(error)
    assert bind.secret not in str(error)
    assert bind.query(APP, "A") == set()


def test_unknown_key_name_is_badkey(
    monkeypatch: pytest.MonkeyPatch, provider_for: MakeRFC2136, bind: BindServer
) -> None:
    monkeypatch.setenv("TSIG", bind.secret)
    provider = provider_for(tsig_key_file=None, tsig_name="someone-else", tsig_secret_env="TSIG")
    error = failure(provider, write_app(provider))
    assert "BADKEY" in str(error)
    assert "someone-else." in str(error)
    assert bind.secret not in str(error)
    assert bind.query(APP, "A") == set()


def test_unsigned_update_is_refused(provider_for: MakeRFC2136, bind: BindServer) -> None:
    provider = provider_for(tsig_key_file=None)
    error = failure(provider, write_app(provider))
    assert not isinstance(error, TransientProviderError)
    assert "REFUSED" in str(error)
    assert "unsigned" in str(error)
    assert bind.query(APP, "A") == set()


def test_name_outside_the_zone_is_notzone_and_writes_nothing(
    provider_for: MakeRFC2136, bind: BindServer
) -> None:
    provider = provider_for()
    inside = upsert(RRset.of(APP, "A", 60, ["192.0.2.9"]))
    outside = upsert(RRset.of("app.narrow.test.", "A", 60, ["192.0.2.9"]))
    error = failure(provider, lambda: provider.apply(ZONE, [inside, outside]))
    assert not isinstance(error, TransientProviderError)
    assert "NOTZONE" in str(error)
    assert "outside the zone" in str(error)
    assert bind.query(APP, "A") == set()
    assert bind.query("app.narrow.test.", "A") == set()


def test_update_policy_not_granting_a_name_is_refused(
    provider_for: MakeRFC2136, bind: BindServer
) -> None:
    """narrow.test grants only app.narrow.test A/AAAA: a batch with api too writes nothing."""
    provider = provider_for()
    narrow = Zone("narrow.test.", "bind")
    granted = upsert(RRset.of("app.narrow.test.", "A", 60, ["192.0.2.9"]))
    denied = upsert(RRset.of("api.narrow.test.", "A", 60, ["192.0.2.9"]))
    error = failure(provider, lambda: provider.apply(narrow, [granted, denied]))
    assert not isinstance(error, TransientProviderError)
    assert "REFUSED" in str(error)
    assert "update-policy" in str(error)
    assert "api.narrow.test. A" in str(error)
    assert bind.query("app.narrow.test.", "A") == set()
    run(lambda: provider_for().apply(narrow, [granted]))  # the granted name alone is fine
    assert bind.query("app.narrow.test.", "A") == {"192.0.2.9"}


def test_refused_transfer_names_the_way_out(provider_for: MakeRFC2136, bind: BindServer) -> None:
    closed = Zone("closed.test.", "bind")
    provider = provider_for()
    error = failure(provider, read_app(provider, closed))
    assert not isinstance(error, TransientProviderError)
    assert "REFUSED" in str(error)
    assert "allow-transfer" in str(error)
    assert "read: query" in str(error)
    # ... and read: query does work there.
    run(
        lambda: provider_for().apply(
            closed, [upsert(RRset.of("app.closed.test.", "A", 60, ["192.0.2.9"]))]
        )
    )
    found: list[RRset] = []

    async def query_read() -> None:
        found.extend(
            await provider_for(read="query").list_rrsets(closed, [("app.closed.test.", "A")])
        )

    run(query_read)
    assert found == [RRset.of("app.closed.test.", "A", 60, ["192.0.2.9"])]


def test_zone_not_served_is_notauth(provider_for: MakeRFC2136, bind: BindServer) -> None:
    provider = provider_for()
    error = failure(provider, write_app(provider, Zone("missing.test.", "bind")))
    assert "NOTAUTH" in str(error)
    assert "not authoritative" in str(error)


def test_large_plans_are_split_and_all_applied(provider_for: MakeRFC2136, bind: BindServer) -> None:
    """1,500 RRsets of ~250 octets each do not fit in one 65,535-octet message."""
    provider = provider_for()
    rrsets = [
        RRset.of(f"h{i:04d}.example.test.", "TXT", 60, [f'"{i:04d}{"x" * 200}"'])
        for i in range(1500)
    ]
    listed: list[RRset] = []

    async def case() -> None:
        await provider.apply(ZONE, [upsert(r) for r in rrsets])
        listed.extend(await provider.list_rrsets(ZONE, [r.key for r in rrsets]))

    run(case)
    assert sorted(listed, key=lambda r: r.name) == rrsets


@pytest.fixture
def silent_tcp() -> Iterator[int]:
    """A loopback port that accepts TCP connections (kernel backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def test_no_answer_is_transient(silent_tcp: int) -> None:
    options = RFC2136Options(server="127.0.0.1", port=silent_tcp, timeout_seconds=0.3)
    provider = RFC2136Provider("bind", options, config_dir=Path("."))
    started = time.monotonic()
    error = failure(provider, write_app(provider))
    assert isinstance(error, TransientProviderError)
    assert "timeout" in str(error)
    assert time.monotonic() - started < 2.0


def test_server_down_is_transient(bind: BindServer) -> None:
    bind.stop()
    options = RFC2136Options(server=bind.address, port=bind.port, timeout_seconds=0.5)
    for read in ("axfr", "query"):
        provider = RFC2136Provider(
            "bind", options.model_copy(update={"read": read}), config_dir=Path(".")
        )
        error = failure(provider, read_app(provider))
        assert isinstance(error, TransientProviderError), error


@pytest.mark.parametrize(
    ("rcode", "transient", "text"),
    [
        (dns.rcode.NXRRSET, True, "changed since it was read"),
        (dns.rcode.YXRRSET, True, "changed since it was read"),
        (dns.rcode.SERVFAIL, True, "SERVFAIL"),
        (dns.rcode.REFUSED, False, "update-policy"),
        (dns.rcode.NOTAUTH, False, "not authoritative"),
        (dns.rcode.NOTZONE, False, "outside the zone"),
        (dns.rcode.FORMERR, False, "FORMERR"),
        (dns.rcode.NOTIMP, False, "NOTIMP"),
    ],
)
def test_rcode_classification(rcode: dns.rcode.Rcode, transient: bool, text: str) -> None:
    """Rcodes BIND does not produce on demand (SERVFAIL) are classified all the same."""
    import dns.tsig
    from failover_sync_rfc2136.options import Tsig

    key = dns.tsig.Key("k.", OTHER_SECRET)
    ctx = Context(
        provider="bind",
        zone="example.test.",
        server="127.0.0.1:53",
        operation="update",
        tsig=Tsig(key.name, key.algorithm, {key.name: key}),
        names=[f"{APP} A"],
    )
    error = from_rcode(rcode, ctx)
    assert isinstance(error, TransientProviderError) is transient
    assert text in str(error)
    assert OTHER_SECRET not in str(error)
    assert (error.provider, error.zone) == ("bind", "example.test.")


@pytest.mark.parametrize(
    ("name", "rrset_type", "value", "existing"),
    [
        ("www.example.test.", "A", "192.0.2.5", "www IN CNAME app"),
        (APP, "CNAME", "elsewhere.example.org.", "app IN A 192.0.2.1"),
    ],
)
def test_an_update_the_server_skips_silently_is_reported(
    provider_for: MakeRFC2136,
    bind: BindServer,
    name: str,
    rrset_type: str,
    value: str,
    existing: str,
) -> None:
    """RFC 2136 3.4.2.2: a CNAME beside other data (or the reverse) is ignored with NOERROR;
    the read-back after the UPDATE turns that into a clear permanent error."""
    owner, _, rtype, data = existing.split(" ", 3)
    bind.update("example.test", f"{owner}.example.test.", 300, rtype, data)
    provider = provider_for()
    error = failure(
        provider, lambda: provider.apply(ZONE, [upsert(RRset.of(name, rrset_type, 60, [value]))])
    )
    assert not isinstance(error, TransientProviderError)
    assert "ignored part of the update" in str(error)
    assert "RFC 2136 section 3.4.2.2" in str(error)
