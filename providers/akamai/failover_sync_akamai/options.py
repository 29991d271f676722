"""Options of ``type: akamai`` and where the EdgeGrid credentials come from.

An EdgeGrid API client has four values: ``client_token``, ``client_secret``, ``access_token``
and ``host`` (https://techdocs.akamai.com/developer/docs/set-up-authentication-credentials).
They come either from a section of an ``.edgerc`` file, read with the official library's
:class:`akamai.edgegrid.EdgeRc`, or from four environment variables that the ``*_env`` options
name. They are never keys of the config file, and are held as :class:`pydantic.SecretStr`
so that no repr, log line or error message shows them.
"""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from pathlib import Path

from akamai.edgegrid import EdgeRc  # type: ignore[import-untyped]
from pydantic import Field, SecretStr, model_validator

from failover_sync import ProviderOptions, SecretUnavailable, read_secret

DEFAULT_EDGERC = "~/.edgerc"
"""The library's and Akamai CLI's default credentials file."""
ENV_KEYS = ("client_token", "client_secret", "access_token", "host")


class AkamaiOptions(ProviderOptions):
    """Options of ``type: akamai`` (every key is optional).

    Without ``*_env`` options the credentials are read from ``edgerc`` (default
    ``~/.edgerc``), section ``section`` (default ``default``).
    """

    edgerc: Path | None = None
    """The ``.edgerc`` file, relative to the config file's folder (``~`` expanded)."""
    section: str = Field(default="default", min_length=1, max_length=100)
    """The ``[section]`` of ``edgerc`` that holds this API client."""
    client_token_env: str | None = None
    """Variable holding ``client_token`` (give all four ``*_env`` options, or none)."""
    client_secret_env: str | None = None
    """Variable holding ``client_secret``."""
    access_token_env: str | None = None
    """Variable holding ``access_token``."""
    host_env: str | None = None
    """Variable holding ``host`` (``akab-....luna.akamaiapis.net``); not needed with
    ``base_url``."""
    base_url: str | None = Field(default=None, pattern=r"^https?://[^/?#]+$")
    """API origin without a path, e.g. ``http://127.0.0.1:8080`` for a stand-in (default:
    ``https://`` + the credentials' ``host``). ``/config-dns/v2`` is appended."""
    requests_per_second: float = Field(default=5.0, gt=0, le=100)
    """Client-side budget of HTTP requests per second for this provider instance (our own
    choice: Akamai does not publish a per-second limit for this API and answers 429)."""
    burst: int = Field(default=10, ge=1, le=1000)
    """Requests that may go out at once before ``requests_per_second`` paces them."""
    block_seconds: float = Field(default=5.0, gt=0, le=300)
    """How long a 429 without ``Retry-After`` stops all requests, in seconds."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    """Timeout of one HTTP request, in seconds."""
    page_size: int = Field(default=100, ge=1, le=1000)
    """Record sets per page when listing."""
    max_searches: int = Field(default=4, ge=0, le=100)
    """Up to this many managed names are read with one ``search`` listing each; more names
    are read with one listing of the managed types (every page)."""
    comment: str = Field(default="failover-sync", max_length=200)
    """The comment of each zone version we submit."""

    @model_validator(mode="after")
    def _one_source(self) -> AkamaiOptions:
        given = [k for k in ENV_KEYS if getattr(self, f"{k}_env") is not None]
        if given and self.edgerc is not None:
            raise ValueError("give edgerc (with section) or the *_env options, not both")
        required = [k for k in ENV_KEYS[:3] if k not in given]
        if given and required:
            missing = ", ".join(f"{k}_env" for k in required)
            raise ValueError(f"with *_env options, {missing} must be given too")
        if given and "host" not in given and self.base_url is None:
            raise ValueError("with *_env options, give host_env or base_url")
        return self


@dataclass(frozen=True, slots=True)
class Credentials:
    """One EdgeGrid API client; ``host`` is empty when only ``base_url`` says where to go."""

    client_token: SecretStr
    client_secret: SecretStr
    access_token: SecretStr
    host: str

    def secrets(self) -> tuple[str, str, str]:
        """The three secret values (to scrub them from any text we did not write)."""
        return (
            self.client_token.get_secret_value(),
            self.client_secret.get_secret_value(),
            self.access_token.get_secret_value(),
        )


def resolve_credentials(
    options: AkamaiOptions, config_dir: Path, *, provider: str = ""
) -> Credentials:
    """The API client's credentials, from the ``*_env`` variables or the ``.edgerc`` section.

    Raises :class:`~failover_sync.SecretUnavailable` (permanent) naming the variable, file,
    section or key that is missing, never a value.
    """
    if options.client_token_env is not None:
        values = {
            key: read_secret(
                env=getattr(options, f"{key}_env"),
                config_dir=config_dir,
                what=f"the Akamai {key}",
                provider=provider,
                option_prefix=key,
            )
            for key in ENV_KEYS
            if getattr(options, f"{key}_env") is not None
        }
        return Credentials(
            SecretStr(values["client_token"]),
            SecretStr(values["client_secret"]),
            SecretStr(values["access_token"]),
            values.get("host", ""),
        )
    return _from_edgerc(options, config_dir, provider)


def _from_edgerc(options: AkamaiOptions, config_dir: Path, provider: str) -> Credentials:
    raw = Path(options.edgerc if options.edgerc is not None else DEFAULT_EDGERC).expanduser()
    path = raw if raw.is_absolute() else config_dir / raw
    section = options.section
    try:
        with path.open(encoding="utf-8") as handle:
            handle.read(1)  # EdgeRc (ConfigParser.read) silently skips unreadable files
    except OSError as exc:
        raise SecretUnavailable(
            f"cannot read the edgerc file {path}: {exc.strerror or exc}", provider=provider
        ) from None
    try:
        edgerc = EdgeRc(str(path))
        if not edgerc.has_section(section):
            raise SecretUnavailable(
                f"the edgerc file {path} has no section [{section}]", provider=provider
            )
        values = {key: str(edgerc.get(section, key)).strip() for key in ENV_KEYS}
    except (configparser.Error, UnicodeDecodeError) as exc:
        # The parser's message may quote a line of the file, secrets included: name its kind.
        raise SecretUnavailable(
            f"cannot parse section [{section}] of the edgerc file {path}: {type(exc).__name__}",
            provider=provider,
        ) from None
    need = ENV_KEYS if options.base_url is None else ENV_KEYS[:3]
    empty = [key for key in need if not values[key]]
    if empty:
        raise SecretUnavailable(
            f"section [{section}] of the edgerc file {path} has no {', '.join(empty)}",
            provider=provider,
        )
    return Credentials(
        SecretStr(values["client_token"]),
        SecretStr(values["client_secret"]),
        SecretStr(values["access_token"]),
        values["host"],
    )


def api_root(options: AkamaiOptions, credentials: Credentials) -> str:
    """The API root URL: ``base_url`` or ``https://<host>``, plus ``/config-dns/v2``."""
    if options.base_url is not None:
        origin = options.base_url
    else:
        origin = "https://" + credentials.host.removeprefix("https://").rstrip("/")
    return origin + "/config-dns/v2"


__all__ = ["AkamaiOptions", "Credentials", "api_root", "resolve_credentials"]
