"""The public names of the package: sorted, complete, importable."""

from __future__ import annotations

import failover_sync


def test_all_is_sorted_and_importable() -> None:
    names = failover_sync.__all__
    assert names == sorted(names)
    for name in names:
        assert hasattr(failover_sync, name), name


def test_every_public_class_of_the_top_level_is_exported() -> None:
    public = {
        name
        for name, value in vars(failover_sync).items()
        if not name.startswith("_") and isinstance(value, type)
    }
    assert public <= set(failover_sync.__all__)


def test_public_names_load_on_first_use_and_cold_start_stays_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, failover_sync; "
        "assert 'httpx' not in sys.modules and 'tenacity' not in sys.modules, sys.modules; "
        "failover_sync.RRset; failover_sync.read_secret; print('ok')"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "ok", done.stderr
