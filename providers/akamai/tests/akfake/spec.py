"""Validation of every request and response against the official OpenAPI description.

``../spec/openapi.json`` (the bundled Edge DNS v2 spec, copied with its licence) is loaded by
``openapi-core``, which checks paths, methods, path and query parameters (types, enums,
required ones) and JSON bodies against the schemas (``additionalProperties: false``
included). Two gaps of the spec are closed here:

- unknown query parameters are rejected (the spec does not forbid them and openapi-core lets
  them pass; the fake is stricter so that a typo in the adapter fails a test);
- no operation declares its error responses: an undeclared status must be an error with an
  ``application/problem+json`` body valid against ``../spec/problem.yaml`` (RFC 7807).

A declared response without a schema (``204`` with ``*/*``) must have an empty body.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse
from openapi_schema_validator import OAS30Validator

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"
PREFIX = "/config-dns/v2"
HOST_URL = "https://fake.akamaiapis.test"
"""The spec's only server is ``https://{hostname}/config-dns/v2``: requests are presented to
the validator under that scheme, whatever loopback address served them."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation of the spec: method, path template (under ``/config-dns/v2``),
    operationId, its query parameter names and its declared responses."""

    method: str
    template: str
    operation_id: str
    query: frozenset[str]
    responses: dict[str, Any]

    @property
    def pattern(self) -> re.Pattern[str]:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        return re.compile(f"^{regex}$")


class Spec:
    """The loaded description; thread-safe for validation (no state)."""

    def __init__(self, directory: Path = SPEC_DIR) -> None:
        raw = json.loads((directory / "openapi.json").read_text(encoding="utf-8"))
        self.openapi = OpenAPI.from_dict(raw)
        self.operations: list[Operation] = []
        for template, item in raw["paths"].items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method == "parameters":
                    continue
                params = [*shared, *op.get("parameters", [])]
                query = frozenset(p["name"] for p in params if p.get("in") == "query")
                self.operations.append(
                    Operation(method.upper(), template, op["operationId"], query, op["responses"])
                )
        problem = yaml.safe_load((directory / "problem.yaml").read_text(encoding="utf-8"))
        problem.pop("x-akamai", None)
        self.problem = OAS30Validator(problem, format_checker=OAS30Validator.FORMAT_CHECKER)

    def route(self, method: str, path: str) -> tuple[Operation | None, dict[str, str], bool]:
        """The operation for ``method path`` (path under the prefix), its path parameters and
        whether the path exists at all (404 vs 405)."""
        known = False
        for op in self.operations:
            match = op.pattern.match(path)
            if match is None:
                continue
            known = True
            if op.method == method:
                return op, match.groupdict(), True
        return None, {}, known

    def request_problems(
        self,
        op: Operation,
        path: str,
        query: list[tuple[str, str]],
        content_type: str,
        body: bytes,
    ) -> list[str]:
        """Why a request to ``op`` is invalid (empty when it is valid)."""
        problems = [f"unknown query parameter {n!r}" for n, _ in query if n not in op.query]
        names = [n for n, _ in query]
        problems += [f"query parameter {n!r} given twice" for n in set(names) if names.count(n) > 1]
        request = MockRequest(
            HOST_URL,
            op.method,
            PREFIX + path,
            args=dict(query),
            data=body or None,
            content_type=content_type or "application/json",
        )
        try:
            self.openapi.validate_request(request)
        except Exception as exc:  # openapi-core's validation errors have no common base
            cause = exc.__cause__
            problems.append(f"{type(exc).__name__}: {exc}" + (f" ({cause})" if cause else ""))
        return problems

    def response_problems(
        self,
        op: Operation,
        path: str,
        query: list[tuple[str, str]],
        status: int,
        content_type: str,
        body: bytes,
    ) -> list[str]:
        """Why a response of ``op`` is invalid (empty when it is valid)."""
        declared = op.responses.get(str(status))
        if declared is None:
            if status < 400:
                return [f"status {status} is not declared for {op.operation_id}"]
            if content_type != "application/problem+json":
                return [f"error {status} is {content_type!r}, not application/problem+json"]
            try:
                data = json.loads(body)
            except ValueError:
                return [f"error {status} body is not JSON"]
            return [f"problem body: {e.message}" for e in self.problem.iter_errors(data)]
        media = declared.get("content") or {}
        if all("schema" not in m for m in media.values()):
            return [] if not body else [f"{status} of {op.operation_id} must have no body"]
        request = MockRequest(HOST_URL, op.method, PREFIX + path, args=dict(query))
        response = MockResponse(body, status_code=status, content_type=content_type)
        try:
            self.openapi.validate_response(request, response)
        except Exception as exc:  # as above
            return [f"{type(exc).__name__}: {exc}"]
        return []


__all__ = ["PREFIX", "Operation", "Spec"]
