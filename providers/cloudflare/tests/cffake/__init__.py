"""A Cloudflare API fake of our own: a real HTTP server on loopback for the official SDK.

No Cloudflare emulator exists, so this package keeps zones and records like the API does and
validates every request: paths and query parameters against the operations of the official
OpenAPI description (:mod:`.spec`), bodies against the SDK's own parameter types
(:mod:`.bodies`). State and the API's rules live in :mod:`.store`, HTTP in :mod:`.server`, the
envelope, the call log and injected faults in :mod:`.wire`.
"""

from .server import CloudflareFake, running_fake
from .store import APIFailure
from .wire import Call, Fault

__all__ = ["APIFailure", "Call", "CloudflareFake", "Fault", "running_fake"]
