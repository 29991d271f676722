"""The dnspython side of the zone-file provider: parse a zone file, look up and replace
RRsets, the CNAME rule and the SOA serial.

:mod:`failover_sync.provider.zonefile` imports this on its first read or write, so that
``validate`` (which only checks the provider's options) does not load dnspython.
"""

from __future__ import annotations

from pathlib import Path

import dns.rdatatype
import dns.rdtypes.ANY.SOA
import dns.zone
from dns.exception import DNSException
from dns.rdataset import from_rdata, from_text_list

from failover_sync.errors import ProviderError
from failover_sync.model import Change, RecordKey, RRset

DEFAULT_ZONE_TTL = 3600
"""TTL of the SOA and NS of a zone file created by ``create_missing``, seconds."""


def read(path: Path, origin: str) -> dns.zone.Zone:
    """The zone file at ``path`` with names relative to ``origin``. Raises DNSException or
    UnicodeDecodeError for a file that does not parse, OSError for one that cannot be read."""
    return dns.zone.from_file(str(path), origin=origin, relativize=True)


def get(parsed: dns.zone.Zone, key: RecordKey) -> RRset | None:
    """The RRset of ``key`` in ``parsed`` with absolute values, None when absent or empty."""
    name, rtype = key
    try:
        rdataset = parsed.get_rdataset(name, rtype)
    except KeyError:
        return None
    if rdataset is None or len(rdataset) == 0:
        return None
    values = [rd.to_text(origin=parsed.origin, relativize=False) for rd in rdataset]
    return RRset.of(name, rtype, rdataset.ttl, values)


def check_cname_rule(parsed: dns.zone.Zone, change: Change, provider: str, zone: str) -> None:
    """RFC 1034 section 3.6.2: a CNAME owner has no other data. dnspython would silently
    drop the other RRsets, so refuse instead of touching a neighbour."""
    node = parsed.get_node(change.name)
    if node is None:
        return
    others = {dns.rdatatype.to_text(rds.rdtype) for rds in node.rdatasets} - {change.type}
    others -= {"RRSIG", "NSEC", "NSEC3"}
    if others and (change.type == "CNAME" or "CNAME" in others):
        raise ProviderError(
            f"cannot write {change.name} {change.type}: the name has "
            f"{', '.join(sorted(others))}, and a CNAME cannot share its name with other data "
            "(RFC 1034 section 3.6.2); nothing was written",
            provider=provider,
            zone=zone,
        )


def replace(parsed: dns.zone.Zone, change: Change) -> None:
    """Make ``change.after`` (with ``change.ttl``) the RRset of ``change.key`` in ``parsed``."""
    rdataset = from_text_list(
        "IN", change.type, change.ttl, list(change.after), origin=parsed.origin
    )
    parsed.replace_rdataset(change.name, rdataset)


def new_zone(origin: str) -> dns.zone.Zone:
    """A new zone with an SOA and one NS, for a file that does not exist yet."""
    return dns.zone.from_text(
        f"@ {DEFAULT_ZONE_TTL} IN SOA ns1 hostmaster 1 3600 600 604800 60\n"
        f"@ {DEFAULT_ZONE_TTL} IN NS ns1\n",
        origin=origin,
        relativize=True,
        check_origin=True,
    )


def bump_serial(parsed: dns.zone.Zone) -> int:
    """Increment the SOA serial with RFC 1982 wrap-around (never 0); return it."""
    soa_set = parsed.get_rdataset("@", "SOA")
    if soa_set is None or len(soa_set) != 1:
        raise ProviderError(f"zone {parsed.origin} has no SOA record")
    soa = next(iter(soa_set))
    assert isinstance(soa, dns.rdtypes.ANY.SOA.SOA)
    serial = (soa.serial + 1) % 2**32 or 1
    parsed.replace_rdataset("@", from_rdata(soa_set.ttl, soa.replace(serial=serial)))
    return serial


__all__ = [
    "DEFAULT_ZONE_TTL",
    "DNSException",
    "bump_serial",
    "check_cname_rule",
    "get",
    "new_zone",
    "read",
    "replace",
]
