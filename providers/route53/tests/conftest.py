"""Fixtures: moto's Route 53 server on a free loopback port, boto3 pointed at it with dummy
credentials, a fresh hosted zone per test, and a fault-injecting proxy in front of moto."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from failover_sync_route53 import Route53Options, Route53Provider
from failover_sync_route53.testing import FaultProxy
from moto.server import ThreadedMotoServer

from failover_sync import Zone
from failover_sync.testing.process import free_port, wait_until

DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIAFAILOVERSYNCTEST",
    "AWS_SECRET_ACCESS_KEY": "dummy-secret-for-moto",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": "/nonexistent/aws-config",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/aws-credentials",
    "AWS_EC2_METADATA_DISABLED": "true",
}
_zones = itertools.count(1)


@pytest.fixture(scope="session", autouse=True)
def aws_env() -> Iterator[dict[str, str]]:
    """Dummy credentials for the whole session: nothing can reach a real account."""
    with pytest.MonkeyPatch.context() as mp:
        for key, value in DUMMY_ENV.items():
            mp.setenv(key, value)
        mp.delenv("AWS_PROFILE", raising=False)
        mp.delenv("AWS_SESSION_TOKEN", raising=False)
        yield DUMMY_ENV


@pytest.fixture(scope="session")
def moto_url(aws_env: dict[str, str]) -> Iterator[str]:
    """``http://127.0.0.1:PORT`` of moto's server, ready (it answers ListHostedZones)."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    client = boto3.client("route53", endpoint_url=url, region_name="us-east-1")
    wait_until(lambda: "HostedZones" in client.list_hosted_zones(), timeout=15, what="moto")
    try:
        yield url
    finally:
        client.close()
        server.stop()


@pytest.fixture(scope="session")
def r53(moto_url: str) -> Iterator[Any]:
    """A plain boto3 Route 53 client on moto, to arrange and to check behind the adapter."""
    client = boto3.client("route53", endpoint_url=moto_url, region_name="us-east-1")
    yield client
    client.close()


def create_zone(r53: Any, name: str, *, private: bool = False) -> str:
    """Create hosted zone ``name`` in moto; return its bare id."""
    kwargs: dict[str, Any] = {"Name": name, "CallerReference": str(uuid.uuid4())}
    if private:
        kwargs["VPC"] = {"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"}
        kwargs["HostedZoneConfig"] = {"PrivateZone": True, "Comment": "private"}
    zone = r53.create_hosted_zone(**kwargs)["HostedZone"]
    return str(zone["Id"]).rsplit("/", 1)[-1]


@pytest.fixture
def zone(r53: Any) -> Zone:
    """A fresh, empty public hosted zone (SOA and NS only), addressed by id."""
    name = f"z{next(_zones)}-{uuid.uuid4().hex[:6]}.example.test."
    return Zone(name, "aws", {"hosted_zone_id": create_zone(r53, name)})


@pytest.fixture
def broken_zone() -> Zone:
    """A zone whose hosted zone id does not exist."""
    return Zone("missing.example.test.", "aws", {"hosted_zone_id": "Z0NOSUCHZONE000"})


def provider_for(url: str, **options: Any) -> Route53Provider:
    """A provider on ``url`` (moto or a proxy) with a budget that does not slow tests."""
    settings: dict[str, Any] = {"endpoint_url": url, "max_requests_per_second": 1000}
    settings.update(options)
    return Route53Provider("aws", Route53Options(**settings), config_dir=Path("."))


@pytest.fixture
def make_provider(moto_url: str) -> Callable[[], Route53Provider]:
    return lambda: provider_for(moto_url)


@pytest.fixture
def proxy(moto_url: str) -> Iterator[FaultProxy]:
    """A counting, fault-injecting proxy in front of moto (its own port: its own budget)."""
    proxy = FaultProxy(moto_url).start()
    try:
        yield proxy
    finally:
        proxy.stop()
