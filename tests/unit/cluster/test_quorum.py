"""Quorum rules: required votes per rule and vantage count, decisions, standing verdicts,
the frozen brake, and the ``cluster:`` spec's validation."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from failover_sync.cluster.quorum import Quorum
from failover_sync.config.cluster_spec import ClusterSpec, required_votes


@pytest.mark.parametrize(
    ("rule", "configured", "required"),
    [
        ("majority", 1, 1),
        ("majority", 2, 2),
        ("majority", 3, 2),
        ("majority", 4, 3),
        ("majority", 5, 3),
        ("all", 3, 3),
        ("all", 5, 5),
        ("any", 3, 1),
        ("any", 5, 1),
        (2, 3, 2),
        (3, 3, 3),
        (1, 5, 1),
        (0.82, 3, 3),  # Route 53: unhealthy from 82 % of checkers
        (0.82, 10, 9),
        (0.5, 4, 2),
        (0.5, 3, 2),
        (0.6667, 3, 2),
        (1.0, 3, 3),
        (0.01, 3, 1),
    ],
)
def test_required_votes(rule: str | int | float, configured: int, required: int) -> None:
    assert required_votes(rule, configured) == required


@pytest.mark.parametrize(
    ("rule", "message"),
    [(0, "between 1 and 3"), (4, "between 1 and 3"), (0.0, "not in"), (1.5, "not in")],
)
def test_quorum_out_of_range_is_refused(rule: int | float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        required_votes(rule, 3)


V3 = ("fra", "iad", "sin")


@pytest.mark.parametrize(
    ("rule", "votes", "standing", "verdict", "decided"),
    [
        # majority of 3: two votes decide, one does not; what stood stays in between
        ("majority", {"fra": False}, True, True, False),
        ("majority", {"fra": False, "iad": False}, True, False, True),
        ("majority", {"fra": False, "iad": False, "sin": True}, True, False, True),
        ("majority", {"fra": True}, False, False, False),
        ("majority", {"fra": True, "iad": True}, False, True, True),
        ("majority", {"fra": True, "iad": False}, None, None, False),
        ("majority", {}, True, True, False),
        # votes of vantages that are not configured never count
        ("majority", {"fra": False, "xyz": False, "abc": False}, True, True, False),
        # all: one dissent keeps what stands
        ("all", {"fra": False, "iad": False, "sin": True}, True, True, False),
        ("all", {"fra": False, "iad": False, "sin": False}, True, False, True),
        # any: one vote decides unless another says the opposite
        ("any", {"fra": False}, True, False, True),
        ("any", {"fra": False, "iad": True}, True, True, False),
        ("any", {"fra": False, "iad": True}, False, False, False),
        # a count and a fraction
        (3, {"fra": False, "iad": False}, True, True, False),
        (0.82, {"fra": False, "iad": False, "sin": False}, True, False, True),
        (0.82, {"fra": True, "iad": True}, False, False, False),
    ],
)
def test_tally(
    rule: str | int | float,
    votes: dict[str, bool],
    standing: bool | None,
    verdict: bool | None,
    decided: bool,
) -> None:
    tally = Quorum(rule, V3).tally(votes, standing)
    assert (tally.verdict, tally.decided) == (verdict, decided)
    assert set(tally.unhealthy) == {v for v, ok in votes.items() if not ok and v in V3}


def test_removals_freeze_below_quorum_alive() -> None:
    quorum = Quorum("majority", V3)
    assert quorum.frozen({"fra", "iad", "sin"}) is None
    assert quorum.frozen({"fra", "iad"}) is None
    reason = quorum.frozen({"fra", "unknown"})
    assert reason == "only 1 of 3 vantages alive (fra); quorum is 2 of 3 (majority)"
    assert quorum.frozen(set()) is not None
    assert Quorum("any", V3).frozen({"sin"}) is None


def _spec(**cluster: object) -> dict[str, object]:
    return {"etcd": {"endpoints": ["http://127.0.0.1:2379"]}, "vantages": list(V3), **cluster}


def test_cluster_spec_defaults() -> None:
    spec = ClusterSpec.model_validate(_spec())
    assert spec.quorum == "majority"
    assert spec.lease_seconds == 10
    assert spec.writer is True
    assert spec.etcd.prefix == "/failover-sync/"
    assert ClusterSpec.model_validate(_spec(quorum=0.82)).quorum == 0.82
    assert ClusterSpec.model_validate(_spec(quorum=2)).quorum == 2


@pytest.mark.parametrize(
    ("cluster", "message"),
    [
        ({"quorum": 4}, "between 1 and 3"),
        ({"quorum": "most"}, "quorum"),
        ({"quorum": True}, "quorum"),
        ({"vantages": ["fra", "fra"]}, "each name may appear once"),
        ({"vantages": []}, "at least 1"),
        ({"vantages": ["bad name"]}, "pattern"),
        ({"lease_seconds": 1}, "greater than or equal to 2"),
        ({"etcd": {"endpoints": ["127.0.0.1:2379"]}}, "pattern"),
        ({"etcd": {"endpoints": ["http://127.0.0.1:2379"], "prefix": "fs"}}, "pattern"),
        (
            {"etcd": {"endpoints": ["http://127.0.0.1:2379"], "cert_file": "c.pem"}},
            "both cert_file and key_file",
        ),
        (
            {"etcd": {"endpoints": ["http://127.0.0.1:2379"], "username": "u"}},
            "both username and password_env",
        ),
        ({"leader": "fra"}, "Extra inputs"),
        ({"etcd": {}}, "exactly one of endpoints and endpoints_env"),
        (
            {"etcd": {"endpoints": ["http://127.0.0.1:2379"], "endpoints_env": "E"}},
            "exactly one of endpoints and endpoints_env",
        ),
    ],
)
def test_cluster_spec_problems(cluster: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ClusterSpec.model_validate(_spec(**cluster))


def test_endpoints_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from failover_sync.cluster import VantageError, open_vantage

    spec = ClusterSpec.model_validate(
        {"etcd": {"endpoints_env": "ETCD_ENDPOINTS"}, "vantages": list(V3)}
    )
    monkeypatch.delenv("ETCD_ENDPOINTS", raising=False)
    with pytest.raises(VantageError, match="ETCD_ENDPOINTS is not set"):
        open_vantage(spec, owner_id="o", vantage="fra", targets=())
    monkeypatch.setenv("ETCD_ENDPOINTS", "http://127.0.0.1:2379, http://127.0.0.1:22379")
    vantage = open_vantage(spec, owner_id="o", vantage="fra", targets=())
    assert vantage.node.session.endpoints == ["http://127.0.0.1:2379", "http://127.0.0.1:22379"]
    with pytest.raises(VantageError, match=r"not one of cluster\.vantages"):
        open_vantage(spec, owner_id="o", vantage="xyz", targets=())
    monkeypatch.setenv("ETCD_ENDPOINTS", "http://127.0.0.1:2379,https://127.0.0.1:2380")
    with pytest.raises(VantageError, match="mix http:// and https://"):
        open_vantage(spec, owner_id="o", vantage="fra", targets=())


def test_tls_config_mistakes_name_the_key(tmp_path: Path) -> None:
    from failover_sync.cluster import VantageError, open_vantage

    def spec(**etcd: object) -> ClusterSpec:
        return ClusterSpec.model_validate(
            {"etcd": {"endpoints": ["https://127.0.0.1:2379"], **etcd}, "vantages": ["a"]}
        )

    with pytest.raises(ValidationError, match="ca_file is set but the endpoints are http://"):
        ClusterSpec.model_validate(
            {
                "etcd": {"endpoints": ["http://127.0.0.1:2379"], "ca_file": "ca.pem"},
                "vantages": ["a"],
            }
        )
    with pytest.raises(ValidationError, match="mix http:// and https://"):
        ClusterSpec.model_validate(
            {
                "etcd": {"endpoints": ["http://127.0.0.1:1", "https://127.0.0.1:2"]},
                "vantages": ["a"],
            }
        )
    missing = tmp_path / "missing.pem"
    with pytest.raises(VantageError, match=r"cluster\.etcd\.ca_file: cannot read .*missing\.pem"):
        open_vantage(spec(ca_file=str(missing)), owner_id="o", vantage="a", targets=())
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")
    cert = tmp_path / "cert.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    with pytest.raises(VantageError, match=r"cluster\.etcd\.key_file: .* holds no PEM block"):
        open_vantage(
            spec(cert_file=str(cert), key_file=str(garbage)),
            owner_id="o",
            vantage="a",
            targets=(),
        )
