"""The one classification boundary: problem+json bodies and HTTP failures -> core errors."""

from __future__ import annotations

import httpx
import pytest
from failover_sync_akamai.errors import APIError, Problem, Throttled, classify

from failover_sync import MalformedAnswer, ProviderError, StaleRRsetError, TransientProviderError

ZONE = "example.test."


def error(status: int, operation: str = "zones-recordsets", **fields: str) -> ProviderError:
    problem = Problem(fields.get("type", ""), fields.get("title", ""), fields.get("detail", ""))
    return classify(APIError(status, operation, problem), provider="ak", zone=ZONE)


def test_problem_json_is_read_and_anything_else_is_empty() -> None:
    body = b'{"type": "https://p.test/x", "title": "Conflict", "detail": "stale", "status": 409}'
    assert Problem.parse(body) == Problem("https://p.test/x", "Conflict", "stale")
    assert Problem.parse(b"<html>") == Problem()
    assert Problem.parse(b"[1]") == Problem()
    assert Problem().describe() == "no problem details"


@pytest.mark.parametrize(
    ("status", "operation", "kind"),
    [
        (429, "submit", TransientProviderError),
        (500, "zones-recordsets", TransientProviderError),
        (408, "add-change", TransientProviderError),
        (409, "submit", StaleRRsetError),
        (409, "add-change", StaleRRsetError),
        (400, "zones-recordsets", ProviderError),
        (401, "zones-recordsets", ProviderError),
        (403, "create-changelist", ProviderError),
        (404, "zones-recordsets", ProviderError),
    ],
)
def test_status_and_operation_decide_the_class(status: int, operation: str, kind: type) -> None:
    result = error(status, operation, title="T")
    assert type(result) is kind
    assert result.zone == ZONE
    assert f"HTTP {status} on {operation}: T" in str(result)


def test_a_problem_that_says_stale_is_stale_whatever_the_status() -> None:
    assert isinstance(error(400, "submit", title="Change list is stale"), StaleRRsetError)


def test_hints_name_what_to_check() -> None:
    assert "system clock" in str(error(401))
    assert "DNS zone record management grant" in str(error(403))
    assert "PRIMARY zone" in str(error(404))


def test_transport_errors_throttling_and_malformed() -> None:
    timeout = classify(httpx.ReadTimeout("slow"), provider="ak", zone=ZONE)
    assert isinstance(timeout, TransientProviderError)
    assert "timed out" in str(timeout)
    blocked = classify(Throttled(2.5), provider="ak", zone=ZONE)
    assert isinstance(blocked, TransientProviderError)
    assert blocked.retry_after == 2.5
    bad = classify(MalformedAnswer("x: not JSON"), provider="ak", zone=ZONE)
    assert isinstance(bad, MalformedAnswer)
    assert not isinstance(bad, TransientProviderError)


def test_secrets_echoed_by_the_server_are_scrubbed() -> None:
    problem = Problem("", "Unauthorized", "bad token akab-secret-123 in header")
    result = classify(
        APIError(401, "submit", problem), provider="ak", zone=ZONE, secrets=["akab-secret-123"]
    )
    assert "akab-secret-123" not in str(result)
    assert "***" in str(result)
