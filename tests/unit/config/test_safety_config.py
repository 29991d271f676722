"""Config keys of the safety layer: owner_id, fractions, canaries, hold_down_seconds, adopt."""

from __future__ import annotations

import pytest

from failover_sync.cli.verbs import build_controller
from failover_sync.config.loader import ConfigError, load_config_text
from failover_sync.plan.guards import BlastRadiusGuard, OwnershipGuard, PartitionGuard

HEAD = """\
providers:
  local: {type: zonefile, directory: ./zones}
zones:
  - {name: example.com, provider: local}
defaults:
  hold_down_seconds: 120
  health_check: {port: 80, interval_seconds: 10, request_timeout_seconds: 2}
"""
RECORDS = """\
records:
  app.example.com:
    type: A
    adopt: true
    records: [{value: 192.0.2.1}, {value: 192.0.2.2}]
  api.example.com:
    type: A
    hold_down_seconds: 5
    records: [{value: 192.0.2.3}]
"""


def test_safety_keys_resolve() -> None:
    config = load_config_text(
        HEAD
        + "owner_id: blue\nmax_change_fraction: 0.25\nmax_unhealthy_fraction: 0.75\n"
        + "canaries:\n  - {value: 192.0.2.53, health_check: {protocol: TCP, port: 443}}\n"
        + "  - {value: api.provider.example}\n"
        + "  - {value: '2001:DB8::1'}\n"
        + RECORDS
    )
    app, api = config.records
    assert (app.adopt, app.hold_down_seconds) == (True, 120)
    assert (api.adopt, api.hold_down_seconds) == (False, 5)
    first, second, third = config.canaries
    assert third.value == "2001:db8::1"
    assert (first.value, first.check.protocol, first.check.port) == ("192.0.2.53", "TCP", 443)
    assert (second.value, second.check.interval_seconds) == ("api.provider.example", 10)
    guards = build_controller(config, dry_run=True, force=True).guards.guards
    owner = next(g for g in guards if isinstance(g, OwnershipGuard))
    blast = next(g for g in guards if isinstance(g, BlastRadiusGuard))
    partition = next(g for g in guards if isinstance(g, PartitionGuard))
    assert (owner.owner_id, blast.max_fraction, blast.force) == ("blue", 0.25, True)
    assert partition.detector.max_unhealthy_fraction == 0.75
    assert len(partition.detector.canaries) == 3


def test_safety_defaults() -> None:
    config = load_config_text(HEAD + RECORDS)
    assert (config.owner_id, config.max_change_fraction) == ("default", 0.5)
    assert (config.max_unhealthy_fraction, config.canaries) == (0.5, ())


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("max_change_fraction: 1.5\n", "max_change_fraction"),
        ("max_unhealthy_fraction: 0\n", "max_unhealthy_fraction"),
        ("owner_id: 'has space'\n", "owner_id"),
        ("canaries: [{value: 'not a host'}]\n", "canaries[0].value"),
        (
            "canaries: [{value: 192.0.2.1, health_check: {port: 0}}]\n",
            "canaries[0].health_check.port",
        ),
        ("canaries: [{value: 192.0.2.1, colour: red}]\n", "canaries[0].colour: unknown key"),
        (
            "canaries: [{value: 192.0.2.1, health_check: {interval_seconds: 1}}]\n",
            "canaries[0].health_check.request_timeout_seconds",
        ),
    ],
)
def test_bad_safety_keys_are_reported_with_their_path(extra: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(HEAD + extra + RECORDS)
    assert expected in info.value.render()


def test_bad_hold_down_is_reported() -> None:
    with pytest.raises(ConfigError) as info:
        load_config_text(HEAD + RECORDS.replace("hold_down_seconds: 5", "hold_down_seconds: -1"))
    assert 'records["api.example.com"].hold_down_seconds' in info.value.render()
