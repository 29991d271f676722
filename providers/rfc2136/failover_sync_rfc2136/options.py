"""Options of ``type: rfc2136`` and loading the TSIG key they name.

A key comes from one of two places, never from the config file itself:

``tsig_key_file``
    a file in BIND's ``tsig-keygen`` format (``key "name" { algorithm ...; secret "...";
    };``), parsed by dnspython's :func:`dns.tsigkeyring.from_file`, or in Knot's ``keymgr -t``
    format (a ``# alg:name:secret`` comment, then the YAML ``key:`` section with one ``id``,
    ``algorithm``, ``secret``), parsed with PyYAML; relative to the config file's folder. The
    same file can be ``include``-d by ``named.conf`` or ``knot.conf``.
``tsig_name`` + ``tsig_algorithm`` + ``tsig_secret_env``
    the key name and algorithm in the config and the base64 secret in an environment
    variable (RFC 8945 section 4.2 names the algorithms).

Without either, messages go unsigned, which only a server that grants updates by address
accepts. Errors never contain the secret: dnspython's ``dns.tsig.Key`` shows its secret in
``repr``, so a Key never reaches a message or a log line.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

import dns.exception
import dns.name
import dns.tsig
import dns.tsigkeyring
import yaml
from pydantic import Field, field_validator, model_validator

from failover_sync import ProviderOptions

Algorithm = Literal["hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"]
"""TSIG algorithms (RFC 8945 section 6; HMAC-MD5 is deprecated there and not offered here)."""
ALGORITHMS: tuple[str, ...] = get_args(Algorithm)


class RFC2136Options(ProviderOptions):
    """Options of ``type: rfc2136`` (RFC 2136 dynamic update, RFC 8945 TSIG)."""

    server: str
    """Address of the primary server that takes updates: an IPv4/IPv6 address or a host name
    (resolved at each connection)."""
    port: int = Field(default=53, ge=1, le=65535)
    """DNS port of ``server`` (TCP for updates and AXFR)."""
    tsig_key_file: Path | None = None
    """TSIG key in BIND ``tsig-keygen`` format; relative to the config file's folder."""
    tsig_name: str | None = None
    """TSIG key name, when the secret comes from ``tsig_secret_env``."""
    tsig_algorithm: Algorithm = "hmac-sha256"
    """TSIG algorithm with ``tsig_name`` (RFC 8945 section 6)."""
    tsig_secret_env: str | None = None
    """Environment variable that holds the base64 TSIG secret, with ``tsig_name``."""
    timeout_seconds: float = Field(default=5.0, gt=0, le=300)
    """Deadline of one DNS exchange (an UPDATE, a query, or a whole AXFR) in seconds."""
    max_transfer_records: int = Field(default=200_000, ge=100)
    """Most records one AXFR may bring (20 times Route 53's default quota per zone); more is
    a malformed answer and the transfer is stopped there."""
    read: Literal["axfr", "query"] = "axfr"
    """How live RRsets are read: ``axfr`` transfers the zone (with TSIG), ``query`` asks for
    each managed name, for servers that refuse transfers."""

    @field_validator("server")
    @classmethod
    def _server_not_empty(cls, value: str) -> str:
        value = value.strip().strip("[]")
        if not value:
            raise ValueError("server must be an address or a host name")
        return value

    @model_validator(mode="after")
    def _one_key_source(self) -> RFC2136Options:
        named = self.tsig_name is not None or self.tsig_secret_env is not None
        if self.tsig_key_file is not None and named:
            raise ValueError("give tsig_key_file or tsig_name + tsig_secret_env, not both")
        if named and (self.tsig_name is None or self.tsig_secret_env is None):
            raise ValueError("tsig_name and tsig_secret_env go together")
        return self

    @property
    def is_ip_address(self) -> bool:
        """True when ``server`` is a literal address (no resolution needed)."""
        try:
            ipaddress.ip_address(self.server)
        except ValueError:
            return False
        return True


@dataclass(frozen=True, slots=True)
class Tsig:
    """A loaded TSIG key, in the shape dnspython's ``use_tsig`` takes.

    ``keyring`` maps the key name to its :class:`dns.tsig.Key`; ``name`` and ``algorithm``
    are shown in errors (never the secret). ``repr`` hides the keyring.
    """

    name: dns.name.Name
    algorithm: dns.name.Name
    keyring: dict[dns.name.Name, dns.tsig.Key]

    def __repr__(self) -> str:
        return f"Tsig(name={self.name}, algorithm={self.algorithm})"

    @property
    def label(self) -> str:
        """``failover-sync. (hmac-sha256.)``: how errors name the key."""
        return f"{self.name.to_text()} ({self.algorithm.to_text(omit_final_dot=True)})"


class TsigKeyError(ValueError):
    """The TSIG key cannot be loaded; the message names the file or variable, not the secret."""


def load_tsig(options: RFC2136Options, config_dir: Path) -> Tsig | None:
    """Load the key that ``options`` name; ``None`` when messages go unsigned.

    Raises TsigKeyError for a missing, unreadable or malformed key file, an unset variable, a
    secret that is not base64, or an algorithm outside RFC 8945's HMAC list.
    """
    if options.tsig_key_file is not None:
        return _from_file(config_dir / options.tsig_key_file)
    if options.tsig_name is not None and options.tsig_secret_env is not None:
        secret = os.environ.get(options.tsig_secret_env)
        if not secret:
            raise TsigKeyError(f"environment variable {options.tsig_secret_env} is not set")
        try:
            base64.b64decode(secret, validate=True)
            key = dns.tsig.Key(options.tsig_name, secret, options.tsig_algorithm)
        except (binascii.Error, ValueError, dns.exception.DNSException):
            raise TsigKeyError(
                f"environment variable {options.tsig_secret_env} is not a base64 TSIG secret"
            ) from None
        return Tsig(key.name, key.algorithm, {key.name: key})
    return None


_FORMATS = (
    'tsig-keygen format (key "name" { algorithm hmac-sha256; secret "base64"; };) nor in '
    "keymgr -t format (key: [{id: name, algorithm: hmac-sha256, secret: base64}])"
)


def _from_file(path: Path) -> Tsig:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise TsigKeyError(f"cannot read TSIG key file {path}: {reason}") from None
    if _looks_like_knot(text):
        return _from_knot(path, text)
    try:
        keyring = dns.tsigkeyring.from_file(path)
    except OSError as exc:
        raise TsigKeyError(f"cannot read TSIG key file {path}: {exc.strerror}") from None
    except Exception:
        # dnspython raises a bare Exception for text it cannot match, and binascii or DNS
        # errors for a bad secret or name; none of them may echo the secret, so say it plainly.
        raise TsigKeyError(f"TSIG key file {path} is neither in {_FORMATS}") from None
    keys = [k for k in keyring.values() if isinstance(k, dns.tsig.Key)]
    if len(keys) != 1:
        raise TsigKeyError(f"TSIG key file {path} must name its algorithm")
    return _checked(path, keys[0])


def _looks_like_knot(text: str) -> bool:
    """Knot's YAML starts its key section with ``key:`` at the start of a line; BIND's
    format has ``key "name" {``."""
    return any(line.rstrip() == "key:" for line in text.splitlines())


def _from_knot(path: Path, text: str) -> Tsig:
    """The one key of a ``keymgr -t`` file (Knot DNS ``key:`` section, YAML)."""
    try:
        data = yaml.safe_load(text)
        (entry,) = data["key"]
        name, algorithm, secret = (str(entry[k]) for k in ("id", "algorithm", "secret"))
        base64.b64decode(secret, validate=True)
        key = dns.tsig.Key(name, secret, algorithm)
    except Exception:
        # YAML, binascii and dnspython errors may quote the text they choke on: the secret.
        raise TsigKeyError(
            f"TSIG key file {path} is neither in {_FORMATS}; a keymgr -t file holds one key"
        ) from None
    return _checked(path, key)


def _checked(path: Path, key: dns.tsig.Key) -> Tsig:
    if key.algorithm.to_text(omit_final_dot=True).lower() not in ALGORITHMS:
        raise TsigKeyError(
            f"TSIG key file {path}: algorithm {key.algorithm} is not one of {', '.join(ALGORITHMS)}"
        )
    return Tsig(key.name, key.algorithm, {key.name: key})
