"""EdgeGrid signing of httpx requests with the official ``edgegrid-python`` library.

The library (https://github.com/akamai/AkamaiOPEN-edgegrid-python) is a ``requests`` auth
plugin; its :class:`akamai.edgegrid.edgegrid.EdgeGridAuthHeaders` computes the
``EG1-HMAC-SHA256`` header from an object with ``method``, ``url``, ``headers`` and ``body``.
:class:`EdgeGridAuth` hands it such a view of an :class:`httpx.Request`, so the algorithm
(https://techdocs.akamai.com/developer/docs/authenticate-with-edgegrid) stays the library's.

The library logs the signing key and the unsigned header (client and access tokens) at DEBUG
level: its loggers are held at WARNING here so that no log configuration of ours shows them.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass

import httpx
from akamai.edgegrid.edgegrid import (  # type: ignore[import-untyped]
    EdgeGridAuthHeaders,
    eg_timestamp,
    new_nonce,
)

from failover_sync_akamai.options import Credentials

DEFAULT_MAX_BODY = 131_072
"""Bytes of a POST body covered by the content hash (the library's and Akamai's default)."""

for _name in ("akamai.edgegrid", "akamai.edgegrid.edgegrid", "akamai.edgegrid.edgerc"):
    logging.getLogger(_name).setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class SigningView:
    """The fields of a ``requests.PreparedRequest`` that the library's signer reads.

    ``url`` is the full URL as sent (scheme, host, path, ``;params`` and query); ``headers``
    is case-insensitive (the library looks up ``Host`` and the headers to sign); ``body`` is
    the exact bytes sent.
    """

    method: str
    url: str
    headers: httpx.Headers
    body: bytes


class EdgeGridAuth(httpx.Auth):
    """An httpx auth flow that sets ``Authorization: EG1-HMAC-SHA256 ...`` on each request.

    ``headers_to_sign`` and ``max_body`` are the API's signing parameters (none and 131,072
    bytes for Edge DNS). A fresh timestamp and nonce are used per request; :meth:`sign` takes
    fixed ones for the library's published test vectors.
    """

    requires_request_body = True

    def __init__(
        self,
        credentials: Credentials,
        *,
        headers_to_sign: tuple[str, ...] = (),
        max_body: int = DEFAULT_MAX_BODY,
    ) -> None:
        self._signer = EdgeGridAuthHeaders(
            credentials.client_token.get_secret_value(),
            credentials.client_secret.get_secret_value(),
            credentials.access_token.get_secret_value(),
            headers_to_sign=headers_to_sign,
            max_body=max_body,
        )

    def sign(
        self, request: httpx.Request, *, timestamp: str | None = None, nonce: str | None = None
    ) -> str:
        """The ``Authorization`` value for ``request`` (``timestamp`` as
        ``20140321T19:34:21+0000``, UTC; both default to now and a random UUID)."""
        view = SigningView(request.method, str(request.url), request.headers, request.content)
        header = self._signer.make_auth_header(
            view,
            eg_timestamp() if timestamp is None else timestamp,
            new_nonce() if nonce is None else nonce,
        )
        return str(header)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.sign(request)
        yield request

    def __repr__(self) -> str:
        return "EdgeGridAuth(<credentials hidden>)"


__all__ = ["DEFAULT_MAX_BODY", "EdgeGridAuth", "SigningView"]
