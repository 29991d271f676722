"""failover-sync: a self-hosted DNS failover controller.

Probe each endpoint of a DNS name, decide health with consecutive failure/success
thresholds, and publish only the healthy set through a provider adapter.

The names below are the public API that adapters import (``from failover_sync import
Provider``). They load on first use (PEP 562), so that ``failover-sync --version`` and
``validate`` do not pay for httpx, tenacity or pydantic models they never touch.
"""

from __future__ import annotations

import importlib
import typing

from failover_sync.__about__ import __version__

_EXPORTS: dict[str, str] = {
    "Action": "failover_sync.model",
    "AllUnhealthy": "failover_sync.model",
    "Capabilities": "failover_sync.provider.base",
    "Change": "failover_sync.model",
    "DesiredRecord": "failover_sync.model",
    "Endpoint": "failover_sync.model",
    "EndpointHealth": "failover_sync.model",
    "EndpointStatus": "failover_sync.model",
    "Failback": "failover_sync.model",
    "HealthCheck": "failover_sync.model",
    "MalformedAnswer": "failover_sync.provider.kit",
    "Plan": "failover_sync.model",
    "Policy": "failover_sync.model",
    "ProbeResult": "failover_sync.model",
    "ProbeTarget": "failover_sync.model",
    "Provider": "failover_sync.provider.base",
    "ProviderError": "failover_sync.errors",
    "ProviderOptions": "failover_sync.provider.base",
    "RRset": "failover_sync.model",
    "RecordKey": "failover_sync.model",
    "RetryPolicy": "failover_sync.provider.retry",
    "SecretUnavailable": "failover_sync.provider.kit",
    "StaleRRsetError": "failover_sync.provider.kit",
    "TokenBucket": "failover_sync.provider.kit",
    "TransientProviderError": "failover_sync.errors",
    "Zone": "failover_sync.model",
    "ZonePlan": "failover_sync.model",
    "absolute_name": "failover_sync.model",
    "canonical_address": "failover_sync.model",
    "parse_retry_after": "failover_sync.provider.kit",
    "read_bounded": "failover_sync.provider.kit",
    "read_secret": "failover_sync.provider.kit",
    "retry_after_from": "failover_sync.provider.kit",
}
"""Public name -> the module that defines it."""

if typing.TYPE_CHECKING:
    from failover_sync.errors import (
        ProviderError as ProviderError,
    )
    from failover_sync.errors import (
        TransientProviderError as TransientProviderError,
    )
    from failover_sync.model import (
        Action as Action,
    )
    from failover_sync.model import (
        AllUnhealthy as AllUnhealthy,
    )
    from failover_sync.model import (
        Change as Change,
    )
    from failover_sync.model import (
        DesiredRecord as DesiredRecord,
    )
    from failover_sync.model import (
        Endpoint as Endpoint,
    )
    from failover_sync.model import (
        EndpointHealth as EndpointHealth,
    )
    from failover_sync.model import (
        EndpointStatus as EndpointStatus,
    )
    from failover_sync.model import (
        Failback as Failback,
    )
    from failover_sync.model import (
        HealthCheck as HealthCheck,
    )
    from failover_sync.model import (
        Plan as Plan,
    )
    from failover_sync.model import (
        Policy as Policy,
    )
    from failover_sync.model import (
        ProbeResult as ProbeResult,
    )
    from failover_sync.model import (
        ProbeTarget as ProbeTarget,
    )
    from failover_sync.model import (
        RecordKey as RecordKey,
    )
    from failover_sync.model import (
        RRset as RRset,
    )
    from failover_sync.model import (
        Zone as Zone,
    )
    from failover_sync.model import (
        ZonePlan as ZonePlan,
    )
    from failover_sync.model import (
        absolute_name as absolute_name,
    )
    from failover_sync.model import (
        canonical_address as canonical_address,
    )
    from failover_sync.provider.base import (
        Capabilities as Capabilities,
    )
    from failover_sync.provider.base import (
        Provider as Provider,
    )
    from failover_sync.provider.base import (
        ProviderOptions as ProviderOptions,
    )
    from failover_sync.provider.kit import (
        MalformedAnswer as MalformedAnswer,
    )
    from failover_sync.provider.kit import (
        SecretUnavailable as SecretUnavailable,
    )
    from failover_sync.provider.kit import (
        StaleRRsetError as StaleRRsetError,
    )
    from failover_sync.provider.kit import (
        TokenBucket as TokenBucket,
    )
    from failover_sync.provider.kit import (
        parse_retry_after as parse_retry_after,
    )
    from failover_sync.provider.kit import (
        read_bounded as read_bounded,
    )
    from failover_sync.provider.kit import (
        read_secret as read_secret,
    )
    from failover_sync.provider.kit import (
        retry_after_from as retry_after_from,
    )
    from failover_sync.provider.retry import (
        RetryPolicy as RetryPolicy,
    )


def __getattr__(name: str) -> typing.Any:
    """Import a public name on first use."""
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


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
    "absolute_name",
    "canonical_address",
    "parse_retry_after",
    "read_bounded",
    "read_secret",
    "retry_after_from",
]
