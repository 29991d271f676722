"""Process settings from ``FAILOVER_SYNC_*`` environment variables (CLI flags win)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process settings from ``FAILOVER_SYNC_*`` environment variables (CLI flags win).

    The log settings are kept as written: a bad value is only an error when no flag overrides
    it (:meth:`log_settings`), and then a usage error naming the variable, not a traceback.
    """

    model_config = SettingsConfigDict(
        env_prefix="FAILOVER_SYNC_", extra="ignore", env_ignore_empty=True
    )

    config: Path | None = None
    """Config file path (``FAILOVER_SYNC_CONFIG``); else ``./failover-sync.yaml``."""
    log_level: str = "INFO"
    """Log level (``FAILOVER_SYNC_LOG_LEVEL``): DEBUG, INFO, WARNING or ERROR, any case."""
    log_format: str = "text"
    """Log format on stderr (``FAILOVER_SYNC_LOG_FORMAT``): text or json, any case."""

    def log_settings(self, level: str | None, fmt: str | None) -> tuple[str, str]:
        """(level, format) from the flags ``level``/``fmt`` when given, else from the
        environment, normalised (``"DEBUG"``, ``"json"``).

        Raises UsageError naming the flag or variable when the value that wins is not valid.
        """
        return (
            _choice(level, "--log-level", self.log_level, "LOG_LEVEL", LOG_LEVELS, str.upper),
            _choice(fmt, "--log-format", self.log_format, "LOG_FORMAT", LOG_FORMATS, str.lower),
        )


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("text", "json")


class UsageError(Exception):
    """A command-line flag or ``FAILOVER_SYNC_*`` variable has a bad value (exit 1)."""


def _choice(
    flag: str | None,
    flag_name: str,
    env: str,
    variable: str,
    choices: tuple[str, ...],
    norm: Callable[[str], str],
) -> str:
    raw, where = (flag, flag_name) if flag is not None else (env, f"FAILOVER_SYNC_{variable}")
    value = norm(raw.strip())
    if value not in choices:
        raise UsageError(f"{where}={raw!r} is not one of {', '.join(choices)}")
    return value


__all__ = ["LOG_FORMATS", "LOG_LEVELS", "Settings", "UsageError"]
