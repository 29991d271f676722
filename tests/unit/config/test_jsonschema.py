"""``failover-sync schema``: the JSON Schema accepts every shipped config and rejects typos."""

from __future__ import annotations

import copy
import importlib.metadata
import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import jsonschema
import pytest
import yaml

from failover_sync.config.jsonschema import config_json_schema
from failover_sync.config.loader import ConfigError, load_config_text

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


# --- The schema matches the tool (issue 13, item 15) -------------------------------------

SNIPPET = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen", ROOT / "scripts/gen_adapter_schemas.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_adapter_schemas_file_is_fresh() -> None:
    """Fails when an adapter's options changed without re-running the generator."""
    gen = _generator()
    expected = json.loads(gen.render(gen.generate()))
    actual = json.loads((ROOT / "failover_sync/config/adapters.schema.json").read_text("utf-8"))
    assert actual == expected, "stale: run python scripts/gen_adapter_schemas.py"


def test_every_shipped_adapter_is_described_whatever_is_installed() -> None:
    shipped = set(_generator().shipped_adapters())
    assert {"zonefile", "powerdns", "rfc2136", "route53", "cloudflare"} <= shipped
    variants = config_json_schema()["properties"]["providers"]["additionalProperties"]["anyOf"]
    assert {v["title"] for v in variants} == shipped


def _undescribed(node: Any, where: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(node, dict):
        for key, prop in node.get("properties", {}).items():
            if not (isinstance(prop, dict) and prop.get("description")):
                out.append(f"{where}/{key}")
        for key, value in node.items():
            out += _undescribed(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _undescribed(value, f"{where}/{index}")
    return out


def test_every_key_has_a_description() -> None:
    assert _undescribed(config_json_schema()) == []


def _readme_configs() -> list[tuple[str, dict[str, Any]]]:
    """The YAML snippets of README.md and of each adapter's README. A fragment of README.md
    (no ``providers``) is laid over its first full snippet, as a reader would paste it; an
    adapter's provider-and-zones snippet gets one record in its first zone; snippets of other
    programs' configs (Knot's) are left out."""
    out: list[tuple[str, dict[str, Any]]] = []
    for readme in [ROOT / "README.md", *sorted(ROOT.glob("providers/*/README.md"))]:
        base: dict[str, Any] | None = None
        label = str(readme.relative_to(ROOT))
        for index, text in enumerate(SNIPPET.findall(readme.read_text(encoding="utf-8"))):
            data = yaml.safe_load(text)
            if not isinstance(data, dict):
                continue
            if "providers" in data:
                base = base or data
            elif base is not None and readme.parent == ROOT:
                data = {**base, **data}
            else:
                continue
            if "records" not in data:
                zone = data["zones"][0]["name"]
                data["records"] = {
                    f"app.{zone}": {"type": "A", "records": [{"value": "192.0.2.1"}]}
                }
            out.append((f"{label}#{index}", data))
    return out


def _all_configs() -> list[tuple[str, dict[str, Any]]]:
    files = [(p.name, yaml.safe_load(p.read_text(encoding="utf-8"))) for p in CONFIGS]
    return files + _readme_configs()


def _loader_accepts(data: Any) -> bool:
    try:
        load_config_text(yaml.safe_dump(data))
    except ConfigError:
        return False
    return True


ALL_CONFIGS = _all_configs()


def test_every_readme_is_covered() -> None:
    covered = {name.split("#")[0] for name, _ in ALL_CONFIGS}
    readmes = {str(p.relative_to(ROOT)) for p in ROOT.glob("providers/*/README.md")}
    assert {"README.md", *readmes} <= covered


@pytest.mark.parametrize(("name", "data"), ALL_CONFIGS, ids=[n for n, _ in ALL_CONFIGS])
def test_examples_and_readme_pass_loader_and_schema(
    validator: jsonschema.Draft202012Validator, name: str, data: dict[str, Any]
) -> None:
    assert _loader_accepts(data), name
    assert [e.message for e in validator.iter_errors(data)] == [], name


def _with(path: tuple[str | int, ...], value: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


APP = ("records", "app.example.test")
CHECK = (*APP, "health_check")


@pytest.mark.parametrize(
    ("data", "accepted"),
    [
        (_with((*APP, "type"), "a"), True),
        (_with((*APP, "policy"), "MultiValue"), True),
        (_with(CHECK, {"protocol": "http", "method": "head"}), True),
        (_with(("providers", "local", "type"), "ZoneFile"), True),
        (_with(("providers", "local", "type"), "zonfile"), False),
        (_with(("providers", "local", "type"), "memory"), False),
        (_with(CHECK, {"failure_threshold": True}), False),
        (_with(CHECK, {"port": "80"}), False),
        (_with(CHECK, {"interval_seconds": "30"}), False),
        (_with(CHECK, {"verify_tls": "yes"}), False),
        (_with(CHECK, [1]), False),
        (_with((*APP, "ttl"), 1.5), False),
        (_with(("zones", 0, "colour"), "red"), False),
        (_with((*APP, "type"), "MX"), False),
    ],
    ids=repr,
)
def test_loader_and_schema_agree(
    validator: jsonschema.Draft202012Validator, data: dict[str, Any], accepted: bool
) -> None:
    assert _loader_accepts(data) is accepted
    assert validator.is_valid(data) is accepted


def test_zone_keys_are_described_with_their_adapter() -> None:
    zone = config_json_schema()["$defs"]["ZoneSpec"]["properties"]
    assert "cloudflare" in zone["zone_id"]["description"]
    assert "route53" in zone["hosted_zone_id"]["description"]


def test_schema_does_not_depend_on_installed_adapters(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no adapter installed (no entry points at all), the schema still accepts the
    project's Cloudflare and Route 53 examples and completes their options."""
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda **_: [])
    validator = jsonschema.Draft202012Validator(config_json_schema())
    for name in ("cloudflare.yaml", "smoke.yaml"):
        data = yaml.safe_load((ROOT / "examples" / name).read_text(encoding="utf-8"))
        assert [e.message for e in validator.iter_errors(data)] == [], name
