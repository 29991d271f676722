"""Config fuzzing: random YAML documents and random mutations of a valid config end in a
ConfigError with key paths (or a valid config), never another exception; the command exits 1
without a traceback and writes nothing."""

from __future__ import annotations

import copy
import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from failover_sync.cli import main as cli
from failover_sync.config.jsonschema import config_json_schema
from failover_sync.config.loader import ConfigError, load_config_text

SCHEMA = jsonschema.Draft202012Validator(config_json_schema())

VALID: dict[str, Any] = {
    "providers": {"local": {"type": "ZoneFile", "directory": "zones"}},
    "zones": [{"name": "example.test", "provider": "local"}],
    "owner_id": "blue",
    "max_change_fraction": 0.5,
    "canaries": [{"value": "127.0.0.9", "health_check": {"protocol": "tcp", "port": 9}}],
    "notify": [{"url": "https://hooks.example.test/x", "events": ["failover"]}],
    "defaults": {
        "ttl": 30,
        "hold_down_seconds": 10,
        "health_check": {"port": 9, "interval_seconds": 1, "request_timeout_seconds": 0.5},
    },
    "records": {
        "app.example.test": {
            "type": "A",
            "policy": "failover",
            "adopt": True,
            "records": [{"value": "127.0.0.2"}, {"value": "127.0.0.3", "weight": 2}],
            "failover_strategy": {"primary": "127.0.0.2"},
            "when_all_unhealthy": "fallback",
            "fallback": ["127.0.0.4"],
        }
    },
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["A", "CNAME", "failover", "zonefile", "127.0.0.1", "-1", "1e9", "/x"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(st.text(max_size=8), st.sampled_from(sorted(VALID))), inner, max_size=4
        ),
    ),
    max_leaves=20,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, (*prefix, index))
    return out


PATHS = _paths(VALID)[1:]


def _mutate(path: tuple[Any, ...], how: str, junk: Any) -> Any:
    data = copy.deepcopy(VALID)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if how == "delete":
        del parent[path[-1]]
    elif how == "unknown key" and isinstance(parent, dict):
        parent[f"{path[-1]}_typo"] = junk
    else:
        parent[path[-1]] = junk
    return data


def _check(text: str) -> ConfigError | None:
    try:
        load_config_text(text)
    except ConfigError as exc:
        error = exc
    else:
        return None
    assert error.problems
    return error


@settings(max_examples=150)
@given(documents)
def test_random_documents_never_escape_as_other_errors(document: Any) -> None:
    _check(yaml.safe_dump(document))


@settings(max_examples=150)
@given(
    st.sampled_from(PATHS),
    st.sampled_from(["replace", "delete", "unknown key"]),
    scalars | st.lists(scalars, max_size=2) | st.dictionaries(st.text(max_size=4), scalars),
)
def test_mutations_report_key_paths(path: tuple[Any, ...], how: str, junk: Any) -> None:
    document = _mutate(path, how, junk)
    error = _check(yaml.safe_dump(document))
    if error is not None:
        assert any(p.path for p in error.problems), error.render()
        assert not any("Input should" in p.message for p in error.problems), error.render()
    else:  # the schema is never stricter than the tool
        assert [e.message for e in SCHEMA.iter_errors(document)] == []


@pytest.mark.parametrize(
    "document",
    [
        "- just\n- a list\n",
        "providers: {local: {type: nope}}\nzones: []\nrecords: {}\n",
        yaml.safe_dump(_mutate(("records", "app.example.test", "records", 0, "value"), "r", 7)),
        yaml.safe_dump(_mutate(("canaries", 0, "health_check", "port"), "r", "x")),
        yaml.safe_dump(_mutate(("max_change_fraction",), "r", 2)),
        "records: {a: [unclosed\n",
    ],
)
def test_command_exits_1_without_traceback_or_write(tmp_path: Path, document: str) -> None:
    config = tmp_path / "failover-sync.yaml"
    config.write_text(document)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(["apply", "--yes", "-c", str(config)])
    assert code == 1
    assert "Traceback" not in err.getvalue()
    assert "invalid config" in err.getvalue()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failover-sync.yaml"]
