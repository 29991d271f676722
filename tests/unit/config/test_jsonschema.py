"""``failover-sync schema``: the JSON Schema accepts every shipped config and rejects typos."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from failover_sync.config.jsonschema import config_json_schema

ROOT = Path(__file__).resolve().parents[3]
CONFIGS = [
    *sorted((ROOT / "examples").glob("*.yaml")),
    ROOT / "terraform" / "aws-ecs" / "examples" / "basic" / "failover-sync.yaml",
]


@pytest.fixture(scope="module")
def validator() -> jsonschema.Draft202012Validator:
    schema = config_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_are_valid(validator: jsonschema.Draft202012Validator, path: Path) -> None:
    assert [e.message for e in validator.iter_errors(yaml.safe_load(path.read_text()))] == []


def test_kubernetes_configmap_config_is_valid(validator: jsonschema.Draft202012Validator) -> None:
    configmap = yaml.safe_load((ROOT / "terraform/kubernetes/configmap.yaml").read_text())
    config = yaml.safe_load(configmap["data"]["failover-sync.yaml"])
    assert [e.message for e in validator.iter_errors(config)] == []


BASE: dict[str, Any] = {
    "providers": {"local": {"type": "zonefile", "directory": "zones"}},
    "zones": [{"name": "example.test", "provider": "local"}],
    "records": {"app.example.test": {"type": "A", "records": [{"value": "192.0.2.1"}]}},
}


@pytest.mark.parametrize(
    ("patch", "where"),
    [
        ({"records": {"a.example.test": {"records": [{"value": "x"}], "tll": 3}}}, "tll"),
        ({"providers": {"local": {"type": "zonefile", "directry": "z"}}}, "any of"),
        ({"notify": [{"url": "https://h.example", "format": "xml"}]}, "xml"),
        ({"defaults": {"health_check": {"failure_threshold": 11}}}, "11"),
    ],
)
def test_typos_are_rejected(
    validator: jsonschema.Draft202012Validator, patch: dict[str, Any], where: str
) -> None:
    messages = [e.message for e in validator.iter_errors({**BASE, **patch})]
    assert messages
    assert any(where in m for m in messages), messages


def test_descriptions_come_from_the_attribute_docstrings() -> None:
    schema = config_json_schema()
    assert "resync" in schema["properties"]["resync_seconds"]["description"]
    check = schema["$defs"]["HealthCheckSpec"]["properties"]["interval_seconds"]
    assert "Seconds between" in check["description"]
