"""Options of ``type: powerdns`` and the loading of the API key.

The key never appears in the config file: ``api_key_env`` names an environment variable and
``api_key_file`` a mounted file (a Kubernetes or Docker secret). It is read when the provider
first talks to the server, kept as a :class:`pydantic.SecretStr`, and never logged or put in an
exception message (only the variable's or file's name is).
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator

from failover_sync import ProviderError, ProviderOptions


class PowerDNSOptions(ProviderOptions):
    """Options of ``type: powerdns``."""

    url: str = Field(min_length=1)
    """Base URL of the PowerDNS webserver, e.g. ``http://127.0.0.1:8081`` (``/api/v1`` is
    appended)."""
    server_id: str = Field(default="localhost", min_length=1)
    """The API's server id; PowerDNS Authoritative always calls itself ``localhost``."""
    api_key_env: str | None = Field(default=None, min_length=1)
    """Name of the environment variable holding the API key (``api-key`` in pdns.conf)."""
    api_key_file: Path | None = None
    """File holding the API key (surrounding whitespace ignored), relative to the config
    file's folder."""
    timeout_seconds: float = Field(default=10.0, gt=0)
    """Deadline of each HTTP request (connect, send, wait, read), in seconds."""
    verify_tls: bool = True
    """Verify the server's certificate for an ``https`` URL."""
    max_answer_bytes: int = Field(default=32 * 1024 * 1024, ge=64 * 1024)
    """Largest answer read from the API, in bytes (32 MiB: twice a whole zone of 100,000
    RRsets in JSON); a larger answer is a malformed answer and is not read further."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        value = value.rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.removesuffix("/api/v1")

    @model_validator(mode="after")
    def _one_key_source(self) -> PowerDNSOptions:
        if (self.api_key_env is None) == (self.api_key_file is None):
            raise ValueError(
                "give exactly one of api_key_env or api_key_file (the PowerDNS API always "
                "needs a key; it never goes in the config file in clear)"
            )
        return self


def load_api_key(options: PowerDNSOptions, config_dir: Path, *, provider: str) -> SecretStr:
    """Read the API key named by ``options``.

    Raises ProviderError (permanent) naming the variable or file, never the value, when the
    key is missing, unreadable or empty.
    """
    if options.api_key_env is not None:
        value = os.environ.get(options.api_key_env, "").strip()
        if not value:
            raise ProviderError(
                f"the PowerDNS API key variable ${options.api_key_env} is not set or empty",
                provider=provider,
            )
        return SecretStr(value)
    assert options.api_key_file is not None  # the model validator guarantees one source
    path = config_dir / options.api_key_file
    try:
        value = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ProviderError(
            f"cannot read the PowerDNS API key file {path}: {reason}", provider=provider
        ) from None
    if not value:
        raise ProviderError(f"the PowerDNS API key file {path} is empty", provider=provider)
    return SecretStr(value)
