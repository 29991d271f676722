"""``failover-sync status``: each record and endpoint, in or out, and why.

With ``--addr HOST:PORT`` it asks a running controller (``GET /status`` on its
``--metrics-addr``); without, it probes one round itself (presume, settle, plan without
writing) and reports what a controller would do now.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from failover_sync.cli.console import EXIT_ERROR, EXIT_OK, Output, json_dump
from failover_sync.config.loader import Config


async def _remote(addr: str) -> dict[str, Any]:
    import httpx

    host, _, port = addr.rpartition(":")
    url = f"http://{host or '127.0.0.1'}:{port}/status"
    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        response = await client.get(url)
        response.raise_for_status()
        data = response.json()
    if not isinstance(data, dict):
        raise ValueError(f"{url} did not answer a status document")
    return data


def to_text(data: dict[str, Any]) -> str:
    """The status document as plain text, one line per endpoint."""
    lines = []
    for record in data.get("records", []):
        published = record.get("published")
        shown = ", ".join(published) if published else "(unknown)" if published is None else "-"
        lines.append(f"{record['name']} {record['type']} ({record['policy']}): {shown}")
        for ep in record.get("endpoints", []):
            mark = "IN " if ep.get("published") else "OUT"
            lines.append(f"  {mark} {ep['value']:<39} {ep['why']}  [{ep['reason']}]")
    for zone in data.get("zones", []):
        if zone.get("frozen") or zone.get("error"):
            lines.append(
                f"zone {zone['zone']}: {zone.get('frozen') or ''}{zone.get('error') or ''}"
            )
    return "\n".join(lines) + "\n"


async def status_verb(args: argparse.Namespace, config: Config, out: Output) -> int:
    """Print the status (JSON with ``-o json``); exit 1 when it cannot be had."""
    if args.addr:
        try:
            data = await _remote(args.addr)
        except Exception as exc:  # httpx errors, bad JSON: one clear line, no traceback
            out.error(f"cannot read the status of {args.addr}: {exc}")
            return EXIT_ERROR
    else:
        from failover_sync.cli.common import build_controller, planned

        controller = build_controller(config, dry_run=True)
        try:
            await planned(controller)
            data = controller.status()
        finally:
            await controller.aclose()
    if args.output == "json":
        json_dump(data)
    else:
        sys.stdout.write(to_text(data))
    return EXIT_OK
