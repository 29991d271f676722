"""Options of ``type: cloudflare`` and of its zone entries, and where the API token comes from.

The token is looked up, in order, in the file ``api_token_file`` names, in the environment
variable ``api_token_env`` names, and in ``CLOUDFLARE_API_TOKEN`` (the SDK's own variable). It
is held as a :class:`pydantic.SecretStr` and never logged, rendered or put into an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, SecretStr, model_validator

from failover_sync import ProviderError, ProviderOptions

DEFAULT_TOKEN_ENV = "CLOUDFLARE_API_TOKEN"  # noqa: S105 (a variable name, no secret)
"""The SDK's own variable for the API token."""
MANAGED_COMMENT = "managed by failover-sync"
"""Comment put on the records the adapter creates."""
MAX_TTL = 86_400
"""Highest TTL the API accepts, in seconds."""


class CloudflareOptions(ProviderOptions):
    """Options of ``type: cloudflare`` (every key is optional).

    Sources: https://developers.cloudflare.com/fundamentals/api/reference/limits/ (1,200
    requests per 5 minutes per user), https://developers.cloudflare.com/dns/manage-dns-records/
    how-to/batch-record-changes/ (batch sizes per plan).
    """

    api_token_env: str | None = None
    """Environment variable holding the API token (default ``CLOUDFLARE_API_TOKEN``)."""
    api_token_file: Path | None = None
    """File holding the API token (a mounted secret), relative to the config file's folder."""
    base_url: str | None = None
    """API root, e.g. ``http://127.0.0.1:8080/client/v4`` for a stand-in (default: the SDK's,
    ``https://api.cloudflare.com/client/v4``)."""
    max_batch: int = Field(default=200, ge=1, le=3500)
    """Most record operations in one batch call: 200 on Free, 3,500 on paid plans."""
    max_requests_per_5min: int = Field(default=1000, ge=1, le=100_000)
    """Client-side budget of HTTP requests per rolling 5 minutes, shared by every zone and
    provider instance that uses the same token (Cloudflare allows 1,200, then blocks every
    call for 5 minutes)."""
    max_retries: int = Field(default=2, ge=0, le=5)
    """The SDK's own retries of a read on 408/409/429/5xx and connection errors. Batches are
    never retried by the SDK; the core's retry policy retries the whole read-plan-apply
    attempt on top."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    """Timeout of one HTTP request, in seconds."""
    min_ttl: int = Field(default=60, ge=30, le=MAX_TTL)
    """Lowest TTL the zone's plan accepts: 60, or 30 on Enterprise. 1 means automatic."""
    comment: str = Field(default=MANAGED_COMMENT, max_length=100)
    """Comment on the records the adapter creates (100 characters at most on Free)."""
    per_page: int = Field(default=100, ge=5, le=5000)
    """Records per page of a per-name listing."""
    full_read_above: int = Field(default=4, ge=0, le=100_000)
    """Above this many distinct names to read (managed names, their markers and the
    external-dns registry names), read the whole zone in one paged listing instead of one
    call per name."""
    zone_page_size: int = Field(default=5000, ge=5, le=5000)
    """Records per page of a whole-zone listing (5,000 at most)."""
    max_answer_bytes: int = Field(default=16 * 1024 * 1024, ge=64 * 1024)
    """Largest answer read from the API, in bytes (16 MiB; a page of 5,000 records is about
    2.5 MB); a larger answer is a malformed answer, cut off as it streams in."""
    zone_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    """The id of the one zone this provider serves (as Route 53's ``hosted_zone_id`` in its
    provider block); a zone entry's ``zone_id`` wins. A second zone on this provider needs
    its own ``zone_id`` on its zone entry (or none: found by name)."""

    @model_validator(mode="after")
    def _one_token_source(self) -> CloudflareOptions:
        if self.api_token_env is not None and self.api_token_file is not None:
            raise ValueError("give api_token_env or api_token_file, not both")
        return self


class CloudflareZoneOptions(ProviderOptions):
    """Keys of a zone entry served by Cloudflare."""

    zone_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    """The zone's 32-hex-digit id; without it the zone is found by name (needs Zone Read)."""


def resolve_token(
    options: CloudflareOptions,
    config_dir: Path,
    environ: Mapping[str, str] | None = None,
    *,
    provider: str = "",
) -> SecretStr:
    """The API token from ``api_token_file``, ``api_token_env`` or ``CLOUDFLARE_API_TOKEN``.

    Raises ProviderError (permanent) naming the source, never the value, when it is missing,
    unreadable or empty.
    """
    env = os.environ if environ is None else environ
    if options.api_token_file is not None:
        path = config_dir / options.api_token_file
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ProviderError(
                f"cannot read api_token_file {path}: {exc.strerror}", provider=provider
            ) from None
        source = f"file {path}"
    else:
        variable = options.api_token_env or DEFAULT_TOKEN_ENV
        token = env.get(variable, "").strip()
        source = f"environment variable {variable}"
    if not token:
        raise ProviderError(f"no Cloudflare API token: {source} is empty", provider=provider)
    return SecretStr(token)
