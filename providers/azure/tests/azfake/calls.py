"""What the fake records and what tests inject: one :class:`Call` per request, and
:class:`Fault` answers (an ARM error with ``Retry-After``, or a raw malformed body)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Call:
    """One request as received: operationId (``?`` if none matched), method, path, query,
    status answered, the precondition headers, and the time (monotonic seconds)."""

    operation: str
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    if_match: str | None
    if_none_match: str | None
    at: float


@dataclass
class Fault:
    """Answer the next ``count`` requests of ``operation`` (None: any) with ``status`` and a
    CloudError ``code``/``message`` (``retry_after`` seconds as ``Retry-After``), or with
    ``raw`` as the body as is (a malformed answer: an HTML page, wrong shapes)."""

    status: int
    code: str = "InjectedFault"
    message: str = "injected by the test"
    count: int = 1
    retry_after: float | None = None
    operation: str | None = None
    raw: bytes | None = None
    content_type: str = "application/json"
