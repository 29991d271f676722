"""Structured logs on stderr: stable event names with fields, as text or one JSON object per line.

Events are logged as ``logger.info(event, extra={"fields": {...}})``; the formatters render
``event key=value ...`` for humans or ``{"ts", "level", "event", ...fields}`` for machines.
Fields never carry secrets: providers keep tokens out of every message they raise.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Mapping
from typing import Any

LOGGER_NAME = "failover_sync"
log = logging.getLogger(LOGGER_NAME)


def event(level: int, name: str, **fields: Any) -> None:
    """Log event ``name`` with ``fields`` (values must be JSON-serialisable)."""
    log.log(level, name, extra={"fields": fields})


def _fields(record: logging.LogRecord) -> Mapping[str, Any]:
    fields = getattr(record, "fields", None)
    return fields if isinstance(fields, Mapping) else {}


class TextFormatter(logging.Formatter):
    """``2026-11-21T14:02:03Z INFO endpoint_unhealthy record=app. endpoint=... reason="..."``."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created))
        parts = [stamp, record.levelname, record.getMessage()]
        for key, value in _fields(record).items():
            text = json.dumps(value) if not isinstance(value, str) or " " in value else value
            parts.append(f"{key}={text}")
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts`` (RFC 3339), ``level``, ``event``, ``logger``, fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "event": record.getMessage(),
            "logger": record.name,
        }
        data.update(_fields(record))
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def setup(level: str = "INFO", fmt: str = "text") -> None:
    """Send every log record to stderr in ``fmt`` (``text`` or ``json``) at ``level``."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    logging.getLogger(LOGGER_NAME).setLevel(level)
