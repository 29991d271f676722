"""Bad input, as an operator meets it: the ``failover-sync`` process exits 1 with one clear
message naming the file, the line and the key path, no traceback, and writes nothing.

Each case runs the real command in a child process (issue 13, items 1-7): ``apply --yes``
for what the loader rejects (so a write would show if anything slipped through) and
``validate`` for what only ``validate`` checks (variables and files the config names).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HEAD = """\
providers:
  local: {type: zonefile, directory: zones}
zones:
  - {name: example.test, provider: local}
defaults:
  health_check: {protocol: TCP, port: 9, interval_seconds: 1, request_timeout_seconds: 0.5}
records:
"""
ONE_RECORD = "  app.example.test: {type: A, records: [{value: 127.0.0.2}]}\n"


def _laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]")
    return "\n".join(lines) + "\n" + HEAD + ONE_RECORD


@dataclass
class Case:
    id: str
    text: str | bytes
    expected: list[str]
    """Substrings of the one problem line (after ``<file>:<line>: ``)."""
    line: int | None
    command: str = "apply"
    env: dict[str, str] = field(default_factory=dict)


LATIN1 = (HEAD + ONE_RECORD.rstrip("\n") + "  # caf\xe9\n").encode("latin-1")
CASES = [
    Case(
        "1-not-utf8",
        LATIN1,
        [f"not UTF-8 text: byte {LATIN1.index(0xE9)} (0xe9)", "save the file as UTF-8"],
        8,
    ),
    Case("2-billion-laughs", _laughs(), ["expands to more than 200000 nodes"], None),
    Case(
        "2-recursive-alias",
        HEAD + "  app.example.test: &loop {type: A, records: [*loop]}\n",
        ["an alias refers to a node that contains it (recursive)"],
        8,
    ),
    Case(
        "4-unknown-provider-type",
        HEAD.replace("type: zonefile", "type: zonfile") + ONE_RECORD,
        ["providers.local.type: unknown provider type 'zonfile': did you mean 'zonefile'?"],
        2,
    ),
    Case(
        "5-provider-block-problem-once",
        HEAD.replace("directory: zones", "directory: zones, colour: red") + ONE_RECORD,
        ["providers.local.colour: unknown key (known keys: type, directory, create_missing)"],
        2,
    ),
    Case(
        "5-mixed-a-aaaa-once",
        HEAD + '  app.example.test: {records: [{value: 127.0.0.2, type: A}, {value: "::1",'
        " type: AAAA}]}\n",
        ['records["app.example.test"]: endpoints mix types A, AAAA: use one type'],
        8,
    ),
    Case(
        "6-boolean-threshold",
        HEAD.replace("port: 9,", "port: 9, failure_threshold: true,") + ONE_RECORD,
        [
            "defaults.health_check.failure_threshold: must be an integer from 1 to 10, not the "
            "boolean true"
        ],
        6,
    ),
    Case(
        "6-string-port",
        HEAD.replace("port: 9,", 'port: "80",') + ONE_RECORD,
        ["defaults.health_check.port: must be an integer from 1 to 65535, not the string '80'"],
        6,
    ),
    Case(
        "6-not-a-mapping",
        HEAD + "  app.example.test: {type: A, health_check: [1], records: [{value: 127.0.0.2}]}\n",
        ['records["app.example.test"].health_check: must be a mapping (keys: protocol, port,'],
        8,
    ),
    Case(
        "7-webhook-url-env-unset",
        HEAD + ONE_RECORD + "notify:\n  - {url_env: FS_TEST_UNSET_HOOK}\n",
        ["notify[0].url_env: the environment variable $FS_TEST_UNSET_HOOK is not set or empty"],
        10,
        command="validate",
    ),
    Case(
        "7-provider-key-env-unset",
        HEAD.replace(
            "local: {type: zonefile, directory: zones}",
            "local: {type: PowerDNS, url: 'http://127.0.0.1:9', api_key_env: FS_TEST_UNSET_KEY}",
        )
        + ONE_RECORD,
        ["providers.local.api_key_env: the environment variable $FS_TEST_UNSET_KEY is not set"],
        2,
        command="validate",
    ),
    Case(
        "7-key-file-missing",
        HEAD.replace(
            "local: {type: zonefile, directory: zones}",
            "local: {type: rfc2136, server: 127.0.0.1, tsig_key_file: keys/update.key}",
        )
        + ONE_RECORD,
        ["providers.local.tsig_key_file: cannot read ", "keys/update.key: No such file"],
        2,
        command="validate",
    ),
]


def _run(tmp_path: Path, case: Case) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "failover-sync.yaml"
    if isinstance(case.text, bytes):
        config.write_bytes(case.text)
    else:
        config.write_text(case.text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FAILOVER_SYNC_", "FS_TEST"))}
    env.update(case.env)
    args = [case.command, "-c", str(config)] + (["--yes"] if case.command == "apply" else [])
    return subprocess.run(
        [sys.executable, "-m", "failover_sync.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bad_input_is_one_clear_problem(tmp_path: Path, case: Case) -> None:
    result = _run(tmp_path, case)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    config = tmp_path / "failover-sync.yaml"
    head, *problems = result.stderr.splitlines()
    assert head == f"{config}: invalid config (1 problem)", result.stderr
    (problem,) = problems
    if case.line is None:  # billion laughs: the line of the key where the bound was crossed
        match = re.match(rf"  {re.escape(str(config))}:(\d+): l(\d)\[", problem)
        assert match, problem
        assert int(match[1]) == int(match[2]) + 1, problem
    else:
        assert problem.startswith(f"  {config}:{case.line}: "), problem
    for expected in case.expected:
        assert expected in problem, problem
    assert "Input should" not in problem  # our wording, not pydantic's
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failover-sync.yaml"]


@pytest.mark.parametrize(
    ("variable", "value", "flag"),
    [
        ("FAILOVER_SYNC_LOG_LEVEL", "loud", "--log-level=info"),
        ("FAILOVER_SYNC_LOG_FORMAT", "xml", "--log-format=JSON"),
    ],
)
def test_bad_log_variable_is_a_usage_error_unless_a_flag_wins(
    tmp_path: Path, variable: str, value: str, flag: str
) -> None:
    """Item 3: the variable is named on one line; a flag overrides the bad value."""
    config = tmp_path / "failover-sync.yaml"
    config.write_text(HEAD + ONE_RECORD, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAILOVER_SYNC_")}
    env[variable] = value
    cmd = [sys.executable, "-m", "failover_sync.cli.main", "validate", "-c", str(config)]
    bad = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60, check=False)
    assert bad.returncode == 1
    assert bad.stderr == f"failover-sync: error: {variable}={value!r} is not one of " + (
        "DEBUG, INFO, WARNING, ERROR\n" if "LEVEL" in variable else "text, json\n"
    )
    good = subprocess.run(
        [*cmd, flag], capture_output=True, text=True, env=env, timeout=60, check=False
    )
    assert good.returncode == 0, good.stderr
    assert "valid (1 record in 1 zone;" in good.stdout


def test_offline_validate_skips_environment_and_files(tmp_path: Path) -> None:
    """Item 7: ``validate --offline`` is for CI linting of a config without its secrets."""
    case = CASES[-1]
    config = tmp_path / "failover-sync.yaml"
    config.write_text(str(case.text), encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "failover_sync.cli.main",
            "validate",
            "--offline",
            "-c",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "offline: environment variables and files not checked" in result.stdout
