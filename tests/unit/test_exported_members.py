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
