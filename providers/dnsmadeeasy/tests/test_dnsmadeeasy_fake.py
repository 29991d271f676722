"""The fake itself keeps the API's rules (API.md sections cited in dmefake): quoted TXT,
duplicates refused, HTML 404s, the x-dnsme-* headers, both multi-delete forms, paging."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from failover_sync_dnsmadeeasy import DnsMadeEasyProvider
from failover_sync_dnsmadeeasy.signing import DnsMadeEasyAuth

from failover_sync import RRset
from failover_sync.model import Zone
from failover_sync.testing import upsert
from providers.dnsmadeeasy.tests.dmefake import DnsMadeEasyFake
from providers.dnsmadeeasy.tests.dmehelpers import ProviderFactory, with_provider


@pytest.fixture
def client(fake: DnsMadeEasyFake, account: tuple[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.base_url, auth=DnsMadeEasyAuth(*account)) as http:
        yield http


def test_every_answer_carries_the_request_headers(client: httpx.Client, domain_id: int) -> None:
    first = client.get(f"/dns/managed/{domain_id}/records")
    second = client.get(f"/dns/managed/{domain_id}/records")
    assert first.json() == {"data": [], "page": 0, "totalPages": 1, "totalRecords": 0}
    assert first.headers["x-dnsme-requestLimit"] == "150"
    assert int(first.headers["x-dnsme-requestsRemaining"]) == 149
    assert int(second.headers["x-dnsme-requestsRemaining"]) == 148
    assert first.headers["x-dnsme-requestId"] != second.headers["x-dnsme-requestId"]


def test_create_quotes_txt_refuses_duplicates_and_ids(client: httpx.Client, domain_id: int) -> None:
    path = f"/dns/managed/{domain_id}/records/"
    created = client.post(path, json={"name": "app", "type": "TXT", "value": "token", "ttl": 60})
    assert created.status_code == 201
    assert created.json()["value"] == '"token"'
    assert created.headers["Location"].endswith(f"/records/{created.json()['id']}")
    again = client.post(path, json={"name": "app", "type": "TXT", "value": '"token"', "ttl": 60})
    assert again.status_code == 400
    assert "already exists" in again.json()["error"][0]
    with_id = client.post(
        path, json={"id": 5, "name": "x", "type": "A", "value": "192.0.2.1", "ttl": 60}
    )
    assert with_id.status_code == 400


def test_unknown_ids_and_paths_are_html_404s(client: httpx.Client, domain_id: int) -> None:
    for answer in (
        client.delete(f"/dns/managed/{domain_id}/records/123"),
        client.get("/dns/managed/999/records"),
        client.get("/dns/nothing"),
    ):
        assert answer.status_code == 404
        assert answer.headers["Content-Type"].startswith("text/html")


def test_multi_delete_takes_both_forms_and_refuses_no_ids(
    fake: DnsMadeEasyFake, client: httpx.Client, domain_id: int
) -> None:
    ids = [fake.add_record(domain_id, f"h{i}", "A", "192.0.2.1") for i in range(3)]
    path = f"/dns/managed/{domain_id}/records"
    assert client.delete(path).status_code == 400
    assert client.delete(path, params={"ids": f"{ids[0]},{ids[1]}"}).content == b""
    assert client.delete(path, params=[("ids", str(ids[2]))]).status_code == 200
    assert fake.records(domain_id) == []


def test_undocumented_query_parameters_are_refused(client: httpx.Client, domain_id: int) -> None:
    answer = client.get(f"/dns/managed/{domain_id}/records", params={"name": "app"})
    assert answer.status_code == 400
    assert answer.json()["error"] == ["fake: records-list takes no query parameter 'name'"]


@pytest.mark.parametrize("first_page", [0, 1])
def test_adapter_pages_whichever_way_pages_are_numbered(
    provider_factory: ProviderFactory, fake: DnsMadeEasyFake, zone: Zone, first_page: int
) -> None:
    fake.first_page = first_page
    wanted = [RRset.of(f"h{i}.example.test.", "A", 60, ["192.0.2.1"]) for i in range(25)]

    async def run(provider: DnsMadeEasyProvider) -> None:
        await provider.apply(zone, [upsert(r) for r in wanted])
        listed = await provider.list_rrsets(zone, [r.key for r in wanted])
        assert sorted(listed, key=lambda r: r.name) == sorted(wanted, key=lambda r: r.name)

    with_provider(provider_factory, run, full_read_above=1, rows=10)
    pages = [dict(c.query).get("page") for c in fake.calls if c.route == "records-list"]
    assert pages[-3:] == [None, str(first_page + 1), str(first_page + 2)]
