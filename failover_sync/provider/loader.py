"""Finding the adapter class of a provider ``type``.

Adapters register a class in the entry-point group ``failover_sync.providers`` (the core
never imports one by name). The embedded providers are in :data:`BUILTIN`, so that they work
from a bare source tree too; :data:`PUBLISHED` lists the adapters this project publishes, the
only distributions an error message ever suggests installing (a guessed name would be
typosquatting bait).
"""

from __future__ import annotations

import importlib

from failover_sync.errors import ProviderNotInstalled
from failover_sync.provider.base import Provider

ENTRY_POINT_GROUP = "failover_sync.providers"

BUILTIN: dict[str, str] = {
    "zonefile": "failover_sync.provider.zonefile:ZoneFileProvider",
    "memory": "failover_sync.provider.memory:InMemoryProvider",
}
"""Providers embedded in the core: type -> ``module:Class``."""

PUBLISHED: dict[str, str] = {
    "akamai": "failover-sync-akamai",
    "azure": "failover-sync-azure",
    "cloudflare": "failover-sync-cloudflare",
    "dnsmadeeasy": "failover-sync-dnsmadeeasy",
    "powerdns": "failover-sync-powerdns",
    "rfc2136": "failover-sync-rfc2136",
    "route53": "failover-sync-route53",
}
"""Adapters this project publishes: type -> distribution name."""


def known_types() -> list[str]:
    """Every provider type this project ships, embedded or published, sorted."""
    return sorted({*BUILTIN, *PUBLISHED})


def _load(ref: str, type_name: str) -> type[Provider]:
    module, _, attr = ref.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    if not (isinstance(cls, type) and issubclass(cls, Provider)):
        raise ProviderNotInstalled(f"{ref!r} for provider {type_name!r} is not a Provider")
    return cls


def load_provider_class(type_name: str) -> type[Provider]:
    """The adapter class for ``type_name`` (any case), embedded or from an entry point.

    Raises ProviderNotInstalled: for a published adapter, naming the distribution to install;
    for anything else, naming the known types and the nearest one ("did you mean zonefile?").
    """
    name = type_name.strip().lower()
    if name in BUILTIN:
        return _load(BUILTIN[name], name)
    import importlib.metadata  # scans every installed distribution: not for a builtin type

    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            return _load(ep.value, name)
    if name in PUBLISHED:
        dist = PUBLISHED[name]
        raise ProviderNotInstalled(
            f"provider type {name!r} needs the distribution {dist!r}: pip install {dist}"
        )
    import difflib  # only to suggest a type for an unknown one

    near = difflib.get_close_matches(name, known_types(), n=1, cutoff=0.6)
    hint = f"did you mean {near[0]!r}? " if near else ""
    raise ProviderNotInstalled(
        f"unknown provider type {type_name!r}: {hint}known types: {', '.join(known_types())}"
    )
