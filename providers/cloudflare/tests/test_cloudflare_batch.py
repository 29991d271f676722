"""Pure diff -> batch operations, record -> RRset and chunking: no network."""

from __future__ import annotations

import pytest
from failover_sync_cloudflare.batch import (
    LiveRecord,
    Ops,
    Patch,
    Post,
    all_proxied,
    check_before,
    chunk,
    diff,
    to_rrset,
)

from failover_sync.model import Action, Change, RRset

NAME = "app.example.test."
KEY = (NAME, "A")


def rec(
    i: str, content: str, *, ttl: int = 60, proxied: bool = False, rtype: str = "A"
) -> LiveRecord:
    return LiveRecord(i, NAME, rtype, content, ttl, proxied)


def change(
    before: tuple[str, ...],
    after: tuple[str, ...],
    *,
    ttl: int = 60,
    proxied: bool | None = None,
    rtype: str = "A",
) -> Change:
    return Change(Action.UPSERT, NAME, rtype, ttl, before, after, "test", 60, (), proxied)


def test_failover_deletes_leaving_posts_joining_keeps_nothing_else() -> None:
    ops = diff(change(("192.0.2.1",), ("192.0.2.2",)), [rec("a", "192.0.2.1")], comment="m")
    assert ops == Ops(
        deletes=("a",), posts=(Post("app.example.test", "A", "192.0.2.2", 60, False, "m"),)
    )


def test_kept_records_are_untouched_when_nothing_about_them_changes() -> None:
    live = [rec("a", "192.0.2.1"), rec("b", "192.0.2.2")]
    ops = diff(change(("192.0.2.1", "192.0.2.2"), ("192.0.2.1",)), live, comment="m")
    assert ops == Ops(deletes=("b",))


def test_ttl_change_is_a_patch_of_ttl_only() -> None:
    ops = diff(
        change(("192.0.2.1",), ("192.0.2.1",), ttl=120), [rec("a", "192.0.2.1")], comment="m"
    )
    assert ops == Ops(patches=(Patch("a", "app.example.test", "A", 120, False),))


def test_joining_value_is_proxied_when_live_records_are() -> None:
    live = [rec("a", "192.0.2.1", ttl=1, proxied=True)]
    ops = diff(change(("192.0.2.1",), ("192.0.2.2",)), live, comment="m")
    assert ops.posts == (Post("app.example.test", "A", "192.0.2.2", 1, True, "m"),)


def test_proxied_records_never_get_a_ttl_patch() -> None:
    live = [rec("a", "192.0.2.1", ttl=1, proxied=True)]
    assert diff(change(("192.0.2.1",), ("192.0.2.1",), ttl=300), live, comment="m") == Ops()


@pytest.mark.parametrize("wanted", [True, False])
def test_config_proxied_overrides_and_patches_kept_records(wanted: bool) -> None:
    live = [rec("a", "192.0.2.1", ttl=1 if not wanted else 60, proxied=not wanted)]
    ops = diff(
        change(("192.0.2.1",), ("192.0.2.1", "192.0.2.2"), proxied=wanted), live, comment="m"
    )
    ttl = 1 if wanted else 60
    assert ops.patches == (Patch("a", "app.example.test", "A", ttl, wanted),)
    assert ops.posts == (Post("app.example.test", "A", "192.0.2.2", ttl, wanted, "m"),)


def test_txt_never_carries_proxied() -> None:
    ops = diff(change((), ('"x"',), rtype="TXT", proxied=True), [], comment="m")
    assert ops.posts == (Post("app.example.test", "TXT", '"x"', 60, None, "m"),)


def test_cname_target_is_written_without_trailing_dot() -> None:
    ops = diff(change((), ("target.example.net.",), rtype="CNAME"), [], comment="m")
    assert ops.posts[0].content == "target.example.net"


def test_duplicate_records_of_one_value_are_reduced_to_one() -> None:
    live = [rec("a", "192.0.2.1"), rec("b", "192.0.2.1")]
    assert diff(change(("192.0.2.1",), ("192.0.2.1",)), live, comment="m") == Ops(deletes=("b",))


def test_delete_action_removes_every_record() -> None:
    gone = Change(Action.DELETE, NAME, "A", 60, ("192.0.2.1",), (), "test")
    assert diff(gone, [rec("a", "192.0.2.1")], comment="m") == Ops(deletes=("a",))


def test_to_rrset_ttl_rules() -> None:
    assert to_rrset(KEY, [rec("a", "192.0.2.1", ttl=120)]) == RRset.of(
        NAME, "A", 120, ["192.0.2.1"]
    )
    proxied = to_rrset(KEY, [rec("a", "192.0.2.1", ttl=1, proxied=True)])
    assert (proxied.ttl, proxied.auto_ttl) == (1, True)
    mixed = [rec("a", "192.0.2.1", ttl=60), rec("b", "192.0.2.2", ttl=120)]
    assert to_rrset(KEY, mixed).ttl == 0


def test_all_proxied() -> None:
    live = [rec("a", "192.0.2.1", ttl=1, proxied=True)]
    assert all_proxied(change(("192.0.2.1",), ("192.0.2.2",)), live)
    assert not all_proxied(change(("192.0.2.1",), ("192.0.2.2",), proxied=False), live)
    assert not all_proxied(change((), ('"x"',), rtype="TXT", proxied=True), [])


def test_check_before() -> None:
    live = {KEY: [rec("a", "192.0.2.1")]}
    assert check_before(change(("192.0.2.1",), ("192.0.2.2",)), live)
    assert not check_before(change((), ("192.0.2.2",)), live)


def _ops(n: int, tag: str) -> Ops:
    return Ops(deletes=tuple(f"{tag}{i}" for i in range(n)))


@pytest.mark.parametrize(
    ("sizes", "max_batch", "expected"),
    [
        ([1, 1, 1], 200, [3]),
        ([150, 100], 200, [150, 100]),
        ([100, 100], 200, [200]),
        ([0, 2], 2, [2]),
        ([3], 2, [2, 1]),
        ([1, 5, 1], 2, [1, 2, 2, 1, 1]),
    ],
)
def test_chunk_sizes(sizes: list[int], max_batch: int, expected: list[int]) -> None:
    groups = [_ops(n, f"g{i}-") for i, n in enumerate(sizes)]
    batches = chunk(groups, max_batch)
    assert [b.size for b in batches] == expected
    assert sum(b.size for b in batches) == sum(sizes)


def test_chunk_split_sends_posts_before_deletes() -> None:
    posts = tuple(Post("n", "A", f"192.0.2.{i}", 60, False, "m") for i in range(3))
    big = Ops(deletes=("x", "y", "z"), posts=posts)
    batches = chunk([big], 2)
    kinds = [("post" if b.posts else "") + ("delete" if b.deletes else "") for b in batches]
    assert kinds == ["post", "postdelete", "delete"]
