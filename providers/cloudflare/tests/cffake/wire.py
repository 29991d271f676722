"""What the fake's HTTP exchanges are made of: the API's answer envelope, ``Retry-After``,
the log of calls and the faults a test injects (:class:`~.server.CloudflareFake` uses them)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

Reply = tuple[int, dict[str, str], dict[str, Any] | bytes]
"""Status, extra headers, and the envelope (or, for an injected raw fault, the body as is)."""


@dataclass(frozen=True, slots=True)
class Call:
    """One request as received: operationId (or ``?``), method, path, query, status, time."""

    operation: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    at: float


@dataclass
class Fault:
    """Answer the next ``count`` matching requests with ``status`` and ``code``/``message``
    (``retry_after`` seconds as ``Retry-After``); ``operation`` None matches any. ``raw``
    answers that body as is, with ``content_type``, instead of an error envelope: a malformed
    answer (truncated JSON, wrong types, an HTML page), with any ``status``."""

    status: int
    code: int
    message: str
    count: int = 1
    retry_after: float | None = None
    operation: str | None = None
    raw: bytes | None = None
    content_type: str = "application/json"


class RawAnswer(Exception):
    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        super().__init__(status)
        self.reply: Reply = (status, {"Content-Type": content_type}, body)


def envelope(result: Any, *, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"success": not errors, "errors": errors or [], "messages": [], "result": result}


def retry_after_header(seconds: float) -> str:
    """Whole seconds as the API sends them; below one second (tests only) as a decimal."""
    return str(math.ceil(seconds)) if seconds >= 1 else f"{seconds:.3g}"
