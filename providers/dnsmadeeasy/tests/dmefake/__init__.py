"""A DNS Made Easy REST API v2.0 fake of our own: a stateful HTTP server on loopback.

DNS Made Easy publishes no machine-readable spec and no emulator exists, so this package keeps
domains and records like the API does (int ids, relative names, quoted TXT, the request window)
and checks every request's signature and shape against the facts collected in
``shared/dnsmadeeasy/API.md`` (cited by section in the code; only facts marked 2+ or official
are enforced). HTTP and authentication in :mod:`.server`, routes in :mod:`.routes`, their work
in :mod:`.handlers`, state and rules in :mod:`.store`.
"""

from .server import Call, DnsMadeEasyFake, Fault, running_fake
from .store import APIError

__all__ = ["APIError", "Call", "DnsMadeEasyFake", "Fault", "running_fake"]
