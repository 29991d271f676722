"""Key layout, vote encoding, target ids, the epoch marker and the board."""

from __future__ import annotations

from failover_sync.cluster.etcd import KV, WatchEvent
from failover_sync.cluster.keys import (
    Epoch,
    Layout,
    Vote,
    epoch_change,
    epoch_key,
    parse_epoch,
    target_id,
)
from failover_sync.cluster.node import Board
from failover_sync.model import Action, HealthCheck, ProbeTarget, RRset, Zone

LAYOUT = Layout("/failover-sync/", "prod")
ZONE = Zone("example.com.", "zones")


def test_layout_round_trip() -> None:
    assert LAYOUT.leader == "/failover-sync/prod/leader"
    assert LAYOUT.parse(LAYOUT.leader) == ("leader",)
    assert LAYOUT.parse(LAYOUT.vantage("fra")) == ("vantage", "fra")
    assert LAYOUT.parse(LAYOUT.vote("fra", "abc~1")) == ("vote", "fra", "abc~1")
    assert LAYOUT.parse(LAYOUT.intent(ZONE)) == ("intent", "example.com.")
    assert LAYOUT.parse("/failover-sync/other/leader") is None
    assert LAYOUT.parse("/failover-sync/prod/votes/fra") is None


def test_target_id_is_stable_and_tells_checks_apart() -> None:
    a = ProbeTarget("192.0.2.1", HealthCheck(path="/a/b"))
    b = ProbeTarget("192.0.2.1", HealthCheck(path="/a/b", failure_threshold=5))
    assert target_id(a) == target_id(ProbeTarget("192.0.2.1", HealthCheck(path="/a/b")))
    assert target_id(a) != target_id(b)
    assert "/" not in target_id(a)


def test_vote_round_trip_and_garbage() -> None:
    vote = Vote("fra", "http://192.0.2.1:80/", False, "status 503", 1700000000.5)
    assert Vote.decode("fra", vote.encode()) == vote
    assert Vote.decode("fra", b"not json") is None
    assert (
        Vote.decode("fra", b'{"endpoint": "x", "healthy": "yes", "reason": "", "since": 1}') is None
    )
    assert Vote.decode("fra", b'{"healthy": true}') is None


def test_epoch_marker_text_and_change() -> None:
    epoch = Epoch(42, 7, "fra")
    assert epoch.text() == '"epoch=42 token=7 vantage=fra"'
    name, rtype = epoch_key(ZONE)
    assert (name, rtype) == ("_failover-sync-epoch.example.com.", "TXT")
    assert parse_epoch(RRset(name, "TXT", 60, (epoch.text(),))) == epoch
    assert parse_epoch(None) is None
    assert parse_epoch(RRset(name, "TXT", 60, ('"epoch=x"',))) is None
    assert (
        parse_epoch(RRset(name, "TXT", 60, (epoch.text(), '"epoch=1 token=1 vantage=a"'))) is None
    )
    first = epoch_change(ZONE, {}, epoch)
    assert (first.action, first.before, first.after) == (Action.UPSERT, (), (epoch.text(),))
    live = {(name, rtype): RRset(name, "TXT", 60, (epoch.text(),))}
    second = epoch_change(ZONE, live, Epoch(50, 9, "iad"))
    assert second.before == (epoch.text(),)
    assert second.before_ttl == 60
    assert Epoch(50, 9, "iad") > epoch


def _kv(key: str, value: bytes, revision: int) -> KV:
    return KV(key, value, revision, revision, 1)


def test_board_follows_puts_and_deletes() -> None:
    board = Board(LAYOUT)
    vote = Vote("fra", "x", False, "down", 1.0)
    board.reset(
        10,
        [
            _kv(LAYOUT.vantage("fra"), b'{"writer": true}', 3),
            _kv(LAYOUT.vote("fra", "t1"), vote.encode(), 4),
            _kv(LAYOUT.leader, b"fra", 5),
            _kv(LAYOUT.vantage("iad"), b"garbage", 6),
            _kv("/failover-sync/prod/unknown", b"", 7),
        ],
    )
    assert board.alive == {"fra": True, "iad": False}
    assert board.votes == {"t1": {"fra": vote}}
    assert board.leader_name() == "fra"
    assert board.revision == 10
    board.apply(WatchEvent("delete", _kv(LAYOUT.leader, b"", 11)))
    board.apply(WatchEvent("delete", _kv(LAYOUT.vote("fra", "t1"), b"", 12)))
    board.apply(WatchEvent("put", _kv(LAYOUT.vote("iad", "t1"), b"bad", 13)))
    assert board.leader is None
    assert board.votes == {"t1": {}}
    assert board.revision == 13
    # every key present, even one that is not a valid vote: compared with a fresh read
    assert board.keys() == {
        LAYOUT.vantage("fra"),
        LAYOUT.vantage("iad"),
        LAYOUT.vote("iad", "t1"),
        "/failover-sync/prod/unknown",
    }
