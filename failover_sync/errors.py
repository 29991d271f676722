"""The error tree of failover-sync (ground floor: no import of any other module of ours).

::

    FailoverSyncError                 base of every error we raise on purpose
    ├── ConfigError                   (config.loader) the config is invalid; lists every problem
    ├── ProviderError                 permanent: reported, the zone is skipped this round
    │   ├── MalformedAnswer           (provider.kit) the answer is not what the API documents
    │   ├── SecretUnavailable         (provider.kit) a *_env / *_file credential is missing
    │   ├── FencedOut                 (cluster) this process may no longer write
    │   └── TransientProviderError    throttling, 5xx, timeouts: retried with backoff
    │       └── StaleRRsetError       (provider.kit) compare-and-swap refused: re-read, re-plan
    └── ProviderNotInstalled          config names a type that no installed distribution provides

Each adapter classifies its SDK's errors into these classes at one place.
"""

from __future__ import annotations


class FailoverSyncError(Exception):
    """Base of every error failover-sync raises on purpose."""


class ProviderError(FailoverSyncError):
    """A permanent provider failure (bad credentials, no such zone, rejected change).

    ``provider`` is the instance name from the config and ``zone`` the absolute zone name,
    when known. The message must never contain a secret.
    """

    def __init__(self, message: str, *, provider: str = "", zone: str = "") -> None:
        super().__init__(message)
        self.provider = provider
        self.zone = zone


class TransientProviderError(ProviderError):
    """A failure worth retrying: throttling, 5xx, connection errors, timeouts.

    ``retry_after`` is the provider's own hint in seconds (``Retry-After``), if it gave one.
    """

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        zone: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, zone=zone)
        self.retry_after = retry_after


class ProviderNotInstalled(FailoverSyncError, LookupError):
    """No installed distribution provides the provider ``type`` of the config."""


class FencedOut(ProviderError):
    """This process may not write: it is not (or no longer) the cluster's leader, or its
    fencing token is older than the one etcd holds. Nothing was sent to the provider."""
