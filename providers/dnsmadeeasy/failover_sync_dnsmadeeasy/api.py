"""The HTTP seam: the few DNS Made Easy REST API v2.0 calls the adapter uses, over httpx.

Paths are relative to the base URL (API.md "Endpoints", each 2+ unless marked)::

    GET    /dns/managed/name?domainname=NAME          the domain (id) by name
    GET    /dns/managed/{id}/records?recordName=&type= records of one name (and type)
    GET    /dns/managed/{id}/records?rows=&page=      every record, paged (rows/page: 1 source)
    POST   /dns/managed/{id}/records/createMulti      201, the created records with ids
    PUT    /dns/managed/{id}/records/updateMulti      200 (records sent whole, with id)
    DELETE /dns/managed/{id}/records?ids=1,2          200, no body

Every request passes the key's :class:`~.budget.RequestBudget` first, is signed by
:class:`~.signing.DnsMadeEasyAuth`, and is sent once (the core retries whole attempts). An
error status raises :class:`~.errors.DmeFailure`; a 2xx answer that is not the documented shape
raises :class:`failover_sync.MalformedAnswer`, never "no records".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from failover_sync import MalformedAnswer, read_bounded
from failover_sync_dnsmadeeasy.budget import RequestBudget
from failover_sync_dnsmadeeasy.errors import DmeFailure, error_strings
from failover_sync_dnsmadeeasy.records import LiveRecord, from_api

MAX_PAGES = 1000
"""Most pages of one listing before the answer is taken as malformed (a loop guard)."""


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        start = data[:40].decode("utf-8", "replace")
        raise MalformedAnswer(f"{what}: not JSON (starts {start!r})") from None


def _field(obj: Mapping[str, Any], key: str, kind: type, what: str) -> Any:
    value = obj.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise MalformedAnswer(f"{what}: {key!r} is {type(value).__name__}, not {kind.__name__}")
    return value


class DnsMadeEasyAPI:
    """The calls of one API key; ``client`` is an httpx.AsyncClient with the base URL and
    :class:`~.signing.DnsMadeEasyAuth`. ``max_wait`` is the longest budget wait, seconds."""

    def __init__(self, client: httpx.AsyncClient, budget: RequestBudget, *, max_wait: float):
        self.client = client
        self.budget = budget
        self.max_wait = max_wait
        self.requests = 0

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: object = None,
    ) -> tuple[int, bytes]:
        await self.budget.acquire(self.max_wait)
        content = None if body is None else json.dumps(body).encode()
        headers = {"Accept": "application/json"}
        if content is not None:
            # API.md: a form-encoded body got a 500 page (recorded): always JSON.
            headers["Content-Type"] = "application/json"
        request = self.client.build_request(
            method, path, params=params, content=content, headers=headers
        )
        self.requests += 1
        response = await self.client.send(request, stream=True)
        try:
            self.budget.observe(response.headers)
            data = await read_bounded(response, what=f"answer to {method} {path}")
        finally:
            await response.aclose()
        if response.status_code >= 300:
            raise DmeFailure(response.status_code, error_strings(data), response.headers)
        return response.status_code, data

    async def domain_id(self, name: str) -> int:
        """The id of domain ``name`` (without trailing dot). Raises DmeFailure 404 when the
        account has no such domain (its answer is an HTML page, API.md: recorded)."""
        _, data = await self._send("GET", "/dns/managed/name", params={"domainname": name})
        domain = _json(data, "domain lookup")
        if not isinstance(domain, dict):
            raise MalformedAnswer(f"domain lookup: {type(domain).__name__}, not an object")
        if str(domain.get("name", "")).rstrip(".").lower() != name.lower():
            raise MalformedAnswer(f"domain lookup: answered {domain.get('name')!r}, not {name}")
        ident: int = _field(domain, "id", int, "domain lookup")
        return ident

    async def list_records(
        self,
        domain_id: int,
        zone: str,
        *,
        name: str | None = None,
        rtype: str | None = None,
        rows: int | None = None,
    ) -> list[LiveRecord]:
        """Records of the domain (of relative ``name`` and ``rtype``), every page.

        The first page number is taken from the first answer (0 in recorded traffic, 1 in the
        2014 documentation's examples) and each later answer must carry the page asked for.
        """
        params: dict[str, str | int] = {}
        if name is not None:
            params["recordName"] = name
        if rtype is not None:
            params["type"] = rtype
        if rows is not None:
            params["rows"] = rows
        what = f"record listing of domain {domain_id}"
        out: list[LiveRecord] = []
        envelope = await self._page(domain_id, params, what)
        first: int = envelope["page"]
        total: int = envelope["totalPages"]
        if total > MAX_PAGES:
            raise MalformedAnswer(f"{what}: {total} pages")
        pages = [envelope]
        for page in range(first + 1, first + total):
            later = await self._page(domain_id, {**params, "page": page}, what)
            if later["page"] != page or later["totalPages"] != total:
                raise MalformedAnswer(
                    f"{what}: asked for page {page} of {total}, got page {later['page']} "
                    f"of {later['totalPages']} (the listing changed while paging?)"
                )
            pages.append(later)
        for envelope in pages:
            for item in envelope["data"]:
                try:
                    record = from_api(item, zone)
                except (TypeError, ValueError) as exc:
                    raise MalformedAnswer(f"{what}: {exc}") from None
                source = item.get("sourceId")
                if isinstance(source, int) and source != domain_id:
                    raise MalformedAnswer(f"{what}: a record of domain {source}")
                out.append(record)
        return out

    async def _page(
        self, domain_id: int, params: Mapping[str, str | int], what: str
    ) -> dict[str, Any]:
        _, data = await self._send("GET", f"/dns/managed/{domain_id}/records", params=params)
        envelope = _json(data, what)
        if not isinstance(envelope, dict):
            raise MalformedAnswer(f"{what}: {type(envelope).__name__}, not an object")
        _field(envelope, "data", list, what)
        _field(envelope, "page", int, what)
        total = _field(envelope, "totalPages", int, what)
        if total < 1 and envelope["data"]:
            raise MalformedAnswer(f"{what}: totalPages {total} with records")
        envelope["totalPages"] = max(1, total)
        return envelope

    async def create_multi(
        self, domain_id: int, bodies: Sequence[Mapping[str, Any]]
    ) -> list[dict[str, Any]]:
        """Create ``bodies`` in one call; returns the created records (201, an array with an
        ``id`` for each, API.md: 2+)."""
        _, data = await self._send(
            "POST", f"/dns/managed/{domain_id}/records/createMulti", body=list(bodies)
        )
        created = _json(data, "createMulti")
        if not isinstance(created, list) or len(created) != len(bodies):
            raise MalformedAnswer(
                f"createMulti: expected an array of {len(bodies)} records, got "
                f"{type(created).__name__}"
            )
        for item in created:
            if not isinstance(item, dict):
                raise MalformedAnswer("createMulti: a created record is not an object")
            _field(item, "id", int, "createMulti")
        return created

    async def update_multi(self, domain_id: int, records: Sequence[Mapping[str, Any]]) -> None:
        """Replace ``records`` (each whole, with its ``id``) in one call."""
        await self._send("PUT", f"/dns/managed/{domain_id}/records/updateMulti", body=list(records))

    async def delete_ids(self, domain_id: int, ids: Sequence[int]) -> None:
        """Delete the records ``ids`` in one call (``?ids=1,2,3``; 200 without a body)."""
        if not ids:
            raise ValueError("refusing a multi-delete without ids (it could mean every record)")
        await self._send(
            "DELETE",
            f"/dns/managed/{domain_id}/records",
            params={"ids": ",".join(str(i) for i in ids)},
        )

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self.client.aclose()
