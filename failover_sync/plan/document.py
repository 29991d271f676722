"""Checksum of a plan's data form: what was reviewed is what is applied.

``plan -o json`` prints ``"checksum"``: the SHA-256 (hex, 64 characters) of the canonical JSON
of the plan data without the checksum itself (keys sorted, no whitespace, UTF-8).
``apply --plan-checksum X`` recomputes the plan and applies it only if its checksum is X.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

CHECKSUM_KEY = "checksum"


def data_checksum(data: Mapping[str, Any]) -> str:
    """SHA-256 hex digest of ``data`` (a plan's data form) without its ``checksum`` key."""
    body = {k: v for k, v in data.items() if k != CHECKSUM_KEY}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
