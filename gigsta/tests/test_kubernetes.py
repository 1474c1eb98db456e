"""deploy/kubernetes renders with kustomize (`kubectl kustomize`), every resource is valid against
the Kubernetes schemas (kubernetes-validate, strict), and every setting in .env.example reaches
the pods through the ConfigMap or the Secret, or is named below as not for Kubernetes."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
KUBERNETES = ROOT / "deploy" / "kubernetes"
VERSION = "1.32.0"  # the oldest Kubernetes these manifests are for (the preStop sleep action needs 1.30)
# .env.example's variables that mean nothing on Kubernetes, and why.
NOT_FOR_KUBERNETES = {
    "SQLITE_PATH": "several pods need PostgreSQL (DATABASE_URL)",
    "POSTGRES_PASSWORD": "compose's bundled db service; managed PostgreSQL here",
    "TLS_DOMAINS": "compose's certbot; the ingress and cert-manager here",
    "TLS_EMAIL": "compose's certbot",
    "TLS_STAGING": "compose's certbot",
    "GIGSTA_TAG": "compose's image tag; the overlay's `images` here",
    "BACKUP_RETENTION_DAYS": "compose's backup service; managed PostgreSQL keeps its own backups",
    "BACKUP_TIME": "compose's backup service",
}


def env_names(path: Path) -> set[str]:
    return set(re.findall(r"^([A-Z0-9_]+)=", path.read_text(), flags=re.M))


@pytest.fixture(scope="module", params=["base", "overlays/production"])
def rendered(request) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        why = "kubectl is not installed (Debian: apt-get install kubernetes-client); .ci/run installs it"
        if os.environ.get("CI"):  # CI must render and validate the manifests, never pass without them
            pytest.fail(why)
        pytest.skip(why)
    result = subprocess.run(
        [kubectl, "kustomize", str(KUBERNETES / request.param)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


def of_kind(resources: list[dict], kind: str) -> list[dict]:
    return [r for r in resources if r["kind"] == kind]


def pod_specs(resources: list[dict]) -> dict[str, dict]:
    specs = {}
    for resource in resources:
        spec = resource.get("spec", {})
        if resource["kind"] == "CronJob":
            spec = spec["jobTemplate"]["spec"]
        if "template" in spec:
            specs[resource["metadata"]["name"]] = spec["template"]["spec"]
    return specs


def test_every_resource_is_valid_against_the_kubernetes_schemas(rendered):
    for resource in rendered:
        kubernetes_validate.validate(resource, VERSION, strict=True)  # raises on the first error
    kinds = {r["kind"] for r in rendered}
    expected = {"Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job", "CronJob"}
    assert expected | {"ConfigMap", "ServiceAccount"} <= kinds


def test_an_invalid_resource_is_refused():
    broken = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": "two"}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)


def test_every_setting_reaches_the_pods(rendered):
    configured = set(of_kind(rendered, "ConfigMap")[0]["data"])
    secret = env_names(KUBERNETES / "secrets.env.example")
    documented = env_names(ROOT / ".env.example")
    missing = documented - configured - secret - set(NOT_FOR_KUBERNETES)
    assert not missing, f"wire these into deploy/kubernetes (settings.env or secrets.env.example): {sorted(missing)}"
    assert not configured & secret, f"secrets in the ConfigMap: {sorted(configured & secret)}"
    unknown = configured - documented - {"PROMETHEUS_MULTIPROC_DIR"}
    assert not unknown, f"the ConfigMap sets what GigSta does not read: {sorted(unknown)}"
    for name, spec in pod_specs(rendered).items():
        for container in spec["containers"]:
            sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
            assert sources == {of_kind(rendered, "ConfigMap")[0]["metadata"]["name"], "gigsta-secrets"}, name


def test_every_pod_runs_as_a_non_root_user_without_capabilities_and_with_limits(rendered):
    specs = pod_specs(rendered)
    assert set(specs) == {"gigsta-web", "gigsta-worker", "gigsta-migrate", "gigsta-timers"}
    for name, spec in specs.items():
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["automountServiceAccountToken"] is False, name
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name


def test_web_pods_are_probed_scaled_and_protected_from_disruption(rendered):
    web = next(r for r in of_kind(rendered, "Deployment") if r["metadata"]["name"] == "gigsta-web")
    container = web["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    labels = web["spec"]["template"]["metadata"]["labels"]
    (autoscaler,) = of_kind(rendered, "HorizontalPodAutoscaler")
    assert autoscaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "gigsta-web"}
    assert autoscaler["spec"]["minReplicas"] >= 2
    (budget,) = of_kind(rendered, "PodDisruptionBudget")
    assert budget["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert budget["spec"]["minAvailable"] < autoscaler["spec"]["minReplicas"], "a drain could never evict a pod"
    (service,) = of_kind(rendered, "Service")
    assert service["spec"]["selector"].items() <= labels.items()


def test_commands_are_the_ones_compose_runs(rendered):
    specs = pod_specs(rendered)
    assert specs["gigsta-worker"]["containers"][0]["command"][:3] == ["python", "manage.py", "db_worker"]
    assert specs["gigsta-timers"]["containers"][0]["command"] == ["python", "manage.py", "run_timers"]
    assert "manage.py migrate --noinput" in specs["gigsta-migrate"]["containers"][0]["command"][-1]
    (timers,) = of_kind(rendered, "CronJob")
    assert timers["spec"]["schedule"] == "* * * * *"
    assert timers["spec"]["concurrencyPolicy"] == "Forbid"
