"""A real etcd v3 cluster on loopback for the cluster-mode tests (Debian ``etcd-server``).

:class:`EtcdCluster` starts ``size`` members (3 by default) with free client and peer ports
on 127.0.0.1, each with its own data folder under ``base``, and waits until
``etcdctl endpoint health`` reports every member healthy (readiness by content, with a
deadline). :meth:`EtcdCluster.raft_leader` asks ``etcdctl endpoint status`` which member
leads raft, so that a test can SIGSTOP it (:meth:`EtcdCluster.pause`). Heartbeat 100 ms and
election timeout 1000 ms, as in /work/shared/STANDINS.md: a paused raft leader is replaced in
about 2 s.

With ``tls=True`` the members serve clients on ``https://`` only, with a certificate for
127.0.0.1 from a throwaway CA (trustme), and require a client certificate from that CA
(``--client-cert-auth``); :attr:`EtcdCluster.tls` names the CA, client certificate and key
files (written under ``base/tls``). Peers still talk plaintext on loopback.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from failover_sync.testing.process import ManagedProcess, free_port, require_binary, wait_until

ETCD_PACKAGES = "etcd-server etcd-client"


@dataclass(frozen=True)
class EtcdTlsFiles:
    """PEM files of a TLS cluster: the CA that signed everything, a client certificate
    and its key (what ``cluster.etcd.ca_file``/``cert_file``/``key_file`` point to)."""

    ca_file: Path
    cert_file: Path
    key_file: Path
    server_cert_file: Path
    server_key_file: Path


def _issue_tls(folder: Path) -> EtcdTlsFiles:
    import trustme  # a test dependency: only TLS clusters need it

    folder.mkdir(parents=True, exist_ok=True)
    ca = trustme.CA()
    files = EtcdTlsFiles(*(folder / n for n in ("ca.pem", "client.pem", "client.key",
                                                 "server.pem", "server.key")))  # fmt: skip
    ca.cert_pem.write_to_path(str(files.ca_file))
    server = ca.issue_cert("127.0.0.1", "localhost")
    server.cert_chain_pems[0].write_to_path(str(files.server_cert_file))
    server.private_key_pem.write_to_path(str(files.server_key_file))
    client = ca.issue_cert("failover-sync-client")
    client.cert_chain_pems[0].write_to_path(str(files.cert_file))
    client.private_key_pem.write_to_path(str(files.key_file))
    return files


@dataclass
class EtcdMember:
    """One member: ``name``, its client and peer ports and its process."""

    name: str
    client_port: int
    peer_port: int
    process: ManagedProcess
    paused: bool = False
    scheme: str = "http"

    @property
    def client_url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.client_port}"

    @property
    def peer_url(self) -> str:
        return f"http://127.0.0.1:{self.peer_port}"

    @property
    def pid(self) -> int:
        assert self.process.process is not None, "member not started"
        return self.process.process.pid


@dataclass
class EtcdCluster:
    """A ``size``-member etcd cluster whose data and logs live under ``base``."""

    base: Path
    size: int = 3
    members: list[EtcdMember] = field(default_factory=list)
    tls: EtcdTlsFiles | None = None
    """Set by :meth:`start` when the cluster was made with ``use_tls=True``."""
    use_tls: bool = False

    @property
    def endpoints(self) -> list[str]:
        """Client URLs of every member, in member order."""
        return [m.client_url for m in self.members]

    def start(self, timeout: float = 30.0) -> EtcdCluster:
        """Start every member and wait (at most ``timeout`` seconds) until all are healthy.

        Raises RuntimeError naming the missing Debian packages, or with the members' log
        tails when the cluster is not healthy in time.
        """
        etcd = require_binary("etcd", ETCD_PACKAGES)
        require_binary("etcdctl", ETCD_PACKAGES)
        self.base.mkdir(parents=True, exist_ok=True)
        if self.use_tls:
            self.tls = _issue_tls(self.base / "tls")
        scheme = "https" if self.tls else "http"
        ports = set[int]()
        for i in range(1, self.size + 1):
            client, peer = _distinct_port(ports), _distinct_port(ports)
            log = ManagedProcess([], log=self.base / f"n{i}.log")
            self.members.append(EtcdMember(f"n{i}", client, peer, log, scheme=scheme))
        initial = ",".join(f"{m.name}={m.peer_url}" for m in self.members)
        token = secrets.token_hex(8)
        for member in self.members:
            member.process.argv = [
                etcd,
                "--name",
                member.name,
                "--data-dir",
                str(self.base / member.name),
                "--listen-client-urls",
                member.client_url,
                "--advertise-client-urls",
                member.client_url,
                "--listen-peer-urls",
                member.peer_url,
                "--initial-advertise-peer-urls",
                member.peer_url,
                "--initial-cluster",
                initial,
                "--initial-cluster-state",
                "new",
                "--initial-cluster-token",
                token,
                "--heartbeat-interval",
                "100",
                "--election-timeout",
                "1000",
                "--logger",
                "zap",
            ]
            if self.tls is not None:
                member.process.argv += [
                    "--cert-file",
                    str(self.tls.server_cert_file),
                    "--key-file",
                    str(self.tls.server_key_file),
                    "--trusted-ca-file",
                    str(self.tls.ca_file),
                    "--client-cert-auth",
                ]
            member.process.start()
        try:
            wait_until(self.healthy, timeout=timeout, what="etcd cluster")
        except RuntimeError as exc:
            tails = "\n".join(f"--- {m.name}\n{m.process.log_tail(15)}" for m in self.members)
            self.stop()
            raise RuntimeError(f"{exc}\n{tails}") from None
        return self

    def etcdctl(self, *args: str, endpoints: list[str] | None = None, stderr: bool = False) -> str:
        """Run ``etcdctl`` (API v3) against ``endpoints`` (default: every member); its stdout
        (and its stderr after it with ``stderr``: ``endpoint health`` reports there).
        Raises subprocess.CalledProcessError on a non-zero exit."""
        argv = [
            require_binary("etcdctl", ETCD_PACKAGES),
            "--endpoints",
            ",".join(endpoints or self.endpoints),
            "--dial-timeout",
            "1s",
            "--command-timeout",
            "2s",
        ]
        if self.tls is not None:
            argv += [
                "--cacert",
                str(self.tls.ca_file),
                "--cert",
                str(self.tls.cert_file),
                "--key",
                str(self.tls.key_file),
            ]
        argv += args
        env = {**os.environ, "ETCDCTL_API": "3"}
        done = subprocess.run(argv, capture_output=True, text=True, env=env, check=True, timeout=10)
        return done.stdout + (done.stderr if stderr else "")

    def healthy(self) -> bool:
        """True when every member that is not paused answers ``endpoint health`` as healthy."""
        live = [m.client_url for m in self.members if not m.paused]
        try:
            out = self.etcdctl("endpoint", "health", endpoints=live, stderr=True)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
            return False
        return out.count("is healthy") == len(live)

    def raft_leader(self) -> EtcdMember:
        """The member that leads raft now (``etcdctl endpoint status -w json``)."""
        live = [m for m in self.members if not m.paused]
        out = self.etcdctl(
            "endpoint", "status", "-w", "json", endpoints=[m.client_url for m in live]
        )
        for status in json.loads(out):
            header = status["Status"]["header"]
            if status["Status"]["leader"] == header["member_id"]:
                return next(m for m in live if m.client_url == status["Endpoint"])
        raise RuntimeError("etcd reports no raft leader")

    def pause(self, member: EtcdMember) -> None:
        """SIGSTOP ``member`` (its sockets stay open but it answers nothing)."""
        os.kill(member.pid, signal.SIGSTOP)
        member.paused = True

    def resume(self, member: EtcdMember) -> None:
        """SIGCONT a paused ``member``."""
        os.kill(member.pid, signal.SIGCONT)
        member.paused = False

    def stop(self) -> None:
        """Stop every member (a paused one is continued first so that it can exit)."""
        for member in self.members:
            if member.paused:
                with contextlib.suppress(ProcessLookupError):
                    self.resume(member)
            member.process.stop()


def _distinct_port(taken: set[int]) -> int:
    while (port := free_port()) in taken:
        pass
    taken.add(port)
    return port


@contextlib.contextmanager
def etcd_cluster(
    base: Path, size: int = 3, *, timeout: float = 30.0, tls: bool = False
) -> Iterator[EtcdCluster]:
    """Start an :class:`EtcdCluster` under ``base`` (``tls``: https with client
    certificates) and stop it on exit."""
    cluster = EtcdCluster(base, size, use_tls=tls).start(timeout)
    try:
        yield cluster
    finally:
        cluster.stop()


__all__ = ["ETCD_PACKAGES", "EtcdCluster", "EtcdMember", "EtcdTlsFiles", "etcd_cluster"]
