"""Where a redirect may lead: same host on the endpoint, never elsewhere (issue 12: 6, 20)."""

from __future__ import annotations

import pytest

from failover_sync.health.redirects import Hop, host_header, next_hop

HOST, ADDRESS = "app.example.test", "127.0.0.2"
START = Hop("http", 8080, "/healthz", "GET")


@pytest.mark.parametrize(
    ("location", "hop"),
    [
        ("/ready", Hop("http", 8080, "/ready", "GET")),
        ("ready?x=1", Hop("http", 8080, "/ready?x=1", "GET")),
        ("http://app.example.test:8080/a", Hop("http", 8080, "/a", "GET")),
        ("http://APP.example.test./a", Hop("http", 80, "/a", "GET")),
        ("https://app.example.test/a", Hop("https", 443, "/a", "GET")),
        ("https://app.example.test:8443", Hop("https", 8443, "/", "GET")),
        ("http://127.0.0.2:9000/x", Hop("http", 9000, "/x", "GET")),
    ],
)
def test_same_host_stays_on_the_endpoint(location: str, hop: Hop) -> None:
    assert next_hop(START, 302, location, HOST, ADDRESS) == hop


@pytest.mark.parametrize(
    ("location", "reason"),
    [
        ("http://other.example.test/", "redirect to other host other.example.test not followed"),
        ("//evil.example.test/x", "redirect to other host evil.example.test not followed"),
        ("http://127.0.0.3/", "redirect to other host 127.0.0.3 not followed"),
        ("ftp://app.example.test/", "redirect to unsupported scheme ftp not followed"),
    ],
)
def test_other_hosts_are_not_followed(location: str, reason: str) -> None:
    assert next_hop(START, 301, location, HOST, ADDRESS) == reason


@pytest.mark.parametrize(
    ("status", "method", "after"),
    [(303, "GET", "GET"), (303, "HEAD", "HEAD"), (302, "HEAD", "HEAD"), (307, "HEAD", "HEAD"),
     (301, "POST", "GET"), (308, "POST", "POST")],
)  # fmt: skip
def test_methods_follow_rfc_9110(status: int, method: str, after: str) -> None:
    hop = next_hop(Hop("http", 80, "/", method), status, "/b", HOST, ADDRESS)
    assert isinstance(hop, Hop)
    assert hop.method == after


def test_without_a_host_name_the_address_is_the_host() -> None:
    assert next_hop(START, 302, "/x", "", ADDRESS) == Hop("http", 8080, "/x", "GET")
    assert next_hop(START, 302, "http://app.example.test/", "", ADDRESS) == (
        "redirect to other host app.example.test not followed"
    )


def test_host_header_carries_a_non_default_port() -> None:
    assert host_header(HOST, "http", 80) == HOST
    assert host_header(HOST, "https", 443) == HOST
    assert host_header(HOST, "https", 80) == f"{HOST}:80"
    assert host_header(HOST, "http", 8080) == f"{HOST}:8080"
