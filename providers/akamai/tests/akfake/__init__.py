"""An Akamai Edge DNS API fake of our own: a real HTTP server on loopback.

No Edge DNS emulator exists, so this package keeps zones, versions and change lists like the
API does (:mod:`.store`), checks EdgeGrid signatures with the official library and validates
every request and response against the official OpenAPI description (:mod:`.spec`, with
openapi-core). HTTP lives in :mod:`.server`.
"""

from .server import AkamaiFake, Call, Client, Fault

__all__ = ["AkamaiFake", "Call", "Client", "Fault"]
