"""The one place where DNS outcomes become ProviderError or TransientProviderError.

=====================================  =====================  ==============================
outcome                                class                  why
=====================================  =====================  ==============================
NXRRSET, YXRRSET, NXDOMAIN, YXDOMAIN   StaleRRsetError        a prerequisite failed (RFC 2136
on an UPDATE                                                  section 3.2): someone changed
                                                              the RRset; the core re-reads
SERVFAIL                               Transient              server-side trouble, retry
timeout, connection refused/reset      Transient              network or restart, retry
REFUSED                                ProviderError          policy: update-policy,
                                                              allow-update, allow-transfer
NOTAUTH                                ProviderError          not authoritative for the zone
                                                              (RFC 2136 section 3.1.2); from
                                                              PowerDNS also a key it refuses
NOTZONE                                ProviderError          a name outside the zone (3.4.1.3)
BADSIG, BADKEY, BADTIME (TSIG)         ProviderError          wrong secret, unknown key name,
                                                              clock skew (RFC 8945 5.2); from
                                                              Knot BADKEY is also "no ACL
                                                              rule grants this request"
FORMERR, NOTIMP, other rcodes          ProviderError          the server cannot do this
=====================================  =====================  ==============================

Two answers mean different things on different servers (seen on Knot 3.2, PowerDNS 4.7,
BIND 9.18; ``shared/STANDINS.md``): Knot answers an UPDATE or AXFR that its ACL does not grant
with NOTAUTH + TSIG BADKEY, exactly as for an unknown key; PowerDNS answers a wrong secret, an
unknown key and a key not allowed with plain NOTAUTH. For these two the provider asks the
server's ``version.bind`` (CH TXT) once and puts the kind in :attr:`Context.kind`; the message
then says what the answer can mean on that server, or every meaning when the kind is unknown.

Messages name the server, zone, key name and algorithm, never the secret.
"""

from __future__ import annotations

from collections.abc import Sequence

import dns.exception
import dns.message
import dns.rcode
import dns.tsig
import dns.xfr

from failover_sync import MalformedAnswer, ProviderError, StaleRRsetError, TransientProviderError
from failover_sync_rfc2136.options import Tsig

CONFLICT_RCODES = frozenset(
    {dns.rcode.NXRRSET, dns.rcode.YXRRSET, dns.rcode.NXDOMAIN, dns.rcode.YXDOMAIN}
)


class Context:
    """What an error message says about the failed exchange.

    ``operation`` is ``update``, ``transfer`` or ``query``; ``server`` is ``address:port``;
    ``names`` are the RRsets concerned (``app.example.com. A``). ``version`` is the
    server's ``version.bind`` text when it was asked (after an ambiguous answer), else None.
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
        self.version: str | None = None

    @property
    def kind(self) -> str | None:
        """``knot``, ``powerdns``, ``bind`` from :attr:`version`; None when unknown."""
        text = (self.version or "").lower()
        if "knot" in text:
            return "knot"
        if "powerdns" in text:
            return "powerdns"
        if text[:1].isdigit() or "bind" in text:
            return "bind"  # BIND answers its bare version ("9.18.28-1~deb12u2-Debian")
        return None

    @property
    def server_said(self) -> str:
        return f" (server: {self.version})" if self.version else ""

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
        return StaleRRsetError(
            f"{ctx.server}: update of zone {ctx.zone}: {ctx.listed} changed since it was read "
            f"({text}: a prerequisite failed, RFC 2136 section 3.2); nothing was written by "
            "this message",
            provider=ctx.provider,
            zone=ctx.zone,
        )
    if rcode == dns.rcode.SERVFAIL:
        return ctx.transient("the server answered SERVFAIL")
    if rcode == dns.rcode.REFUSED:
        return ctx.permanent(_refused(ctx))
    if rcode == dns.rcode.NOTAUTH:
        return ctx.permanent(_notauth(ctx))
    if rcode == dns.rcode.NOTZONE:
        return ctx.permanent(f"{ctx.listed}: a name is outside the zone (NOTZONE)")
    return ctx.permanent(f"the server answered {text}")


def is_ambiguous(outcome: BaseException | dns.rcode.Rcode) -> bool:
    """True for plain NOTAUTH and TSIG BADKEY: worth asking the server what it is."""
    if isinstance(outcome, dns.tsig.PeerBadKey) or _unsigned_answer(outcome):
        return True
    if isinstance(outcome, dns.xfr.TransferError):
        return int(outcome.rcode) in (dns.rcode.NOTAUTH, dns.rcode.REFUSED)
    return outcome in (dns.rcode.NOTAUTH, dns.rcode.REFUSED)


def _unsigned_answer(outcome: BaseException | dns.rcode.Rcode) -> bool:
    """dnspython's way of saying: we signed, the server answered unsigned (RFC 8945 5.3.2
    has a server sign even its BADKEY/BADSIG errors; PowerDNS answers plain NOTAUTH)."""
    return isinstance(outcome, dns.exception.FormError) and "requires a TSIG" in str(outcome)


def _unsigned(ctx: Context) -> str:
    meta = "TSIG-ALLOW-AXFR" if ctx.operation == "transfer" else "TSIG-ALLOW-DNSUPDATE"
    meanings = (
        f"a wrong secret for {ctx.key}, a key name or algorithm it does not know, or a key "
        f"missing from the zone's {meta} metadata"
    )
    if ctx.kind == "powerdns":
        return (
            f"PowerDNS answered NOTAUTH without a TSIG signature{ctx.server_said}, which it "
            f"gives for {meanings}: check `pdnsutil list-tsig-keys` and "
            f"`pdnsutil get-meta {ctx.zone.rstrip('.')}`"
        )
    return (
        f"the server answered without a TSIG signature{ctx.server_said}: it did not accept "
        f"{ctx.key} (PowerDNS answers so for {meanings})"
    )


def _markers(ctx: Context) -> str:
    names = dict.fromkeys(n.split()[0] for n in ctx.names if not n.startswith("_failover-sync."))
    shown = ", ".join(f"_failover-sync.{n}" for n in list(names)[:3])
    return shown or "_failover-sync.<name>"


def _notauth(ctx: Context) -> str:
    """Plain NOTAUTH: BIND and Knot mean "not authoritative"; PowerDNS also a refused key."""
    if ctx.tsig is None or ctx.kind in ("bind", "knot"):
        return (
            f"the server is not authoritative for this zone (NOTAUTH){ctx.server_said}: check "
            "the zone name and that server is its primary"
        )
    meta = "TSIG-ALLOW-AXFR" if ctx.operation == "transfer" else "TSIG-ALLOW-DNSUPDATE"
    meanings = (
        f"a wrong secret for {ctx.key}, a key name or algorithm it does not know, a key "
        f"missing from the zone's {meta} metadata, or a zone it does not serve"
    )
    if ctx.kind == "powerdns":
        return (
            f"PowerDNS answered NOTAUTH{ctx.server_said}, which it gives for {meanings}: "
            f"check `pdnsutil list-tsig-keys` and `pdnsutil get-meta {ctx.zone.rstrip('.')}`"
        )
    return (
        "NOTAUTH: the server is not authoritative for this zone, or (PowerDNS answers so) it "
        f"refuses the key: {meanings}; check the zone name, the key and the zone's metadata"
    )


def _badkey(ctx: Context) -> str:
    """TSIG BADKEY: an unknown key everywhere; on Knot also "no ACL rule grants this"."""
    unknown = f"{ctx.key} is not known to the server (name or algorithm differ from its key)"
    if ctx.operation == "update":
        grant = (
            f"no single acl rule (action: update) grants {ctx.listed} and their markers "
            f"({_markers(ctx)}) with types A AAAA TXT to the key; Knot checks a whole UPDATE "
            "against one rule"
        )
    elif ctx.operation == "transfer":
        grant = "no acl rule with action: transfer grants the key; add one, or set read: query"
    else:
        grant = "no acl rule grants the key this query"
    if ctx.kind == "knot":
        return (
            f"Knot DNS answered NOTAUTH with TSIG error BADKEY{ctx.server_said}, which it "
            f"gives both when {unknown} and when {grant}"
        )
    if ctx.kind is not None:
        return f"BADKEY{ctx.server_said}: {unknown}"
    return (
        f"BADKEY: either {unknown}, or (Knot DNS answers so for a request its ACL does not "
        f"grant) {grant}"
    )


def _refused(ctx: Context) -> str:
    if ctx.tsig is None:
        hint = (
            "the message is unsigned: set tsig_key_file, or tsig_name + tsig_secret_env, "
            "to a key the server grants"
        )
    elif ctx.operation == "update" and ctx.kind == "powerdns":
        hint = (
            f"PowerDNS{ctx.server_said} does not take updates of this zone with {ctx.key}: "
            "the key is not in the zone's TSIG-ALLOW-DNSUPDATE metadata, or this address is "
            "outside ALLOW-DNSUPDATE-FROM / allow-dnsupdate-from, or dnsupdate=no"
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
        return ctx.permanent(_badkey(ctx))
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
    if _unsigned_answer(exc):
        return ctx.permanent(_unsigned(ctx))
    if isinstance(exc, dns.exception.FormError):
        return MalformedAnswer(
            f"{ctx.server}: {ctx.operation} of zone {ctx.zone}: malformed answer: "
            f"{type(exc).__name__}: {exc}",
            provider=ctx.provider,
            zone=ctx.zone,
        )
    if isinstance(exc, dns.exception.DNSException):
        # Anything else dnspython reports is an outcome too (never a secret in its text):
        # permanent, so that the zone is reported and retried at the next round.
        return ctx.permanent(f"{type(exc).__name__}: {exc}")
    raise exc
