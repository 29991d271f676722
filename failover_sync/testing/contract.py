"""Test support that ships with the product: an in-memory provider and the provider contract.

Every adapter's tests subclass :class:`ProviderContract` and supply three pytest fixtures:

``make_provider``
    a zero-argument callable returning a fresh Provider, called inside the test's event loop
``zone``
    a :class:`~failover_sync.model.Zone` that exists and is empty of the test names
``broken_zone``
    a Zone for which reading fails permanently (no such zone, unparsable file)

and may set the class attribute :attr:`ProviderContract.create_if_absent`.

Each case runs its own event loop with ``asyncio.run`` so that adapters with async clients
are created and closed inside it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, ClassVar

import pytest

from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.health.probes import Prober
from failover_sync.model import Action, Change, DesiredRecord, ProbeResult, ProbeTarget, RRset, Zone
from failover_sync.plan.guards import GuardChain, standard_chain
from failover_sync.provider.base import Provider
from failover_sync.provider.kit import StaleRRsetError

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
    """The behaviour every adapter promises; subclass it in the adapter's tests.

    ``create_if_absent`` says what a write of an RRset read as absent (``Change.before ==
    ()``) does when the RRset exists by then: ``True`` (the API has create-if-absent or a
    compare before the write) refuses with StaleRRsetError and leaves the live RRset alone;
    ``False`` (the API has no compare-and-swap: say why in the adapter's docs) overwrites it;
    ``None`` (not declared, or a stand-in laxer than the API) accepts either, as long as a
    refusal leaves the live RRset alone and is transient and a write holds our values.
    """

    create_if_absent: ClassVar[bool | None] = None

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

    def test_create_over_an_existing_rrset(self, make_provider: MakeProvider, zone: Zone) -> None:
        """A change with ``before == ()`` (read as absent) meets an RRset someone created
        since: create-if-absent refuses it (StaleRRsetError) and theirs stays."""

        async def case() -> None:
            provider = make_provider()
            try:
                app, _, _ = self.names(zone)
                theirs = RRset.of(app, "A", 60, ["198.51.100.7"])
                ours = RRset.of(app, "A", 60, ["192.0.2.1"])
                await provider.apply(zone, [upsert(theirs)])
                refused: ProviderError | None = None
                try:
                    await provider.apply(zone, [upsert(ours)])
                except ProviderError as exc:
                    refused = exc
                live = await provider.list_rrsets(zone, [(app, "A")])
                if self.create_if_absent is True:
                    assert isinstance(refused, StaleRRsetError), refused
                if self.create_if_absent is False:
                    assert refused is None, refused
                if refused is None:
                    # None: an API (or stand-in) may merge; it must still hold ours.
                    assert live == [ours] or self.create_if_absent is None, live
                    assert live, live
                    assert "192.0.2.1" in live[0].values, live
                else:
                    assert isinstance(refused, TransientProviderError), refused
                    assert live == [theirs]
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
