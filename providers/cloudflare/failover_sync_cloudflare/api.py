"""The SDK seam: exactly the three Cloudflare API calls the adapter makes.

=====================  =============================================  =====================
call                   HTTP                                           SDK
=====================  =============================================  =====================
:meth:`zone_id`        ``GET /zones?name=``                           ``zones.list``
:meth:`list_records`   ``GET /zones/{id}/dns_records?name.exact=``    ``dns.records.list``
                       ``&type=&per_page=`` (every page)
:meth:`batch`          ``POST /zones/{id}/dns_records/batch``         ``dns.records.batch``
=====================  =============================================  =====================

Reference: https://developers.cloudflare.com/api/resources/dns/subresources/records/ and
https://developers.cloudflare.com/api/resources/zones/methods/list/.

Every HTTP request, the SDK's own retries included, is counted by an httpx request hook in the
token's :class:`~failover_sync_cloudflare.budget.RequestBudget`; a read starts only when
``1 + max_retries`` requests fit in it. Reads are retried by the SDK; a batch is sent once
(``max_retries=0``): it is not idempotent, so only the core retries it, after a fresh read.
A 429 blocks the token for its ``Retry-After``. SDK errors pass through unchanged;
:mod:`failover_sync_cloudflare.errors` classifies them. An answer that cannot be read (not
JSON, ``result`` not a list, a record field missing or of the wrong type, or larger than
``max_answer_bytes``: :mod:`.bounded`) is raised as
:class:`~failover_sync_cloudflare.errors.MalformedAnswer`.
"""

from __future__ import annotations

from typing import Any, cast

import cloudflare
import httpx
from cloudflare.types.dns import RecordBatchResponse, record_batch_params
from cloudflare.types.dns.batch_patch_param import BatchPatchParam
from pydantic import SecretStr

from failover_sync import absolute_name
from failover_sync_cloudflare.batch import LiveRecord, Ops, Patch, Post, canonical_content
from failover_sync_cloudflare.bounded import DEFAULT_LIMIT, AnswerTooLarge, BoundedTransport
from failover_sync_cloudflare.budget import RequestBudget
from failover_sync_cloudflare.errors import MALFORMED, MalformedAnswer, retry_after

DEFAULT_BLOCK_SECONDS = 60.0
"""How long a 429 without ``Retry-After`` blocks the token."""


class CloudflareAPI:
    """An ``AsyncCloudflare`` client with a token, a base URL, retries, a timeout and a budget.

    ``timeout`` is seconds per HTTP request; ``max_retries`` is the SDK's per call.
    """

    def __init__(
        self,
        token: SecretStr,
        *,
        budget: RequestBudget,
        base_url: str | None = None,
        max_retries: int = 2,
        timeout: float = 30.0,
        per_page: int = 100,
        max_answer_bytes: int = DEFAULT_LIMIT,
    ) -> None:
        self._budget = budget
        self._need = 1 + max_retries
        self._per_page = per_page
        self.requests = 0
        """HTTP requests sent by this client (retries included)."""
        self._http = cloudflare.DefaultAsyncHttpxClient(
            event_hooks={"request": [self._on_request]},
            transport=BoundedTransport(max_answer_bytes),
        )
        self._client = cloudflare.AsyncCloudflare(
            api_token=token.get_secret_value(),
            base_url=base_url,
            max_retries=max_retries,
            timeout=timeout,
            http_client=self._http,
        )
        self._writer = self._client.with_options(max_retries=0)
        """Batches are never retried by the SDK: a batch whose answer was lost may have been
        applied, so only the core retries it, after a fresh read and plan."""

    async def _on_request(self, request: httpx.Request) -> None:
        self.requests += 1
        self._budget.record()

    def _admit(self) -> None:
        self._budget.check(self._need)

    def _blocked(self, exc: cloudflare.RateLimitError) -> None:
        wait = retry_after(exc.response.headers)
        self._budget.block_for(DEFAULT_BLOCK_SECONDS if wait is None else wait)

    async def zone_id(self, name: str) -> str | None:
        """The id of the zone named ``name`` (absolute or not), or None if the token sees none."""
        self._admit()
        try:
            page = await self._client.zones.list(name=name.rstrip("."), per_page=5)
            for zone in _result_list(page):
                if absolute_name(_text(zone, "name")) == absolute_name(name):
                    return _text(zone, "id")
        except cloudflare.RateLimitError as exc:
            self._blocked(exc)
            raise
        except MALFORMED as exc:
            raise MalformedAnswer.of("zones.list", exc) from exc
        except cloudflare.APIConnectionError as exc:
            _too_large("zones.list", exc)
            raise
        return None

    async def list_records(
        self, zone_id: str, name: str | None, rtype: str | None, *, per_page: int | None = None
    ) -> list[LiveRecord]:
        """Every record named ``name`` (every record of the zone when None; of ``rtype``
        when given), all pages of ``per_page`` records.

        A page shorter than ``per_page`` is the last one, so the usual cost is one request;
        otherwise the SDK asks for the next page until an empty one comes back.
        """
        size = per_page or self._per_page
        kwargs: dict[str, Any] = {"per_page": size}
        if name is not None:
            kwargs["name"] = {"exact": name.rstrip(".")}
        if rtype is not None:
            kwargs["type"] = rtype
        out: list[LiveRecord] = []
        try:
            self._admit()
            page = await self._client.dns.records.list(zone_id=zone_id, **kwargs)
            while True:
                result = _result_list(page)
                out.extend(_live(record) for record in result)
                if len(result) < size or not page.has_next_page():
                    return out
                self._admit()
                page = await page.get_next_page()
        except cloudflare.RateLimitError as exc:
            self._blocked(exc)
            raise
        except MALFORMED as exc:
            raise MalformedAnswer.of("dns.records.list", exc) from exc
        except cloudflare.APIConnectionError as exc:
            _too_large("dns.records.list", exc)
            raise

    async def batch(self, zone_id: str, ops: Ops) -> None:
        """Send ``ops`` as one ``dns.records.batch`` call (one transaction)."""
        deletes: list[record_batch_params.Delete] = [{"id": i} for i in ops.deletes]
        patches = [_patch_param(p) for p in ops.patches]
        posts = [_post_param(p) for p in ops.posts]
        self._budget.check(1)
        try:
            answer = await self._writer.dns.records.batch(
                zone_id=zone_id, deletes=deletes, patches=patches, posts=posts
            )
            if not isinstance(answer, RecordBatchResponse):
                raise TypeError(f"result is {type(answer).__name__}, not an object")
        except cloudflare.RateLimitError as exc:
            self._blocked(exc)
            raise
        except MALFORMED as exc:
            raise MalformedAnswer.of("dns.records.batch", exc) from exc
        except cloudflare.APIConnectionError as exc:
            _too_large("dns.records.batch", exc)
            raise

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.close()


def _too_large(call: str, exc: cloudflare.APIConnectionError) -> None:
    """Raise MalformedAnswer when the SDK's connection error is our answer-size bound."""
    if isinstance(exc.__cause__, AnswerTooLarge):
        raise MalformedAnswer(f"{call}: {exc.__cause__}") from exc


def _result_list(page: Any) -> list[Any]:
    """``page.result``, which the API always sends as a list (the SDK does not check)."""
    result = page.result
    if not isinstance(result, list):
        raise TypeError(f"result is {type(result).__name__}, not a list")
    return result


def _text(item: Any, field: str, *, default: str | None = None) -> str:
    """String ``field`` of an SDK model (not validated by the SDK: checked here)."""
    value = getattr(item, field, None)
    if value is None and default is not None:
        return default
    if not isinstance(value, str):
        raise TypeError(f"{field} is {type(value).__name__}, not a string")
    return value


def _live(record: Any) -> LiveRecord:
    rtype = _text(record, "type")
    ttl = getattr(record, "ttl", None)
    if not isinstance(ttl, int | float) or isinstance(ttl, bool) or not float(ttl).is_integer():
        raise TypeError(f"ttl is {ttl!r}, not a whole number")  # the SDK types it as a number
    proxied = getattr(record, "proxied", None)
    if proxied is not None and not isinstance(proxied, bool):
        raise TypeError(f"proxied is {type(proxied).__name__}, not a boolean")
    return LiveRecord(
        id=_text(record, "id"),
        name=absolute_name(_text(record, "name")),
        type=rtype,
        content=canonical_content(rtype, _text(record, "content", default="")),
        ttl=int(ttl),
        proxied=bool(proxied),
    )


def _patch_param(patch: Patch) -> BatchPatchParam:
    param: dict[str, Any] = {
        "id": patch.id,
        "name": patch.name,
        "type": patch.type,
        "ttl": patch.ttl,
    }
    if patch.proxied is not None:
        param["proxied"] = patch.proxied
    return cast(BatchPatchParam, param)


def _post_param(post: Post) -> record_batch_params.Post:
    param: dict[str, Any] = {
        "name": post.name,
        "type": post.type,
        "content": post.content,
        "ttl": post.ttl,
        "comment": post.comment,
    }
    if post.proxied is not None:
        param["proxied"] = post.proxied
    return cast(record_batch_params.Post, param)


__all__ = ["CloudflareAPI"]
