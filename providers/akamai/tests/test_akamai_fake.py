"""The fake itself: it refuses what the official spec refuses, checks EdgeGrid signatures,
and its answer checks catch an answer outside the spec."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from failover_sync_akamai.options import Credentials
from failover_sync_akamai.signing import EdgeGridAuth
from pydantic import SecretStr

from providers.akamai.tests.akfake import AkamaiFake, Client
from providers.akamai.tests.akfake.server import shared_spec

ROOT = "/config-dns/v2"


def auth_of(client: Client, *, secret: str | None = None) -> EdgeGridAuth:
    return EdgeGridAuth(
        Credentials(
            SecretStr(client.client_token),
            SecretStr(secret or client.client_secret),
            SecretStr(client.access_token),
            "",
        )
    )


@pytest.fixture
def http(fake: AkamaiFake, client: Client) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake.base_url + ROOT, auth=auth_of(client)) as session:
        yield session


def problem(response: httpx.Response) -> dict[str, object]:
    assert response.headers["content-type"] == "application/problem+json"
    body = json.loads(response.content)
    assert isinstance(body, dict)
    return body


def test_a_valid_request_is_served(http: httpx.Client) -> None:
    answer = http.get("/zones/example.test/recordsets", params={"types": "A", "page": "1"})
    assert answer.status_code == 200
    assert answer.json()["recordsets"] == []


def test_an_invalid_body_is_rejected_by_the_spec(fake: AkamaiFake, http: httpx.Client) -> None:
    assert http.post("/changelists", params={"zone": "example.test"}).status_code == 201
    bad = {"name": "app.example.test", "type": "A", "op": "UPSERT", "ttl": 60}
    answer = http.post("/changelists/example.test/recordsets/add-change", json=bad)
    assert answer.status_code == 400
    assert "UPSERT" in str(problem(answer)["detail"])
    assert len(fake.rejected) == 1
    fake.rejected.clear()


def test_an_extra_body_field_is_rejected(fake: AkamaiFake, http: httpx.Client) -> None:
    http.post("/changelists", params={"zone": "example.test"})
    bad = {"name": "a.example.test", "type": "A", "op": "ADD", "ttl": 60, "rdata": [], "x": 1}
    answer = http.post("/changelists/example.test/recordsets/add-change", json=bad)
    assert answer.status_code == 400
    assert "'x' was unexpected" in str(problem(answer)["detail"])
    fake.rejected.clear()


@pytest.mark.parametrize(
    ("path", "params", "needle"),
    [
        ("/zones/example.test/recordsets", {"pageSize": "many"}, "pageSize"),
        ("/zones/example.test/recordsets", {"name": "app"}, "unknown query parameter 'name'"),
        ("/changelists", {"zone": "example.test", "overwrite": "always"}, "overwrite"),
        ("/changelists/example.test/submit", {}, "skipSignAndServeSafetyCheck"),
    ],
)
def test_invalid_query_parameters_are_rejected(
    fake: AkamaiFake, http: httpx.Client, path: str, params: dict[str, str], needle: str
) -> None:
    method = "GET" if path.startswith("/zones") else "POST"
    answer = http.request(method, path, params=params)
    assert answer.status_code == 400
    assert needle in str(problem(answer)["detail"])
    fake.rejected.clear()


def test_unknown_path_and_method(fake: AkamaiFake, http: httpx.Client) -> None:
    assert http.get("/zones/example.test/nothing").status_code == 404
    assert http.patch("/zones/example.test/recordsets").status_code == 405


def test_wrong_secret_is_401(fake: AkamaiFake, client: Client) -> None:
    auth = auth_of(client, secret="not-the-secret")
    with httpx.Client(base_url=fake.base_url + ROOT, auth=auth) as session:
        answer = session.get("/zones/example.test/recordsets")
    assert answer.status_code == 401
    assert problem(answer)["detail"] == "The signature does not match"


def test_tampered_body_and_replayed_nonce_are_401(fake: AkamaiFake, client: Client) -> None:
    auth = auth_of(client)
    url = fake.base_url + ROOT + "/changelists?zone=example.test"
    signed = httpx.Request("POST", url, content=b"{}")
    header = auth.sign(signed)
    with httpx.Client() as session:
        tampered = httpx.Request("POST", url, content=b"[]", headers={"Authorization": header})
        assert session.send(tampered).status_code == 401
        replay = httpx.Request("GET", fake.base_url + ROOT + "/zones/example.test/recordsets")
        replay.headers["Authorization"] = auth.sign(replay)
        assert session.send(replay).status_code == 200
        assert session.send(replay).status_code == 401
        assert session.get(url.replace("?zone", "?x")).status_code == 401  # unsigned


def test_answer_checks_catch_an_answer_outside_the_spec() -> None:
    spec = shared_spec()
    op, _, _ = spec.route("GET", "/zones/{zone}/recordsets".replace("{zone}", "example.test"))
    assert op is not None
    good = {
        "metadata": {"zone": "z", "page": 1, "pageSize": 1, "totalElements": 1, "types": []},
        "recordsets": [{"name": "a.z", "type": "A", "ttl": 60, "rdata": ["192.0.2.1"]}],
    }
    path = "/zones/example.test/recordsets"
    ok = json.dumps(good).encode()
    assert spec.response_problems(op, path, [], 200, "application/json", ok) == []
    good["recordsets"][0]["comment"] = "not in the schema"  # type: ignore[index]
    bad = json.dumps(good).encode()
    assert spec.response_problems(op, path, [], 200, "application/json", bad)
    assert spec.response_problems(op, path, [], 409, "application/json", b"{}")
    assert spec.response_problems(op, path, [], 409, "application/problem+json", b'{"t": 1}')
    fine = b'{"type": "https://x.test/p", "title": "Conflict"}'
    assert spec.response_problems(op, path, [], 409, "application/problem+json", fine) == []


def test_replacing_every_record_set_is_not_served(fake: AkamaiFake, http: httpx.Client) -> None:
    one = {"name": "a.example.test", "type": "A", "ttl": 60, "rdata": ["192.0.2.1"]}
    answer = http.put("/zones/example.test/recordsets", json={"recordsets": [one]})
    assert answer.status_code == 501
