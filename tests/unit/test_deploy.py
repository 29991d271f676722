"""The deployment files agree with the code and the docs: configs validate, probes hit the
real endpoints, and the ECS task role is the Route 53 README's least-privilege policy."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import hcl2
import yaml

from failover_sync.config.loader import load_config_text

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "terraform" / "kubernetes"


def _unquote(value: Any) -> Any:
    """python-hcl2 keeps the quotes of string literals: ``'"Allow"'`` -> ``'Allow'``."""
    if isinstance(value, str):
        return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value
    if isinstance(value, list):
        return [_unquote(v) for v in value]
    if isinstance(value, dict):
        return {_unquote(k): _unquote(v) for k, v in value.items()}
    return value


def _statements(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = list(document.get("statement", []))
    for dynamic in document.get("dynamic", []):
        found += dynamic["statement"]["content"]
    return {s["sid"]: s for s in found}


def test_ecs_task_role_is_the_route53_readme_policy() -> None:
    readme = (ROOT / "providers" / "route53" / "README.md").read_text()
    block = re.search(r"## Least-privilege IAM policy.*?```json\n(.*?)```", readme, re.S)
    assert block is not None
    documented = {s["Sid"]: s for s in json.loads(block[1])["Statement"]}
    find = re.search(r'`(\{"Sid": "FindZoneByName".*?\})`', readme, re.S)
    assert find is not None
    documented["FindZoneByName"] = json.loads(find[1].replace("\n", " "))

    with (ROOT / "terraform" / "aws-ecs" / "iam.tf").open() as handle:
        data = _unquote(hcl2.load(handle))["data"]
    route53 = next(d["aws_iam_policy_document"]["route53"] for d in data if "route53" in str(d))
    built = _statements(route53)

    assert built.keys() == documented.keys()
    for sid, doc in documented.items():
        assert built[sid]["actions"] == [doc["Action"]], sid
        assert built[sid]["effect"] == doc["Effect"], sid
        conditions = {
            (c["test"], c["variable"]): c["values"] for c in built[sid].get("condition", [])
        }
        expected = {
            (test, key): values
            for test, keys in doc.get("Condition", {}).items()
            for key, values in keys.items()
        }
        assert conditions.keys() == expected.keys(), sid
        if ("ForAllValues:StringEquals", "route53:ChangeResourceRecordSetsActions") in expected:
            assert conditions[
                ("ForAllValues:StringEquals", "route53:ChangeResourceRecordSetsActions")
            ] == ["CREATE", "UPSERT"]


NAMES_KEY = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
TYPES_KEY = "route53:ChangeResourceRecordSetsRecordTypes"
ACTIONS_KEY = "route53:ChangeResourceRecordSetsActions"


def _readme_write_condition() -> dict[str, list[str]]:
    readme = (ROOT / "providers" / "route53" / "README.md").read_text()
    block = re.search(r"## Least-privilege IAM policy.*?```json\n(.*?)```", readme, re.S)
    assert block is not None
    statements = {s["Sid"]: s for s in json.loads(block[1])["Statement"]}
    condition = statements["WriteManagedRecordsOnly"]["Condition"]["ForAllValues:StringEquals"]
    return {k: list(v) for k, v in condition.items()}


def test_readme_iam_policy_grants_the_ownership_markers() -> None:
    """The first apply writes each name and its marker ``_failover-sync.<name>`` TXT in one
    change batch, with CREATE for RRsets read as absent: the policy must allow all of it."""
    condition = _readme_write_condition()
    names = condition[NAMES_KEY]
    managed = [n for n in names if not n.startswith("_failover-sync.")]
    assert managed
    assert sorted(names) == sorted(managed + [f"_failover-sync.{n}" for n in managed])
    assert "TXT" in condition[TYPES_KEY]
    assert {"A", "AAAA"} <= set(condition[TYPES_KEY])
    assert condition[ACTIONS_KEY] == ["CREATE", "UPSERT"]


def _flatten_with_markers(names: list[str]) -> list[str]:
    """What ``flatten([for n in names : [n, "_failover-sync.${n}"]])`` is in Terraform."""
    return [item for n in names for item in (n, f"_failover-sync.{n}")]


def test_ecs_task_role_grants_the_ownership_markers() -> None:
    """The task role's name and type conditions are the locals that add the markers and TXT;
    evaluated on the README's managed names they give exactly the README's lists."""
    with (ROOT / "terraform" / "aws-ecs" / "iam.tf").open() as handle:
        parsed = _unquote(hcl2.load(handle))
    (local_block,) = parsed["locals"]
    assert local_block["record_names_with_markers"] == (
        '${flatten([for n in var.managed_record_names : [n, "_failover-sync.${n}"]])}'
    )
    assert local_block["record_types_with_marker"] == (
        '${distinct(concat(var.record_types, ["TXT"]))}'
    )
    route53 = next(
        d["aws_iam_policy_document"]["route53"] for d in parsed["data"] if "route53" in str(d)
    )
    write = _statements(route53)["WriteManagedRecordsOnly"]
    values = {c["variable"]: c["values"] for c in write["condition"]}
    assert values[NAMES_KEY] == "${local.record_names_with_markers}"
    assert values[TYPES_KEY] == "${local.record_types_with_marker}"
    assert values[ACTIONS_KEY] == ["CREATE", "UPSERT"]
    readme = _readme_write_condition()
    managed = [n for n in readme[NAMES_KEY] if not n.startswith("_failover-sync.")]
    assert _flatten_with_markers(managed) == readme[NAMES_KEY]


def test_configs_shipped_with_the_deployments_validate() -> None:
    configmap = yaml.safe_load((K8S / "configmap.yaml").read_text())
    assert load_config_text(configmap["data"]["failover-sync.yaml"]).records
    example = ROOT / "terraform" / "aws-ecs" / "examples" / "basic" / "failover-sync.yaml"
    assert load_config_text(example.read_text()).records


def test_kubernetes_probes_and_commands() -> None:
    deployment = yaml.safe_load((K8S / "deployment.yaml").read_text())
    assert deployment["spec"]["replicas"] == 1  # no leader election yet
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["args"][:3] == ["run", "--metrics-addr", "0.0.0.0:9100"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    cronjob = yaml.safe_load((K8S / "cronjob.yaml").read_text())
    job = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert job["args"][:2] == ["run", "--once"]
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert "cronjob.yaml" not in kustomization["resources"]  # never two writers
