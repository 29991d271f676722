"""Errors classified at one boundary: the API's ``error`` arrays in messages that name the
domain and the record, transient versus permanent, and never a key."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from failover_sync_dnsmadeeasy import DnsMadeEasyProvider
from failover_sync_dnsmadeeasy.options import DnsMadeEasyOptions

from failover_sync import ProviderError, RRset, SecretUnavailable, TransientProviderError
from failover_sync.model import Zone
from failover_sync.testing import upsert
from providers.dnsmadeeasy.tests.dmefake import DnsMadeEasyFake, Fault
from providers.dnsmadeeasy.tests.dmehelpers import ProviderFactory, with_provider

APP = "app.example.test."
HTML_500 = b"<html><body><h1>HTTP Status 500</h1></body></html>"


def _apply_error(provider_factory: ProviderFactory, zone: Zone) -> ProviderError:
    async def run(provider: DnsMadeEasyProvider) -> ProviderError:
        with pytest.raises(ProviderError) as info:
            await provider.apply(zone, [upsert(RRset.of(APP, "A", 60, ["192.0.2.2"]))])
        return info.value

    return with_provider(provider_factory, run)


def test_validation_error_is_permanent_with_the_apis_text(
    fake: DnsMadeEasyFake, zone: Zone, provider_factory: ProviderFactory
) -> None:
    text = "Record value is not a valid IP address."
    body = json.dumps({"error": [text]}).encode()
    fake.fail_next(Fault(400, body, route="records-createMulti"))
    error = _apply_error(provider_factory, zone)
    assert not isinstance(error, TransientProviderError)
    assert str(error) == (
        f"DNS Made Easy createMulti of {APP} A in domain example.test.: HTTP 400: {text}"
    )
    assert (error.provider, error.zone) == ("dme", "example.test.")


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_with_html_pages_are_transient(
    fake: DnsMadeEasyFake, zone: Zone, provider_factory: ProviderFactory, status: int
) -> None:
    fake.fail_next(Fault(status, HTML_500, route="records-createMulti", content_type="text/html"))
    error = _apply_error(provider_factory, zone)
    assert isinstance(error, TransientProviderError)
    assert f"HTTP {status}: no error details" in str(error)
    assert "<html>" not in str(error)


def test_unknown_domain_is_permanent_and_says_what_to_check(
    provider_factory: ProviderFactory,
) -> None:
    async def run(provider: DnsMadeEasyProvider) -> None:
        with pytest.raises(ProviderError) as info:
            await provider.list_rrsets(Zone("missing.test.", "dme", {}), [("a.missing.test.", "A")])
        assert not isinstance(info.value, TransientProviderError)
        assert "domain lookup in domain missing.test.: HTTP 404" in str(info.value)
        assert "domain_id" in str(info.value)

    with_provider(provider_factory, run)


def test_domain_of_another_account_is_not_found(
    fake: DnsMadeEasyFake, zone: Zone, provider_factory: ProviderFactory
) -> None:
    other_key, _ = fake.add_account()
    other = fake.add_domain("other.test", other_key)

    async def run(provider: DnsMadeEasyProvider) -> None:
        with pytest.raises(ProviderError, match="HTTP 404"):
            await provider.list_rrsets(
                Zone("other.test.", "dme", {"domain_id": other}), [("a.other.test.", "A")]
            )

    with_provider(provider_factory, run)


def test_domain_is_looked_up_once(
    fake: DnsMadeEasyFake, zone: Zone, provider_factory: ProviderFactory
) -> None:
    async def run(provider: DnsMadeEasyProvider) -> None:
        for _ in range(3):
            await provider.list_rrsets(zone, [(APP, "A")])

    with_provider(provider_factory, run)
    assert fake.count("domain-by-name") == 1


def test_connection_refused_is_transient(tmp_path: Path, key_files: tuple[Path, Path]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    options = DnsMadeEasyOptions(
        base_url=f"http://127.0.0.1:{port}/V2.0",
        api_key_file=key_files[0],
        secret_key_file=key_files[1],
    )
    provider = DnsMadeEasyProvider("dme", options, config_dir=tmp_path)

    async def run(provider: DnsMadeEasyProvider) -> None:
        with pytest.raises(TransientProviderError, match="connection failed"):
            await provider.list_rrsets(Zone("example.test.", "dme", {"domain_id": 1}), [(APP, "A")])

    with_provider(lambda: provider, run)


def test_missing_secret_names_the_variable(
    tmp_path: Path, key_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DME_SECRET", raising=False)
    options = DnsMadeEasyOptions(api_key_file=key_files[0], secret_key_env="DME_SECRET")
    provider = DnsMadeEasyProvider("dme", options, config_dir=tmp_path)

    async def run(provider: DnsMadeEasyProvider) -> None:
        with pytest.raises(SecretUnavailable, match=r"\$DME_SECRET"):
            await provider.list_rrsets(Zone("example.test.", "dme", {}), [(APP, "A")])

    with_provider(lambda: provider, run)


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"api_key_env": "A", "api_key_file": "f"}, "not both"),
        ({"reserve_requests": 100, "burst": 60}, "below request_limit"),
        ({"base_url": "ftp://example"}, "https://"),
        ({"base_url": "http://api.dnsmadeeasy.com/V2.0"}, "loopback"),
        ({"max_batchh": 5}, "Extra inputs"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        DnsMadeEasyOptions(**options)  # type: ignore[arg-type]
