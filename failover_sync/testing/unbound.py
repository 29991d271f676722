"""A real Unbound caching resolver on a free loopback port, in front of authoritative servers
under test, for tests and benchmarks.

:func:`unbound_server` starts one that sends every query under ``domain`` (default ``test.``)
to one authoritative ``address@port`` (a stub zone) and stops it on exit; the pytest fixture
``unbound`` (one per session) puts it in front of the session's ``powerdns``. Readiness:
``version.server CH TXT`` answered with Unbound's version within a deadline. A missing
``unbound`` fails with the Debian package to install.

Configuration: ``shared/STANDINS.md``. ``cache-min-ttl: 0`` keeps the records' own TTLs, so a
client behind the cache sees a change when the cached TTL runs out, as in production.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dns.message
import dns.query
import pytest

from failover_sync.testing.powerdns import PowerDNS, dns_answer
from failover_sync.testing.process import ManagedProcess, free_dns_port, require_binary, wait_until

ADDRESS = "127.0.0.1"
READY_SECONDS = 10.0


@dataclass
class Unbound:
    """A running Unbound: its port and folder."""

    directory: Path
    port: int
    process: ManagedProcess

    def query(self, name: str, rtype: str = "A", *, timeout: float = 2.0) -> tuple[str, ...]:
        """Sorted values that a client behind the cache gets (empty: no data)."""
        return dns_answer(ADDRESS, self.port, name, rtype, timeout=timeout)


def unbound_conf(directory: Path, port: int, domain: str, upstream: str, upstream_port: int) -> str:
    """The resolver's config: loopback only, no DNSSEC for ``domain``, stub to the upstream."""
    domain = domain.rstrip(".") + "."
    return f"""server:
    interface: {ADDRESS}
    port: {port}
    do-ip6: no
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    username: ""
    chroot: ""
    directory: "{directory}"
    pidfile: ""
    use-syslog: no
    logfile: ""
    do-daemonize: no
    module-config: "iterator"
    domain-insecure: "{domain}"
    local-zone: "{domain}" nodefault
    cache-min-ttl: 0
    prefetch: no
    serve-expired: no
stub-zone:
    name: "{domain}"
    stub-addr: {upstream}@{upstream_port}
remote-control:
    control-enable: no
"""


def _ready(port: int) -> bool:
    query = dns.message.make_query("version.server", "TXT", "CH")
    response = dns.query.udp(query, ADDRESS, port=port, timeout=0.5)
    return any("unbound" in rd.to_text().lower() for rrset in response.answer for rd in rrset)


@contextlib.contextmanager
def unbound_server(
    directory: Path, upstream: str, upstream_port: int, *, domain: str = "test."
) -> Iterator[Unbound]:
    """Unbound resolving ``domain`` through ``upstream@upstream_port``; stopped on exit."""
    binary = require_binary("unbound", "unbound")
    directory.mkdir(parents=True, exist_ok=True)
    port = free_dns_port(ADDRESS)
    conf = directory / "unbound.conf"
    conf.write_text(unbound_conf(directory, port, domain, upstream, upstream_port))
    process = ManagedProcess([binary, "-d", "-c", str(conf)], log=directory / "unbound.log")
    popen = process.start()
    try:
        wait_until(lambda: _ready(port), timeout=READY_SECONDS, what="unbound", process=popen)
    except RuntimeError as exc:
        tail = process.log_tail()
        process.stop()
        raise RuntimeError(f"{exc}\n--- unbound.log ---\n{tail}") from None
    try:
        yield Unbound(directory, port, process)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def unbound(tmp_path_factory: pytest.TempPathFactory, powerdns: PowerDNS) -> Iterator[Unbound]:
    """Unbound in front of the session's PowerDNS for every zone under ``test.``."""
    with unbound_server(tmp_path_factory.mktemp("unbound"), ADDRESS, powerdns.dns_port) as server:
        yield server
