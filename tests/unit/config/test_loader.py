"""Config loading: every problem reported at once, with key path and line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from failover_sync.config.loader import Config, ConfigError, load_config, load_config_text
from failover_sync.config.settings import Settings
from failover_sync.model import AllUnhealthy, Failback, Policy, StatusRange

BASE = """\
providers:
  local: {type: zonefile, directory: ./zones}
zones:
  - {name: example.com, provider: local}
defaults:
  ttl: 60
  health_check: {protocol: HTTP, port: 80, path: /healthz, interval_seconds: 30,
                 failure_threshold: 3, success_threshold: 2, request_timeout_seconds: 5}
records:
"""


def load(records: str, base: str = BASE) -> object:
    return load_config_text(base + textwrap.indent(textwrap.dedent(records), "  "))


def problems(records: str, base: str = BASE) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load(records, base)
    return [p.render("f") for p in info.value.problems]


def test_design_example_resolves() -> None:
    cfg = load_config_text(
        BASE
        + "  app.example.com:\n"
        + textwrap.indent(
            textwrap.dedent("""\
            type: A
            ttl: 30
            policy: failover
            records:
              - value: 192.0.2.1
                health_check: {path: /ready, host: app.example.com}
              - value: 192.0.2.2
            failover_strategy: {primary: 192.0.2.2, secondary: 192.0.2.1}
            when_all_unhealthy: publish_all
            failback: manual
            """),
            "    ",
        )
    )
    (record,) = cfg.records
    assert record.name == "app.example.com."
    assert record.zone == "example.com."
    assert record.ttl == 30
    assert record.policy is Policy.FAILOVER
    assert record.failback is Failback.MANUAL
    assert record.when_all_unhealthy is AllUnhealthy.PUBLISH_ALL
    assert [e.value for e in record.endpoints] == ["192.0.2.2", "192.0.2.1"]
    web1 = next(e for e in record.endpoints if e.value == "192.0.2.1")
    web2 = next(e for e in record.endpoints if e.value == "192.0.2.2")
    assert web1.target.check.path == "/ready"  # endpoint wins over defaults
    assert web2.target.check.path == "/healthz"  # defaults merged under the endpoint
    assert web2.target.check.host == "app.example.com"  # default host: the record name
    assert web2.target.check.expected_status == (StatusRange(200, 399),)
    assert web1.target.check.interval_seconds == 30.0


def test_type_per_endpoint_and_json_accepted() -> None:
    text = (
        '{"providers": {"l": {"type": "zonefile"}}, "zones": [{"name": "example.com.",'
        ' "provider": "l"}], "records": {"www.example.com": {"records": ['
        '{"value": "2001:DB8::0001", "type": "AAAA"}, {"value": "2001:db8::2", "type": "AAAA"}]}}}'
    )
    cfg = load_config_text(text)
    (record,) = cfg.records
    assert record.type == "AAAA"
    assert [e.value for e in record.endpoints] == ["2001:db8::1", "2001:db8::2"]
    assert record.ttl == 60


def test_weighted_with_failover_strategy_warns_and_orders() -> None:
    cfg = load("""\
        app.example.com:
          policy: weighted_round_robin
          records:
            - {value: 192.0.2.1, type: A, weight: 3}
            - {value: 192.0.2.2, type: A}
          failover_strategy: {primary: 192.0.2.2}
        """)
    assert isinstance(cfg, Config)
    (record,) = cfg.records
    assert [e.value for e in record.endpoints] == ["192.0.2.2", "192.0.2.1"]
    assert record.endpoints[1].weight == 3
    assert any("only orders the endpoints" in w for w in cfg.warnings)


def test_every_problem_reported_at_once_with_paths_and_lines() -> None:
    found = problems("""\
        app.example.com:
          type: A
          colour: blue
          records:
            - value: 192.0.2.300
              health_check: {failure_threshold: 0, interval_seconds: 0.05}
            - value: 192.0.2.2
              health_check: {success_threshold: 11}
          failover_strategy: {primary: 192.0.2.9}
        api.example.com:
          type: AAAA
          records:
            - value: 192.0.2.1
        """)
    text = "\n".join(found)
    assert 'f:12: records["app.example.com"].colour: unknown key (known keys: type,' in text
    assert "records[0].value: '192.0.2.300' is not an IPv4 address (type A)" in text
    assert "failure_threshold: must be an integer from 1 to 10, not 0" in text
    assert "interval_seconds: must be a number (at least 0.1), not 0.05" in text
    assert "success_threshold: must be an integer from 1 to 10, not 11" in text
    assert "Input should" not in text  # our wording, not pydantic's
    assert "failover_strategy.primary: '192.0.2.9' is not an endpoint of this record" in text
    assert "'192.0.2.1' is not an IPv6 address (type AAAA)" in text
    assert len(found) == 7, found


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        (
            """\
            app.example.com:
              records: [{value: 192.0.2.1}]
            """,
            "type is required, on the record or on every endpoint",
        ),
        (
            """\
            app.example.com:
              records: [{value: 192.0.2.1, type: A}, {value: "2001:db8::1", type: AAAA}]
            """,
            "endpoints mix types A, AAAA",
        ),
        (
            """\
            app.example.com:
              type: A
              records: [{value: 192.0.2.1, type: AAAA}]
            """,
            "records[0].type: type AAAA differs from the record's type A",
        ),
        (
            """\
            app.other.org:
              type: A
              records: [{value: 192.0.2.1}]
            """,
            "app.other.org. is not in any configured zone (example.com.)",
        ),
        (
            """\
            app.example.com:
              type: A
              records: [{value: 192.0.2.1, health_check: {request_timeout_seconds: 30}}]
            """,
            "request_timeout_seconds (30) must be below interval_seconds (30)",
        ),
        (
            """\
            app.example.com:
              type: CNAME
              policy: multivalue
              records: [{value: a.example.net}, {value: b.example.net}]
            """,
            "a CNAME RRset holds one value: use policy failover",
        ),
        (
            """\
            app.example.com:
              type: CNAME
              records: [{value: "not a host!"}]
            """,
            "is not a host name (type CNAME)",
        ),
        (
            """\
            app.example.com:
              type: A
              when_all_unhealthy: fallback
              records: [{value: 192.0.2.1}]
            """,
            "when_all_unhealthy is fallback: list fallback values",
        ),
        (
            """\
            app.example.com:
              type: A
              records: [{value: 192.0.2.1}, {value: 192.0.2.1}]
            """,
            "192.0.2.1 is listed twice",
        ),
        (
            """\
            app.example.com:
              type: A
              records: [{value: 192.0.2.1, health_check: {expected_status: "200-700"}}]
            """,
            "'200-700' is not within 100-599",
        ),
        (
            """\
            app.example.com:
              type: A
              policy: round_robin
              records: [{value: 192.0.2.1}]
            """,
            "policy: must be one of failover, multivalue, weighted_round_robin (any case), "
            "not the string 'round_robin'",
        ),
        (
            """\
            app.example.com:
              type: A
              records: []
            """,
            "records: must have at least 1 item",
        ),
    ],
)
def test_record_problems(records: str, expected: str) -> None:
    found = problems(records)
    assert any(expected in p for p in found), found


def test_zone_and_provider_problems() -> None:
    base = """\
providers:
  local: {type: zonefile, directory: ./zones, colour: red}
  cloud: {type: nosuchdns}
zones:
  - {name: example.com, provider: elsewhere}
  - {name: example.org, provider: local}
records:
"""
    found = "\n".join(problems("a.example.org: {type: A, records: [{value: 192.0.2.1}]}\n", base))
    assert "f:2: providers.local.colour: unknown key" in found
    assert "providers.cloud.type: unknown provider type 'nosuchdns'" in found
    assert "failover-sync-nosuchdns" not in found  # never suggest a name nobody owns
    assert "known types: akamai, azure" in found
    assert "zones[0].provider: provider 'elsewhere' is not defined under providers" in found


def test_duplicate_yaml_key_is_an_error() -> None:
    found = problems("""\
        app.example.com: {type: A, records: [{value: 192.0.2.1}]}
        app.example.com: {type: A, records: [{value: 192.0.2.2}]}
        """)
    assert any('f:11: records["app.example.com"]: duplicate key' in p for p in found), found


def test_yaml_syntax_error_has_a_line() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text("providers:\n  local: {type: zonefile\nzones: []\n")
    (problem,) = info.value.problems
    assert problem.line is not None
    assert "invalid YAML" in problem.message


def test_missing_file_is_one_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "nope.yaml")
    assert "cannot read config: No such file or directory" in info.value.render()


def test_top_level_problems() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text("- just\n- a list\n")
    assert "must be a mapping" in info.value.render()
    with pytest.raises(ConfigError) as info:
        load_config_text("providers: {}\nzones: []\nrecords: {}\nextra: 1\n")
    text = info.value.render()
    for key in ("providers", "zones", "records"):
        assert f"{key}: Dictionary should have at least 1 item" in text or key in text
    assert "extra: unknown key" in text


def test_relative_zonefile_directory_is_anchored_at_the_config(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "failover-sync.yaml"
    path.parent.mkdir()
    path.write_text(BASE + "  a.example.com: {type: A, records: [{value: 192.0.2.1}]}\n")
    cfg = load_config(path)
    provider = cfg.build_providers()["local"]
    assert provider.path_of(cfg.zones[0]) == tmp_path / "conf" / "zones" / "example.com.zone"  # type: ignore[attr-defined]


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAILOVER_SYNC_CONFIG", "/etc/failover-sync/failover-sync.yaml")
    monkeypatch.setenv("FAILOVER_SYNC_LOG_FORMAT", "not-a-format")  # the CLI's to judge
    settings = Settings()
    assert str(settings.config) == "/etc/failover-sync/failover-sync.yaml"
