"""Options of ``type: rfc2136`` through the real config loader, and TSIG key loading."""

from __future__ import annotations

import base64
import subprocess
from pathlib import Path

import pytest
from failover_sync_rfc2136 import RFC2136Options, RFC2136Provider
from failover_sync_rfc2136.options import TsigKeyError, load_tsig

from failover_sync.config.loader import ConfigError, load_config_text
from failover_sync.errors import ProviderError
from failover_sync.model import Zone
from failover_sync.testing.process import require_binary

SECRET = "d4I5AbH7uyUS5SXStX29url/dhfNPUSHCNBwY2Zi/Jc="
KEY_FILE = f'key "failover-sync" {{\n\talgorithm hmac-sha256;\n\tsecret "{SECRET}";\n}};\n'


def config(provider_block: str) -> str:
    return f"""
providers:
  bind: {provider_block}
zones:
  - {{name: example.test, provider: bind}}
records:
  app.example.test:
    type: A
    records: [{{value: 192.0.2.1}}, {{value: 192.0.2.2}}]
"""


def problems(provider_block: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config_text(config(provider_block))
    return [p.message for p in info.value.problems]


def test_the_design_example_validates(tmp_path: Path) -> None:
    path = tmp_path / "failover-sync.yaml"
    path.write_text(
        config("{type: rfc2136, server: 127.0.0.1, port: 5353, tsig_key_file: ./tsig.key}")
    )
    from failover_sync.config.loader import load_config

    loaded = load_config(path)
    options = loaded.providers["bind"].options
    assert isinstance(options, RFC2136Options)
    assert (options.server, options.port, options.read, options.timeout_seconds) == (
        "127.0.0.1",
        5353,
        "axfr",
        5.0,
    )
    provider = loaded.build_providers()["bind"]
    assert isinstance(provider, RFC2136Provider)
    assert provider.config_dir == tmp_path


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        (
            "{type: rfc2136, server: 127.0.0.1, tsig_key_file: k, tsig_name: a, "
            "tsig_secret_env: S}",
            "not both",
        ),
        ("{type: rfc2136, server: 127.0.0.1, tsig_name: a}", "go together"),
        ("{type: rfc2136, server: 127.0.0.1, tsig_secret_env: S}", "go together"),
        (
            "{type: rfc2136, server: 127.0.0.1, tsig_name: a, tsig_secret_env: S, "
            "tsig_algorithm: hmac-md5}",
            "Input should be",
        ),
        ("{type: rfc2136, server: 127.0.0.1, read: ixfr}", "Input should be"),
        ("{type: rfc2136, server: 127.0.0.1, port: 0}", "greater than or equal to 1"),
        ("{type: rfc2136, server: 127.0.0.1, timeout_seconds: 0}", "greater than 0"),
        ("{type: rfc2136, server: 127.0.0.1, tsig_secret: x}", "unknown key"),
        ("{type: rfc2136}", "Field required"),
        ("{type: rfc2136, server: ' '}", "address or a host name"),
    ],
)
def test_invalid_options_are_config_problems(block: str, expected: str) -> None:
    assert any(expected in message for message in problems(block))


def test_key_file_in_tsig_keygen_format(tmp_path: Path) -> None:
    (tmp_path / "tsig.key").write_text(KEY_FILE)
    options = RFC2136Options(server="127.0.0.1", tsig_key_file=Path("tsig.key"))
    tsig = load_tsig(options, tmp_path)
    assert tsig is not None
    assert (tsig.name.to_text(), tsig.algorithm.to_text()) == ("failover-sync.", "hmac-sha256.")
    assert SECRET not in repr(tsig)


def test_key_file_from_knot_keymgr(tmp_path: Path) -> None:
    """The real output of Knot's ``keymgr -t`` (the README suggests it) is a valid key file."""
    keymgr = require_binary("keymgr", "knot")
    text = subprocess.run(
        [keymgr, "-t", "failover-sync", "hmac-sha384"], check=True, capture_output=True, text=True
    ).stdout
    assert text.startswith("# hmac-sha384:failover-sync:")
    (tmp_path / "knot.key").write_text(text)
    options = RFC2136Options(server="127.0.0.1", tsig_key_file=Path("knot.key"))
    tsig = load_tsig(options, tmp_path)
    assert tsig is not None
    assert tsig.label == "failover-sync. (hmac-sha384)"
    secret = text.splitlines()[0].split(":")[2]
    assert tsig.keyring[tsig.name].secret == base64.b64decode(secret)


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TSIG_SECRET", SECRET)
    options = RFC2136Options(
        server="127.0.0.1",
        tsig_name="update-key",
        tsig_algorithm="hmac-sha512",
        tsig_secret_env="TSIG_SECRET",
    )
    tsig = load_tsig(options, tmp_path)
    assert tsig is not None
    assert tsig.label == "update-key. (hmac-sha512)"


def test_no_key_means_unsigned(tmp_path: Path) -> None:
    assert load_tsig(RFC2136Options(server="127.0.0.1"), tmp_path) is None


@pytest.mark.parametrize(
    ("content", "env", "expected"),
    [
        (None, None, "cannot read TSIG key file"),
        ("not a key\n", None, "neither in tsig-keygen format"),
        (KEY_FILE.replace("hmac-sha256", "hmac-md5"), None, "is not one of"),
        (KEY_FILE.replace(SECRET, SECRET[:-3] + "!!"), None, "neither in tsig-keygen format"),
        (
            "key:\n  - id: k\n    algorithm: hmac-sha256\n    secret: " + SECRET[:-3] + "!!\n",
            None,
            "nor in keymgr -t format",
        ),
        ("key:\n  - id: a\n  - id: b\n", None, "holds one key"),
        ("", "", "is not set"),
        ("", SECRET[:-3] + "!!", "not a base64 TSIG secret"),
    ],
)
def test_key_errors_are_clear_and_never_show_the_secret(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: str | None,
    env: str | None,
    expected: str,
) -> None:
    if env is None:
        if content is not None:
            (tmp_path / "tsig.key").write_text(content)
        options = RFC2136Options(server="127.0.0.1", tsig_key_file=Path("tsig.key"))
    else:
        monkeypatch.setenv("TSIG_SECRET", env)
        options = RFC2136Options(server="127.0.0.1", tsig_name="k", tsig_secret_env="TSIG_SECRET")
    with pytest.raises(TsigKeyError, match=expected) as info:
        load_tsig(options, tmp_path)
    assert SECRET[:20] not in str(info.value)
    # no chained dnspython or binascii error that might quote the input
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_provider_reports_a_key_error_as_permanent(tmp_path: Path) -> None:
    options = RFC2136Options(server="127.0.0.1", tsig_key_file=Path("missing.key"))
    provider = RFC2136Provider("bind", options, config_dir=tmp_path)
    with pytest.raises(ProviderError, match=r"missing\.key") as info:
        provider.tsig(Zone("example.test.", "bind"))
    assert info.value.zone == "example.test."
    assert "127.0.0.1:53" in repr(provider)
