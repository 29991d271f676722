"""The 3-vantage Kubernetes example: one Deployment per configured vantage, each naming its
vantage and reading the etcd endpoints from a Secret, and a config whose cluster: key is
valid."""

from __future__ import annotations

from pathlib import Path

import yaml

from failover_sync.config.cluster_spec import ClusterSpec

K8S = Path(__file__).resolve().parents[3] / "terraform" / "kubernetes" / "cluster"


def test_one_deployment_per_vantage_with_endpoints_from_a_secret() -> None:
    configmap = yaml.safe_load((K8S / "configmap.yaml").read_text())
    config = yaml.safe_load(configmap["data"]["failover-sync.yaml"])
    spec = ClusterSpec.model_validate(config["cluster"])
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    deployments = [r for r in kustomization["resources"] if r.startswith("deployment-")]
    assert sorted(deployments) == sorted(f"deployment-{v}.yaml" for v in spec.vantages)
    for vantage in spec.vantages:
        deployment = yaml.safe_load((K8S / f"deployment-{vantage}.yaml").read_text())
        assert deployment["spec"]["replicas"] == 1
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in container["env"]}
        assert env["FAILOVER_SYNC_VANTAGE"]["value"] == vantage
        secret = env[spec.etcd.endpoints_env or ""]["valueFrom"]["secretKeyRef"]
        assert secret == {"name": "failover-sync-etcd", "key": "endpoints"}
        volumes = deployment["spec"]["template"]["spec"]["volumes"]
        assert {"name": "config", "configMap": {"name": "failover-sync-cluster"}} in volumes
