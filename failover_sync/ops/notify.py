"""Webhook notifications (``notify:``) of failovers, failbacks, all-unhealthy records,
freezes and apply errors.

The controller's hooks only *enqueue*: each webhook has a bounded queue and one background
task that POSTs with httpx and retries with tenacity (exponential backoff with full jitter) on
connection errors, timeouts, 429 and 5xx. A full queue drops the notification with a
``notify_dropped`` log, so a dead or slow receiver never blocks or slows the loop, and no
error of a webhook ever reaches it. URLs are never logged (they often embed a token): logs name
a webhook by its index under ``notify:`` and its host.

Events and their fields (JSON format: ``{"version": 1, "event", "summary", "ts", ...}``)::

    failover       a write removed an unhealthy value: zone, record, type, before, after, reason
    failback       a write added back healthy values:   zone, record, type, before, after, reason
    all_unhealthy  every endpoint of a record is unhealthy: record, endpoint, reason
    freeze         the safety brakes hold a zone's writes: zone, reason
    apply_error    a zone's reconcile started failing (first of a streak): zone, provider,
                   kind (transient|permanent), error

The Slack format is ``{"text": summary}``, accepted by Slack incoming webhooks and by most
chat tools that copy their API (Mattermost, Rocket.Chat, Teams workflows).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_random_exponential,
)

from failover_sync.__about__ import __version__
from failover_sync.config.spec import WebhookSpec
from failover_sync.controller.events import (
    AllUnhealthyChanged,
    BrakeChanged,
    Event,
    ReconcileFailed,
    ZoneReconciled,
)
from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.logs import event
from failover_sync.model import (
    EndpointHealth,
    ProbeTarget,
    Zone,
    ZonePlan,
)
from failover_sync.plan.ownership import MARKER_PREFIX

QUEUE_SIZE = 100
"""Notifications waiting per webhook; more are dropped (and logged)."""


class NotifyConfigError(ValueError):
    """A webhook's ``url_env`` names a variable that is not set (or empty)."""


@dataclass(frozen=True, slots=True)
class Notification:
    """One event to send: ``event`` name, one-line ``summary``, extra ``fields`` (JSON
    values) and ``ts`` (Unix seconds)."""

    event: str
    summary: str
    fields: Mapping[str, Any] = field(default_factory=dict)
    ts: float = field(default_factory=time.time)

    def payload(self, fmt: str) -> dict[str, Any]:
        """The request body for ``fmt`` (``json`` or ``slack``)."""
        if fmt == "slack":
            return {"text": f"failover-sync {self.event}: {self.summary}"}
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.ts))
        return {
            "version": 1,
            "event": self.event,
            "summary": self.summary,
            "ts": stamp,
            "sender": f"failover-sync/{__version__}",
            **self.fields,
        }


class _Retryable(Exception):
    """A response worth retrying (429 or 5xx)."""


class Webhook:
    """One receiver: its spec, the resolved URL (kept out of logs), a queue and a worker."""

    def __init__(
        self,
        index: int,
        spec: WebhookSpec,
        url: str,
        *,
        backoff_seconds: float = 1.0,
        queue_size: int = QUEUE_SIZE,
    ) -> None:
        self.index, self.spec, self._url = index, spec, url
        self.host = urlsplit(url).hostname or "?"
        self.backoff_seconds = backoff_seconds
        self.queue: asyncio.Queue[Notification] = asyncio.Queue(queue_size)
        self.sent = 0

    def offer(self, notification: Notification) -> None:
        """Enqueue without waiting; drop with a log when the queue is full."""
        if notification.event not in self.spec.events:
            return
        try:
            self.queue.put_nowait(notification)
        except asyncio.QueueFull:
            event(
                logging.WARNING,
                "notify_dropped",
                webhook=self.index,
                host=self.host,
                notification=notification.event,
                reason="queue full",
            )

    async def work(self, client: httpx.AsyncClient) -> None:
        """Send queued notifications one by one, forever; never raises but CancelledError."""
        while True:
            notification = await self.queue.get()
            try:
                await self._send(client, notification)
                self.sent += 1
            except Exception as exc:
                event(
                    logging.ERROR,
                    "notify_failed",
                    webhook=self.index,
                    host=self.host,
                    notification=notification.event,
                    attempts=self.spec.max_attempts,
                    # The exception type only: httpx messages can quote the URL.
                    error=type(exc).__name__,
                )
            finally:
                self.queue.task_done()

    async def _send(self, client: httpx.AsyncClient, notification: Notification) -> None:
        body = notification.payload(self.spec.format)
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.spec.max_attempts),
            wait=wait_random_exponential(multiplier=self.backoff_seconds, max=60.0),
            retry=retry_if_exception_type((httpx.TransportError, _Retryable)),
            reraise=True,
        ):
            with attempt:
                response = await client.post(
                    self._url, json=body, timeout=self.spec.timeout_seconds
                )
                if response.status_code == 429 or response.status_code >= 500:
                    raise _Retryable(f"status {response.status_code}")
                # Other 4xx are permanent (a revoked hook, a bad payload): no retry.
                response.raise_for_status()
        event(
            logging.DEBUG,
            "notify_sent",
            webhook=self.index,
            host=self.host,
            notification=notification.event,
        )


def build_webhooks(
    specs: Sequence[WebhookSpec],
    environ: Mapping[str, str] | None = None,
    *,
    backoff_seconds: float = 1.0,
) -> list[Webhook]:
    """Resolve each spec's URL (``url`` or the variable ``url_env``).

    Raises NotifyConfigError naming the variable (never its value) when it is unset.
    """
    env = os.environ if environ is None else environ
    hooks = []
    for index, spec in enumerate(specs):
        url = spec.url or env.get(spec.url_env or "", "")
        if not url:
            raise NotifyConfigError(f"notify[{index}].url_env: variable {spec.url_env} is not set")
        hooks.append(Webhook(index, spec, url, backoff_seconds=backoff_seconds))
    return hooks


class Notifier:
    """A controller-event subscriber that turns events into notifications for every
    webhook; verdicts come with the events (``ZoneReconciled.health``), never from the
    controller's state. Start the workers with :meth:`start` inside the event loop, stop
    them with :meth:`aclose`.
    """

    def __init__(self, webhooks: Sequence[Webhook]) -> None:
        self.webhooks = list(webhooks)
        self._failing: set[str] = set()
        self._client: httpx.AsyncClient | None = None
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Start one worker task per webhook on the running loop."""
        self._client = httpx.AsyncClient(headers={"User-Agent": f"failover-sync/{__version__}"})
        self._tasks = [asyncio.create_task(h.work(self._client)) for h in self.webhooks]

    async def aclose(self, drain_seconds: float = 2.0) -> None:
        """Give queued notifications up to ``drain_seconds`` to go out, then stop."""
        if self._tasks:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(drain_seconds):
                    await asyncio.gather(*(h.queue.join() for h in self.webhooks))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def publish(self, notification: Notification) -> None:
        """Offer ``notification`` to every webhook that wants its event."""
        for hook in self.webhooks:
            hook.offer(notification)

    def __call__(self, ev: Event) -> None:
        match ev:
            case AllUnhealthyChanged(record, True, reason):
                self.publish(
                    Notification(
                        "all_unhealthy",
                        f"every endpoint of {record.name} {record.type} is unhealthy "
                        f"({reason}); publishing per "
                        f"when_all_unhealthy={record.when_all_unhealthy}",
                        {"record": record.name, "type": record.type, "reason": reason},
                    )
                )
            case ZoneReconciled(zone, plan, True, health, None):
                self._failing.discard(zone.name)
                self._changes(zone, plan, health)
            case ZoneReconciled(zone, _, _, _, _):
                self._failing.discard(zone.name)
            case ReconcileFailed(zone, error):
                self._failed(zone, error)
            case BrakeChanged(zone, _, True, reason):
                self.publish(
                    Notification(
                        "freeze",
                        f"writes to zone {zone.name} are frozen: {reason}",
                        {"zone": zone.name, "reason": reason},
                    )
                )
            case _:
                pass

    def _changes(
        self, zone: Zone, plan: ZonePlan, health: Mapping[ProbeTarget, EndpointHealth]
    ) -> None:
        for change in plan.changes:
            if change.name.startswith(MARKER_PREFIX):
                continue
            unhealthy = {t.value for t, h in health.items() if not h.healthy}
            removed = set(change.before) - set(change.after)
            added = set(change.after) - set(change.before)
            if removed & unhealthy:
                kind = "failover"
            elif added and change.before and not added & unhealthy:
                kind = "failback"
            else:
                continue  # first publication, drift repair, TTL change: not news
            before, after = ",".join(change.before), ",".join(change.after)
            self.publish(
                Notification(
                    kind,
                    f"{change.name} {change.type}: {before} -> {after} ({change.reason})",
                    {
                        "zone": zone.name,
                        "record": change.name,
                        "type": change.type,
                        "before": list(change.before),
                        "after": list(change.after),
                        "reason": change.reason,
                    },
                )
            )

    def _failed(self, zone: Zone, error: ProviderError) -> None:
        # Only the first failure of a streak: a zone that fails every resync must not page
        # every minute. A later success re-arms it.
        if zone.name in self._failing:
            return
        self._failing.add(zone.name)
        kind = "transient" if isinstance(error, TransientProviderError) else "permanent"
        self.publish(
            Notification(
                "apply_error",
                f"zone {zone.name} (provider {zone.provider}) failed ({kind}): {error}",
                {"zone": zone.name, "provider": zone.provider, "kind": kind, "error": str(error)},
            )
        )


__all__ = ["Notification", "Notifier", "NotifyConfigError", "Webhook", "build_webhooks"]
