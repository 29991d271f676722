"""Request signing: DNS Made Easy's three ``x-dnsme-*`` headers, as an :class:`httpx.Auth`.

Every request carries ``x-dnsme-apiKey`` (the API key), ``x-dnsme-requestDate`` (the current
time as an HTTP date, RFC 9110 section 5.6.7, e.g. ``Sat, 12 Feb 2011 20:59:04 GMT``) and
``x-dnsme-hmac``: the lower-case hex HMAC-SHA1 of exactly that date string, keyed with the
secret key. Method, path and body are not signed, and the server refuses (HTTP 403) a date 30 s
or more away from its clock. Source: DNS Made Easy API V2.0 documentation p. 8-9, with its
test vector; API.md "Authentication" (2+). No vendor library signs for Python, so the standard
library's :mod:`hmac` does.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import time
from collections.abc import Callable, Generator

import httpx


def signature(secret_key: str, request_date: str) -> str:
    """Lower-case hex HMAC-SHA1 of ``request_date`` keyed with ``secret_key``."""
    return hmac.new(secret_key.encode(), request_date.encode(), hashlib.sha1).hexdigest()


def http_date(epoch_seconds: float) -> str:
    """``epoch_seconds`` as an IMF-fixdate (``Sat, 12 Feb 2011 20:59:04 GMT``)."""
    return email.utils.formatdate(epoch_seconds, usegmt=True)


class DnsMadeEasyAuth(httpx.Auth):
    """Signs each request (a fresh date every time, retries included) with the two keys.

    ``clock`` returns Unix seconds (injectable for tests). The keys live only in this object;
    its ``repr`` names neither.
    """

    def __init__(
        self, api_key: str, secret_key: str, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._api_key = api_key
        self._secret_key = secret_key
        self._clock = clock

    def __repr__(self) -> str:
        return "DnsMadeEasyAuth(<keys hidden>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        date = http_date(self._clock())
        request.headers["x-dnsme-apiKey"] = self._api_key
        request.headers["x-dnsme-requestDate"] = date
        request.headers["x-dnsme-hmac"] = signature(self._secret_key, date)
        yield request
