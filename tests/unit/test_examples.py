"""Every example config validates (those whose adapters are installed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from failover_sync.config.loader import load_config

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_validates(path: Path) -> None:
    config = load_config(path)
    assert config.records
