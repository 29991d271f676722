"""``PowerDNSProvider``: reads and writes RRsets through the PowerDNS Authoritative HTTP API.

The only calls used are the two of the zone resource, behind :meth:`PowerDNSProvider._send`::

    GET   /api/v1/servers/{server_id}/zones/{zone_id}[?rrset_name=N[&rrset_type=T]]
    PATCH /api/v1/servers/{server_id}/zones/{zone_id}     one REPLACE per changed RRset

Reading: when at most ``FILTER_LIMIT`` names are asked, one filtered GET per name (run
concurrently), so that a large zone is not transferred every few seconds; otherwise one GET of
the whole zone. Both return only the asked keys. Servers that ignore the filter parameters
(older than 4.8) answer with the whole zone, which is filtered here, so the result is the same.

Writing: one PATCH per zone; PowerDNS applies it all-or-nothing and purges its packet cache,
so a direct query sees the change within milliseconds. The API has no compare-and-swap, so the
``before`` values of the changes are not checked. Comments are never sent, so they stay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from failover_sync.errors import ProviderError
from failover_sync.model import Change, RecordKey, RRset, Zone, absolute_name
from failover_sync.provider.base import Capabilities, Provider, ProviderOptions
from failover_sync_powerdns.errors import classify
from failover_sync_powerdns.options import PowerDNSOptions, load_api_key
from failover_sync_powerdns.wire import MalformedAnswer, parse_rrsets, patch_body, zone_id

FILTER_LIMIT = 10
"""Most distinct names read with one filtered GET each; more names read the whole zone."""


class PowerDNSProvider(Provider):
    """``type: powerdns``: a PowerDNS Authoritative server's HTTP API (4.x)."""

    Options: ClassVar[type[ProviderOptions]] = PowerDNSOptions
    capabilities: ClassVar[Capabilities] = Capabilities(
        record_types=frozenset({"A", "AAAA", "CNAME", "TXT"}), max_batch=None, weights=False
    )

    def __init__(self, name: str, options: ProviderOptions, *, config_dir: Path) -> None:
        super().__init__(name, options, config_dir=config_dir)
        assert isinstance(options, PowerDNSOptions)
        self._options = options
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        """The client, created on first use so that the key is read (and its absence
        reported as a ProviderError) inside the loop, not while the config is loaded."""
        if self._client is None:
            key = load_api_key(self._options, self.config_dir, provider=self.name)
            server = quote(self._options.server_id, safe="")
            self._client = httpx.AsyncClient(
                base_url=f"{self._options.url}/api/v1/servers/{server}",
                headers={"X-API-Key": key.get_secret_value(), "Accept": "application/json"},
                timeout=self._options.timeout_seconds,
                verify=self._options.verify_tls,
                follow_redirects=False,
            )
        return self._client

    async def _send(self, zone: Zone, method: str, **kwargs: Any) -> httpx.Response:
        """One request on ``zone``'s resource; every failure leaves as a classified error."""
        path = f"/zones/{quote(zone_id(zone.name), safe='=.-')}"
        try:
            response = await self._http().request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise classify(exc, provider=self.name, zone=zone.name) from None
        if not response.is_success:
            raise classify(response, provider=self.name, zone=zone.name)
        return response

    async def _get(self, zone: Zone, params: dict[str, str]) -> list[RRset]:
        response = await self._send(zone, "GET", params=params)
        try:
            return parse_rrsets(response.content)
        except MalformedAnswer as exc:
            raise ProviderError(
                f"PowerDNS GET {response.request.url.path}: malformed answer ({exc})",
                provider=self.name,
                zone=zone.name,
            ) from None

    async def list_rrsets(self, zone: Zone, keys: Collection[RecordKey]) -> list[RRset]:
        wanted = {(absolute_name(name), rtype.upper()) for name, rtype in keys}
        if not wanted:
            return []
        types_of: dict[str, set[str]] = {}
        for name, rtype in wanted:
            types_of.setdefault(name, set()).add(rtype)
        if len(types_of) > FILTER_LIMIT:
            rrsets = await self._get(zone, {})
        else:
            queries = [
                {"rrset_name": name, **({"rrset_type": next(iter(t))} if len(t) == 1 else {})}
                for name, t in sorted(types_of.items())
            ]
            # return_exceptions: let every GET finish, then raise the first error, so that no
            # task is left running (or its error unobserved) after we return.
            results = await asyncio.gather(
                *(self._get(zone, q) for q in queries), return_exceptions=True
            )
            rrsets = []
            for result in results:
                if isinstance(result, BaseException):
                    raise result
                rrsets.extend(result)
        found = {rr.key: rr for rr in rrsets if rr.key in wanted}
        return sorted(found.values(), key=lambda rr: rr.key)

    async def apply(self, zone: Zone, changes: Sequence[Change]) -> None:
        if not changes:
            return
        try:
            body = patch_body(changes)
        except ValueError as exc:
            raise ProviderError(str(exc), provider=self.name, zone=zone.name) from None
        await self._send(zone, "PATCH", json=body)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
