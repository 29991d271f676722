"""The YAML document is bounded: size, nodes (alias expansions counted), depth, recursion.

A "billion laughs" file once used 3 GB in 23 s and died with MemoryError. Here the command
runs in a child process under hard resource limits (address space and CPU seconds): it must
end by itself with exit 1 and a config error, and its peak RSS must stay near that of the
same command on a valid config. No wall-clock bound is asserted: the CPU limit would kill
a runaway child (SIGXCPU), which fails the exit-code check.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from failover_sync.config.loader import ConfigError, load_config_text
from failover_sync.config.source import MAX_BYTES, MAX_DEPTH, MAX_NODES

VALID = """\
providers:
  local: {type: zonefile, directory: zones}
zones:
  - {name: example.test, provider: local}
records:
  app.example.test: {type: A, records: [{value: 127.0.0.2}]}
"""
ADDRESS_SPACE = 2 * 1024**3
"""Hard limit of the child's virtual memory, bytes (the interpreter and its imports need
a few hundred MB of address space; the old behaviour needed 3 GB of RSS)."""
CPU_SECONDS = 60


def laughs(levels: int) -> str:
    """Nine aliases of the previous level per level: 9**levels strings once expanded."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels):
        lines.append(f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]")
    return "\n".join(lines) + "\n" + VALID


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def _run_limited(tmp_path: Path, text: str) -> tuple[int, str, int]:
    """(exit code, stderr, peak RSS in KiB) of ``validate --offline`` on ``text``."""
    config = tmp_path / "failover-sync.yaml"
    config.write_text(text, encoding="utf-8")
    err = tmp_path / "stderr"
    with err.open("w") as stderr:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "failover_sync.cli.main",
                "validate",
                "--offline",
                "-c",
                str(config),
            ],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            preexec_fn=_limits,  # the test process starts no threads before this
        )
        _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, err.read_text(), usage.ru_maxrss


@pytest.mark.parametrize("levels", [9, 14])
def test_billion_laughs_fails_fast_in_little_memory(tmp_path: Path, levels: int) -> None:
    base_code, base_err, base_rss = _run_limited(tmp_path, VALID)
    assert base_code == 0, base_err
    code, err, rss = _run_limited(tmp_path, laughs(levels))
    assert code == 1, err  # not killed by the CPU or memory limit
    assert f"expands to more than {MAX_NODES} nodes" in err
    assert "Traceback" not in err
    assert rss < base_rss + 64 * 1024, (rss, base_rss)  # KiB: within 64 MB of a valid run


def _problem(text: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config_text(text)
    (problem,) = info.value.problems
    return problem.render("f")


def test_recursive_alias_is_a_config_error() -> None:
    assert "recursive" in _problem("providers: &p {local: *p}\n")
    assert "recursive" in _problem("zones: &z [*z]\n")


def test_deep_nesting_is_a_config_error() -> None:
    assert f"nested more than {MAX_DEPTH} levels" in _problem("a: " + "[" * 100 + "]" * 100)
    assert f"nested more than {MAX_DEPTH} levels" in _problem("[" * 5000 + "]" * 5000)


def test_oversized_document_is_a_config_error() -> None:
    text = VALID + "# " + "x" * MAX_BYTES + "\n"
    assert f"at most {MAX_BYTES} are accepted" in _problem(text)


def test_aliases_within_the_bound_still_work() -> None:
    text = (
        VALID.replace(
            "records:\n", "defaults: {health_check: &check {protocol: TCP, port: 9}}\nrecords:\n"
        )
        + "  api.example.test: {type: A, health_check: *check, records: [{value: 127.0.0.3}]}\n"
    )
    config = load_config_text(text)
    assert [r.endpoints[0].target.check.port for r in config.records] == [9, 9]


def test_unhashable_key_is_a_config_error() -> None:
    assert "invalid YAML" in _problem("? [a, b]\n: 1\n")
