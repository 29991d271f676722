"""PowerDNS Authoritative provider for failover-sync, through the server's HTTP API.

Config: ``{type: powerdns, url: http://127.0.0.1:8081, api_key_env: PDNS_API_KEY}``; see
:class:`PowerDNSOptions` and the distribution's README for the API key setup.
"""

from failover_sync_powerdns.errors import classify
from failover_sync_powerdns.options import PowerDNSOptions
from failover_sync_powerdns.provider import PowerDNSProvider
from failover_sync_powerdns.wire import parse_rrsets, patch_body, zone_id

__all__ = [
    "PowerDNSOptions",
    "PowerDNSProvider",
    "classify",
    "parse_rrsets",
    "patch_body",
    "zone_id",
]
