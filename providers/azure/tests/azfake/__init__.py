"""An Azure DNS (ARM record sets) fake of our own: a real HTTPS server on loopback for the
official SDK.

No Azure DNS emulator exists, so this package keeps zones and record sets like the API does
(:mod:`.store`: ETags that change on every write, 412 on stale preconditions, 404/204,
paging with ``nextLink``) and validates every request and every answer against the official
Swagger 2.0 document copied to ``tests/spec/dns.json`` (:mod:`.spec`). HTTP and TLS are in
:mod:`.server`.
"""

from .calls import Call, Fault
from .server import AzureDnsFake, running_fake
from .spec import SwaggerSpec, load_spec
from .store import APIFailure, FakeZone

__all__ = [
    "APIFailure",
    "AzureDnsFake",
    "Call",
    "FakeZone",
    "Fault",
    "SwaggerSpec",
    "load_spec",
    "running_fake",
]
