"""The fake itself: it must answer like the API and reject what the API (or the spec)
rejects. The client is the official SDK (sync flavour), unmodified."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import cloudflare
import pytest

from providers.cloudflare.tests.cffake import CloudflareFake

ZONE = "example.test"


@pytest.fixture
def client(fake: CloudflareFake, token: str) -> Iterator[cloudflare.Cloudflare]:
    with cloudflare.Cloudflare(api_token=token, base_url=fake.base_url, max_retries=0) as sdk:
        yield sdk


def contents(fake: CloudflareFake, zone_id: str) -> list[str]:
    return [r["content"] for r in fake.records(zone_id)]


def test_envelope_and_empty_page_past_the_end(
    fake: CloudflareFake, zone_id: str, client: cloudflare.Cloudflare
) -> None:
    for i in range(7):
        fake.add_record(zone_id, "app", "A", f"192.0.2.{i + 1}")
    pages = list(client.dns.records.list(zone_id=zone_id, per_page=5).iter_pages())
    assert [len(p.result) for p in pages] == [5, 2, 0]  # the SDK stops at an empty page
    raw = client.get(
        f"/zones/{zone_id}/dns_records",
        cast_to=object,
        options={"params": {"page": 3, "per_page": 5}},
    )
    assert raw == {
        "success": True,
        "errors": [],
        "messages": [],
        "result": [],
        "result_info": {"page": 3, "per_page": 5, "count": 0, "total_count": 7, "total_pages": 2},
    }
    assert fake.count("dns-records-for-a-zone-list-dns-records") == 4


def test_records_have_the_api_fields(
    fake: CloudflareFake, zone_id: str, client: cloudflare.Cloudflare
) -> None:
    created = client.dns.records.create(
        zone_id=zone_id,
        name="app",
        type="A",
        content="192.0.2.1",
        ttl=60,
        proxied=True,
        comment="c",
        tags=["team:web"],
    )
    assert created is not None
    assert (created.name, created.ttl, created.proxied, created.comment) == (
        "app.example.test",
        1,
        True,
        "c",
    )
    assert created.tags == ["team:web"]
    assert created.created_on is not None
    assert created.modified_on is not None
    assert len(created.id) == 32


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ({"name.exactly": "app.example.test"}, "unknown query parameter 'name.exactly'"),
        ({"per_page": "0"}, "per_page must be at least 1"),
        ({"type": "SPF"}, "type must be one of"),
        ({"proxied": "yes"}, "proxied must be true or false"),
    ],
)
def test_query_parameters_are_checked_against_the_spec(
    zone_id: str, client: cloudflare.Cloudflare, query: dict[str, str], problem: str
) -> None:
    with pytest.raises(cloudflare.BadRequestError, match=problem):
        client.dns.records.list(zone_id=zone_id, extra_query=query)


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            {"posts": [{"name": "app", "type": "A", "content": "192.0.2.1"}]},
            r"posts\[0\].ttl: Field required",
        ),
        (
            {
                "posts": [
                    {"name": "a", "type": "A", "ttl": 60, "content": "192.0.2.1", "priority": 1}
                ]
            },
            "unknown field 'priority'",
        ),
        ({"patches": [{"name": "a", "type": "A", "ttl": 60}]}, r"patches\[0\].id: Field required"),
        ({"creates": []}, "unknown field 'creates'"),
        ({"posts": [{"name": "a", "type": "SPF", "ttl": 60}]}, "unknown record type 'SPF'"),
    ],
)
def test_bodies_are_checked_against_the_sdk_param_types(
    zone_id: str, client: cloudflare.Cloudflare, body: dict[str, Any], problem: str
) -> None:
    with pytest.raises(cloudflare.BadRequestError, match=problem):
        client.post(f"/zones/{zone_id}/dns_records/batch", body=body, cast_to=object)


def test_batch_runs_deletes_patches_puts_posts_in_that_order(
    fake: CloudflareFake, zone_id: str, client: cloudflare.Cloudflare
) -> None:
    old = fake.add_record(zone_id, "app", "A", "192.0.2.1")
    other = fake.add_record(zone_id, "api", "A", "192.0.2.5")
    # The post re-creates the deleted value and the patch moves `api` to a value the put then
    # frees: valid only in the API's order.
    client.dns.records.batch(
        zone_id=zone_id,
        deletes=[{"id": old["id"]}],
        patches=[
            {"id": other["id"], "name": "api", "type": "A", "ttl": 120, "content": "192.0.2.1"}
        ],
        posts=[{"name": "app", "type": "A", "ttl": 60, "content": "192.0.2.1"}],
    )
    assert sorted(contents(fake, zone_id)) == ["192.0.2.1", "192.0.2.1"]


def test_batch_is_all_or_nothing(
    fake: CloudflareFake, zone_id: str, client: cloudflare.Cloudflare
) -> None:
    kept = fake.add_record(zone_id, "app", "A", "192.0.2.1")
    fake.add_record(zone_id, "www", "CNAME", "app.example.test")
    before = fake.records(zone_id)
    with pytest.raises(cloudflare.BadRequestError, match="81053"):
        client.dns.records.batch(
            zone_id=zone_id,
            deletes=[{"id": kept["id"]}],
            posts=[
                {"name": "app", "type": "A", "ttl": 60, "content": "192.0.2.2"},
                {"name": "www", "type": "A", "ttl": 60, "content": "192.0.2.3"},
            ],
        )
    assert fake.records(zone_id) == before


@pytest.mark.parametrize(
    ("record", "code"),
    [
        ({"type": "A", "content": "192.0.2.300", "ttl": 60}, "9005"),
        ({"type": "A", "content": "192.0.2.1", "ttl": 45}, "9021"),
        ({"type": "TXT", "content": "x", "ttl": 60, "proxied": True}, "9004"),
        ({"type": "CNAME", "content": "app.free.test", "ttl": 60}, "9007"),
    ],
)
def test_api_rules(
    fake: CloudflareFake, client: cloudflare.Cloudflare, record: dict[str, Any], code: str
) -> None:
    free_zone = fake.add_zone("free.test")
    with pytest.raises(cloudflare.BadRequestError, match=code):
        client.post(
            f"/zones/{free_zone}/dns_records",
            body={"name": "app.free.test", **record},
            cast_to=object,
        )


def test_rate_limit_then_five_minute_lockout(token: str) -> None:
    with CloudflareFake(rate_limit=3, lockout=300) as fake:
        fake.tokens[token] = None
        zone_id = fake.add_zone(ZONE)
        with cloudflare.Cloudflare(api_token=token, base_url=fake.base_url, max_retries=0) as sdk:
            for _ in range(3):
                sdk.dns.records.list(zone_id=zone_id)
            for _ in range(2):
                with pytest.raises(cloudflare.RateLimitError) as info:
                    sdk.dns.records.list(zone_id=zone_id)
                assert info.value.response.headers["Retry-After"] in ("300", "299")
        assert fake.lockouts == 1


def test_routes_methods_and_auth(
    fake: CloudflareFake, zone_id: str, client: cloudflare.Cloudflare
) -> None:
    with pytest.raises(cloudflare.NotFoundError, match="7000"):
        client.get("/zones/nope/unknown", cast_to=object)
    with pytest.raises(cloudflare.APIStatusError, match="7001") as info:
        client.delete(f"/zones/{zone_id}/dns_records", cast_to=object)
    assert info.value.status_code == 405
    with pytest.raises(cloudflare.BadRequestError, match="7003"):
        client.dns.records.list(zone_id="not-an-id")
    wrong = cloudflare.Cloudflare(api_token="wrong", base_url=fake.base_url, max_retries=0)
    with wrong, pytest.raises(cloudflare.AuthenticationError, match="9109"):
        wrong.dns.records.list(zone_id=zone_id)
