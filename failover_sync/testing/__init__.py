"""Test support that ships with the product: the provider contract suite, the in-memory
provider, a scripted prober, and loopback servers (PowerDNS, BIND, Unbound, fault servers,
HTTP backends) that adapters' tests start.

Adapters' tests import from here, never from the core's ``tests`` package.
"""

from failover_sync.provider.memory import InMemoryProvider
from failover_sync.testing.contract import (
    MakeProvider,
    ProviderContract,
    ScriptedProber,
    standard_guards,
    upsert,
)

__all__ = [
    "InMemoryProvider",
    "MakeProvider",
    "ProviderContract",
    "ScriptedProber",
    "standard_guards",
    "upsert",
]
