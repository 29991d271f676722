"""The provider interface, its error classes, the retry policy and the entry-point loader.

An adapter reads the live RRsets of a zone and applies changes to it in as few API calls as
the API allows. The core never imports an adapter: adapters register a class in the entry-point
group ``failover_sync.providers`` and are found by their config ``type``.

Error tree::

    ProviderError                 permanent: reported, the zone is skipped this round
    └── TransientProviderError    throttling, 5xx, timeouts: retried with backoff
    ProviderNotInstalled          config names a type that no installed distribution provides

Each adapter classifies its SDK's errors into these classes at one place.
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, TypeVar

import tenacity
from pydantic import BaseModel, ConfigDict

from failover_sync.model import Change, RecordKey, RRset, Zone

ENTRY_POINT_GROUP = "failover_sync.providers"

T = TypeVar("T")


class ProviderError(Exception):
    """A permanent provider failure (bad credentials, no such zone, rejected change).

    ``provider`` is the instance name from the config and ``zone`` the absolute zone name,
    when known. The message must never contain a secret.
    """

    def __init__(self, message: str, *, provider: str = "", zone: str = "") -> None:
        super().__init__(message)
        self.provider = provider
        self.zone = zone


class TransientProviderError(ProviderError):
    """A failure worth retrying: throttling, 5xx, connection errors, timeouts.

    ``retry_after`` is the provider's own hint in seconds (``Retry-After``), if it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        zone: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, zone=zone)
        self.retry_after = retry_after


class ProviderNotInstalled(LookupError):
    """No installed distribution provides the provider ``type`` of the config."""


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What an adapter can do.

    ``max_batch``: most RRsets in one write call (``None``: unlimited, the whole zone in one
    call). ``weights``: native weighted records. ``propagation_seconds``: typical time from a
    write being accepted to every authoritative server answering with it, if known.
    """

    record_types: frozenset[str] = frozenset({"A", "AAAA", "CNAME", "TXT"})
    max_batch: int | None = None
    weights: bool = False
    txt: bool = True
    propagation_seconds: float | None = None


class ProviderOptions(BaseModel):
    """Base of each adapter's options model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Provider:
    """Base class of every adapter.

    Subclasses set ``Options`` (and ``ZoneOptions`` for zone-entry keys such as
    ``hosted_zone_id``) and implement :meth:`list_rrsets` and :meth:`apply`. ``name`` is the
    instance name from the config; ``config_dir`` is the folder of the config file, against
    which relative paths in options are resolved.
    """

    Options: ClassVar[type[ProviderOptions]] = ProviderOptions
    ZoneOptions: ClassVar[type[ProviderOptions]] = ProviderOptions
    capabilities: ClassVar[Capabilities] = Capabilities()

    def __init__(self, name: str, options: ProviderOptions, *, config_dir: Path) -> None:
        self.name = name
        self.options = options
        self.config_dir = config_dir

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        """Return the live RRsets of ``zone`` among ``keys`` (absolute name, type).

        RRsets that do not exist are simply absent. Adapters may read more than asked but
        must return only the asked keys. Raises ProviderError or TransientProviderError.
        """
        raise NotImplementedError

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        """Apply ``changes`` to ``zone`` in as few API calls as the API allows.

        Each change replaces the whole RRset with ``change.after`` (UPSERT). Adapters with
        compare-and-swap may refuse when the live RRset no longer equals ``change.before``.
        Raises ProviderError or TransientProviderError; after either, the zone is re-read.
        """
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release connections. The default does nothing."""


def distribution_for(type_name: str) -> str:
    """The distribution that provides provider ``type_name`` by our naming convention."""
    return f"failover-sync-{type_name}"


def load_provider_class(type_name: str) -> type[Provider]:
    """Find the adapter class registered for ``type_name`` in ``failover_sync.providers``.

    Raises ProviderNotInstalled naming the distribution to install.
    """
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == type_name:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Provider)):
                raise ProviderNotInstalled(
                    f"entry point {ep.value!r} for provider {type_name!r} is not a Provider"
                )
            return cls
    if type_name == "zonefile":  # the embedded default works even from a bare source tree
        from failover_sync.provider.zonefile import ZoneFileProvider

        return ZoneFileProvider
    raise ProviderNotInstalled(
        f"unknown provider type {type_name!r}: install the distribution "
        f"{distribution_for(type_name)!r} (pip install {distribution_for(type_name)})"
    )


class _WaitHonouringRetryAfter(tenacity.wait.wait_base):
    """Exponential backoff with full jitter (a random wait up to ``initial * 2**n``, as AWS's
    "Exponential Backoff And Jitter" recommends), never shorter than the provider's
    Retry-After."""

    def __init__(self, initial: float, maximum: float) -> None:
        self._base = tenacity.wait_random_exponential(multiplier=initial, max=maximum)

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        wait = float(self._base(retry_state))
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, TransientProviderError) and exc.retry_after is not None:
            wait = max(wait, exc.retry_after)
        return wait


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient provider errors are retried: at most ``attempts`` calls, waits growing
    exponentially from ``initial_seconds`` up to ``max_seconds`` with jitter, honouring
    ``retry_after``."""

    attempts: int = 4
    initial_seconds: float = 0.5
    max_seconds: float = 30.0

    def _worth_waiting_for(self, exc: BaseException) -> bool:
        """Transient errors are retried, unless the provider asks for a wait longer than
        ``max_seconds`` (a rate-limit lockout): then the zone waits for the next round
        instead of blocking its worker for minutes."""
        if not isinstance(exc, TransientProviderError):
            return False
        return exc.retry_after is None or exc.retry_after <= self.max_seconds

    async def call(self, fn: Callable[[], Awaitable[T]]) -> T:
        """Await ``fn()`` and retry it on TransientProviderError.

        Raises the last TransientProviderError when attempts run out or its ``retry_after``
        exceeds ``max_seconds``, and any other error at once.
        """
        retrying = tenacity.AsyncRetrying(
            retry=tenacity.retry_if_exception(self._worth_waiting_for),
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=_WaitHonouringRetryAfter(self.initial_seconds, self.max_seconds),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await fn()
        raise AssertionError("unreachable: tenacity re-raises the last error")
