"""The adapter kit: what every provider adapter needs and none should write again.

- :func:`parse_retry_after` / :func:`retry_after_from`: ``Retry-After`` in seconds, as
  delay-seconds or an HTTP-date (RFC 9110 section 10.2.3).
- :func:`read_secret`: a credential from the variable a ``*_env`` option names or the file a
  ``*_file`` option names, with an error that names the option and never the value.
- :class:`MalformedAnswer`: an answer that does not parse is a permanent error, never an
  empty zone (a 200 with an HTML page is not "no records").
- :func:`read_bounded`: an HTTP body read with a size limit, so that a runaway answer ends
  in :class:`MalformedAnswer` instead of filling the memory.
- :class:`TokenBucket`: a client-side request budget on the event loop, with a block for a
  provider's ``Retry-After``.
- :class:`StaleRRsetError`: a compare-and-swap write refused because the RRset changed since
  it was read; the controller re-reads and re-plans.

Adapters import these from the package root (``from failover_sync import read_secret``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from failover_sync.errors import ProviderError, TransientProviderError

if TYPE_CHECKING:  # httpx is imported only by the adapters that use read_bounded
    import httpx

MAX_ANSWER_BYTES = 64 * 1024 * 1024
"""Default limit of one provider answer, bytes: far above a real zone's listing (a zone of
100,000 RRsets in JSON is about 15 MB), far below what would hurt the process."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from ``value`` of a ``Retry-After`` header, or None.

    ``value`` is delay-seconds (``"120"``) or an HTTP-date (``"Wed, 21 Oct 2015 07:28:00
    GMT"``), RFC 9110 section 10.2.3; ``now`` is Unix seconds (default: the clock). A date in
    the past is 0; an absent, empty or unparsable value is None.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if seconds == seconds else None  # NaN is no hint
    import email.utils  # the HTTP-date form only: not on every start

    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def retry_after_from(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """``Retry-After`` of a header mapping (case-insensitive for httpx.Headers), or None."""
    value = headers.get("retry-after")
    if value is None:
        value = headers.get("Retry-After")
    return parse_retry_after(value, now=now)


class SecretUnavailable(ProviderError):
    """A credential that a ``*_env`` or ``*_file`` option names cannot be read."""


def read_secret(
    *,
    env: str | None = None,
    file: str | os.PathLike[str] | None = None,
    config_dir: Path,
    what: str,
    provider: str = "",
    option_prefix: str = "",
) -> str:
    """The secret from the file ``file`` names (relative to ``config_dir``) or else the
    environment variable ``env`` names, stripped of surrounding whitespace.

    ``what`` says what the secret is ("the PowerDNS API key"); ``option_prefix`` is the
    options' stem (``api_key`` for ``api_key_env``/``api_key_file``) used in messages.
    Raises :class:`SecretUnavailable` naming the variable or the path, never the value.
    """
    if file is not None:
        path = Path(config_dir) / Path(file)
        label = f"{option_prefix}_file " if option_prefix else ""
        try:
            value = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SecretUnavailable(
                f"cannot read {what} from {label}{path}: {exc.strerror or exc}",
                provider=provider,
            ) from None
        except UnicodeDecodeError:
            raise SecretUnavailable(
                f"{what} in {label}{path} is not UTF-8 text", provider=provider
            ) from None
        if not value:
            raise SecretUnavailable(f"{label}{path} ({what}) is empty", provider=provider)
        return value
    if env is not None:
        value = os.environ.get(env, "").strip()
        if not value:
            raise SecretUnavailable(
                f"the variable ${env} ({what}) is not set or empty", provider=provider
            )
        return value
    raise SecretUnavailable(f"no source configured for {what}", provider=provider)


class MalformedAnswer(ProviderError):
    """The provider answered something that is not what its API documents (not JSON, a
    wrong shape, another zone's data, too large). Permanent: retrying a proxy's error page
    does not help, and reading it as "no records" would empty a zone."""


class StaleRRsetError(TransientProviderError):
    """A compare-and-swap write was refused: the live RRset no longer holds the values it
    was read with (RFC 2136 prerequisite NXRRSET, HTTP 412, a stale change list, a changed
    zone file). Nothing was written; the controller re-reads the zone and plans again."""


async def read_bounded(
    response: httpx.Response, *, limit: int = MAX_ANSWER_BYTES, what: str = "answer"
) -> bytes:
    """The body of a streamed ``response``, at most ``limit`` bytes.

    Raises :class:`MalformedAnswer` when the body (or its ``Content-Length``) is larger.
    """
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        await response.aclose()
        raise MalformedAnswer(f"{what} of {int(declared)} bytes exceeds the {limit}-byte limit")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            await response.aclose()
            raise MalformedAnswer(f"{what} exceeds the {limit}-byte limit")
        chunks.append(chunk)
    return b"".join(chunks)


class TokenBucket:
    """A request budget of ``rate`` requests per second with bursts of ``burst`` requests,
    for coroutines of one event loop.

    :meth:`acquire` waits until a token is due (callers are served in arrival order: an empty
    bucket reserves the next token and sleeps until then); :meth:`block` sends nothing for a
    provider's ``Retry-After``. ``clock`` returns monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be positive, not {rate}")
        self.rate = rate
        self.capacity = max(1.0, burst if burst is not None else rate)
        self._clock = clock
        self._level = self.capacity
        self._stamp = clock()
        self._blocked_until = 0.0
        self.acquired = 0
        self.waited_seconds = 0.0

    def reserve(self) -> float:
        """Take one token; return the seconds until it may be used (0: at once)."""
        now = self._clock()
        self._level = min(self.capacity, self._level + (now - self._stamp) * self.rate)
        self._stamp = now
        self._level -= 1.0
        self.acquired += 1
        wait = 0.0 if self._level >= 0 else -self._level / self.rate
        wait = max(wait, self._blocked_until - now)
        self.waited_seconds += wait
        return wait

    def block(self, seconds: float) -> None:
        """Send nothing for ``seconds`` from now (a 429's ``Retry-After``)."""
        self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))

    def blocked_for(self) -> float:
        """Seconds until the current block ends (0 when not blocked)."""
        return max(0.0, self._blocked_until - self._clock())

    async def acquire(self) -> None:
        """Take one token, sleeping until it is due."""
        import asyncio  # loaded already when a coroutine runs; validate never needs it

        wait = self.reserve()
        if wait > 0:
            await asyncio.sleep(wait)


__all__ = [
    "MAX_ANSWER_BYTES",
    "MalformedAnswer",
    "SecretUnavailable",
    "StaleRRsetError",
    "TokenBucket",
    "parse_retry_after",
    "read_bounded",
    "read_secret",
    "retry_after_from",
]
