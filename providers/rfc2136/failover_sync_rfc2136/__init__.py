"""failover-sync adapter for RFC 2136 dynamic DNS update with TSIG (BIND 9, Knot, PowerDNS).

Registered in the entry-point group ``failover_sync.providers`` as ``rfc2136``.
"""

from failover_sync_rfc2136.messages import MAX_TCP_MESSAGE, build_batches
from failover_sync_rfc2136.options import RFC2136Options
from failover_sync_rfc2136.provider import RFC2136Provider

__all__ = ["MAX_TCP_MESSAGE", "RFC2136Options", "RFC2136Provider", "build_batches"]
