"""Where a probe's redirect may go: never off the endpoint (issue 12, items 6 and 20).

A probe judges one endpoint: an address, with ``health_check.host`` as the ``Host`` header
and TLS SNI name. A redirect is followed only when its ``Location`` names the same host
(the probed host name, case-insensitive, or the endpoint's own address), which is what
nginx's default absolute redirects do (``Location: http://<server_name>/...``). The next
request then goes to the endpoint's address again, on the scheme and port that ``Location``
gives, with the same ``Host`` and SNI name. A redirect to any other host is not followed: it
is the final response, judged against ``expected_status`` like any other answer, and the
reason says ``redirect to other host <h> not followed`` (to fail such an endpoint, expect
``200-299``). A host name in ``Location`` is never looked up in DNS. Methods change as
RFC 9110 section 15.4 allows and browsers do: 303 turns every method but HEAD into GET, 301
and 302 turn POST into GET; 307 and 308 keep the method.
"""

from __future__ import annotations

from dataclasses import dataclass

from yarl import URL

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
MAX_REDIRECTS = 20
"""Hops followed before a probe fails with ``too many redirects`` (httpx's default)."""


@dataclass(frozen=True, slots=True)
class Hop:
    """One request of a probe: ``scheme`` (``http``/``https``), ``port``, ``target`` (path
    and query), ``method``."""

    scheme: str
    port: int
    target: str
    method: str


def default_port(scheme: str) -> int:
    """80 for ``http``, 443 for ``https``."""
    return 443 if scheme == "https" else 80


def host_header(host: str, scheme: str, port: int) -> str:
    """The ``Host`` header value: ``host`` alone on the scheme's default port, else
    ``host:port`` (RFC 9110 section 7.2)."""
    return host if port == default_port(scheme) else f"{host}:{port}"


def next_hop(current: Hop, status: int, location: str, host: str, address: str) -> Hop | str:
    """The next request after ``status`` with ``location``, or a reason string when the
    redirect leaves the endpoint (``redirect to other host <h> not followed``) or cannot be
    followed (``redirect to unsupported scheme <s> not followed``, ``bad redirect
    location``). ``host`` is the probed host name, ``address`` the endpoint's address."""
    authority = host or address
    bracketed = f"[{authority}]" if ":" in authority else authority
    base = URL(f"{current.scheme}://{bracketed}:{current.port}{current.target}")
    try:
        new = base.join(URL(location))
    except ValueError:
        return "bad redirect location"
    if new.scheme not in ("http", "https"):
        return f"redirect to unsupported scheme {new.scheme or '?'} not followed"
    new_host = (new.host or "").rstrip(".").lower()
    same = {authority.rstrip(".").lower(), address.lower()}
    if new_host not in same:
        return f"redirect to other host {new.host} not followed"
    method = current.method
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method = "GET"
    port = new.explicit_port or default_port(new.scheme)
    return Hop(new.scheme, port, new.raw_path_qs or "/", method)
