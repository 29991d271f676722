"""The one place where DNS outcomes become ProviderError or TransientProviderError.

=====================================  =====================  ==============================
outcome                                class                  why
=====================================  =====================  ==============================
NXRRSET, YXRRSET, NXDOMAIN, YXDOMAIN   Transient (conflict)   a prerequisite failed (RFC 2136
on an UPDATE                                                  section 3.2): someone changed
                                                              the RRset; the core re-reads
SERVFAIL                               Transient              server-side trouble, retry
timeout, connection refused/reset      Transient              network or restart, retry
REFUSED                                ProviderError          policy: update-policy,
                                                              allow-update, allow-transfer
NOTAUTH                                ProviderError          not authoritative for the zone
                                                              (RFC 2136 section 3.1.2)
NOTZONE                                ProviderError          a name outside the zone (3.4.1.3)
BADSIG, BADKEY, BADTIME (TSIG)         ProviderError          wrong secret, unknown key name,
                                                              clock skew (RFC 8945 5.2)
FORMERR, NOTIMP, other rcodes          ProviderError          the server cannot do this
=====================================  =====================  ==============================

Messages name the server, zone, key name and algorithm, never the secret.
"""

from __future__ import annotations

from collections.abc import Sequence

import dns.exception
import dns.message
import dns.rcode
import dns.tsig
import dns.xfr

from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync_rfc2136.options import Tsig

CONFLICT_RCODES = frozenset(
    {dns.rcode.NXRRSET, dns.rcode.YXRRSET, dns.rcode.NXDOMAIN, dns.rcode.YXDOMAIN}
)


class Context:
    """What an error message says about the failed exchange.

    ``operation`` is ``update``, ``transfer`` or ``query``; ``server`` is ``address:port``;
    ``names`` are the RRsets concerned (``app.example.com. A``).
    """

    def __init__(
        self,
        *,
        provider: str,
        zone: str,
        server: str,
        operation: str,
        tsig: Tsig | None,
        names: Sequence[str] = (),
    ) -> None:
        self.provider = provider
        self.zone = zone
        self.server = server
        self.operation = operation
        self.tsig = tsig
        self.names = list(names)

    @property
    def key(self) -> str:
        return f"TSIG key {self.tsig.label}" if self.tsig else "no TSIG key (unsigned)"

    @property
    def listed(self) -> str:
        shown = ", ".join(self.names[:5])
        more = len(self.names) - 5
        return shown + (f" and {more} more" if more > 0 else "")

    def permanent(self, message: str) -> ProviderError:
        return ProviderError(
            f"{self.server}: {self.operation} of zone {self.zone}: {message}",
            provider=self.provider,
            zone=self.zone,
        )

    def transient(self, message: str) -> TransientProviderError:
        return TransientProviderError(
            f"{self.server}: {self.operation} of zone {self.zone}: {message}",
            provider=self.provider,
            zone=self.zone,
        )


def from_rcode(rcode: dns.rcode.Rcode, ctx: Context) -> ProviderError:
    """The error for a response with ``rcode`` other than NOERROR."""
    text = dns.rcode.to_text(rcode)
    if rcode in CONFLICT_RCODES and ctx.operation == "update":
        return ctx.transient(
            f"{ctx.listed} changed since it was read ({text}: a prerequisite failed, "
            "RFC 2136 section 3.2); nothing was written by this message"
        )
    if rcode == dns.rcode.SERVFAIL:
        return ctx.transient("the server answered SERVFAIL")
    if rcode == dns.rcode.REFUSED:
        return ctx.permanent(_refused(ctx))
    if rcode == dns.rcode.NOTAUTH:
        # TSIG failures arrive as exceptions (BADSIG, BADKEY), so a plain NOTAUTH means that
        # the server does not serve the zone (BIND answers so for AXFR and UPDATE alike).
        return ctx.permanent(
            "the server is not authoritative for this zone (NOTAUTH): check the zone name "
            "and that server is its primary"
        )
    if rcode == dns.rcode.NOTZONE:
        return ctx.permanent(f"{ctx.listed}: a name is outside the zone (NOTZONE)")
    return ctx.permanent(f"the server answered {text}")


def _refused(ctx: Context) -> str:
    if ctx.tsig is None:
        hint = (
            "the message is unsigned: set tsig_key_file, or tsig_name + tsig_secret_env, "
            "to a key the server grants"
        )
    elif ctx.operation == "update":
        hint = (
            f"the zone's update-policy (or allow-update) does not grant {ctx.listed} to {ctx.key}"
        )
    elif ctx.operation == "transfer":
        hint = (
            f"the zone's allow-transfer does not include {ctx.key}; allow it, or set "
            "read: query to read only the managed names"
        )
    else:
        hint = "the server does not serve this zone to us (allow-query, or not authoritative)"
    return f"REFUSED: {hint}"


def from_exception(exc: BaseException, ctx: Context) -> ProviderError:
    """The error for an exception raised by dnspython or the socket layer during the exchange.

    Raises ``exc`` again when it is not a DNS or socket outcome (a bug, not an outcome).
    """
    if isinstance(exc, dns.xfr.TransferError):
        return from_rcode(dns.rcode.Rcode.make(exc.rcode), ctx)
    if isinstance(exc, dns.tsig.PeerBadSignature):
        return ctx.permanent(
            f"the server rejected the signature of {ctx.key} (BADSIG): the secret differs "
            "from the server's"
        )
    if isinstance(exc, dns.tsig.PeerBadKey):
        return ctx.permanent(
            f"the server does not know {ctx.key} (BADKEY): key name or algorithm differ "
            "from the server's"
        )
    if isinstance(exc, dns.tsig.PeerBadTime):
        return ctx.permanent(
            "the server rejected the signature time (BADTIME): this clock and the server's "
            "differ by more than the 300 s fudge (RFC 8945 section 5.2.3)"
        )
    if isinstance(exc, dns.tsig.PeerError | dns.tsig.BadSignature | dns.tsig.BadKey):
        return ctx.permanent(f"TSIG failure with {ctx.key}: {type(exc).__name__}")
    if isinstance(exc, dns.message.UnknownTSIGKey):
        return ctx.permanent(f"the server signed its answer with a key other than {ctx.key}")
    if isinstance(exc, dns.exception.Timeout | TimeoutError):
        return ctx.transient("no answer before the timeout")
    if isinstance(exc, ConnectionError | EOFError):
        return ctx.transient(f"connection failed: {exc.__class__.__name__}")
    if isinstance(exc, OSError):
        return ctx.transient(f"connection failed: {exc.strerror or exc}")
    if isinstance(exc, dns.exception.FormError):
        return ctx.transient(f"malformed answer: {type(exc).__name__}")
    if isinstance(exc, dns.exception.DNSException):
        # Anything else dnspython reports is an outcome too (never a secret in its text):
        # permanent, so that the zone is reported and retried at the next round.
        return ctx.permanent(f"{type(exc).__name__}: {exc}")
    raise exc
