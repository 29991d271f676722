"""A validator of requests and answers that reads the official Swagger 2.0 document.

:class:`SwaggerSpec` loads ``tests/spec/dns.json`` (deleting its ``x-ms-examples`` keys, whose
``$ref`` point at files not copied) and builds, from the document itself:

- a route per path template and method, its ``operationId``;
- the parameters of each operation (path, query, header, body, with ``$ref`` to
  ``#/parameters/...`` resolved): required ones present, no unknown query parameter, each
  value valid against the parameter's type, enum and bounds (as a JSON Schema);
- the body: JSON, valid against the body parameter's schema;
- the answer: a status the operation lists (or ``default``), its body valid against that
  response's schema, no body where none is declared.

Schemas are checked with jsonschema's Draft 4 validator (Swagger 2.0's schema object is a
subset of Draft 4 plus ``x-*`` keys, ``readOnly`` and ``discriminator``, which are ignored or
handled below). The validator is stricter than Swagger in two ways that make adapter bugs
fail tests: objects accept no property the document does not define, and a request may not
carry a ``readOnly`` property (Swagger 2.0: readOnly properties "SHOULD NOT be sent as part of
the request"; the SDK never sends them).

The one thing accepted beyond the document: ``$skiptoken`` on ``x-ms-pageable`` operations,
which ARM's ``nextLink`` carries and the document does not declare.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

SPEC_PATH = Path(__file__).resolve().parent.parent / "spec" / "dns.json"
_REQUEST_URI = "urn:azure-dns:request"
_RESPONSE_URI = "urn:azure-dns:response"
PAGING_EXTRA = "$skiptoken"


def _strip_examples(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _strip_examples(v) for k, v in node.items() if k != "x-ms-examples"}
    if isinstance(node, list):
        return [_strip_examples(v) for v in node]
    return node


def _strict(node: Any, *, drop_read_only: bool) -> Any:
    """A copy of a schema tree where objects with ``properties`` forbid other properties,
    and (for requests) ``readOnly`` properties are removed so that sending one fails."""
    if isinstance(node, list):
        return [_strict(v, drop_read_only=drop_read_only) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _strict(v, drop_read_only=drop_read_only) for k, v in node.items()}
    props = out.get("properties")
    if isinstance(props, dict) and "allOf" not in out and "additionalProperties" not in out:
        if all(isinstance(p, dict) for p in props.values()):
            out["additionalProperties"] = False
        if drop_read_only:
            out["properties"] = {
                k: v for k, v in props.items() if not (isinstance(v, dict) and v.get("readOnly"))
            }
    return out


@dataclass(frozen=True)
class Operation:
    """One operation of the document: method, path template, operationId, parameters
    (resolved), responses (status -> response object) and whether it is pageable."""

    method: str
    template: str
    operation_id: str
    parameters: tuple[dict[str, Any], ...]
    responses: dict[str, dict[str, Any]]
    pageable: bool
    pattern: re.Pattern[str] = field(compare=False)
    literal_segments: int = 0

    def params(self, where: str) -> list[dict[str, Any]]:
        return [p for p in self.parameters if p["in"] == where]


class SwaggerSpec:
    """The document at ``path`` (default: the copied spec), ready to validate traffic."""

    def __init__(self, path: Path = SPEC_PATH) -> None:
        self.document: dict[str, Any] = _strip_examples(json.loads(path.read_text("utf-8")))
        self.version: str = self.document["info"]["version"]
        request_doc = _strict(self.document, drop_read_only=True)
        response_doc = _strict(self.document, drop_read_only=False)
        self._registry: Registry[Any] = Registry().with_resources(
            [
                (_REQUEST_URI, DRAFT4.create_resource(request_doc)),
                (_RESPONSE_URI, DRAFT4.create_resource(response_doc)),
            ]
        )
        self.operations = self._operations()

    def _resolve_param(self, param: dict[str, Any]) -> dict[str, Any]:
        ref = param.get("$ref")
        if ref is None:
            return param
        name = ref.removeprefix("#/parameters/")
        resolved: dict[str, Any] = self.document["parameters"][name]
        return resolved

    def _operations(self) -> list[Operation]:
        out = []
        for template, item in self.document["paths"].items():
            shared = [self._resolve_param(p) for p in item.get("parameters", [])]
            names = re.findall(r"\{([^}]+)\}", template)
            regex = "^" + re.escape(template) + "$"
            for index, name in enumerate(names):
                regex = regex.replace(re.escape("{" + name + "}"), f"(?P<g{index}>[^/]+)", 1)
            literal = sum(1 for s in template.split("/") if s and not s.startswith("{"))
            for method, op in item.items():
                if method == "parameters":
                    continue
                params = shared + [self._resolve_param(p) for p in op.get("parameters", [])]
                out.append(
                    Operation(
                        method.upper(),
                        template,
                        op["operationId"],
                        tuple(params),
                        op["responses"],
                        "x-ms-pageable" in op,
                        re.compile(regex, re.IGNORECASE),  # ARM paths ignore case
                        literal,
                    )
                )
        return out

    def route(self, method: str, path: str) -> tuple[Operation | None, dict[str, str]]:
        """The operation for ``method path`` and its path parameters (by name), preferring
        the template with the most literal segments (``/all`` over ``/{recordType}``)."""
        best: tuple[Operation, dict[str, str]] | None = None
        for op in self.operations:
            if op.method != method:
                continue
            match = op.pattern.match(path)
            if match is None:
                continue
            names = re.findall(r"\{([^}]+)\}", op.template)
            values = {names[int(k[1:])]: v for k, v in match.groupdict().items()}
            if best is None or op.literal_segments > best[0].literal_segments:
                best = (op, values)
        return best if best is not None else (None, {})

    def _schema_problems(
        self, uri: str, schema: dict[str, Any], value: Any, where: str
    ) -> list[str]:
        validator = Draft4Validator(schema, registry=self._registry)
        return [
            f"{where}{'/' + '/'.join(map(str, e.absolute_path)) if e.absolute_path else ''}: "
            f"{e.message}"
            for e in validator.iter_errors(value)
        ]

    def _schema(self, uri: str, schema: dict[str, Any]) -> dict[str, Any]:
        """``schema`` with its local ``$ref`` pointed into the request or response copy."""
        text = json.dumps(schema).replace('"#/definitions/', f'"{uri}#/definitions/')
        rebased: dict[str, Any] = json.loads(text)
        if "$ref" not in rebased:
            strict: dict[str, Any] = _strict(rebased, drop_read_only=uri == _REQUEST_URI)
            return strict
        return rebased

    def check_request(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]],
        headers: dict[str, str],
        body: bytes,
    ) -> tuple[Operation | None, dict[str, str], list[str]]:
        """Route and validate a request: ``(operation, path parameters, problems)``."""
        op, path_params = self.route(method, path)
        if op is None:
            return None, {}, [f"no operation of the document matches {method} {path}"]
        problems: list[str] = []
        lowered = {k.lower(): v for k, v in headers.items()}
        if not lowered.get("authorization", "").startswith("Bearer "):
            problems.append("no 'Authorization: Bearer' (securityDefinitions azure_auth)")
        declared = {p["name"] for p in op.params("query")}
        seen: set[str] = set()
        for name, _ in query:
            if name in seen:
                problems.append(f"query parameter {name!r} given twice")
            seen.add(name)
            if name not in declared and not (op.pageable and name.lower() == PAGING_EXTRA):
                problems.append(f"unknown query parameter {name!r} for {op.operation_id}")
        values = {
            "path": path_params,
            "query": dict(query),
            "header": {
                p["name"]: lowered[p["name"].lower()]
                for p in op.params("header")
                if p["name"].lower() in lowered
            },
        }
        for param in op.parameters:
            where, name = param["in"], param["name"]
            if where == "body":
                problems += self._check_body(op, param, body, lowered)
                continue
            raw = values.get(where, {}).get(name)
            if raw is None:
                if param.get("required"):
                    problems.append(f"required {where} parameter {name!r} is missing")
                continue
            problems += self._check_simple(param, raw)
        if not any(p["in"] == "body" for p in op.parameters) and body:
            problems.append(f"{op.operation_id} takes no body")
        return op, path_params, problems

    def _check_simple(self, param: dict[str, Any], raw: str) -> list[str]:
        keys = ("type", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength")
        schema = {k: param[k] for k in keys if k in param}
        value: Any = raw
        if schema.get("type") == "integer":
            try:
                value = int(raw)
            except ValueError:
                return [f"{param['in']} parameter {param['name']!r}: {raw!r} is not an integer"]
        where = f"{param['in']} parameter {param['name']!r}"
        return self._schema_problems(_REQUEST_URI, schema, value, where)

    def _check_body(
        self, op: Operation, param: dict[str, Any], body: bytes, headers: dict[str, str]
    ) -> list[str]:
        if not body:
            return ["the body is required"] if param.get("required") else []
        if not headers.get("content-type", "").startswith("application/json"):
            return [f"body of Content-Type {headers.get('content-type')!r}, not application/json"]
        try:
            value = json.loads(body)
        except ValueError as exc:
            return [f"the body is not JSON: {exc}"]
        schema = self._schema(_REQUEST_URI, param["schema"])
        return self._schema_problems(_REQUEST_URI, schema, value, "body")

    def check_response(self, op: Operation, status: int, body: bytes) -> list[str]:
        """Problems with an answer of ``op``: its status, and its body against the schema."""
        response = op.responses.get(str(status)) or op.responses.get("default")
        if response is None:
            return [f"{op.operation_id} does not answer {status}"]
        schema = response.get("schema")
        if schema is None:
            return [f"{op.operation_id} {status} has no body in the document"] if body else []
        try:
            value = json.loads(body)
        except ValueError as exc:
            return [f"{op.operation_id} {status}: the answer is not JSON: {exc}"]
        rebased = self._schema(_RESPONSE_URI, schema)
        return self._schema_problems(_RESPONSE_URI, rebased, value, f"answer {status}")


def load_spec() -> SwaggerSpec:
    """The copied document, loaded once per process."""
    global _SPEC
    if _SPEC is None:
        _SPEC = SwaggerSpec()
    return _SPEC


_SPEC: SwaggerSpec | None = None

__all__ = ["SPEC_PATH", "Operation", "SwaggerSpec", "load_spec"]
