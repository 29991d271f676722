"""Options of ``type: dnsmadeeasy`` and of its zone entries, and where the keys come from.

DNS Made Easy signs every request with two keys of the account (or of a user of it): the API
key, sent as is, and the secret key, which only keys the HMAC. Both are read with
:func:`failover_sync.read_secret` from the variable a ``*_env`` option names or the file a
``*_file`` option names, and are never logged or put into an error.

Sources: DNS Made Easy "API V2.0 Documentation" (2014), pages 7-9 (base URLs, signing, the
request limit), summarised with further sources in ``shared/dnsmadeeasy/API.md``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, model_validator

from failover_sync import ProviderOptions, read_secret

PRODUCTION_URL = "https://api.dnsmadeeasy.com/V2.0"
"""The production API root (API.md "Base URLs", 2+)."""
SANDBOX_URL = "https://api.sandbox.dnsmadeeasy.com/V2.0"
"""The sandbox API root: a separate system with its own account and keys (API.md, 2+)."""
DEFAULT_API_KEY_ENV = "DNSMADEEASY_API_KEY"
DEFAULT_SECRET_KEY_ENV = "DNSMADEEASY_SECRET_KEY"  # noqa: S105 (a variable name, no secret)
REQUEST_LIMIT = 150
"""Requests per scrolling five-minute window per API key (API.md "Rate limit", 2+)."""
WINDOW_SECONDS = 300.0
"""Length of that window, in seconds."""


class DnsMadeEasyOptions(ProviderOptions):
    """Options of ``type: dnsmadeeasy`` (every key is optional).

    Each key is found in its ``*_file`` if set, else in its ``*_env`` variable (default
    ``DNSMADEEASY_API_KEY`` / ``DNSMADEEASY_SECRET_KEY``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    api_key_env: str | None = None
    """Variable holding the API key (default ``DNSMADEEASY_API_KEY``)."""
    api_key_file: Path | None = None
    """File holding the API key, relative to the config file's folder."""
    secret_key_env: str | None = None
    """Variable holding the secret key (default ``DNSMADEEASY_SECRET_KEY``)."""
    secret_key_file: Path | None = None
    """File holding the secret key, relative to the config file's folder."""
    base_url: str = PRODUCTION_URL
    """API root: production, the sandbox (``https://api.sandbox.dnsmadeeasy.com/V2.0``, other
    keys) or a stand-in such as ``http://127.0.0.1:PORT/V2.0``."""
    request_limit: int = Field(default=REQUEST_LIMIT, ge=10, le=100_000)
    """Requests per five-minute window that DNS Made Easy allows this key (150). A lower
    ``x-dnsme-requestLimit`` announced by the API wins."""
    reserve_requests: int = Field(default=15, ge=1, le=1000)
    """Requests of each window the adapter never uses, left for other clients of the key
    (certificate renewals, the control panel's API use) and for reading the budget back."""
    burst: int = Field(default=40, ge=1, le=10_000)
    """Requests the adapter may send at once before pacing sets in; the rest of the usable
    budget refills evenly over the window."""
    max_wait_seconds: float = Field(default=5.0, ge=0, le=300)
    """Longest the adapter waits for the budget before a call; a longer wait ends the call
    as a transient error carrying that wait, and the zone is retried after it."""
    full_read_above: int = Field(default=8, ge=1, le=100_000)
    """Read the whole domain (paged) instead of one filtered listing per name when a read
    asks about more names than this."""
    rows: int = Field(default=1000, ge=10, le=10_000)
    """Records per page of a whole-domain listing (the server's maximum is not documented)."""
    max_batch: int = Field(default=200, ge=1, le=1000)
    """Most records per createMulti/updateMulti call and ids per multi-delete (the server's
    maximum is not documented; octoDNS sends 200)."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    """Timeout of one HTTP request, in seconds."""

    @model_validator(mode="after")
    def _check(self) -> DnsMadeEasyOptions:
        if self.api_key_env is not None and self.api_key_file is not None:
            raise ValueError("give api_key_env or api_key_file, not both")
        if self.secret_key_env is not None and self.secret_key_file is not None:
            raise ValueError("give secret_key_env or secret_key_file, not both")
        if self.reserve_requests + self.burst >= self.request_limit:
            raise ValueError("reserve_requests + burst must stay below request_limit")
        url = urlsplit(self.base_url)
        if url.scheme not in ("https", "http") or not url.hostname:
            raise ValueError("base_url must be an https:// URL")
        if url.scheme == "http" and not _loopback(url.hostname):
            # The API key travels in a header: plain HTTP only to a stand-in on this host.
            raise ValueError("base_url may use http:// only for a loopback stand-in; use https://")
        return self


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DnsMadeEasyZoneOptions(ProviderOptions):
    """Keys of a zone entry served by DNS Made Easy."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    domain_id: int | None = Field(default=None, ge=1)
    """The domain's numeric id; without it the domain is looked up by name once per process."""


def read_keys(options: DnsMadeEasyOptions, config_dir: Path, *, provider: str) -> tuple[str, str]:
    """``(api_key, secret_key)`` from the configured files or variables.

    Raises :class:`failover_sync.SecretUnavailable` (permanent) naming the variable or file.
    """
    api_key = read_secret(
        env=options.api_key_env or DEFAULT_API_KEY_ENV,
        file=options.api_key_file,
        config_dir=config_dir,
        what="the DNS Made Easy API key",
        provider=provider,
        option_prefix="api_key",
    )
    secret = read_secret(
        env=options.secret_key_env or DEFAULT_SECRET_KEY_ENV,
        file=options.secret_key_file,
        config_dir=config_dir,
        what="the DNS Made Easy secret key",
        provider=provider,
        option_prefix="secret_key",
    )
    return api_key, secret
