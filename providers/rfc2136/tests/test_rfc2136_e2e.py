"""End to end: HTTP backends -> ``failover-sync run`` (a real subprocess) -> BIND 9 by RFC
2136 -> answers read with dnspython, directly and through an Unbound cache.

Fast intervals (0.2 s probes, thresholds of 2) keep each scenario to a few seconds.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from failover_sync.cli.demo import Backend, free_port
from failover_sync.testing.bind import BindServer, BindZone, bind_server
from failover_sync.testing.unbound import unbound_server

WEB1, WEB2 = "127.0.0.2", "127.0.0.3"
APP = "app.example.test."
STEP_TIMEOUT = 15.0
UNMANAGED = """\
app IN TXT "owned by someone else"
other IN A 198.51.100.1
mail IN MX 10 mx.example.net.
www IN CNAME app
"""


def failover_sync_binary() -> str:
    path = Path(sys.executable).parent / "failover-sync"
    return str(path) if path.exists() else shutil.which("failover-sync") or "failover-sync"


def config_text(bind: BindServer, web_port: int, key: str = "tsig.key") -> str:
    return f"""
providers:
  bind: {{type: rfc2136, server: {bind.address}, port: {bind.port}, tsig_key_file: ./{key},
          timeout_seconds: 2}}
zones:
  - {{name: example.test, provider: bind}}
defaults:
  health_check: {{protocol: HTTP, port: {web_port}, path: /healthz, interval_seconds: 0.2,
                 failure_threshold: 2, success_threshold: 2, request_timeout_seconds: 0.15}}
records:
  {APP}:
    type: A
    ttl: 1
    policy: failover
    records: [{{value: {WEB1}}}, {{value: {WEB2}}}]
resync_seconds: 1
"""


@pytest.fixture
def bind(tmp_path: Path) -> Iterator[BindServer]:
    # A stale answer to start from: web2 published although web1 is the primary.
    zone = BindZone("example.test", records=UNMANAGED + f"app 1 IN A {WEB2}\n")
    with bind_server(tmp_path / "bind", [zone]) as server:
        yield server


@pytest.fixture
def backends() -> Iterator[tuple[Backend, Backend]]:
    port = free_port(WEB1, WEB2)
    web1, web2 = Backend(WEB1, port), Backend(WEB2, port)
    web1.start()
    web2.start()
    yield web1, web2
    web1.stop()
    web2.stop()


def wait_for(read: Callable[[], object], expected: object, what: str, log: Path) -> float:
    """Seconds until ``read()`` equals ``expected``; fails with the controller's log."""
    started = time.monotonic()
    while time.monotonic() - started < STEP_TIMEOUT:
        if read() == expected:
            return time.monotonic() - started
        time.sleep(0.02)
    raise AssertionError(f"{what}: still {read()!r}\n--- controller log ---\n{log.read_text()}")


def unmanaged(bind: BindServer) -> dict[tuple[str, str], tuple[int, frozenset[str]]]:
    """Every RRset but the managed one and the SOA (whose serial each update bumps)."""
    return {
        key: value
        for key, value in bind.snapshot("example.test").items()
        if key not in {(APP, "A"), ("example.test.", "SOA"), (f"_failover-sync.{APP}", "TXT")}
    }


def test_failover_failback_all_unhealthy(
    tmp_path: Path, bind: BindServer, backends: tuple[Backend, Backend]
) -> None:
    web1, web2 = backends
    conf = tmp_path / "conf"
    conf.mkdir()
    shutil.copy(bind.key_file, conf / "tsig.key")  # relative to the config file's folder
    (conf / "failover-sync.yaml").write_text(config_text(bind, web1.port))
    before = unmanaged(bind)

    def answer() -> set[str]:
        return bind.query(APP, "A")  # straight from the authoritative server, with dnspython

    log = tmp_path / "controller.log"
    with (
        unbound_server(tmp_path / "unbound", bind.address, bind.port) as cache,
        log.open("wb") as log_file,
    ):
        proc = subprocess.Popen(
            [failover_sync_binary(), "run", "-c", str(conf / "failover-sync.yaml")],
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            # Start: the stale web2 answer is replaced by the healthy primary.
            wait_for(answer, {WEB1}, "initial publish of the primary", log)
            # Failover: web1 down -> web2 alone.
            web1.stop()
            failover = wait_for(answer, {WEB2}, "failover to web2", log)
            # The cache in front follows within the record's 1 s TTL.
            through_cache = wait_for(lambda: cache.query(APP), (WEB2,), "unbound", log)
            # Failback: web1 up again -> web1 alone.
            web1.start()
            failback = wait_for(answer, {WEB1}, "failback to web1", log)
            # All unhealthy -> publish_all (never an empty RRset).
            web1.stop()
            web2.stop()
            all_down = wait_for(answer, {WEB1, WEB2}, "publish_all", log)
        finally:
            proc.terminate()
            code = proc.wait(10)
    assert code == 0, log.read_text()
    # Detector bound: 2 failures x 0.2 s + 0.15 s timeout; the rest is reconcile + UPDATE.
    assert failover < 3.0
    assert failback < 3.0
    assert all_down < 3.0
    assert through_cache < 2.5
    assert unmanaged(bind) == before  # TXT beside the managed A, MX, CNAME, other A: untouched
    text = log.read_text()
    assert bind.secret not in text
    print(f"failover {failover:.2f} s, failback {failback:.2f} s, all-down {all_down:.2f} s")


def test_wrong_key_is_reported_and_nothing_is_written(
    tmp_path: Path, bind: BindServer, backends: tuple[Backend, Backend]
) -> None:
    web1, _ = backends
    conf = tmp_path / "conf"
    conf.mkdir()
    wrong = bind.key_file.read_text().replace(
        bind.secret, "d4I5AbH7uyUS5SXStX29url/dhfNPUSHCNBwY2Zi/Jc="
    )
    (conf / "wrong.key").write_text(wrong)
    (conf / "failover-sync.yaml").write_text(config_text(bind, web1.port, key="wrong.key"))
    result = subprocess.run(
        [failover_sync_binary(), "run", "--once", "-c", str(conf / "failover-sync.yaml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "BADSIG" in result.stderr
    assert "secret differs" in result.stderr
    assert bind.secret not in result.stderr + result.stdout
    assert "d4I5AbH7uyUS5SXStX29url" not in result.stderr + result.stdout
    assert bind.query(APP, "A") == {WEB2}
