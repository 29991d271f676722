"""Pure conversions between the SDK's ``RecordSet`` model and failover-sync RRsets.

Azure names record sets relative to the zone (``app``, ``@`` for the apex), types them
``Microsoft.Network/dnszones/<TYPE>`` and keeps TXT values as lists of character-strings
(https://learn.microsoft.com/rest/api/dns/record-sets/get). failover-sync keeps absolute
names and TXT values in presentation format (``"a" "b"``); dnspython converts between the two.

Every record set read is checked (:func:`to_rrset`): a missing etag, a value of the wrong type,
an address that is not one, or a record set of another zone, type or name is a
:class:`~failover_sync.MalformedAnswer`, never an absent RRset.
"""

from __future__ import annotations

import ipaddress

import dns.exception
import dns.rdata
import dns.rdataclass
import dns.rdatatype
from azure.mgmt.dns.models import AaaaRecord, ARecord, CnameRecord, RecordSet, TxtRecord
from dns.rdtypes.ANY.TXT import TXT

from failover_sync import MalformedAnswer, RRset

TYPE_PREFIX = "microsoft.network/dnszones/"
"""Resource type prefix of record sets (ARM compares it case-insensitively)."""
SUPPORTED = frozenset({"A", "AAAA", "CNAME", "TXT"})


def relative_name(name: str, zone: str) -> str:
    """``app.example.com.`` in ``example.com.`` -> ``app``; the apex -> ``@``.

    Raises ValueError when ``name`` is not inside ``zone`` (both absolute, any case).
    """
    fqdn, origin = name.lower().rstrip(".") + ".", zone.lower().rstrip(".") + "."
    if fqdn == origin:
        return "@"
    if not fqdn.endswith("." + origin):
        raise ValueError(f"{name} is not inside zone {zone}")
    return fqdn[: -len(origin) - 1]


def absolute_name(relative: str, zone: str) -> str:
    """The inverse of :func:`relative_name` (lower case, trailing dot)."""
    origin = zone.lower().rstrip(".") + "."
    return origin if relative in ("@", "") else f"{relative.lower()}.{origin}"


def txt_strings(value: str) -> list[str]:
    """``'"a b" "c"'`` -> ``["a b", "c"]`` (RFC 1035 section 5.1 presentation format).

    Raises ValueError for text that is not TXT data (an unbalanced quote, a string over 255
    bytes)."""
    try:
        rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.TXT, value)
    except dns.exception.DNSException as exc:
        raise ValueError(f"TXT value {value[:60]!r} is not valid: {exc}") from None
    assert isinstance(rdata, TXT)
    return [s.decode("utf-8", "surrogateescape") for s in rdata.strings]


def txt_text(strings: list[str]) -> str:
    """``["a b", "c"]`` -> ``'"a b" "c"'``, the form failover-sync compares (dnspython's
    escaping of quotes, backslashes and non-ASCII bytes)."""
    encoded = [s.encode("utf-8", "surrogateescape") for s in strings]
    return TXT(dns.rdataclass.IN, dns.rdatatype.TXT, encoded).to_text()


def record_set_for(
    rtype: str, ttl: int, values: tuple[str, ...], base: RecordSet | None
) -> RecordSet:
    """The body of a PUT that makes the record set hold ``values`` with ``ttl`` seconds.

    ``base`` is the record set as read: its metadata and target resource are kept (a PUT
    replaces the whole record set). Raises ValueError for a type the adapter does not write.
    """
    body = RecordSet(
        ttl=ttl,
        metadata=dict(base.metadata) if base is not None and base.metadata else None,
    )
    if rtype == "A":
        body.a_records = [ARecord(ipv4_address=v) for v in values]
    elif rtype == "AAAA":
        body.aaaa_records = [AaaaRecord(ipv6_address=v) for v in values]
    elif rtype == "CNAME":
        if len(values) != 1:
            raise ValueError(f"a CNAME record set holds exactly one value, not {len(values)}")
        body.cname_record = CnameRecord(cname=values[0])
    elif rtype == "TXT":
        body.txt_records = [TxtRecord(value=txt_strings(v)) for v in values]
    else:
        raise ValueError(f"record type {rtype} is not supported by the Azure adapter")
    return body


def _values(rtype: str, rs: RecordSet) -> list[str]:
    if rtype == "A":
        out = [_address(r.ipv4_address, 4) for r in _list(rs.a_records, ARecord, "ARecords")]
    elif rtype == "AAAA":
        items = _list(rs.aaaa_records, AaaaRecord, "AAAARecords")
        out = [_address(r.ipv6_address, 6) for r in items]
    elif rtype == "CNAME":
        if rs.cname_record is None:
            return []
        cname = rs.cname_record.cname
        if not isinstance(cname, str) or not cname:
            raise MalformedAnswer("CNAMERecord.cname is not a name")
        out = [cname]
    else:
        out = []
        for record in _list(rs.txt_records, TxtRecord, "TXTRecords"):
            parts = record.value
            if not isinstance(parts, list) or not all(isinstance(p, str) for p in parts):
                raise MalformedAnswer("TXTRecords[].value is not a list of strings")
            out.append(txt_text(parts))
    return out


def _list(items: object, kind: type, field: str) -> list:  # type: ignore[type-arg]
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, kind) for i in items):
        raise MalformedAnswer(f"{field} is not a list of records")
    return items


def _address(value: object, version: int) -> str:
    if not isinstance(value, str):
        raise MalformedAnswer(f"an IPv{version} address is {type(value).__name__}, not text")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        raise MalformedAnswer(f"{value[:60]!r} is not an IPv{version} address") from None
    if address.version != version:
        raise MalformedAnswer(f"{value[:60]!r} is not an IPv{version} address")
    return value


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise MalformedAnswer(f"a record set has no {field}")
    return value


def check_identity(
    rs: RecordSet, zone: str, rtype: str | None, name: str | None = None
) -> tuple[str, str]:
    """``(relative name, TYPE)`` of ``rs`` after checking it belongs to ``zone``.

    ``rtype`` is the type that was listed (None for a listing of every type), ``name`` the
    relative name asked for by a GET (None for a listing). Raises
    MalformedAnswer when a field is missing or the record set is of another zone or type.
    """
    asked = name
    name, kind, rid = _text(rs.name, "name"), _text(rs.type, "type"), _text(rs.id, "id")
    _text(rs.etag, "etag")
    if asked is not None and name.lower() != asked.lower():
        raise MalformedAnswer(f"a GET of record set {asked!r} answered {name[:80]!r}")
    if not kind.lower().startswith(TYPE_PREFIX):
        raise MalformedAnswer(f"record set {name!r} has resource type {kind[:80]!r}")
    found = kind[len(TYPE_PREFIX) :].upper()
    if rtype is not None and found != rtype:
        raise MalformedAnswer(f"a listing of {rtype} record sets holds {name!r} of type {found}")
    origin = zone.lower().rstrip(".")
    path = f"/dnszones/{origin}/{found.lower()}/{name.lower()}"
    if not rid.lower().endswith(path):
        raise MalformedAnswer(f"record set {name!r} {found} has id {rid[:200]!r}, not in {zone}")
    fqdn = rs.fqdn
    if fqdn is not None and (
        not isinstance(fqdn, str) or fqdn.lower().rstrip(".") + "." != absolute_name(name, zone)
    ):
        raise MalformedAnswer(f"record set {name!r} has fqdn {str(fqdn)[:200]!r}, not in {zone}")
    return name.lower(), found


def to_rrset(
    rs: RecordSet, zone: str, rtype: str | None = None, name: str | None = None
) -> RRset | None:
    """The RRset of a record set read from ``zone`` (None for a type the adapter ignores,
    or a record set with no records, which Azure allows and DNS does not publish).

    Raises MalformedAnswer (see :func:`check_identity`; also a TTL that is not a
    non-negative integer, or records of the wrong shape).
    """
    name, found = check_identity(rs, zone, rtype, name)
    if found not in SUPPORTED:
        return None
    ttl = rs.ttl
    if not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 0:
        raise MalformedAnswer(f"record set {name!r} {found} has TTL {ttl!r}")
    try:
        values = _values(found, rs)
    except dns.exception.DNSException as exc:
        raise MalformedAnswer(f"record set {name!r} TXT: {exc}") from None
    if not values:
        return None
    return RRset.of(absolute_name(name, zone), found, ttl, values)
