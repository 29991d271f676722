"""The ``azure`` type through the config loader and the JSON Schema: bad keys and values are
clear errors naming the key, zone entries take ``subscription_id``/``resource_group``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from failover_sync_azure import AzureProvider

from failover_sync.config.jsonschema import config_json_schema
from failover_sync.config.loader import ConfigError, load_config_text
from failover_sync.provider.loader import load_provider_class
from providers.azure.tests.azhelpers import GROUP, SUBSCRIPTION


def config(provider: str, zone_extra: str = "") -> str:
    return f"""
providers:
  az: {{type: azure, {provider}}}
zones:
  - {{name: example.test, provider: az{zone_extra}}}
records:
  app.example.test: {{type: A, records: [{{value: 192.0.2.1}}]}}
"""


def test_entry_point_is_registered() -> None:
    assert load_provider_class("azure") is AzureProvider
    assert load_provider_class("Azure") is AzureProvider


def test_zone_entry_keys_reach_the_zone(tmp_path: Path) -> None:
    text = config(
        f'subscription_id: "{SUBSCRIPTION}"',
        f", resource_group: {GROUP}, subscription_id: '{SUBSCRIPTION}'",
    )
    loaded = load_config_text(text, tmp_path / "c.yaml")
    (zone,) = loaded.zones
    assert zone.options["resource_group"] == GROUP
    assert isinstance(loaded.build_providers()["az"], AzureProvider)


@pytest.mark.parametrize(
    ("provider", "zone_extra", "fragment"),
    [
        ('subscription_id: "nope"', "", "subscription_id"),
        ("client_secret: abc", "", "client_secret"),
        ('base_url: "http://127.0.0.1:1"', "", "base_url"),
        ("", ", resource_group: 'bad/name'", "resource_group"),
        ("", ", hosted_zone_id: Z1", "hosted_zone_id"),
    ],
)
def test_bad_keys_are_named(tmp_path: Path, provider: str, zone_extra: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(config(provider, zone_extra), tmp_path / "c.yaml")
    assert fragment in str(info.value)
    assert "Traceback" not in str(info.value)


def test_json_schema_has_the_azure_options() -> None:
    text = json.dumps(config_json_schema())
    assert '"azure"' in text
    assert "managed_identity_client_id" in text
