"""Webhook notifications: events, payloads, retries, dead receivers, secrets kept out of logs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import ValidationError

from failover_sync.config.loader import ConfigError, load_config_text
from failover_sync.config.spec import WebhookSpec
from failover_sync.controller.events import AllUnhealthyChanged, ReconcileFailed, ZoneReconciled
from failover_sync.errors import ProviderError
from failover_sync.model import (
    Action,
    Change,
    DesiredRecord,
    Endpoint,
    EndpointHealth,
    HealthCheck,
    Policy,
    ProbeTarget,
    Zone,
    ZonePlan,
)
from failover_sync.ops.notify import Notification, Notifier, NotifyConfigError, build_webhooks
from failover_sync.testing.backends import BlackHole
from failover_sync.testing.webhooks import WebhookReceiver

ZONE = Zone("example.test.", "local")
NAME = "app.example.test."
CHECK = HealthCheck()
T1, T2 = ProbeTarget("192.0.2.1", CHECK), ProbeTarget("192.0.2.2", CHECK)
RECORD = DesiredRecord(
    NAME, "A", 30, ZONE.name, Policy.FAILOVER, (Endpoint(T1.value, T1), Endpoint(T2.value, T2))
)


@dataclass
class State:
    healthy: bool


def change(before: tuple[str, ...], after: tuple[str, ...], reason: str = "r") -> ZonePlan:
    c = Change(Action.UPSERT, NAME, "A", 30, before, after, reason, before_ttl=30)
    return ZonePlan(ZONE, (c,), 0)


def notifier(
    *specs: dict[str, Any], health: dict[ProbeTarget, State] | None = None
) -> tuple[Notifier, dict[ProbeTarget, State]]:
    states = health if health is not None else {T1: State(True), T2: State(True)}
    hooks = build_webhooks([WebhookSpec(**s) for s in specs], {}, backoff_seconds=0.01)
    return Notifier(hooks), states


def reconciled(
    plan: ZonePlan, applied: bool, states: dict[ProbeTarget, State] | None = None
) -> ZoneReconciled:
    """The event of a reconcile planned with ``states`` as verdicts."""
    health = {t: EndpointHealth(s.healthy, "x") for t, s in (states or {}).items()}
    return ZoneReconciled(ZONE, plan, applied, health)


def run(notifier: Notifier, body: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        notifier.start()
        try:
            await body()
        finally:
            await notifier.aclose(drain_seconds=5)

    asyncio.run(main())


@pytest.fixture
def receiver() -> Any:
    r = WebhookReceiver().start()
    yield r
    r.stop()


def test_failover_failback_and_quiet_changes(receiver: WebhookReceiver) -> None:
    n, states = notifier({"url": receiver.url + "/hook"})

    async def body() -> None:
        states[T1].healthy = False
        n(reconciled(change(("192.0.2.1",), ("192.0.2.2",), "192.0.2.1 unhealthy"), True, states))
        n(reconciled(change((), ("192.0.2.1",)), True, states))  # first publication: quiet
        n(reconciled(change(("192.0.2.1",), ("192.0.2.2",)), False, states))  # dry run: quiet
        states[T1].healthy = True
        n(reconciled(change(("192.0.2.2",), ("192.0.2.1",), "back"), True, states))

    run(n, body)
    assert receiver.events() == ["failover", "failback"]
    first = receiver.received[0]
    assert first["version"] == 1
    assert (first["zone"], first["record"], first["type"]) == (ZONE.name, NAME, "A")
    assert (first["before"], first["after"]) == (["192.0.2.1"], ["192.0.2.2"])
    assert first["reason"] == "192.0.2.1 unhealthy"
    assert first["ts"].endswith("Z")
    assert receiver.paths == ["/hook", "/hook"]


def test_slack_format_and_event_filter(receiver: WebhookReceiver) -> None:
    n, states = notifier(
        {"url": receiver.url, "format": "slack", "events": ["all_unhealthy", "apply_error"]}
    )

    async def body() -> None:
        states[T1].healthy = False
        n(reconciled(change(("192.0.2.1",), ("192.0.2.2",)), True, states))  # filtered out
        states[T2].healthy = False  # the controller says when every endpoint is down
        n(AllUnhealthyChanged(RECORD, True, "192.0.2.2: timeout"))
        error = ProviderError("AccessDenied", provider="local", zone=ZONE.name)
        n(ReconcileFailed(ZONE, error))
        n(ReconcileFailed(ZONE, error))  # same streak: not again
        n(reconciled(ZonePlan(ZONE, (), 1), True, states))
        n(ReconcileFailed(ZONE, error))  # a new streak

    run(n, body)
    texts = [body["text"] for body in receiver.received]
    assert len(texts) == 3
    assert texts[0].startswith("failover-sync all_unhealthy: every endpoint of " + NAME)
    assert "when_all_unhealthy=publish_all" in texts[0]
    assert texts[1] == texts[2]
    assert "apply_error: zone example.test. (provider local) failed (permanent)" in texts[1]


def test_5xx_is_retried_4xx_is_not_and_the_url_is_never_logged(
    receiver: WebhookReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    n, _ = notifier({"url": receiver.url + "/s3cr3t", "max_attempts": 3})
    receiver.statuses = [500, 429, 404]

    async def body() -> None:
        n.publish(Notification("freeze", "frozen"))
        await asyncio.wait_for(n.webhooks[0].queue.join(), 5)
        n.publish(Notification("freeze", "again"))

    run(n, body)
    assert receiver.attempts == 4  # 500, 429, 200, then 404 once
    assert receiver.events() == ["freeze"]
    assert "notify_failed" in caplog.text
    failed = [r for r in caplog.records if r.getMessage() == "notify_failed"]
    assert failed[0].fields["error"] == "HTTPStatusError"  # type: ignore[attr-defined]
    assert "s3cr3t" not in caplog.text
    assert "s3cr3t" not in repr([r.__dict__ for r in caplog.records])


def test_a_dead_receiver_never_slows_the_loop(caplog: pytest.LogCaptureFixture) -> None:
    hole = BlackHole("127.0.0.1")
    post_timeout = 5.0  # a POST into the hole hangs this long: blocking on it would show
    hooks = build_webhooks(
        [WebhookSpec(url=f"http://127.0.0.1:{hole.port}/", timeout_seconds=post_timeout)], {}
    )
    hooks[0].queue = asyncio.Queue(2)  # small, to see drops
    n = Notifier(hooks)
    states = {T1: State(False), T2: State(True)}
    lags: list[float] = []

    async def body() -> None:
        loop = asyncio.get_running_loop()
        for _ in range(20):  # a ticking "probe loop" while events pile up
            started = loop.time()
            n(reconciled(change(("192.0.2.1",), ("192.0.2.2",)), True, states))
            await asyncio.sleep(0.01)
            lags.append(loop.time() - started - 0.01)

    try:
        started = time.monotonic()
        run_with_drain(n, body, drain=0.2)
        # the drain (0.2 s) is bounded: the hung POST is cancelled, not waited for
        assert time.monotonic() - started < post_timeout - 1
    finally:
        hole.close()
    # no tick waited for the hung POST (the bounds sit far from both, for loaded machines)
    assert len(lags) == 20
    assert max(lags) < post_timeout / 5
    dropped = [r for r in caplog.records if r.getMessage() == "notify_dropped"]
    assert len(dropped) >= 10


def run_with_drain(n: Notifier, body: Callable[[], Awaitable[None]], drain: float) -> None:
    async def main() -> None:
        n.start()
        try:
            await body()
        finally:
            await n.aclose(drain_seconds=drain)

    asyncio.run(main())


def test_url_env_is_resolved_and_a_missing_variable_named_not_valued() -> None:
    specs = [WebhookSpec(url_env="HOOK")]
    assert build_webhooks(specs, {"HOOK": "https://hooks.example/x"})[0].host == "hooks.example"
    with pytest.raises(NotifyConfigError, match=r"notify\[0\]\.url_env: variable HOOK is not set"):
        build_webhooks(specs, {})


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"url": "https://a.example", "url_env": "X"},
        {"url": "ftp://a"},
        {"url_env": "X", "events": ["x"]},
    ],
)
def test_webhook_spec_rejects(spec: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        WebhookSpec(**spec)


CONFIG = """\
providers: {local: {type: zonefile, directory: zones}}
zones: [{name: example.test, provider: local}]
records:
  app.example.test: {type: A, records: [{value: 192.0.2.1}]}
"""


def test_notify_in_the_config() -> None:
    config = load_config_text(CONFIG + "notify: [{url_env: HOOK, format: slack}]\n")
    assert config.notify == (WebhookSpec(url_env="HOOK", format="slack"),)
    assert load_config_text(CONFIG).notify == ()
    with pytest.raises(ConfigError) as exc:
        load_config_text(CONFIG + "notify: [{url: 'https://h.example/secret', format: xml}]\n")
    assert "notify[0].format" in str(exc.value)
    assert "secret" not in str(exc.value)
