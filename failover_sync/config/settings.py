"""Process settings from ``FAILOVER_SYNC_*`` environment variables (CLI flags win)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process settings from ``FAILOVER_SYNC_*`` environment variables (CLI flags win)."""

    model_config = SettingsConfigDict(
        env_prefix="FAILOVER_SYNC_", extra="ignore", env_ignore_empty=True
    )

    config: Path | None = None
    """Config file path (``FAILOVER_SYNC_CONFIG``); else ``./failover-sync.yaml``.
    ``FAILOVER_SYNC_LOG_LEVEL`` and ``FAILOVER_SYNC_LOG_FORMAT`` are read by the command
    itself, so that a flag overrides a bad value and a bad value is a usage error."""
