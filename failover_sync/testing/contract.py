"""Test support that ships with the product: an in-memory provider and the provider contract.

Every adapter's tests subclass :class:`ProviderContract` and supply three pytest fixtures:

``make_provider``
    a zero-argument callable returning a fresh Provider, called inside the test's event loop
``zone``
    a :class:`~failover_sync.model.Zone` that exists and is empty of the test names
``broken_zone``
    a Zone for which reading fails permanently (no such zone, unparsable file)

Each case runs its own event loop with ``asyncio.run`` so that adapters with async clients
are created and closed inside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import pytest

from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.health.probes import Prober
from failover_sync.model import Action, Change, DesiredRecord, ProbeResult, ProbeTarget, RRset, Zone
from failover_sync.plan.guards import GuardChain, standard_chain
from failover_sync.provider.base import Provider

MakeProvider = Callable[[], Provider]


class ScriptedProber(Prober):
    """A prober without network: ``down`` holds the values whose probes fail; every other
    value passes. ``probes`` counts calls. Lets tests drive health through the real health
    state machine and thresholds in microseconds."""

    def __init__(self) -> None:
        super().__init__()
        self.down: set[str] = set()
        self.probes = 0

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        self.probes += 1
        if target.value in self.down:
            return ProbeResult(False, 0.0, "scripted failure")
        return ProbeResult(True, 0.0, "status 200")


def standard_guards(desired: Mapping[Zone, Sequence[DesiredRecord]], **settings: Any) -> GuardChain:
    """The guard chain that ``failover-sync`` builds for ``desired`` (owner ``default``,
    default fractions); ``settings`` override :func:`~failover_sync.plan.guards.standard_chain`
    arguments."""
    settings.setdefault("owner_id", "default")
    endpoints = [e.target for records in desired.values() for r in records for e in r.endpoints]
    return standard_chain(endpoints=endpoints, **settings)


def upsert(rrset: RRset, before: RRset | None = None, reason: str = "test") -> Change:
    """An UPSERT change that writes ``rrset`` over ``before``."""
    return Change(
        Action.UPSERT,
        rrset.name,
        rrset.type,
        rrset.ttl,
        before.values if before else (),
        rrset.values,
        reason,
        before.ttl if before else None,
        rrset.weights,
    )


def _run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        await coro_fn()

    asyncio.run(main())


class ProviderContract:
    """The behaviour every adapter promises; subclass it in the adapter's tests."""

    @staticmethod
    def names(zone: Zone) -> tuple[str, str, str]:
        """Three test names inside ``zone``."""
        return (f"app.{zone.name}", f"api.{zone.name}", f"other.{zone.name}")

    def test_absent_rrset_is_not_listed(self, make_provider: MakeProvider, zone: Zone) -> None:
        async def case() -> None:
            provider = make_provider()
            try:
                app, _, _ = self.names(zone)
                assert await provider.list_rrsets(zone, [(app, "A")]) == []
            finally:
                await provider.aclose()

        _run(case)

    def test_create_replace_and_ttl(self, make_provider: MakeProvider, zone: Zone) -> None:
        async def case() -> None:
            provider = make_provider()
            try:
                app, _, _ = self.names(zone)
                first = RRset.of(app, "A", 60, ["192.0.2.2", "192.0.2.1"])
                await provider.apply(zone, [upsert(first)])
                assert await provider.list_rrsets(zone, [(app, "A")]) == [first]
                second = RRset.of(app, "A", 30, ["192.0.2.3"])
                await provider.apply(zone, [upsert(second, first)])
                assert await provider.list_rrsets(zone, [(app, "A")]) == [second]
            finally:
                await provider.aclose()

        _run(case)

    def test_batch_of_several_rrsets(self, make_provider: MakeProvider, zone: Zone) -> None:
        async def case() -> None:
            provider = make_provider()
            try:
                app, api, _ = self.names(zone)
                rrsets = [
                    RRset.of(app, "A", 60, ["192.0.2.1"]),
                    RRset.of(api, "A", 60, ["192.0.2.7", "192.0.2.8"]),
                    RRset.of(app, "AAAA", 60, ["2001:db8::1"]),
                ]
                await provider.apply(zone, [upsert(r) for r in rrsets])
                listed = await provider.list_rrsets(zone, [r.key for r in rrsets])
                assert sorted(listed, key=lambda r: r.key) == sorted(rrsets, key=lambda r: r.key)
            finally:
                await provider.aclose()

        _run(case)

    def test_idempotent_apply(self, make_provider: MakeProvider, zone: Zone) -> None:
        async def case() -> None:
            provider = make_provider()
            try:
                app, _, _ = self.names(zone)
                rrset = RRset.of(app, "A", 60, ["192.0.2.1"])
                await provider.apply(zone, [upsert(rrset)])
                await provider.apply(zone, [upsert(rrset, rrset)])
                assert await provider.list_rrsets(zone, [(app, "A")]) == [rrset]
            finally:
                await provider.aclose()

        _run(case)

    def test_neighbours_untouched(self, make_provider: MakeProvider, zone: Zone) -> None:
        async def case() -> None:
            provider = make_provider()
            try:
                app, _, other = self.names(zone)
                txt = RRset.of(app, "TXT", 300, ['"owned by someone else"'])
                neighbour = RRset.of(other, "A", 300, ["198.51.100.1"])
                await provider.apply(zone, [upsert(txt), upsert(neighbour)])
                managed = RRset.of(app, "A", 60, ["192.0.2.1"])
                await provider.apply(zone, [upsert(managed)])
                await provider.apply(zone, [upsert(RRset.of(app, "A", 60, ["192.0.2.2"]), managed)])
                listed = await provider.list_rrsets(zone, [txt.key, neighbour.key])
                assert set(listed) == {txt, neighbour}
            finally:
                await provider.aclose()

        _run(case)

    def test_ownership_marker_round_trip(self, make_provider: MakeProvider, zone: Zone) -> None:
        """The TXT marker (failover_sync.plan.ownership) is written and read back as it was, in the
        same batch as the RRset it marks, with several values (one per managed type)."""

        async def case() -> None:
            provider = make_provider()
            try:
                app, _, _ = self.names(zone)
                values = [
                    '"heritage=failover-sync,owner=default,type=A"',
                    '"heritage=failover-sync,owner=default,type=AAAA"',
                ]
                marker = RRset.of(f"_failover-sync.{app}", "TXT", 60, values)
                managed = RRset.of(app, "A", 60, ["192.0.2.1"])
                await provider.apply(zone, [upsert(marker), upsert(managed)])
                listed = await provider.list_rrsets(zone, [marker.key, managed.key])
                assert sorted(listed, key=lambda r: r.key) == [marker, managed]
            finally:
                await provider.aclose()

        _run(case)

    def test_list_returns_only_asked_keys(self, make_provider: MakeProvider, zone: Zone) -> None:
        async def case() -> None:
            provider = make_provider()
            try:
                app, api, _ = self.names(zone)
                a = RRset.of(app, "A", 60, ["192.0.2.1"])
                b = RRset.of(api, "A", 60, ["192.0.2.2"])
                await provider.apply(zone, [upsert(a), upsert(b)])
                assert await provider.list_rrsets(zone, [a.key]) == [a]
            finally:
                await provider.aclose()

        _run(case)

    def test_broken_zone_is_a_permanent_error(
        self, make_provider: MakeProvider, broken_zone: Zone
    ) -> None:
        async def case() -> None:
            provider = make_provider()
            try:
                app, _, _ = self.names(broken_zone)
                with pytest.raises(ProviderError) as info:
                    await provider.list_rrsets(broken_zone, [(app, "A")])
                assert not isinstance(info.value, TransientProviderError)
                assert str(info.value)
            finally:
                await provider.aclose()

        _run(case)
