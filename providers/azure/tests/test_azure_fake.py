"""The fake itself: its Swagger validation rejects what the document does not allow (requests
and answers), and its state follows the API (ETags, preconditions, 404/204, paging)."""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx
import pytest

from providers.azure.tests.azfake import AzureDnsFake, FakeZone, load_spec
from providers.azure.tests.azhelpers import GROUP, SUBSCRIPTION, ZONE

API = "2018-05-01"
ZONE_PATH = (
    f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{GROUP}"
    f"/providers/Microsoft.Network/dnsZones/{ZONE}"
)
A_RECORD = {"properties": {"TTL": 60, "ARecords": [{"ipv4Address": "192.0.2.1"}]}}


def client(fake: AzureDnsFake, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=fake.base_url,
        verify=ssl.create_default_context(cafile=str(fake.ca_path)),
        headers={"Authorization": f"Bearer {token}"},
        params={"api-version": API},
    )


def put(http: httpx.Client, path: str, body: Any, **headers: str) -> httpx.Response:
    return http.put(
        ZONE_PATH + path,
        content=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **headers},
    )


@pytest.mark.parametrize(
    ("path", "body", "problem"),
    [
        ("/A/app", {"properties": {"TTL": "60"}}, "properties/TTL: '60' is not of type 'integer'"),
        ("/A/app", {"properties": {"TTL": 60, "ttl": 5}}, "'ttl' was unexpected"),
        ("/A/app", {"properties": {"ARecords": {"ipv4Address": "x"}}}, "is not of type 'array'"),
        ("/A/app", {"name": "app", "properties": {}}, "'name' was unexpected"),  # readOnly
        ("/BOGUS/app", A_RECORD, "'BOGUS' is not one of"),
    ],
)
def test_an_invalid_request_is_rejected_by_the_document(
    fake: AzureDnsFake, token: str, fake_zone: FakeZone, path: str, body: Any, problem: str
) -> None:
    with client(fake, token) as http:
        answer = put(http, path, body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "InvalidRequestContent"
    assert any(problem in v for v in fake.violations), fake.violations
    assert fake_zone.sets == {}  # nothing was served
    fake.violations.clear()


def test_missing_api_version_and_unknown_query_are_rejected(
    fake: AzureDnsFake, token: str, fake_zone: FakeZone
) -> None:
    with client(fake, token) as http:
        http.params = httpx.QueryParams()
        assert http.get(ZONE_PATH + "/A").status_code == 400
        assert http.get(ZONE_PATH + "/A", params={"api-version": API, "top": 5}).status_code == 400
        assert (
            http.get(ZONE_PATH + "/A", params={"api-version": API, "$top": "x"}).status_code == 400
        )
    assert fake.violations == [
        "required query parameter 'api-version' is missing",
        "unknown query parameter 'top' for RecordSets_ListByType",
        "query parameter '$top': 'x' is not an integer",
    ]
    fake.violations.clear()


def test_an_answer_is_checked_against_the_document() -> None:
    spec = load_spec()
    get = next(op for op in spec.operations if op.operation_id == "RecordSets_Get")
    good = {"id": "i", "name": "app", "type": "t", "etag": "e", "properties": {"TTL": 5}}
    assert spec.check_response(get, 200, json.dumps(good).encode()) == []
    assert spec.check_response(get, 200, b"<html>oops</html>")
    assert spec.check_response(get, 200, json.dumps({**good, "properties": {"TTL": "5"}}).encode())
    assert spec.check_response(get, 200, json.dumps({"value": []}).encode())  # not a RecordSet
    error = {"error": {"code": "NotFound", "message": "m"}}
    assert spec.check_response(get, 404, json.dumps(error).encode()) == []  # default: CloudError
    delete = next(op for op in spec.operations if op.operation_id == "RecordSets_Delete")
    assert spec.check_response(delete, 204, b"") == []
    assert spec.check_response(delete, 204, b"{}")  # 204 has no body in the document


def test_etags_change_on_every_write_and_preconditions_hold(
    fake: AzureDnsFake, token: str, fake_zone: FakeZone
) -> None:
    with client(fake, token) as http:
        created = put(http, "/A/app", A_RECORD, **{"If-None-Match": "*"})
        assert created.status_code == 201
        first = created.json()["etag"]
        assert put(http, "/A/app", A_RECORD, **{"If-None-Match": "*"}).status_code == 412
        replaced = put(http, "/A/app", A_RECORD, **{"If-Match": first})
        assert replaced.status_code == 200
        second = replaced.json()["etag"]
        assert second != first
        assert put(http, "/A/app", A_RECORD, **{"If-Match": first}).status_code == 412
        stale = http.delete(ZONE_PATH + "/A/app", headers={"If-Match": first})
        assert stale.status_code == 412
        assert stale.json()["error"]["code"] == "PreconditionFailed"
        assert http.delete(ZONE_PATH + "/A/app", headers={"If-Match": second}).status_code == 200
        assert http.delete(ZONE_PATH + "/A/app").status_code == 204
        missing = http.get(ZONE_PATH + "/A/app")
        assert (missing.status_code, missing.json()["error"]["code"]) == (404, "NotFound")


def test_paging_follows_next_link(fake: AzureDnsFake, token: str, fake_zone: FakeZone) -> None:
    for i in range(5):
        fake.set_record(fake_zone, "A", f"n{i}", 60, [f"192.0.2.{i}"])
    names: list[str] = []
    with client(fake, token) as http:
        http.params = httpx.QueryParams()
        url: str | None = f"{ZONE_PATH}/A?api-version={API}&$top=2"
        while url is not None:
            page = http.get(url).json()
            names += [item["name"] for item in page["value"]]
            url = page.get("nextLink")
    assert names == ["n0", "n1", "n2", "n3", "n4"]
    assert fake.count("RecordSets_ListByType") == 3


def test_no_token_is_401(fake: AzureDnsFake, fake_zone: FakeZone) -> None:
    with client(fake, "not-a-known-token") as http:
        answer = http.get(ZONE_PATH + "/A/app")
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "InvalidAuthenticationToken"
