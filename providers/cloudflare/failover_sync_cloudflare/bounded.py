"""A bound on what the SDK reads from the API: an httpx transport that stops an answer larger
than a limit.

The SDK reads every answer whole (``httpx.AsyncClient.send`` without streaming), so the bound
sits below it, in the transport: a ``Content-Length`` over the limit is refused before the body
is read, and a body (chunked, or lying about its length) is counted as it streams in and cut
at the limit. The SDK turns the raised :class:`AnswerTooLarge` into ``APIConnectionError`` (its
``__cause__``), which :mod:`.api` raises as a malformed answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx

DEFAULT_LIMIT = 16 * 1024 * 1024
"""Bytes: one page of at most 5,000 records is about 2.5 MB in JSON; 16 MiB is far above."""


class AnswerTooLarge(Exception):
    """An answer over the limit; the message gives the path and the limit, no body."""


class _Counted(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, limit: int, what: str) -> None:
        self._inner = inner
        self._limit = limit
        self._what = what

    async def __aiter__(self) -> AsyncIterator[bytes]:
        size = 0
        async for chunk in self._inner:
            size += len(chunk)
            if size > self._limit:
                raise AnswerTooLarge(f"{self._what} exceeds the {self._limit}-byte limit")
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class BoundedTransport(httpx.AsyncBaseTransport):
    """Wraps ``inner`` (default: a plain ``httpx.AsyncHTTPTransport``); every answer body is
    at most ``limit`` bytes, else :class:`AnswerTooLarge` is raised while it is read."""

    def __init__(self, limit: int, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._limit = limit
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self._inner.handle_async_request(request)
        what = f"answer to {request.method} {request.url.path}"
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self._limit:
            await response.aclose()
            raise AnswerTooLarge(
                f"{what} declares {int(declared)} bytes, over the {self._limit}-byte limit"
            )
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Counted(response.stream, self._limit, what)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
