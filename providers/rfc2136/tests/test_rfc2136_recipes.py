"""The least-privilege recipes of the README, exactly as printed, against real BIND and Knot.

Each recipe block is cut out of ``providers/rfc2136/README.md``; only its file paths (BIND)
and the ``<base64 secret>`` placeholder (Knot) are filled in. The first apply of a managed
name carries its ownership marker ``_failover-sync.<name>`` TXT in the same UPDATE, as the
controller sends it: it must succeed, and a name the recipe does not list must be refused
with nothing written and a message that says what the answer can mean.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from failover_sync_rfc2136 import RFC2136Options, RFC2136Provider

from failover_sync import ProviderError, TransientProviderError
from failover_sync.model import RRset, Zone
from failover_sync.testing import upsert
from failover_sync.testing.bind import BindServer, BindZone, bind_server
from failover_sync.testing.knot import KnotServer, KnotZone, knot_server

README = Path(__file__).resolve().parents[1] / "README.md"
ZONE = Zone("example.com.", "dns")
MARKER = '"heritage=failover-sync,owner=default,type=A"'


def recipe(heading: str) -> str:
    """The first fenced block under ``heading`` in the README."""
    text = README.read_text()
    found = re.search(rf"^{re.escape(heading)}\n.*?```[a-z]*\n(.*?)```", text, re.S | re.M)
    assert found is not None, f"no code block under {heading!r} in {README}"
    return found[1]


def first_apply(name: str) -> list[RRset]:
    """What the controller writes the first time it manages ``name``: A + its marker."""
    return [
        RRset.of(f"_failover-sync.{name}", "TXT", 60, [MARKER]),
        RRset.of(name, "A", 60, ["192.0.2.10", "192.0.2.11"]),
    ]


def provider(address: str, port: int, key_file: Path, read: str) -> RFC2136Provider:
    options = RFC2136Options(
        server=address, port=port, tsig_key_file=key_file, timeout_seconds=3.0, read=read
    )
    return RFC2136Provider("dns", options, config_dir=key_file.parent)


async def apply_then_read(p: RFC2136Provider, rrsets: list[RRset]) -> list[RRset]:
    try:
        await p.apply(ZONE, [upsert(r) for r in rrsets])
        return await p.list_rrsets(ZONE, [r.key for r in rrsets])
    finally:
        await p.aclose()


async def refused(p: RFC2136Provider, rrsets: list[RRset]) -> ProviderError:
    try:
        with pytest.raises(ProviderError) as info:
            await p.apply(ZONE, [upsert(r) for r in rrsets])
        return info.value
    finally:
        await p.aclose()


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    """named with the README's BIND recipe as its key include and zone statement."""
    directory = tmp_path / "bind"
    statements = (
        recipe("### BIND 9")
        .replace("/etc/bind/failover-sync.key", str(directory / "tsig.key"))
        .replace("/var/lib/bind/example.com.zone", str(directory / "example.com.zone"))
    )
    with bind_server(directory, [BindZone("example.com")], statements=statements) as server:
        yield server


@pytest.fixture
def knot(tmp_path: Path) -> Iterator[KnotServer]:
    """knotd with the README's Knot recipe as its key, acl and zone sections."""
    sections = recipe("### Knot DNS (3.x)")
    with knot_server(tmp_path / "knot", [KnotZone("example.com")], sections=sections) as server:
        yield server


@pytest.mark.parametrize("read", ["axfr", "query"])
def test_bind_recipe_grants_the_first_apply_with_its_marker(bind: BindServer, read: str) -> None:
    for name in ("app.example.com.", "api.example.com."):
        rrsets = first_apply(name)
        listed = asyncio.run(
            apply_then_read(provider(bind.address, bind.port, bind.key_file, read), rrsets)
        )
        assert sorted(listed, key=lambda r: r.key) == sorted(rrsets, key=lambda r: r.key)
        assert bind.query(name, "A") == {"192.0.2.10", "192.0.2.11"}
        assert bind.query(f"_failover-sync.{name}", "TXT") == {MARKER}


def test_bind_recipe_refuses_a_name_it_does_not_list(bind: BindServer) -> None:
    error = asyncio.run(
        refused(
            provider(bind.address, bind.port, bind.key_file, "axfr"),
            first_apply("www.example.com."),
        )
    )
    assert not isinstance(error, TransientProviderError)
    assert "REFUSED" in str(error)
    assert "update-policy" in str(error)
    assert "www.example.com." in str(error)
    assert bind.query("www.example.com.", "A") == set()
    assert bind.query("_failover-sync.www.example.com.", "TXT") == set()


@pytest.mark.parametrize("read", ["axfr", "query"])
def test_knot_recipe_grants_the_first_apply_with_its_marker(knot: KnotServer, read: str) -> None:
    for name in ("app.example.com.", "api.example.com."):
        rrsets = first_apply(name)
        listed = asyncio.run(
            apply_then_read(provider(knot.address, knot.port, knot.key_file, read), rrsets)
        )
        assert sorted(listed, key=lambda r: r.key) == sorted(rrsets, key=lambda r: r.key)
        assert knot.query(name, "A") == {"192.0.2.10", "192.0.2.11"}
        assert knot.query(f"_failover-sync.{name}", "TXT") == {MARKER}


def test_knot_recipe_refusal_says_grant_missing_or_key_unknown(knot: KnotServer) -> None:
    """Knot answers NOTAUTH + BADKEY for a name no ACL rule grants, as for an unknown key:
    the message says both, names Knot (from version.bind) and the markers."""
    error = asyncio.run(
        refused(
            provider(knot.address, knot.port, knot.key_file, "axfr"),
            first_apply("www.example.com."),
        )
    )
    text = str(error)
    assert not isinstance(error, TransientProviderError)
    assert "Knot DNS answered NOTAUTH with TSIG error BADKEY" in text
    assert "(server: Knot DNS 3." in text
    assert "is not known to the server" in text
    assert "acl rule" in text
    assert "www.example.com. A" in text
    assert "_failover-sync.www.example.com." in text
    assert knot.secret not in text
    assert knot.query("www.example.com.", "A") == set()


def test_knot_marker_in_a_rule_of_its_own_is_refused(tmp_path: Path) -> None:
    """Why the recipe puts names and markers in ONE rule: split in two, the first apply
    (A + marker in one UPDATE) is refused."""
    split = (
        recipe("### Knot DNS (3.x)")
        .replace(
            "update-owner-name: [app.example.com., _failover-sync.app.example.com., "
            "api.example.com., _failover-sync.api.example.com.]\n"
            "    update-type: [A, AAAA, TXT]",
            "update-owner-name: [app.example.com.]\n    update-type: [A, AAAA]\n"
            "  - id: markers\n    key: failover-sync\n    action: update\n    update-owner: name\n"
            "    update-owner-match: equal\n"
            "    update-owner-name: [_failover-sync.app.example.com.]\n    update-type: [TXT]",
        )
        .replace("acl: [failover-sync-update,", "acl: [markers, failover-sync-update,")
    )
    assert "id: markers" in split
    with knot_server(tmp_path / "knot", [KnotZone("example.com")], sections=split) as knot:
        p = provider(knot.address, knot.port, knot.key_file, "axfr")
        error = asyncio.run(refused(p, first_apply("app.example.com.")))
        assert "BADKEY" in str(error)
        assert knot.query("app.example.com.", "A") == set()
