"""failover-sync adapter for Akamai Edge DNS (Zone Management API v2).

Modules::

    options   AkamaiOptions, credentials from an .edgerc section or *_env variables
    signing   EdgeGrid signing of httpx requests with the official edgegrid-python library
    api       the HTTP seam: record set listings and the change-list calls
    records   pure: record sets <-> RRsets, Change -> add-change body
    errors    HTTP and problem+json failures -> ProviderError classes, in one place
    provider  AkamaiProvider, registered as entry point ``akamai``
"""

from failover_sync_akamai.options import AkamaiOptions
from failover_sync_akamai.provider import AkamaiProvider

__all__ = ["AkamaiOptions", "AkamaiProvider"]
