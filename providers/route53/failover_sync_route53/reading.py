"""Reading with ListResourceRecordSets: paging, the repeat-page guard, and finding a zone.

Route 53 lists a zone's records sorted by name with the labels reversed, then by type
(https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html). A
truncated page names the first record of the next one with ``NextRecordName``,
``NextRecordType`` and, inside a weighted or other set-identifier group,
``NextRecordIdentifier``; a request starts there with ``StartRecordName``/``Type``/
``Identifier``.

Guard: a server that leaves out ``NextRecordIdentifier`` (moto does) points at the same start
again when a weighted group is larger than one page, and a correct loop would spin for ever.
A start that was already requested, or more than ``max_pages`` pages, is a ProviderError.
Synchronous: the provider runs these functions in a worker thread. A page without its list
field raises KeyError/TypeError, which the provider classifies as a malformed answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from failover_sync import ProviderError, RecordKey
from failover_sync_route53.client import Response, Route53API
from failover_sync_route53.records import R53Record, decode_name, record_key

PAGE_SIZE = 300
"""Route 53's largest ``MaxItems`` for ListResourceRecordSets."""
MAX_PAGES = 1000
"""300,000 records: well beyond Route 53's default quota of 10,000 records per zone."""

Start = tuple[str, str, str | None]


def _required_list(page: Response, field: str) -> list[Any]:
    """``page[field]``, a list the API always sends (empty or not). An answer without it (an
    HTML page that parses as XML yields no field at all) raises KeyError or TypeError, which
    the provider classifies as a malformed answer: never read as an empty zone."""
    value = page[field]
    if not isinstance(value, list):
        raise TypeError(f"{field} is {type(value).__name__}, not a list")
    return value


def pages(
    client: Route53API,
    zone_id: str,
    start: RecordKey | None = None,
    *,
    page_size: int = PAGE_SIZE,
    max_pages: int = MAX_PAGES,
) -> Iterator[list[R53Record]]:
    """Yield the record pages of ``zone_id`` from ``start`` (name, type) to the end.

    Raises ProviderError when a page would repeat or ``max_pages`` is exceeded; boto3 errors
    pass through unclassified.
    """
    params: dict[str, str] = {"HostedZoneId": zone_id, "MaxItems": str(page_size)}
    token: Start | None = (start[0], start[1], None) if start else None
    seen: set[Start] = set()
    for _ in range(max_pages):
        if token is not None:
            if token in seen:
                raise ProviderError(
                    f"ListResourceRecordSets of {zone_id} returned the same next record "
                    f"{token} twice: a set-identifier group larger than one page on a server "
                    "that does not return NextRecordIdentifier"
                )
            seen.add(token)
            params["StartRecordName"], params["StartRecordType"] = token[0], token[1]
            params.pop("StartRecordIdentifier", None)
            if token[2] is not None:
                params["StartRecordIdentifier"] = token[2]
        page: Response = client.list_resource_record_sets(**params)
        yield _required_list(page, "ResourceRecordSets")
        if not page.get("IsTruncated"):
            return
        token = (
            str(page["NextRecordName"]),
            str(page["NextRecordType"]),
            page.get("NextRecordIdentifier"),
        )
    raise ProviderError(f"ListResourceRecordSets of {zone_id}: more than {max_pages} pages")


def read_key(client: Route53API, zone_id: str, key: RecordKey) -> list[R53Record]:
    """Every record at ``key``: start there and stop at the first record past it (usually one
    request; more only for a weighted group larger than a page)."""
    out: list[R53Record] = []
    for page in pages(client, zone_id, key, page_size=100):
        for record in page:
            if record_key(record) != key:
                return out
            out.append(record)
    return out


def read_zone(client: Route53API, zone_id: str) -> list[R53Record]:
    """Every record of the zone (``ceil(records / 300)`` requests)."""
    out: list[R53Record] = []
    seen: set[tuple[RecordKey, str | None]] = set()
    for page in pages(client, zone_id):
        for record in page:
            ident = (record_key(record), record.get("SetIdentifier"))
            if ident not in seen:  # a restarted page may overlap the previous one
                seen.add(ident)
                out.append(record)
    return out


def choose_zone(
    zones: list[Response], name: str, private: bool | None
) -> tuple[str | None, str | None]:
    """Pick the hosted zone named ``name`` among ListHostedZonesByName's ``HostedZones``.

    Returns ``(bare id, None)`` or ``(None, reason)`` when none or more than one match
    (public and private zones of one name are refused unless ``private`` says which).
    """
    matches = [
        z
        for z in zones
        if decode_name(str(z["Name"])) == name
        and (private is None or bool(z.get("Config", {}).get("PrivateZone")) == private)
    ]
    if len(matches) == 1:
        return str(matches[0]["Id"]).rsplit("/", 1)[-1], None
    kind = "" if private is None else (" private" if private else " public")
    if not matches:
        return None, f"no{kind} hosted zone named {name} in this account"
    found = ", ".join(
        f"{str(z['Id']).rsplit('/', 1)[-1]} "
        f"({'private' if z.get('Config', {}).get('PrivateZone') else 'public'})"
        for z in matches
    )
    return None, (
        f"{len(matches)}{kind} hosted zones are named {name}: {found}; "
        "set hosted_zone_id (or private_zone) on the zone entry"
    )


def find_zone(client: Route53API, name: str, private: bool | None) -> tuple[str | None, str | None]:
    """Look ``name`` up with ListHostedZonesByName (zones sorted by name, starting at it)."""
    matches: list[Response] = []
    params: dict[str, str] = {"DNSName": name, "MaxItems": "100"}
    fetch: Callable[..., Response] = client.list_hosted_zones_by_name
    for _ in range(MAX_PAGES):
        page = fetch(**params)
        zones = _required_list(page, "HostedZones")
        matches.extend(zones)
        past = any(decode_name(str(z["Name"])) != name for z in zones)
        if past or not page.get("IsTruncated") or not page.get("NextHostedZoneId"):
            return choose_zone(matches, name, private)
        params["HostedZoneId"] = str(page["NextHostedZoneId"])
        params["DNSName"] = str(page["NextDNSName"])
    raise ProviderError(f"ListHostedZonesByName {name}: more than {MAX_PAGES} pages")
