"""The HTTP seam: exactly the Edge DNS API calls the adapter makes, with httpx.

=======================  ===================================================  =============
method                   HTTP (under ``/config-dns/v2``)                      answer
=======================  ===================================================  =============
:meth:`recordsets`       ``GET /zones/{zone}/recordsets?types=&search=``      200, paged
                         ``&page=&pageSize=`` (every page)
:meth:`recordsets`       ``GET /changelists/{zone}/recordsets?...`` (the      200, paged
 (``changelist=True``)   change list's base version plus its changes)
:meth:`create`           ``POST /changelists?zone=&overwrite=none``           201
:meth:`diff`             ``GET /changelists/{zone}/diff``                     200
:meth:`discard`          ``DELETE /changelists/{zone}``                       204
:meth:`add_change`       ``POST /changelists/{zone}/recordsets/add-change``   204
:meth:`submit`           ``POST /changelists/{zone}/submit``                  204
                         ``?skipSignAndServeSafetyCheck=false&comment=``
=======================  ===================================================  =============

Reference: the official OpenAPI description (akamai/akamai-apis, ``apis/config-dns/v2``) and
https://techdocs.akamai.com/edge-dns/reference/api. ``PUT /zones/{zone}/recordsets`` is never
called: it replaces every record set of the zone.

Each request is signed by :class:`~failover_sync_akamai.signing.EdgeGridAuth`, paced by a
:class:`~failover_sync.TokenBucket` and counted in :attr:`AkamaiAPI.requests`. Nothing is
retried here (the core retries the whole read-plan-apply attempt); a 429 blocks the bucket for
its ``Retry-After`` and later calls fail fast with :class:`~.errors.Throttled` until then.
Answers are read with a size limit and checked field by field: what does not match the
documented shape raises :class:`~failover_sync.MalformedAnswer`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import httpx

from failover_sync import MalformedAnswer, RRset, TokenBucket, read_bounded, retry_after_from
from failover_sync_akamai.errors import APIError, Problem, Throttled
from failover_sync_akamai.records import Body, api_name, to_rrset


class AkamaiAPI:
    """An httpx client for one API root (``https://host/config-dns/v2``).

    ``timeout`` is seconds per request; ``block_seconds`` how long a 429 without
    ``Retry-After`` stops requests; ``page_size`` record sets per page.
    """

    def __init__(
        self,
        root: str,
        auth: httpx.Auth,
        *,
        bucket: TokenBucket,
        timeout: float = 30.0,
        page_size: int = 100,
        block_seconds: float = 5.0,
    ) -> None:
        self.bucket = bucket
        """The request budget (shared by every zone of the provider instance)."""
        self._page_size = page_size
        self._block = block_seconds
        self.requests = 0
        """HTTP requests sent by this client."""
        self._client = httpx.AsyncClient(
            base_url=root,
            auth=auth,
            timeout=timeout,
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )

    async def _call(
        self,
        operation: str,
        method: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        body: Body | None = None,
        expect: int = 200,
    ) -> Any:
        """Send one request; the decoded JSON of a 200/201 answer, None for 204."""
        blocked = self.bucket.blocked_for()
        if blocked > 0:
            raise Throttled(blocked)
        await self.bucket.acquire()
        self.requests += 1
        request = self._client.build_request(method, path, params=params, json=body)
        response = await self._client.send(request, stream=True)
        try:
            raw = await read_bounded(response, what=f"answer to {operation}")
        finally:
            await response.aclose()
        status = response.status_code
        if status != expect:
            wait = retry_after_from(response.headers)
            if status == 429:
                # Without Retry-After, the block is the hint: the core's next attempt then
                # waits for it instead of failing fast against the blocked budget.
                wait = self._block if wait is None else wait
                self.bucket.block(wait)
            raise APIError(status, operation, Problem.parse(raw), wait)
        if expect == 204:
            return None
        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            raise MalformedAnswer(f"{operation}: content type {kind or 'none'!r}, not JSON")
        try:
            return json.loads(raw)
        except ValueError:
            raise MalformedAnswer(f"{operation}: the body is not JSON") from None

    async def recordsets(
        self, zone: str, types: Sequence[str], search: str | None, *, changelist: bool = False
    ) -> list[RRset]:
        """Every record set of ``zone`` of ``types`` (whose name or rdata contains ``search``
        when given), all pages; from the change list when ``changelist``."""
        where = "changelists" if changelist else "zones"
        operation = f"{where}-recordsets"
        params = {"types": ",".join(sorted(set(types))), "pageSize": str(self._page_size)}
        if search is not None:
            params["search"] = search
        out: list[RRset] = []
        page = 1
        while True:
            params["page"] = str(page)
            data = await self._call(
                operation, "GET", f"/{where}/{api_name(zone)}/recordsets", params=params
            )
            items, total = _page(data, zone, page, operation, self._page_size)
            out.extend(to_rrset(item, what=operation) for item in items)
            if len(out) >= total or not items:
                if len(out) != total:
                    raise MalformedAnswer(
                        f"{operation}: {len(out)} record sets on the pages, {total} announced"
                    )
                return out
            page += 1

    async def create(self, zone: str) -> Body:
        """Create our change list of ``zone``; refused (409) when one exists already."""
        data = await self._call(
            "create-changelist",
            "POST",
            "/changelists",
            params={"zone": api_name(zone), "overwrite": "none"},
            expect=201,
        )
        if not isinstance(data, dict) or not isinstance(data.get("zoneVersionId"), str):
            raise MalformedAnswer("create-changelist: no zoneVersionId in the answer")
        return data

    async def diff(self, zone: str) -> tuple[set[tuple[str, str]], int]:
        """What a change list of ``zone`` would change: (absolute name, type) of each changed
        record set, and how many zone settings it changes."""
        data = await self._call("changelist-diff", "GET", f"/changelists/{api_name(zone)}/diff")
        diffs = data.get("diffs") if isinstance(data, dict) else None
        if not isinstance(diffs, dict):
            raise MalformedAnswer("changelist-diff: no diffs object")
        records = diffs.get("recordSetDiffs") or []
        settings = diffs.get("settingsDiffs") or []
        if not isinstance(records, list) or not isinstance(settings, list):
            raise MalformedAnswer("changelist-diff: diffs are not lists")
        keys: set[tuple[str, str]] = set()
        for item in records:
            if not isinstance(item, dict):
                raise MalformedAnswer("changelist-diff: a record set diff is not an object")
            name, rtype = item.get("name"), item.get("type")
            if not isinstance(name, str) or not isinstance(rtype, str):
                raise MalformedAnswer("changelist-diff: a diff without name or type")
            keys.add((name.rstrip(".").lower() + ".", rtype.upper()))
        return keys, len(settings)

    async def discard(self, zone: str) -> None:
        """Delete the change list of ``zone``."""
        await self._call(
            "delete-changelist", "DELETE", f"/changelists/{api_name(zone)}", expect=204
        )

    async def add_change(self, zone: str, body: Body) -> None:
        """Stage one record set change (``records.change_body``)."""
        path = f"/changelists/{api_name(zone)}/recordsets/add-change"
        await self._call("add-change", "POST", path, body=body, expect=204)

    async def submit(self, zone: str, comment: str) -> None:
        """Apply the change list; refused when the zone changed since it was created."""
        params = {"skipSignAndServeSafetyCheck": "false", "comment": comment}
        path = f"/changelists/{api_name(zone)}/submit"
        await self._call("submit", "POST", path, params=params, expect=204)

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._client.aclose()


def _page(data: Any, zone: str, page: int, operation: str, size: int) -> tuple[list[Any], int]:
    """The record sets of one page and the total announced, checked. The zone listing's
    metadata (``zone``, ``page``, ``totalElements``) is required by the spec; the change
    list's is a free object, so there a missing total means "this page is the last one if it
    is not full"."""
    if not isinstance(data, dict):
        raise MalformedAnswer(f"{operation}: the answer is not an object")
    meta, items = data.get("metadata"), data.get("recordsets")
    if not isinstance(meta, dict) or not isinstance(items, list):
        raise MalformedAnswer(f"{operation}: no metadata object or recordsets list")
    strict = operation == "zones-recordsets"
    total = meta.get("totalElements")
    if total is None and not strict:
        total = (page - 1) * size + len(items) + (1 if len(items) >= size else 0)
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise MalformedAnswer(f"{operation}: totalElements is {total!r}")
    number = meta.get("page", None if strict else page)
    if number != page:
        raise MalformedAnswer(f"{operation}: page {number!r} answered for page {page}")
    named = meta.get("zone", None if strict else zone)
    if not isinstance(named, str) or api_name(named) != api_name(zone):
        raise MalformedAnswer(f"{operation}: answer for zone {named!r}, not {api_name(zone)}")
    return items, total


__all__ = ["AkamaiAPI"]
