"""A zone transfer is bounded: a 45 MB AXFR (from a server in a process of its own) stops at
``max_transfer_records`` (20,000 here, to keep the test short; default 200,000) as a
MalformedAnswer, and only the apex and the asked names are held,
so the peak RSS stays low; a transfer without the SOA is malformed, never "no records"."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from failover_sync_rfc2136 import RFC2136Options, RFC2136Provider

from failover_sync import MalformedAnswer, ProviderError, TransientProviderError, Zone
from failover_sync.testing.process import big_axfr_server, peak_rss_growth

ZONE = Zone("big.test.", "dns")


def transfer_error(port: int, tmp_path: Path, **options: object) -> ProviderError:
    opts = RFC2136Options.model_validate(
        {"server": "127.0.0.1", "port": port, "timeout_seconds": 120, **options}
    )
    provider = RFC2136Provider("dns", opts, config_dir=tmp_path)

    async def case() -> ProviderError:
        try:
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(ZONE, [("h1.big.test.", "A")])
            return info.value
        finally:
            await provider.aclose()

    return asyncio.run(case())


def test_a_45_mb_transfer_stops_at_the_record_limit(tmp_path: Path) -> None:
    with big_axfr_server(tmp_path, 45 * 1024 * 1024, ZONE.name) as port:
        errors: list[ProviderError] = []
        growth = peak_rss_growth(
            lambda: errors.append(transfer_error(port, tmp_path, max_transfer_records=20_000))
        )
    (error,) = errors
    assert isinstance(error, MalformedAnswer)
    assert "more than 20000 records (max_transfer_records)" in str(error)
    print(f"peak RSS growth, 45 MB AXFR: {growth / 2**20:.1f} MiB")
    assert growth < 64 * 2**20


def test_a_transfer_without_the_soa_is_malformed(tmp_path: Path) -> None:
    with big_axfr_server(tmp_path, 10_000, ZONE.name, soa=False) as port:
        error = transfer_error(port, tmp_path)
    assert isinstance(error, MalformedAnswer)
    assert not isinstance(error, TransientProviderError)
