"""failover-sync: a self-hosted DNS failover controller.

Probe each endpoint of a DNS name, decide health with consecutive failure/success
thresholds, and publish only the healthy set through a provider adapter.
"""

from failover_sync.__about__ import __version__
from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.model import (
    Action,
    AllUnhealthy,
    Change,
    DesiredRecord,
    Endpoint,
    EndpointHealth,
    EndpointStatus,
    Failback,
    HealthCheck,
    Plan,
    Policy,
    ProbeResult,
    ProbeTarget,
    RecordKey,
    RRset,
    Zone,
    ZonePlan,
)
from failover_sync.provider.base import Capabilities, Provider, ProviderOptions
from failover_sync.provider.kit import (
    MalformedAnswer,
    SecretUnavailable,
    StaleRRsetError,
    TokenBucket,
    parse_retry_after,
    read_bounded,
    read_secret,
    retry_after_from,
)
from failover_sync.provider.retry import RetryPolicy

__all__ = [
    "Action",
    "AllUnhealthy",
    "Capabilities",
    "Change",
    "DesiredRecord",
    "Endpoint",
    "EndpointHealth",
    "EndpointStatus",
    "Failback",
    "HealthCheck",
    "MalformedAnswer",
    "Plan",
    "Policy",
    "ProbeResult",
    "ProbeTarget",
    "Provider",
    "ProviderError",
    "ProviderOptions",
    "RRset",
    "RecordKey",
    "RetryPolicy",
    "SecretUnavailable",
    "StaleRRsetError",
    "TokenBucket",
    "TransientProviderError",
    "Zone",
    "ZonePlan",
    "__version__",
    "parse_retry_after",
    "read_bounded",
    "read_secret",
    "retry_after_from",
]
