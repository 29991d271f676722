"""failover-sync adapter for Cloudflare DNS, built on the official ``cloudflare`` SDK (5.x).

Modules::

    options   CloudflareOptions, CloudflareZoneOptions, token lookup (SecretStr)
    api       the SDK seam: zones.list, dns.records.list, dns.records.batch
    batch     pure: records <-> RRsets, Change -> deletes/patches/posts, chunking
    budget    client-side request budget per token (rolling 5 minutes)
    errors    SDK errors -> ProviderError / TransientProviderError, in one place
    provider  CloudflareProvider, registered as entry point ``cloudflare``
"""

from failover_sync_cloudflare.options import CloudflareOptions, CloudflareZoneOptions
from failover_sync_cloudflare.provider import CloudflareProvider

__all__ = ["CloudflareOptions", "CloudflareProvider", "CloudflareZoneOptions"]
