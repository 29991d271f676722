"""failover-sync adapter for Azure DNS, built on the official ``azure-mgmt-dns`` SDK
(record sets API 2018-05-01) and ``azure-identity``.

Modules::

    options   AzureOptions, AzureZoneOptions, StaticTokenCredential
    records   pure: SDK RecordSet <-> RRset, relative names, TXT strings, answer checks
    client    the SDK seam: record_sets get/create_or_update/delete/list_* behind the
              per-subscription-and-principal token buckets
    errors    azure-core errors -> ProviderError / TransientProviderError / StaleRRsetError
    provider  AzureProvider, registered as entry point ``azure``
"""

from failover_sync_azure.options import AzureOptions, AzureZoneOptions, StaticTokenCredential
from failover_sync_azure.provider import AzureProvider

__all__ = ["AzureOptions", "AzureProvider", "AzureZoneOptions", "StaticTokenCredential"]
