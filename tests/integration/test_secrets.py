"""No secret in logs, plans, exceptions or reprs, at DEBUG with every library logger on.

Each adapter runs a full one-shot reconcile (read, plan, write with its ownership marker)
against its stand-in, then a failing one (bad credentials or a server error), while the root
logger and the libraries' loggers (httpx, httpcore, cloudflare, botocore, tenacity, dns) log
at DEBUG into a buffer. The PowerDNS API key, the Cloudflare token and the TSIG secret must
not appear in the buffer, the rendered plans, the errors' ``str``/``repr`` or the options'
``repr``.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from failover_sync_cloudflare import CloudflareOptions, CloudflareProvider
from failover_sync_powerdns import PowerDNSProvider
from failover_sync_powerdns.options import PowerDNSOptions
from failover_sync_rfc2136 import RFC2136Options, RFC2136Provider

from failover_sync.cli import render
from failover_sync.controller.controller import Controller
from failover_sync.model import (
    DesiredRecord,
    Endpoint,
    HealthCheck,
    Plan,
    Policy,
    ProbeTarget,
    Zone,
)
from failover_sync.plan.document import PlanDocument, errors_of
from failover_sync.provider.base import Provider
from failover_sync.provider.retry import RetryPolicy
from failover_sync.testing import ScriptedProber, standard_guards
from failover_sync.testing.bind import bind_server
from failover_sync.testing.faults import FaultServer
from providers.cloudflare.tests.cffake import CloudflareFake

LIBRARIES = ["httpx", "httpcore", "cloudflare", "botocore", "tenacity", "dns", "failover_sync"]
CHECK = HealthCheck(interval_seconds=0.01, failure_threshold=1, success_threshold=1,
                    request_timeout_seconds=0.005)  # fmt: skip


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(args)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
        logging.getLogger(name).disabled = False
    yield buffer
    root.removeHandler(handler)
    root.setLevel(old_level)
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.NOTSET)


def record(zone: Zone) -> DesiredRecord:
    endpoints = tuple(Endpoint(v, ProbeTarget(v, CHECK)) for v in ("192.0.2.1", "192.0.2.2"))
    return DesiredRecord(f"app.{zone.name}", "A", 60, zone.name, Policy.MULTIVALUE, endpoints)


def reconcile(provider: Provider, zone: Zone) -> tuple[list[str], str]:
    """One-shot run; returns the errors' str/repr and the rendered plans."""
    controller = Controller(
        desired={zone: [record(zone)]},
        providers={zone.provider: provider},
        prober=ScriptedProber(),
        retry=RetryPolicy(attempts=2, initial_seconds=0.01, max_seconds=0.02),
        guards=standard_guards({zone: [record(zone)]}),
    )

    async def run() -> tuple[list[str], str]:
        try:
            outcomes = await controller.once()
        finally:
            await provider.aclose()
        errors = [f"{o.error} {o.error!r}" for o in outcomes if o.error]
        plan = Plan(tuple(o.plan for o in outcomes if o.plan))
        doc = PlanDocument(plan, errors_of({o.zone: o.error for o in outcomes if o.error}))
        return errors, render.to_json(doc) + render.to_text(doc) + render.to_markdown(doc)

    return asyncio.run(run())


def assert_hidden(secret: str, *texts: str) -> None:
    assert len(secret) >= 16
    for text in texts:
        assert secret not in text


def test_powerdns_api_key(debug_log: io.StringIO, monkeypatch: pytest.MonkeyPatch) -> None:
    key = "pdns-secret-key-8c1f0e2d4b6a"
    monkeypatch.setenv("PDNS_TEST_KEY", key)
    soa = (  # every zone has its SOA: an answer without it is malformed, not empty
        b'{"name": "example.test.", "type": "SOA", "ttl": 3600, "records": [{"content": '
        b'"ns1.example.test. hostmaster.example.test. 1 10800 3600 604800 3600", '
        b'"disabled": false}]}'
    )
    server = FaultServer(body=b'{"name": "example.test.", "rrsets": [' + soa + b"]}").start()
    try:
        options = PowerDNSOptions(url=server.url, api_key_env="PDNS_TEST_KEY")
        zone = Zone("example.test.", "pdns")
        ok_errors, ok_plan = reconcile(PowerDNSProvider("pdns", options, config_dir=Path()), zone)
        assert any(line.startswith("PATCH ") for line in server.requests)
        server.fault, server.status = "status", 401
        errors, plan = reconcile(PowerDNSProvider("pdns", options, config_dir=Path()), zone)
    finally:
        server.stop()
    assert errors
    assert "httpcore" in debug_log.getvalue()
    assert_hidden(key, debug_log.getvalue(), ok_plan, plan, *ok_errors, *errors, repr(options))


def test_cloudflare_token(debug_log: io.StringIO, tmp_path: Path) -> None:
    with CloudflareFake() as fake:
        token = fake.add_token()
        zone = Zone("example.test.", "cf", {"zone_id": fake.add_zone("example.test")})
        token_file = tmp_path / "token"
        token_file.write_text(token)
        options = CloudflareOptions(
            base_url=fake.base_url, api_token_file=token_file, max_retries=0, min_ttl=30
        )
        ok_errors, ok_plan = reconcile(CloudflareProvider("cf", options, config_dir=tmp_path), zone)
        assert not ok_errors
        token_file.write_text("wrong-token-0123456789abcdef")
        errors, plan = reconcile(CloudflareProvider("cf", options, config_dir=tmp_path), zone)
    assert errors
    assert "cloudflare" in debug_log.getvalue()
    texts = [debug_log.getvalue(), ok_plan, plan, *errors, repr(options)]
    assert_hidden(token, *texts)
    assert_hidden("wrong-token-0123456789abcdef", *texts)


def test_tsig_secret(
    debug_log: io.StringIO, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with bind_server(tmp_path / "bind") as bind:
        secret = bind.secret
        monkeypatch.setenv("TSIG_SECRET", secret)
        options = RFC2136Options.model_validate(
            {"server": bind.address, "port": bind.port, "tsig_name": "failover-sync",
             "tsig_secret_env": "TSIG_SECRET", "timeout_seconds": 2.0}
        )  # fmt: skip
        zone = Zone("example.test.", "bind")
        provider = RFC2136Provider("bind", options, config_dir=bind.directory)
        ok_errors, ok_plan = reconcile(provider, zone)
        assert not ok_errors
        monkeypatch.setenv("TSIG_SECRET", "d3Jvbmcgc2VjcmV0IGZvciB0aGUgdGVzdA==")
        provider = RFC2136Provider("bind", options, config_dir=bind.directory)
        errors, plan = reconcile(provider, zone)
        assert errors
        assert_hidden(secret, debug_log.getvalue(), ok_plan, plan, *errors, repr(options))
        assert_hidden(secret, repr(provider.__dict__))
