"""``PowerDNSProvider``: reads and writes RRsets through the PowerDNS Authoritative HTTP API.

The only calls used are the two of the zone resource, behind :meth:`PowerDNSProvider._send`::

    GET   /api/v1/servers/{server_id}/zones/{zone_id}[?rrset_name=N[&rrset_type=T]]
    PATCH /api/v1/servers/{server_id}/zones/{zone_id}     one REPLACE per changed RRset

Reading: when at most ``FILTER_LIMIT`` names are asked, one filtered GET per name and one of
the apex SOA (run concurrently), so that a large zone is not transferred every few seconds;
otherwise one GET of the whole zone. Both return only the asked keys. Servers that ignore the
filter parameters (older than 4.8) answer with the whole zone, which is filtered here, so the
result is the same.

Writing: one PATCH per zone; PowerDNS applies it all-or-nothing and purges its packet cache,
so a direct query sees the change within milliseconds. The API has no compare-and-swap and no
create-only change type (``REPLACE`` and ``DELETE`` only), so the ``before`` values of the
changes are not checked and an RRset read as absent is written over if someone created it
meanwhile (use ``type: rfc2136`` against PowerDNS for prerequisites). A 422 (for instance a
CNAME beside other data) is a permanent error naming the record. Comments are never sent.

Every answer is read streamed and at most ``max_answer_bytes`` (default 32 MiB); more is a
MalformedAnswer. A zone GET that is for another zone, or a whole-zone answer without the SOA at
the apex, is a MalformedAnswer too: never read as "no records".
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import httpx

from failover_sync import (
    Capabilities,
    Change,
    MalformedAnswer,
    Provider,
    ProviderError,
    ProviderOptions,
    RecordKey,
    RRset,
    TransientProviderError,
    Zone,
    absolute_name,
    read_bounded,
)
from failover_sync_powerdns.errors import classify
from failover_sync_powerdns.options import PowerDNSOptions, load_api_key
from failover_sync_powerdns.wire import MalformedAnswer as WireMalformed
from failover_sync_powerdns.wire import parse_rrsets, patch_body, zone_id

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
        """One request on ``zone``'s resource, its answer read to at most
        ``max_answer_bytes`` (streamed: a larger answer is never held in memory); every
        failure leaves as a classified error, a too large answer as MalformedAnswer."""
        path = f"/zones/{quote(zone_id(zone.name), safe='=.-')}"
        client = self._http()
        try:
            request = client.build_request(method, path, **kwargs)
            streamed = await client.send(request, stream=True)
            try:
                body = await read_bounded(
                    streamed,
                    limit=self._options.max_answer_bytes,
                    what=f"PowerDNS {method} {request.url.path} answer",
                )
            finally:
                await streamed.aclose()
        except httpx.HTTPError as exc:
            raise classify(exc, provider=self.name, zone=zone.name) from None
        except MalformedAnswer as exc:
            raise MalformedAnswer(str(exc), provider=self.name, zone=zone.name) from None
        response = httpx.Response(
            streamed.status_code, headers=streamed.headers, content=body, request=request
        )
        if not response.is_success:
            raise classify(response, provider=self.name, zone=zone.name)
        return response

    async def _get(self, zone: Zone, params: dict[str, str]) -> list[RRset]:
        response = await self._send(zone, "GET", params=params)
        try:
            return parse_rrsets(response.content, zone=zone.name, asked=params.get("rrset_name"))
        except WireMalformed as exc:
            raise MalformedAnswer(
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
            # An empty filtered answer cannot be told from "no such RRset"; the apex SOA
            # (which every zone has) can: one more GET, so that an empty-but-valid answer
            # (a proxy, a broken backend) is a MalformedAnswer and not "the records are gone".
            apex = absolute_name(zone.name)
            if apex not in types_of:
                queries.append({"rrset_name": apex, "rrset_type": "SOA"})
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
        try:
            await self._send(zone, "PATCH", json=body)
        except TransientProviderError:
            raise
        except ProviderError as exc:
            # A 422 rejects the whole all-or-nothing PATCH for one RRset (a CNAME beside other
            # data, a bad value): keep it permanent and make sure the message names it, so
            # that the core can split the batch and report the one that failed.
            text = str(exc)
            if not any(c.name.lower() in text.lower() for c in changes):
                names = ", ".join(f"{c.name} {c.type}" for c in changes[:5])
                text += f" (the PATCH carried {names}{' ...' if len(changes) > 5 else ''})"
            raise ProviderError(text, provider=self.name, zone=zone.name) from None

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
