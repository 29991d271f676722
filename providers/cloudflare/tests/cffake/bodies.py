"""Request bodies checked against the SDK's own parameter types (``cloudflare.types.dns``).

Each record in a body is validated with a pydantic ``TypeAdapter`` of the TypedDict that the
SDK declares for its ``type`` (``ARecordParam``, ``batch_patch_param.ARecord`` with its
``id``...). Pydantic ignores unknown keys of a TypedDict, so keys are also checked against the
TypedDict's declared keys: an unknown key is an error here.
"""

from __future__ import annotations

import functools
import typing
from typing import Any

from cloudflare.types.dns import record_batch_params
from cloudflare.types.dns.batch_patch_param import BatchPatchParam
from cloudflare.types.dns.batch_put_param import BatchPutParam
from pydantic import TypeAdapter, ValidationError

BATCH_KEYS = frozenset({"deletes", "patches", "puts", "posts"})
"""Body keys of ``POST .../dns_records/batch`` (``RecordBatchParams`` minus the path's
``zone_id`` and the query's ``include_shadow_metadata``)."""


def _by_type(union: Any) -> dict[str, type]:
    out: dict[str, type] = {}
    for td in typing.get_args(union):
        literal = typing.get_type_hints(td)["type"]
        for rtype in typing.get_args(literal):
            out[rtype] = td
    return out


POST = _by_type(record_batch_params.Post)
"""Record type -> TypedDict of a new record (also the body of create, PUT and PATCH)."""
PATCH = _by_type(BatchPatchParam)
PUT = _by_type(BatchPutParam)


@functools.cache
def _adapter(td: type) -> TypeAdapter[Any]:
    return TypeAdapter(td)


def _keys(td: type) -> frozenset[str]:
    return frozenset(td.__required_keys__) | frozenset(td.__optional_keys__)  # type: ignore[attr-defined]


def check_typed(td: type, item: object, where: str) -> list[str]:
    """Problems of ``item`` against TypedDict ``td`` (unknown keys included)."""
    if not isinstance(item, dict):
        return [f"{where}: expected an object"]
    problems = [f"{where}: unknown field {k!r}" for k in sorted(set(item) - _keys(td))]
    try:
        _adapter(td).validate_python(item)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            loc = ".".join(str(p) for p in err["loc"])
            problems.append(f"{where}.{loc}: {err['msg']}" if loc else f"{where}: {err['msg']}")
    return problems


def check_record(table: dict[str, type], item: object, where: str) -> list[str]:
    """Problems of one record body, picking the TypedDict by its ``type``."""
    if not isinstance(item, dict):
        return [f"{where}: expected an object"]
    rtype = item.get("type")
    td = table.get(rtype) if isinstance(rtype, str) else None
    if td is None:
        return [f"{where}.type: unknown record type {rtype!r}"]
    return check_typed(td, item, where)


def check_batch(body: object) -> list[str]:
    """Problems of a batch body (shape and every record)."""
    if not isinstance(body, dict):
        return ["body: expected an object"]
    problems = [f"body: unknown field {k!r}" for k in sorted(set(body) - BATCH_KEYS)]
    tables: dict[str, dict[str, type] | None] = {
        "deletes": None,
        "patches": PATCH,
        "puts": PUT,
        "posts": POST,
    }
    for key, table in tables.items():
        items = body.get(key, [])
        if not isinstance(items, list):
            problems.append(f"{key}: expected an array")
            continue
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            if table is None:
                problems += check_typed(record_batch_params.Delete, item, where)
            else:
                problems += check_record(table, item, where)
    return problems
