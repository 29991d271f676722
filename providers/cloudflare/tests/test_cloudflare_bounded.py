"""What the SDK reads from the Cloudflare API is bounded (``max_answer_bytes``, 16 MiB).

A 45 MB answer, from a server in a process of its own so that only the adapter's memory is
measured, is a permanent MalformedAnswer, chunked or with a ``Content-Length``, and the peak
RSS of this process grows by far less than the answer.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from failover_sync_cloudflare import CloudflareOptions, CloudflareProvider

from failover_sync import MalformedAnswer, ProviderError, TransientProviderError, Zone
from failover_sync.testing.process import big_answer_server, peak_rss_growth

ANSWER_BYTES = 45 * 1024 * 1024
LIMIT = 16 * 1024 * 1024
ZONE = Zone("example.test.", "cf", {"zone_id": "023e105f4ecef8ad9ca31a8372d0c353"})


def read_error(provider: CloudflareProvider) -> ProviderError:
    async def case() -> ProviderError:
        try:
            with pytest.raises(ProviderError) as info:
                await provider.list_rrsets(ZONE, [("app.example.test.", "A")])
            return info.value
        finally:
            await provider.aclose()

    return asyncio.run(case())


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_45_mb_answer_is_malformed_and_memory_stays_low(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunked: bool
) -> None:
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "test-token-for-a-fault-server")
    with big_answer_server(tmp_path, ANSWER_BYTES, chunked=chunked) as url:
        options = CloudflareOptions(base_url=f"{url}/client/v4", max_retries=1)
        provider = CloudflareProvider("cf", options, config_dir=tmp_path)
        errors: list[ProviderError] = []
        growth = peak_rss_growth(lambda: errors.append(read_error(provider)))
    (error,) = errors
    assert isinstance(error, MalformedAnswer)
    assert not isinstance(error, TransientProviderError)
    assert f"{LIMIT}-byte limit" in str(error)
    assert "test-token" not in str(error)
    mode = "chunked" if chunked else "length"
    print(f"peak RSS growth, Cloudflare, 45 MB answer ({mode}): {growth / 2**20:.1f} MiB")
    # One read at a time (the SDK's retry comes after the first is dropped), each cut at the
    # 16 MiB limit: the peak stays well under two limits (unbounded, 45 MB took 1.2 GB).
    assert growth < 2 * LIMIT
