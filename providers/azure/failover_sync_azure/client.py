"""The SDK seam: ``DnsManagementClient.record_sets`` (azure-mgmt-dns, api-version 2018-05-01)
behind the client-side ARM budget.

One :class:`DnsClient` per provider instance holds one async SDK client per subscription
(they share the credential). Every call first takes a token from the bucket of its
subscription and principal (reads and writes apart, as ARM counts them), then sends exactly
one HTTP request: azure-core's RetryPolicy is built with ``retry_total=sdk_retries`` (0 by
default, against its default of 10), so the core's RetryPolicy is the only retry loop. A 429
blocks the bucket for its ``Retry-After``, so no call of this process goes out before then.

Buckets are process-wide, keyed by subscription and principal: ARM throttles per
subscription and principal (https://learn.microsoft.com/azure/azure-resource-manager/
management/request-limits-and-throttling), so every zone and provider instance that uses the
same identity on the same subscription shares them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.core.pipeline import PipelineRequest
from azure.core.rest import HttpRequest
from azure.mgmt.dns.aio import DnsManagementClient
from azure.mgmt.dns.models import RecordSet

from failover_sync import MalformedAnswer, TokenBucket, retry_after_from
from failover_sync_azure.errors import Throttled, response_headers

T = TypeVar("T")
Kind = Literal["read", "write"]
API_VERSION = "2018-05-01"
"""The record-sets API the adapter is written and tested against."""
RECORD_NOT_FOUND = "NotFound"
"""ARM's error code of a GET on a record set that does not exist (a missing zone or group
answers ``ParentResourceNotFound`` / ``ResourceGroupNotFound`` / ``ResourceNotFound``)."""


def _require_value(items: list[RecordSet] | None) -> list[RecordSet]:
    """A page without ``value`` is not an empty page (ARM always sends the array)."""
    if not isinstance(items, list):
        raise MalformedAnswer("a page of record sets has no 'value' array")
    return items


_BUCKETS: dict[tuple[str, str, Kind], TokenBucket] = {}


def bucket_for(
    subscription: str, principal: str, kind: Kind, rate: float, burst: int
) -> TokenBucket:
    """The process-wide bucket of ``kind`` calls for ``subscription`` and ``principal``; the
    lowest rate and burst asked for win."""
    key = (subscription.lower(), principal, kind)
    bucket = _BUCKETS.get(key)
    if bucket is None:
        bucket = _BUCKETS[key] = TokenBucket(rate, burst)
    bucket.rate = min(bucket.rate, rate)
    bucket.capacity = min(bucket.capacity, float(burst))
    return bucket


class DnsClient:
    """Record-set calls of one provider instance.

    ``principal`` names the identity for the buckets (a client id, never a secret);
    ``transport`` keyword arguments (``connection_verify``, timeouts) go to every SDK client.
    Raises the SDK's errors, :class:`~failover_sync_azure.errors.Throttled` and
    MalformedAnswer; :mod:`.errors` classifies them.
    """

    def __init__(
        self,
        credential: AsyncTokenCredential,
        *,
        base_url: str,
        principal: str,
        rates: dict[Kind, tuple[float, int]],
        max_wait: float,
        sdk_retries: int,
        page_size: int | None,
        max_pages: int,
        transport: dict[str, Any],
    ) -> None:
        self._credential = credential
        self._base_url = base_url
        self._principal = principal
        self._rates = rates
        self._max_wait = max_wait
        self._sdk_retries = sdk_retries
        self._page_size = page_size
        self._max_pages = max_pages
        self._transport = transport
        self._clients: dict[str, DnsManagementClient] = {}

    def _client(self, subscription: str) -> DnsManagementClient:
        client = self._clients.get(subscription)
        if client is None:
            client = DnsManagementClient(
                self._credential,
                subscription,
                base_url=self._base_url,
                api_version=API_VERSION,
                retry_total=self._sdk_retries,
                raw_request_hook=self._same_origin,
                **self._transport,
            )
            self._clients[subscription] = client
        return client

    def _same_origin(self, request: PipelineRequest[HttpRequest]) -> None:
        """Refuse, before it is sent with our token, a request to another host than
        ``base_url``: a ``nextLink`` that points elsewhere is a malformed answer."""
        wanted = urlsplit(self._base_url)
        got = urlsplit(request.http_request.url)
        if (got.scheme, got.netloc.lower()) != (wanted.scheme, wanted.netloc.lower()):
            raise MalformedAnswer(f"a nextLink points to {got.scheme}://{got.netloc[:100]}")

    async def _call(self, subscription: str, kind: Kind, fn: Callable[[], Awaitable[T]]) -> T:
        rate, burst = self._rates[kind]
        bucket = bucket_for(subscription, self._principal, kind, rate, burst)
        blocked = bucket.blocked_for()
        if blocked > 0:
            raise Throttled(f"ARM asked to wait {blocked:.1f} s more (HTTP 429)", blocked)
        # A refused call keeps the token it reserved: the bucket counts it as sent, which errs
        # on the side of ARM's budget (its retry waits behind it).
        wait = bucket.reserve()
        if wait > self._max_wait:
            raise Throttled(
                f"client-side ARM {kind} budget of {bucket.rate:g}/s used up; next call in "
                f"{wait:.1f} s",
                wait,
            )
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            return await fn()
        except HttpResponseError as exc:
            if exc.status_code == 429:
                bucket.block(retry_after_from(response_headers(exc)) or 1.0)
            raise

    async def list_sets(
        self, subscription: str, group: str, zone: str, rtype: str | None
    ) -> list[RecordSet]:
        """Every record set of ``rtype`` in ``zone`` (every type when None), all pages.

        Each page is a call against the read budget (the SDK follows ``nextLink``).
        """
        ops = self._client(subscription).record_sets
        if rtype is None:
            pages = ops.list_all_by_dns_zone(group, zone, top=self._page_size, cls=_require_value)
        else:
            pages = ops.list_by_type(group, zone, rtype, top=self._page_size, cls=_require_value)
        iterator = pages.by_page()  # each page is fetched lazily, by anext, in the budget
        out: list[RecordSet] = []
        for _ in range(self._max_pages):
            page = await self._call(subscription, "read", lambda: anext(iterator))
            out.extend([item async for item in page])
            # The page's nextLink: none means the last page, and no call (nor token) more.
            if getattr(iterator, "continuation_token", None) is None:
                return out
        raise MalformedAnswer(f"the listing has more than {self._max_pages} pages")

    async def get(
        self, subscription: str, group: str, zone: str, rtype: str, name: str
    ) -> RecordSet | None:
        """The record set, or None when ARM says it does not exist (code ``NotFound``)."""
        ops = self._client(subscription).record_sets
        try:
            return await self._call(subscription, "read", lambda: ops.get(group, zone, name, rtype))
        except ResourceNotFoundError as exc:
            if exc.error is not None and exc.error.code == RECORD_NOT_FOUND:
                return None
            raise

    async def put(
        self,
        subscription: str,
        group: str,
        zone: str,
        rtype: str,
        name: str,
        body: RecordSet,
        *,
        etag: str | None,
    ) -> RecordSet:
        """PUT ``body``: with ``If-Match: etag``, or ``If-None-Match: *`` (create only) when
        ``etag`` is None. A refused precondition is an HTTP 412."""
        ops = self._client(subscription).record_sets
        if etag is None:
            return await self._call(
                subscription,
                "write",
                lambda: ops.create_or_update(group, zone, name, rtype, body, if_none_match="*"),
            )
        return await self._call(
            subscription,
            "write",
            lambda: ops.create_or_update(group, zone, name, rtype, body, if_match=etag),
        )

    async def delete(
        self, subscription: str, group: str, zone: str, rtype: str, name: str, *, etag: str
    ) -> None:
        """DELETE with ``If-Match: etag`` (200 deleted, 204 already gone, 412 changed)."""
        ops = self._client(subscription).record_sets
        await self._call(
            subscription, "write", lambda: ops.delete(group, zone, name, rtype, if_match=etag)
        )

    async def aclose(self) -> None:
        """Close every SDK client and the credential."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()
        close = getattr(self._credential, "close", None)
        if close is not None:
            await close()
