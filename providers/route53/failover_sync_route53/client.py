"""The seam to boto3: exactly the four Route 53 calls the adapter makes, and the client factory.

Calls (all synchronous; the provider runs them in ``asyncio.to_thread``):

==============================  =========================================================
``list_hosted_zones_by_name``   only when the zone has no ``hosted_zone_id``
``list_resource_record_sets``   reading, paged with NextRecordName/Type/Identifier
``change_resource_record_sets`` writing, one change batch per call
``get_change``                  only with ``wait_for_sync``
==============================  =========================================================

Responses are boto3's parsed dicts (shapes in the Route 53 API reference,
https://docs.aws.amazon.com/Route53/latest/APIReference/). Every HTTP request, botocore's own
retries included, first takes a token from the account's shared bucket
(:mod:`failover_sync_route53.ratelimit`) via botocore's ``before-send`` event.

Retry layers: botocore retries a failing call itself in ``standard`` mode up to
``botocore_max_attempts`` attempts (default 2: Throttling, PriorRequestNotComplete, 5xx and
connection errors, with its own jittered backoff); the error that remains becomes a
TransientProviderError and the core's RetryPolicy (tenacity, 4 attempts by default) retries the
whole read-plan-write attempt. Worst case per failing call: 2 x 4 = 8 HTTP requests, all of
them paced by the token bucket.
"""

from __future__ import annotations

from typing import Any, Protocol, cast

import boto3  # type: ignore[import-untyped, unused-ignore]
from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]
from botocore.credentials import (  # type: ignore[import-untyped, unused-ignore]
    RefreshableCredentials,
)
from botocore.session import get_session  # type: ignore[import-untyped, unused-ignore]

from failover_sync_route53.options import Route53Options
from failover_sync_route53.ratelimit import TokenBucket, shared_bucket

Response = dict[str, Any]
"""A boto3 response: parsed XML as nested dicts and lists (strings, ints, bools)."""


class Route53API(Protocol):
    """The subset of boto3's Route 53 client that the adapter uses (keyword arguments as in
    the API reference)."""

    def list_hosted_zones_by_name(self, **kwargs: Any) -> Response: ...

    def list_resource_record_sets(self, **kwargs: Any) -> Response: ...

    def change_resource_record_sets(self, **kwargs: Any) -> Response: ...

    def get_change(self, **kwargs: Any) -> Response: ...

    def close(self) -> None: ...


def account_key(options: Route53Options) -> str:
    """Who shares one request budget: the account of ``assume_role_arn`` when set, else the
    credential source (profile or the default chain), per endpoint."""
    endpoint = options.endpoint_url or "aws"
    if options.assume_role_arn:
        return f"{endpoint}|account:{options.assume_role_arn.split(':')[4]}"
    return f"{endpoint}|profile:{options.profile or 'default-chain'}"


def _assumed_role_session(base: Any, options: Route53Options, config: Any) -> Any:
    """A boto3 session whose credentials come from STS AssumeRole on top of ``base``,
    refreshed by botocore before they expire (15 min ahead)."""
    sts = base.client("sts", endpoint_url=options.endpoint_url, config=config)

    def refresh() -> dict[str, str]:
        creds = sts.assume_role(
            RoleArn=options.assume_role_arn, RoleSessionName=options.role_session_name
        )["Credentials"]
        return {
            "access_key": creds["AccessKeyId"],
            "secret_key": creds["SecretAccessKey"],
            "token": creds["SessionToken"],
            "expiry_time": creds["Expiration"].isoformat(),
        }

    botocore_session = get_session()
    credentials = RefreshableCredentials.create_from_metadata(
        metadata=refresh(), refresh_using=refresh, method="sts-assume-role"
    )
    botocore_session._credentials = credentials  # type: ignore[attr-defined, unused-ignore]
    botocore_session.set_config_variable("region", options.region)
    return boto3.Session(botocore_session=botocore_session)


def make_client(options: Route53Options) -> tuple[Route53API, TokenBucket]:
    """Build the Route 53 client and attach the account's token bucket to it.

    No request is made, except STS AssumeRole when ``assume_role_arn`` is set. Raises
    botocore errors (ProfileNotFound, ClientError from STS), which the caller classifies.
    """
    config = Config(
        region_name=options.region,
        retries={"mode": "standard", "total_max_attempts": options.botocore_max_attempts},
        connect_timeout=options.connect_timeout_seconds,
        read_timeout=options.read_timeout_seconds,
        user_agent_extra="failover-sync",
    )
    session = boto3.Session(profile_name=options.profile, region_name=options.region)
    if options.assume_role_arn:
        session = _assumed_role_session(session, options, config)
    client = session.client("route53", endpoint_url=options.endpoint_url, config=config)
    bucket = shared_bucket(account_key(options), options.max_requests_per_second)

    def pace(**_: Any) -> None:
        bucket.acquire()

    client.meta.events.register("before-send.route53", pace)
    return cast(Route53API, client), bucket
