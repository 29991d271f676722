"""The work of each route of the DNS Made Easy fake, once the request is authenticated and
its query checked (API.md "Endpoints" for the status codes and bodies)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .routes import Route
from .store import APIError, Record, not_found, record_problems

if TYPE_CHECKING:
    from .server import DnsMadeEasyFake, Reply


def _json(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    return status, headers or {}, json.dumps(payload).encode()


EMPTY: Reply = (200, {}, b"")
"""PUT, updateMulti and DELETE answer 200 with an empty body (API.md, 2+ recorded)."""


def _records_body(body: Any, *, with_id: bool, multi: bool) -> list[Record]:
    if multi:
        # API.md "Endpoints": createMulti and updateMulti take a JSON array (2+).
        if not isinstance(body, list) or not body:
            raise APIError(400, ["fake: a multi-record call takes a non-empty JSON array"])
        items = body
    else:
        items = [body]
    problems = [p for item in items for p in record_problems(item, with_id=with_id)]
    if problems:
        raise APIError(400, problems)
    return items


def _ids(pairs: list[tuple[str, str]]) -> list[int]:
    ids = [int(part) for key, value in pairs if key == "ids" for part in value.split(",")]
    if not ids:
        raise APIError(400, ["fake: ids is empty"])
    return ids


def serve(
    fake: DnsMadeEasyFake, found: Route, key: str, pairs: list[tuple[str, str]], body: Any
) -> Reply:
    """Serve ``found`` for the account of ``key``."""
    name = found.name
    query = dict(pairs)
    if name == "domains":
        owned = [d.as_json() for d in fake.domains.values() if d.owner == key]
        return _json(200, _envelope(owned, 0, 1))
    if name == "domain-by-name":
        wanted = query["domainname"].rstrip(".").lower()
        for domain in fake.domains.values():
            if domain.owner == key and domain.name == wanted:
                return _json(200, domain.as_json())
        raise not_found()  # API.md: an unknown name gave 404 with an HTML page (recorded, 2+)
    domain = fake._domain(key, found.params["domain"])
    if name == "domain":
        return _json(200, domain.as_json())
    if name == "records-list":
        return _json(
            200, _page(fake, domain.find(query.get("type"), query.get("recordName")), query)
        )
    if name in ("record-create", "records-createMulti"):
        multi = name == "records-createMulti"
        created = domain.create(_records_body(body, with_id=False, multi=multi), multi=multi)
        fake._note(domain, created)
        if multi:
            return _json(201, created)  # API.md: 201 with the created array (2+)
        location = f"{fake.base_url}/dns/managed/{domain.id}/records/{created[0]['id']}"
        return _json(201, created[0], {"Location": location})  # API.md: 201 + Location (2+)
    if name in ("record-update", "records-updateMulti"):
        multi = name == "records-updateMulti"
        items = _records_body(body, with_id=True, multi=multi)
        if not multi and str(items[0]["id"]) != found.params["record"]:
            raise APIError(400, ["fake: the record id of the body differs from the path"])
        before = [
            dict(domain.records[int(i["id"])]) for i in items if int(i["id"]) in domain.records
        ]
        domain.update(items)
        fake._note(domain, before + [domain.records[int(i["id"])] for i in items])
        return EMPTY
    ids = [int(found.params["record"])] if name == "record-delete" else _ids(pairs)
    fake._note(domain, domain.delete(ids))
    return EMPTY


def _envelope(
    data: list[Any], page: int, total_pages: int, total: int | None = None
) -> dict[str, Any]:
    # API.md "JSON shapes", list envelope (2+).
    return {
        "data": data,
        "page": page,
        "totalPages": total_pages,
        "totalRecords": len(data) if total is None else total,
    }


def _page(fake: DnsMadeEasyFake, found: list[Record], query: dict[str, str]) -> dict[str, Any]:
    # API.md: rows and page are O1's (1 source); the first page is 0 in recorded traffic and
    # 1 in O1's examples, so the fake's first page number is a setting.
    rows = int(query.get("rows", fake.default_rows)) or fake.default_rows
    page = int(query.get("page", fake.first_page))
    total_pages = max(1, -(-len(found) // rows))
    start = (page - fake.first_page) * rows
    chunk = found[start : start + rows] if start >= 0 else []
    return _envelope(chunk, page, total_pages, len(found))
