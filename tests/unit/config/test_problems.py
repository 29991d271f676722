"""Config problems reported once, at their root, in our own words (issue 13, items 4-7)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from failover_sync.config.environment import environment_problems
from failover_sync.config.loader import ConfigError, load_config, load_config_text
from failover_sync.config.settings import Settings, UsageError

HEAD = """\
providers:
  local: {type: zonefile, directory: zones}
zones:
  - {name: example.com, provider: local}
records:
  app.example.com: {type: A, records: [{value: 192.0.2.1}]}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_text(text)
    return [p.render("f") for p in info.value.problems]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("directory: zones", "directory: zones, colour: red"),
        ("type: zonefile", "type: nosuchdns"),
        ("type: zonefile, directory: zones", "type: powerdns, url: ftp://x, api_key_env: K"),
        ("provider: local", "provider: local, zone_id: x"),
        ("provider: local", "provider: elsewhere"),
    ],
)
def test_a_broken_provider_or_zone_is_reported_once(old: str, new: str) -> None:
    found = problems(HEAD.replace(old, new))
    assert len(found) == 1, found
    assert "not in any configured zone" not in found[0]


def test_a_record_outside_every_listed_zone_is_still_reported() -> None:
    text = HEAD.replace("directory: zones", "directory: zones, colour: red")
    text += "  app.example.org: {type: A, records: [{value: 192.0.2.1}]}\n"
    found = problems(text)
    assert len(found) == 2, found
    assert "app.example.org. is not in any configured zone (example.com.)" in found[1]


def test_an_invalid_zone_entry_still_counts_as_listed() -> None:
    found = problems(HEAD.replace("provider: local}", "provider: local, name2: x}"))
    assert found == ["f:4: zones[0].name2: unknown key: did you mean name?"]


@pytest.mark.parametrize(
    ("endpoints", "expected"),
    [
        (
            '[{value: 192.0.2.1, type: A}, {value: "::1", type: AAAA}]',
            "endpoints mix types A, AAAA: use one type",
        ),
        ('[{value: "::1", type: AAAA}]', "records[0].type: type AAAA differs from the record's"),
    ],
)
def test_type_conflicts_do_not_add_value_errors(endpoints: str, expected: str) -> None:
    text = HEAD.replace("{type: A, records: [{value: 192.0.2.1}]}", f"{{records: {endpoints}}}")
    if "differs" in expected:
        text = text.replace("{records:", "{type: A, records:")
    found = problems(text)
    assert len(found) == 1, found
    assert expected in found[0]


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("failure_threshold: true", "must be an integer from 1 to 10, not the boolean true"),
        ('port: "80"', "must be an integer from 1 to 65535, not the string '80'"),
        ("interval_seconds: '30'", "must be a number (at least 0.1), not the string '30'"),
        ("verify_tls: 1", "must be true or false, not 1"),
        ("headers: [a]", "must be a mapping of names to a string, not a list"),
        ("protocol: gopher", "must be one of HTTP, HTTPS, TCP (any case)"),
        ("expected_status: [true]", "must be a string or an integer or a list of strings or"),
        ("prot: TCP", "unknown key: did you mean port?"),
    ],
)
def test_strict_types_in_our_words(setting: str, expected: str) -> None:
    text = HEAD + f"defaults: {{health_check: {{{setting}}}}}\n"
    found = problems(text)
    assert len(found) == 1, found
    assert expected in found[0]
    assert "Input should" not in found[0]


def test_adapter_options_are_strict_too() -> None:
    text = HEAD.replace("type: zonefile, directory: zones", "type: rfc2136, server: h, port: '53'")
    (found,) = problems(text)
    assert "providers.local.port: must be an integer from 1 to 65535, not the string '53'" in found


def test_provider_type_in_any_case() -> None:
    config = load_config_text(HEAD.replace("type: zonefile", "type: ZoneFile"))
    assert config.providers["local"].kind == "zonefile"


def test_the_test_only_memory_provider_is_refused() -> None:
    (found,) = problems(HEAD.replace("type: zonefile, directory: zones", "type: memory"))
    assert "providers.local.type: provider type 'memory' is for tests only" in found


def test_enums_in_any_case() -> None:
    text = HEAD.replace("{type: A,", "{type: a, policy: MultiValue, failback: MANUAL,")
    text += "defaults: {health_check: {protocol: http, method: head}}\n"
    (record,) = load_config_text(text).records
    assert (record.type, record.policy.value, record.failback.value) == (
        "A",
        "multivalue",
        "manual",
    )
    assert (record.endpoints[0].target.check.protocol, record.endpoints[0].target.check.method) == (
        "HTTP",
        "HEAD",
    )


def test_not_utf8_names_the_byte_and_line(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(HEAD.encode() + b"# \xff\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    (problem,) = info.value.problems
    assert problem.line == 7
    assert f"byte {len(HEAD) + 2} (0xff) is not valid UTF-8" in problem.message


SECRETS = """\
providers:
  pdns: {type: powerdns, url: "http://127.0.0.1:9", api_key_env: FS_TEST_KEY}
  ns: {type: rfc2136, server: 127.0.0.1, tsig_key_file: keys/tsig.key}
zones:
  - {name: example.com, provider: pdns}
  - {name: example.org, provider: ns}
notify:
  - {url_env: FS_TEST_HOOK}
records:
  app.example.com: {type: A, records: [{value: 192.0.2.1}]}
"""


def test_environment_and_files_are_checked_only_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FS_TEST_KEY", "FS_TEST_HOOK"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "c.yaml"
    path.write_text(SECRETS, encoding="utf-8")
    config = load_config(path)  # without the check: valid
    assert [p for p, _ in environment_problems(config)] == [
        ("providers", "pdns", "api_key_env"),
        ("providers", "ns", "tsig_key_file"),
        ("notify", 0, "url_env"),
    ]
    with pytest.raises(ConfigError) as info:
        load_config(path, check_environment=True)
    assert [p.line for p in info.value.problems] == [2, 3, 8]
    monkeypatch.setenv("FS_TEST_KEY", "secret-value")
    monkeypatch.setenv("FS_TEST_HOOK", "https://hooks.example.test/x")
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "tsig.key").write_text("key ...;\n")
    assert load_config(path, check_environment=True).records
    rendered = "\n".join(m for _, m in environment_problems(config))
    assert "secret-value" not in rendered


def test_a_directory_is_not_a_readable_file(tmp_path: Path) -> None:
    (tmp_path / "keys" / "tsig.key").mkdir(parents=True)
    path = tmp_path / "c.yaml"
    path.write_text(SECRETS.replace("api_key_env: FS_TEST_KEY", "api_key_file: keys/tsig.key"))
    config = load_config(path)
    found = dict(environment_problems(config))
    assert "Is a directory" in found[("providers", "pdns", "api_key_file")]


LEVEL, FORMAT = "FAILOVER_SYNC_LOG_LEVEL", "FAILOVER_SYNC_LOG_FORMAT"


@pytest.mark.parametrize(
    ("env", "flags", "expected"),
    [
        ({}, (None, None), ("INFO", "text")),
        ({LEVEL: "debug", FORMAT: "JSON"}, (None, None), ("DEBUG", "json")),
        ({LEVEL: "loud", FORMAT: "xml"}, ("warning", "text"), ("WARNING", "text")),
    ],
)
def test_log_settings_flags_win_any_case(
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    flags: tuple[str | None, str | None],
    expected: tuple[str, str],
) -> None:
    for key in [k for k in os.environ if k.startswith("FAILOVER_SYNC_")]:
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert Settings().log_settings(*flags) == expected


def test_bad_log_level_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAILOVER_SYNC_LOG_LEVEL", "loud")
    with pytest.raises(UsageError, match="FAILOVER_SYNC_LOG_LEVEL='loud' is not one of DEBUG"):
        Settings().log_settings(None, None)
