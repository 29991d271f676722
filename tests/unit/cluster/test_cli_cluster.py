"""The CLI's cluster wiring without etcd: which vantage a process is, and its errors."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from failover_sync.cli.cluster import ClusterSetupError, providers_for, vantage_name
from failover_sync.config.loader import load_config
from tests.helpers.cli import cli, write_config

CLUSTER = """cluster:
  etcd: {endpoints: ["http://127.0.0.1:2379"]}
  vantages: [fra, iad, sin]
"""


def test_vantage_from_flag_then_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = load_config(write_config(tmp_path, 8080, extra=CLUSTER))
    monkeypatch.delenv("FAILOVER_SYNC_VANTAGE", raising=False)
    assert vantage_name(argparse.Namespace(vantage="iad"), config) == "iad"
    with pytest.raises(ClusterSetupError, match="give --vantage NAME or FAILOVER_SYNC_VANTAGE"):
        vantage_name(argparse.Namespace(vantage=None), config)
    monkeypatch.setenv("FAILOVER_SYNC_VANTAGE", "sin")
    assert vantage_name(argparse.Namespace(vantage=None), config) == "sin"
    assert vantage_name(argparse.Namespace(vantage="fra"), config) == "fra"
    assert providers_for(config) is None


def test_vantage_without_cluster_is_an_error(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, 8080))
    assert vantage_name(argparse.Namespace(vantage=None), config) is None
    with pytest.raises(ClusterSetupError, match="--vantage needs a cluster: key"):
        vantage_name(argparse.Namespace(vantage="fra"), config)


def test_probe_only_vantage_gets_stand_in_providers(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, 8080, extra=CLUSTER + "  writer: false\n"))
    providers = providers_for(config)
    assert providers is not None
    assert sorted(providers) == ["local"]


def test_cli_errors_name_the_problem(tmp_path: Path) -> None:
    plain = write_config(tmp_path, 8080)
    done = cli("run", "--once", "-c", str(plain), "--vantage", "fra", cwd=tmp_path)
    assert done.returncode == 1
    assert "--vantage needs a cluster: key" in done.stderr
    done = cli("cluster", "status", "-c", str(plain), cwd=tmp_path)
    assert done.returncode == 1
    assert "the config has no cluster: key" in done.stderr
    clustered = write_config(tmp_path, 8080, extra=CLUSTER.replace("vantages", "vantagez"))
    done = cli("cluster", "status", "-c", str(clustered), cwd=tmp_path)
    assert done.returncode == 1
    assert "vantagez" in done.stderr
    assert "Traceback" not in done.stderr


def test_without_cluster_grpc_is_never_imported() -> None:
    import subprocess
    import sys

    code = (
        "import sys, failover_sync.cli.verbs, failover_sync.cli.loop, failover_sync.cli.cluster; "
        "print('aetcd' in sys.modules, 'grpc' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
