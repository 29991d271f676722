"""Credentials: an ``.edgerc`` section or ``*_env`` variables, never config keys; errors name
the file, section, key or variable and never a value; a refused signature is permanent; the
signing library's debug logging never shows a secret."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from failover_sync_akamai import AkamaiOptions, AkamaiProvider
from pydantic import ValidationError

from failover_sync import ProviderError, SecretUnavailable, TransientProviderError, Zone
from providers.akamai.tests.akfake import AkamaiFake, Client, Fault
from providers.akamai.tests.akhelpers import ProviderFactory, write_edgerc

APP = "app.example.test."


def read(provider: AkamaiProvider, zone: Zone) -> object:
    async def run() -> object:
        try:
            return await provider.list_rrsets(zone, [(APP, "A")])
        finally:
            await provider.aclose()

    return asyncio.run(run())


def test_credentials_from_env_variables(
    fake: AkamaiFake, client: Client, zone: Zone, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AK_CT", client.client_token)
    monkeypatch.setenv("AK_CS", client.client_secret)
    monkeypatch.setenv("AK_AT", client.access_token)
    options = AkamaiOptions(
        base_url=fake.base_url,
        client_token_env="AK_CT",
        client_secret_env="AK_CS",
        access_token_env="AK_AT",
    )
    assert read(AkamaiProvider("ak", options, config_dir=tmp_path), zone) == []


def test_edgerc_section_other_than_default(
    fake: AkamaiFake, client: Client, zone: Zone, tmp_path: Path
) -> None:
    path = write_edgerc(tmp_path / "rc", client, host="h.test", section="dns")
    options = AkamaiOptions(base_url=fake.base_url, edgerc=Path("rc"), section="dns")
    assert read(AkamaiProvider("ak", options, config_dir=tmp_path), zone) == []
    assert path.exists()


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"client_secret": "s"}, "Extra inputs are not permitted"),
        ({"edgerc": "rc", "client_token_env": "A"}, "not both"),
        ({"client_token_env": "A", "client_secret_env": "B"}, "access_token_env"),
        (
            {"client_token_env": "A", "client_secret_env": "B", "access_token_env": "C"},
            "host_env or base_url",
        ),
        ({"base_url": "http://127.0.0.1:1/config-dns/v2"}, "base_url"),
    ],
)
def test_invalid_options_are_refused(options: dict[str, str], needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        AkamaiOptions(**options)  # type: ignore[arg-type]


def test_missing_edgerc_file_section_and_key(
    fake: AkamaiFake, client: Client, zone: Zone, tmp_path: Path
) -> None:
    def fails(options: AkamaiOptions) -> str:
        with pytest.raises(SecretUnavailable) as info:
            read(AkamaiProvider("ak", options, config_dir=tmp_path), zone)
        return str(info.value)

    assert str(tmp_path / "absent") in fails(AkamaiOptions(edgerc=tmp_path / "absent"))
    write_edgerc(tmp_path / "rc", client, host="h.test")
    assert "no section [dns]" in fails(AkamaiOptions(edgerc=Path("rc"), section="dns"))
    (tmp_path / "partial").write_text(f"[default]\nclient_token = {client.client_token}\n")
    message = fails(AkamaiOptions(edgerc=Path("partial")))
    assert "no client_secret, access_token, host" in message
    assert client.client_token not in message
    (tmp_path / "broken").write_text(f"client_secret = {client.client_secret}\n[x\n")
    message = fails(AkamaiOptions(edgerc=Path("broken")))
    assert "cannot parse" in message
    assert client.client_secret not in message


def test_missing_env_variable_is_named(zone: Zone, tmp_path: Path) -> None:
    options = AkamaiOptions(
        client_token_env="AK_NONE_1",
        client_secret_env="AK_NONE_2",
        access_token_env="AK_NONE_3",
        host_env="AK_NONE_4",
    )
    with pytest.raises(SecretUnavailable, match=r"\$AK_NONE_1"):
        read(AkamaiProvider("ak", options, config_dir=tmp_path), zone)


def test_bad_signature_is_a_permanent_error_without_secrets(
    fake: AkamaiFake, client: Client, zone: Zone, tmp_path: Path
) -> None:
    wrong = Client(client.client_token, "wrong-secret-value", client.access_token)
    write_edgerc(tmp_path / "rc", wrong, host="h.test")
    provider = AkamaiProvider(
        "ak", AkamaiOptions(base_url=fake.base_url, edgerc=Path("rc")), config_dir=tmp_path
    )
    with pytest.raises(ProviderError) as info:
        read(provider, zone)
    assert not isinstance(info.value, TransientProviderError)
    message = str(info.value)
    assert "HTTP 401" in message
    assert "signature" in message
    for secret in (client.client_token, client.access_token, "wrong-secret-value"):
        assert secret not in message


def test_forbidden_names_the_grant(
    fake: AkamaiFake, provider_factory: ProviderFactory, zone: Zone
) -> None:
    fake.fail_next(Fault(403, "Forbidden", operation="get-zones-zone-recordsets"))
    with pytest.raises(ProviderError, match="DNS zone record management grant"):
        read(provider_factory(), zone)


def test_signing_logs_no_secret_at_debug_level(
    provider_factory: ProviderFactory, client: Client, zone: Zone, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        assert read(provider_factory(), zone) == []
    text = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (client.client_token, client.client_secret, client.access_token):
        assert secret not in text
