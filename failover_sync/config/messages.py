"""Config problems in our own words: what a key should hold, not pydantic's wording.

A pydantic error says "Input should be a valid dictionary"; the operator needs "must be a
mapping (keys: protocol, port, ...)". The expected value is described from the JSON Schema of
the model that failed (the same schema ``failover-sync schema`` prints), found by following
the error's location, so an adapter's options get the same wording without a table per key.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic_core import ErrorDetails

Loc = tuple[str | int, ...]
_WRAPPERS = frozenset({"function-after", "function-before", "function-wrap", "function-plain"})


@cache
def _schema(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema()


def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    while "$ref" in node:
        node = root["$defs"][str(node["$ref"]).rsplit("/", 1)[-1]]
    return node


def _members(node: Mapping[str, Any], root: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The non-null alternatives of ``node`` (itself when it is no union)."""
    node = _resolve(node, root)
    alts = node.get("anyOf") or node.get("oneOf")
    if not alts:
        return [node]
    out: list[Mapping[str, Any]] = []
    for alt in alts:
        out += [m for m in _members(alt, root) if m.get("type") != "null"]
    return out


def _child(node: Mapping[str, Any], part: str | int, root: Mapping[str, Any]) -> Any:
    for member in _members(node, root):
        if member.get("type") == "object" or "properties" in member:
            props = member.get("properties", {})
            if part in props:
                return props[part]
            extra = member.get("additionalProperties")
            if isinstance(extra, Mapping):
                return extra
        if member.get("type") == "array" and isinstance(part, int):
            return member.get("items", {})
    return None


def schema_at(model: type[BaseModel], loc: Loc) -> tuple[Mapping[str, Any] | None, Loc]:
    """The JSON Schema node of ``model`` at error location ``loc`` and the location without
    pydantic's union tags (``("port", "int")`` -> ``("port",)``)."""
    root = _schema(model)
    node: Mapping[str, Any] | None = root
    path: list[str | int] = []
    for part in loc:
        if node is None:
            path.append(part)
            continue
        child = _child(node, part, root)
        if child is None and (isinstance(part, str) and (part in _WRAPPERS or "[" in part)):
            continue  # a union member tag such as "int" or "list[str]": stay on the node
        if child is None and part in ("int", "str", "float", "bool", "list", "dict", "[key]"):
            continue
        path.append(part)
        node = child
    return (_resolve(node, root) if node is not None else None), tuple(path)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _bounds(node: Mapping[str, Any], unit: str) -> str:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    strict_low, strict_high = "exclusiveMinimum" in node, "exclusiveMaximum" in node
    if low is not None and high is not None and not (strict_low or strict_high):
        return f"{unit} from {_num(low)} to {_num(high)}"
    parts = []
    if low is not None:
        parts.append(f"above {_num(low)}" if strict_low else f"at least {_num(low)}")
    if high is not None:
        parts.append(f"below {_num(high)}" if strict_high else f"at most {_num(high)}")
    return f"{unit} ({' and '.join(parts)})" if parts else unit


def describe(node: Mapping[str, Any] | None, root: Mapping[str, Any] | None = None) -> str:
    """What a value matching JSON Schema ``node`` is, in words ("an integer from 1 to 10")."""
    if node is None:
        return "a valid value"
    root = root or node
    members = _members(node, root)
    if len(members) > 1:
        return " or ".join(dict.fromkeys(describe(m, root) for m in members))
    node = members[0] if members else node
    if "const" in node:
        return repr(node["const"])
    if "enum" in node:
        return "one of " + ", ".join(repr(v) for v in node["enum"])
    if "examples" in node and "pattern" in node:
        return "one of " + ", ".join(map(str, node["examples"])) + " (any case)"
    kind = node.get("type")
    if kind == "boolean":
        return "true or false"
    if kind == "integer":
        return _bounds(node, "an integer")
    if kind == "number":
        return _bounds(node, "a number")
    if kind == "string":
        if node.get("format") == "path":
            return "a file or folder path"
        if "pattern" in node:
            return f"a string matching {node['pattern']}"
        return "a non-empty string" if node.get("minLength") else "a string"
    if kind == "array":
        items = _plural(describe(node.get("items"), root)) if node.get("items") else "values"
        least = node.get("minItems")
        return f"a list of {items}" + (f" (at least {least})" if least else "")
    if kind == "object" or "properties" in node:
        keys = list(node.get("properties", {}))
        if keys:
            shown = ", ".join(keys[:6]) + (", ..." if len(keys) > 6 else "")
            return f"a mapping (keys: {shown})"
        extra = node.get("additionalProperties")
        if isinstance(extra, Mapping) and extra:
            return f"a mapping of names to {describe(extra, root)}"
        return "a mapping"
    return "a valid value"


def _plural(text: str) -> str:
    """ "a mapping (keys: ...)" -> "mappings (keys: ...)"; others -> "values, each ..."."""
    if " or " in text and "(" not in text:
        return " or ".join(_plural(part) for part in text.split(" or "))
    for single in ("a mapping", "a string", "an integer", "a number", "a file or folder path"):
        if text.startswith(single):
            noun = single.split(" ", 1)[1]
            return noun + "s" + text[len(single) :]
    return f"values, each {text}"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return repr(value)


_TYPE_ERRORS = frozenset(
    {
        "int_type", "int_parsing", "int_from_float", "float_type", "float_parsing",
        "bool_type", "bool_parsing", "string_type", "dict_type", "list_type", "model_type",
        "model_attributes_type", "literal_error", "enum", "string_pattern_mismatch",
        "greater_than", "greater_than_equal", "less_than", "less_than_equal", "too_short",
        "too_long", "string_too_short", "string_too_long", "path_type", "none_required",
        "is_instance_of", "union_tag_invalid", "missing",
    }
)  # fmt: skip


def _unknown_key(model: type[BaseModel], loc: Loc, also: Iterable[str]) -> str:
    parent, _ = schema_at(model, loc[:-1])
    root = _schema(model)
    known = [*(also if len(loc) == 1 else ())]
    for member in _members(parent, root) if parent is not None else []:
        known += [k for k in member.get("properties", {}) if k not in known]
    near = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    hint = f": did you mean {near[0]}?" if near else ""
    listed = f" (known keys: {', '.join(known)})" if known and not near else ""
    return f"unknown key{hint}{listed}"


def problems(
    model: type[BaseModel], errors: Iterable[ErrorDetails], also: Iterable[str] = ()
) -> list[tuple[Loc, str]]:
    """Our messages for the pydantic ``errors`` of validating ``model``: (location, text),
    one per location (a union's alternatives fail together: they make one problem).
    ``also`` are keys valid beside the model's own at its top level (a zone entry's
    ``name`` and ``provider`` beside the adapter's zone keys), for "did you mean"."""
    out: dict[Loc, str] = {}
    for err in errors:
        loc = tuple(err["loc"])
        kind = err["type"]
        if kind == "extra_forbidden":
            out.setdefault(loc, _unknown_key(model, loc, tuple(also)))
            continue
        node, path = schema_at(model, loc)
        if kind in _TYPE_ERRORS:
            expected = describe(node, _schema(model))
            ctx = err.get("ctx") or {}
            if kind == "missing":
                out.setdefault(path, f"is required: {expected}")
            elif kind in ("too_short", "too_long") and isinstance(err.get("input"), list | dict):
                bound = ctx.get("min_length") if kind == "too_short" else ctx.get("max_length")
                many = "at least" if kind == "too_short" else "at most"
                entries = "item" if isinstance(err.get("input"), list) else "entry"
                plural = "" if bound == 1 else ("s" if entries == "item" else "ies")
                entries = entries[:-1] + "ies" if plural == "ies" else entries + plural
                out.setdefault(path, f"must have {many} {bound} {entries}")
            else:
                out.setdefault(path, f"must be {expected}, not {_shown(err.get('input'))}")
        else:  # our own validators: their message already says what is wrong
            msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
            out.setdefault(path, msg)
    # A union fails in each alternative (``expected_status`` and ``expected_status[0]``):
    # the problem is the outer value, once.
    return [
        (loc, msg) for loc, msg in out.items() if not any(loc[:n] in out for n in range(len(loc)))
    ]


__all__ = ["describe", "problems", "schema_at"]
