"""failover-sync provider for Amazon Route 53 (entry point ``route53``).

Exact change batches within the AWS limits, a client-side request budget shared per account,
native weighted records written with UPSERT only, and a seam of four boto3 calls.
"""

from failover_sync_route53.options import Route53Options, Route53ZoneOptions
from failover_sync_route53.provider import Route53Provider
from failover_sync_route53.ratelimit import TokenBucket

__all__ = ["Route53Options", "Route53Provider", "Route53ZoneOptions", "TokenBucket"]
