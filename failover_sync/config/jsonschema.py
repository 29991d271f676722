"""The config file's JSON Schema (``failover-sync schema``), for editor completion and CI.

Built from the pydantic models of :mod:`failover_sync.config.spec`: :class:`~schema.RootSpec` keeps
``providers``, ``zones``, ``defaults`` and ``records`` loose (it validates them one by one, to
report every problem at once), so here they are swapped for their real models. Each installed
adapter's options are added as one ``providers`` alternative per ``type``, so that an editor
completes ``hosted_zone_id`` under a route53 provider. Every other top-level key comes from
``RootSpec`` unchanged, so a key added there appears here without an edit.
"""

from __future__ import annotations

import copy
from importlib.metadata import entry_points
from typing import Any

from pydantic import create_model
from pydantic.fields import FieldInfo

from failover_sync.config import spec as schema
from failover_sync.errors import ProviderNotInstalled
from failover_sync.provider.loader import ENTRY_POINT_GROUP, load_provider_class

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _override(name: str, annotation: Any) -> tuple[Any, FieldInfo]:
    info = copy.copy(schema.RootSpec.model_fields[name])
    return annotation, info


def _provider_variants(defs: dict[str, Any]) -> list[dict[str, Any]]:
    """One schema per installed adapter: ``type`` fixed to its name, plus its options;
    nested models of the options go to ``defs`` (the root's ``$defs``)."""
    variants = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            cls = load_provider_class(ep.name)
        except (ProviderNotInstalled, ImportError):
            continue  # a broken adapter must not break the schema of the others
        options = cls.Options.model_json_schema()
        options.pop("title", None)
        defs.update(options.pop("$defs", {}))
        props = {"type": {"const": ep.name}, **options.get("properties", {})}
        required = ["type", *options.get("required", [])]
        variant = {**options, "properties": props, "required": required}
        variants.append(variant)
    return variants


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the config file as a dict."""
    fields: dict[str, Any] = {
        name: (info.annotation, copy.copy(info))
        for name, info in schema.RootSpec.model_fields.items()
    }
    fields["providers"] = _override("providers", dict[str, schema.ProviderSpec])
    fields["zones"] = _override("zones", list[schema.ZoneSpec])
    fields["records"] = _override("records", dict[str, schema.RecordSpec])
    fields["defaults"] = _override("defaults", schema.DefaultsSpec)
    model = create_model(
        "FailoverSyncConfig", __base__=schema.Spec, __doc__=schema.RootSpec.__doc__, **fields
    )
    result: dict[str, Any] = model.model_json_schema()
    defs = result.setdefault("$defs", {})
    variants = _provider_variants(defs)
    if variants:
        result["properties"]["providers"]["additionalProperties"] = {"anyOf": variants}
    result["title"] = "failover-sync config"
    return {"$schema": SCHEMA_DIALECT, **result}


__all__ = ["config_json_schema"]
