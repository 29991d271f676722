"""The cold-start paths import only what they use (bench/cold_start.py measures the CPU).

Each check runs the command in a fresh interpreter and lists the modules it loaded: a
module that appears here again costs every CronJob, CI lint and ``--version`` its import.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

NOT_FOR_VALIDATE = (
    "asyncio",
    "ssl",
    "dns",
    "httpx",
    "tenacity",
    "rich",
    "prometheus_client",
    "difflib",
    "failover_sync.config.cluster_spec",
    "failover_sync.config.messages",
    "failover_sync.controller",
    "failover_sync.health",
    "failover_sync.provider.zonedata",
)
"""Modules (and their submodules) a valid zone-file config without ``cluster:`` never needs."""

NOT_FOR_VERSION = ("logging", "pydantic", "yaml", "failover_sync.cli.console")


def loaded_after(argv: list[str], cwd: Path) -> tuple[int, set[str]]:
    """Exit code of ``failover-sync *argv`` run in a new interpreter, and its modules."""
    code = (
        "import json, sys\n"
        "from failover_sync.cli.main import main\n"
        "try:\n"
        f"    rc = main({argv!r})\n"
        "except SystemExit as exc:\n"
        "    rc = exc.code\n"
        "print(json.dumps([rc, sorted(sys.modules)]), file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=False
    )
    rc, modules = json.loads(done.stderr.strip().splitlines()[-1])
    return rc, set(modules)


def heavy(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(n + ".") for n in names))


def test_validate_of_the_demo_loads_no_event_loop_sdk_or_cluster_models(tmp_path: Path) -> None:
    work = tmp_path / "examples"
    work.mkdir()
    shutil.copy(ROOT / "examples" / "demo.yaml", work / "demo.yaml")
    rc, modules = loaded_after(["validate", "-c", "demo.yaml"], work)
    assert rc == 0
    assert "failover_sync.provider.zonefile" in modules  # its options were checked
    assert heavy(modules, NOT_FOR_VALIDATE) == []


def test_version_loads_neither_logging_nor_pydantic(tmp_path: Path) -> None:
    rc, modules = loaded_after(["--version"], tmp_path)
    assert rc == 0
    assert heavy(modules, NOT_FOR_VERSION) == []
