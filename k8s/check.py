#!/usr/bin/env python3
"""Renders every kustomize overlay in k8s/overlays/, validates each resource
against the Kubernetes API schemas, and checks the hardening rules every pod
of this project keeps, so that no manifest can silently drop them.

    python3 k8s/check.py [--kubectl PATH] [--out DIR] [--self-test]

Needs kubectl (for `kubectl kustomize`), PyYAML and kubernetes-validate
(PyPI), bash and openssl. The overlays' secrets/ folders are git-ignored, so
each overlay is rendered from a temporary copy of k8s/ whose secrets are
made afresh by k8s/secrets.sh; the real secrets/ folders are never read.

Rules, for every container of every pod template (Deployment, StatefulSet,
DaemonSet, ReplicaSet, Job, CronJob, Pod):
  - livenessProbe, readinessProbe and startupProbe are set; a gRPC
    readinessProbe names the service's own health service (not "");
  - resources.requests and resources.limits both give cpu and memory;
  - runAsNonRoot is true (container or pod) and runAsUser is not 0;
  - readOnlyRootFilesystem is true, allowPrivilegeEscalation is false,
    privileged is not true;
  - capabilities drop ALL and add none;
  - seccompProfile is RuntimeDefault (container or pod);
and for every pod: automountServiceAccountToken is false, no host
namespaces, terminationGracePeriodSeconds longer than the container's
DRAIN_DELAY. Each namespace has a default-deny NetworkPolicy (ingress and
egress), and each Deployment has a PodDisruptionBudget and a
HorizontalPodAutoscaler.

The manifests match the list of services at the repo root (`services`):
each service has its Deployment and a Service of its name on its port, and
no Deployment is missing from the list. Each service's Deployment gets
AMQP_URL (its events broker; without it events wait in the outbox) from a
Secret, never from a ConfigMap or a literal value: it carries a password.

--self-test breaks a rendered overlay in each of these ways, one at a time,
and fails unless the check catches every one.

Exits 0 when everything passes, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import argparse
import copy
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable

import yaml

K8S_DIR = Path(__file__).resolve().parent
# Name, port, database, public: one service a line (k8s/secrets.sh reads it too).
SERVICES_FILE = K8S_DIR.parent / "services"
# The oldest Kubernetes these manifests support, and the newest schemas the
# pinned kubernetes-validate knows: each resource must be valid on both.
KUBERNETES_VERSIONS = ["1.30", "1.37"]

POD_TEMPLATE_PATHS = {
    "Deployment": ["spec", "template", "spec"],
    "StatefulSet": ["spec", "template", "spec"],
    "DaemonSet": ["spec", "template", "spec"],
    "ReplicaSet": ["spec", "template", "spec"],
    "Job": ["spec", "template", "spec"],
    "CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
    "Pod": ["spec"],
}

Doc = dict[str, Any]


def name_of(doc: Doc) -> str:
    return f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"


def dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


# ---------------------------------------------------------------- rendering


def render(overlay: str, kubectl: str) -> list[Doc]:
    """`kubectl kustomize` of one overlay, with throwaway secrets."""
    with tempfile.TemporaryDirectory(prefix="shop-k8s-") as tmp:
        copy_dir = Path(tmp) / "k8s"
        shutil.copytree(K8S_DIR, copy_dir, ignore=shutil.ignore_patterns("secrets", "__pycache__"))
        # secrets.sh reads the list of services beside k8s/.
        shutil.copy(SERVICES_FILE, Path(tmp) / "services")
        made = subprocess.run(
            ["bash", str(copy_dir / "secrets.sh"), overlay],
            capture_output=True,
            text=True,
        )
        if made.returncode != 0:
            raise SystemExit(f"k8s: {overlay}: secrets.sh failed:\n{made.stderr}")
        rendered = subprocess.run(
            [kubectl, "kustomize", str(copy_dir / "overlays" / overlay)],
            capture_output=True,
            text=True,
        )
        if rendered.returncode != 0:
            raise SystemExit(f"k8s: {overlay}: kubectl kustomize failed:\n{rendered.stderr}")
    return [doc for doc in yaml.safe_load_all(rendered.stdout) if doc]


# --------------------------------------------------------------- validation


def validate_schemas(docs: list[Doc]) -> list[str]:
    """Strict schema validation (unknown fields are errors, and so is a kind
    without a schema) against each supported Kubernetes version."""
    import kubernetes_validate

    errors = []
    for doc in docs:
        for version in KUBERNETES_VERSIONS:
            try:
                kubernetes_validate.validate(doc, version, strict=True)
            except kubernetes_validate.ValidationError as e:
                path = ".".join(str(p) for p in e.path)
                errors.append(f"{name_of(doc)}: not valid on Kubernetes {version}: {path}: {e.message}")
            except kubernetes_validate.SchemaNotFoundError as e:
                errors.append(f"{name_of(doc)}: no schema on Kubernetes {version}: {e.message}")
    return errors


# ---------------------------------------------------------------- hardening


def parse_duration(text: str) -> float:
    """The services' duration syntax: 250ms, 5s, 2m, 1h, 0."""
    text = str(text).strip()
    if text == "0":
        return 0.0
    match = re.fullmatch(r"(\d+)(ms|s|m|h)", text)
    if not match:
        raise ValueError(f"{text!r} is not a duration")
    number, unit = int(match[1]), match[2]
    return number * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]


def container_env(container: Doc, config_maps: dict[str, Doc]) -> dict[str, str]:
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        ref = dig(source, "configMapRef", "name")
        if ref and ref in config_maps:
            env.update({k: str(v) for k, v in (config_maps[ref].get("data") or {}).items()})
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
    return env


def check_container(
    where: str,
    container: Doc,
    pod: Doc,
    is_init: bool,
    config_maps: dict[str, Doc],
) -> list[str]:
    errors = []
    where = f"{where} container {container.get('name')}"

    def fail(message: str) -> None:
        errors.append(f"{where}: {message}")

    # Probes (init containers run to completion and take none, unless they
    # are sidecars: restartPolicy Always).
    if not is_init or container.get("restartPolicy") == "Always":
        for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
            if not container.get(probe):
                fail(f"{probe} is missing")
        grpc = dig(container, "readinessProbe", "grpc")
        if isinstance(grpc, dict) and not grpc.get("service"):
            fail("the gRPC readinessProbe must name the service's own health service (grpc.service)")

    resources = container.get("resources") or {}
    for kind in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if not dig(resources, kind, resource):
                fail(f"resources.{kind}.{resource} is missing")

    own = container.get("securityContext") or {}
    pod_context = pod.get("securityContext") or {}

    def effective(key: str) -> Any:
        return own[key] if key in own else pod_context.get(key)

    if effective("runAsNonRoot") is not True:
        fail("securityContext.runAsNonRoot must be true (in the container or the pod)")
    if effective("runAsUser") == 0:
        fail("securityContext.runAsUser must not be 0")
    if own.get("readOnlyRootFilesystem") is not True:
        fail("securityContext.readOnlyRootFilesystem must be true (mount an emptyDir where it writes)")
    if own.get("allowPrivilegeEscalation") is not False:
        fail("securityContext.allowPrivilegeEscalation must be false")
    if own.get("privileged") is True:
        fail("securityContext.privileged must not be true")
    capabilities = own.get("capabilities") or {}
    if "ALL" not in (capabilities.get("drop") or []):
        fail('securityContext.capabilities.drop must contain "ALL"')
    if capabilities.get("add"):
        fail(f"securityContext.capabilities.add must be empty, not {capabilities['add']}")
    seccomp = effective("seccompProfile") or {}
    if seccomp.get("type") != "RuntimeDefault":
        fail("securityContext.seccompProfile.type must be RuntimeDefault (in the container or the pod)")

    drain = container_env(container, config_maps).get("DRAIN_DELAY")
    if drain is not None:
        grace = pod.get("terminationGracePeriodSeconds", 30)
        try:
            if not grace > parse_duration(drain):
                fail(f"terminationGracePeriodSeconds ({grace}) must be longer than DRAIN_DELAY ({drain})")
        except ValueError as e:
            fail(f"DRAIN_DELAY: {e}")
    return errors


def selects(selector: Doc | None, labels: dict[str, str]) -> bool:
    """Whether a label selector (matchLabels and matchExpressions) matches."""
    if not selector:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression["key"], expression["operator"], expression.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def check_hardening(docs: list[Doc]) -> tuple[list[str], int]:
    """Every rule of the module docstring. Returns the problems and how many
    containers were checked."""
    errors: list[str] = []
    checked = 0
    config_maps = {doc["metadata"]["name"]: doc for doc in docs if doc.get("kind") == "ConfigMap"}

    for doc in docs:
        path = POD_TEMPLATE_PATHS.get(doc.get("kind"))
        if path is None:
            continue
        pod = dig(doc, *path) or {}
        where = name_of(doc)
        if pod.get("automountServiceAccountToken") is not False:
            errors.append(f"{where}: automountServiceAccountToken must be false")
        for host in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(host):
                errors.append(f"{where}: {host} must not be true")
        for key, is_init in (("initContainers", True), ("containers", False)):
            for container in pod.get(key) or []:
                errors += check_container(where, container, pod, is_init, config_maps)
                checked += 1
        if not pod.get("containers"):
            errors.append(f"{where}: has no containers")

    # A default deny in each namespace that has workloads.
    namespaces = {doc["metadata"].get("namespace", "default") for doc in docs if doc.get("kind") in POD_TEMPLATE_PATHS}
    for namespace in sorted(namespaces):
        denies = [
            doc
            for doc in docs
            if doc.get("kind") == "NetworkPolicy"
            and doc["metadata"].get("namespace", "default") == namespace
            and dig(doc, "spec", "podSelector") == {}
            and set(dig(doc, "spec", "policyTypes") or []) == {"Ingress", "Egress"}
            and not dig(doc, "spec", "ingress")
            and not dig(doc, "spec", "egress")
        ]
        if not denies:
            errors.append(
                f"namespace {namespace}: no default-deny NetworkPolicy "
                "(podSelector {}, policyTypes Ingress and Egress, no rules)"
            )

    # Each Deployment: a PodDisruptionBudget over its pods and an autoscaler.
    for doc in docs:
        if doc.get("kind") != "Deployment":
            continue
        labels = dig(doc, "spec", "template", "metadata", "labels") or {}
        name = doc["metadata"]["name"]
        if not any(d.get("kind") == "PodDisruptionBudget" and selects(dig(d, "spec", "selector"), labels) for d in docs):
            errors.append(f"{name_of(doc)}: no PodDisruptionBudget selects its pods")
        if not any(
            d.get("kind") == "HorizontalPodAutoscaler"
            and d.get("apiVersion") == "autoscaling/v2"
            and dig(d, "spec", "scaleTargetRef", "kind") == "Deployment"
            and dig(d, "spec", "scaleTargetRef", "name") == name
            for d in docs
        ):
            errors.append(f"{name_of(doc)}: no autoscaling/v2 HorizontalPodAutoscaler targets it")
    return errors, checked


# ----------------------------------------------------------------- services


def services() -> dict[str, int]:
    """The list of services: name -> port."""
    listed = {}
    for line in SERVICES_FILE.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, port, *_ = line.split()
            listed[name] = int(port)
    return listed


def check_services(docs: list[Doc], listed: dict[str, int]) -> list[str]:
    """Each listed service has its Deployment and a Service on its port;
    each Deployment is a listed service."""
    errors = []
    deployments = {doc["metadata"]["name"] for doc in docs if doc.get("kind") == "Deployment"}
    for name, port in listed.items():
        if name not in deployments:
            errors.append(f"service {name} (in {SERVICES_FILE.name}): no Deployment/{name}")
        ports = [p.get("port") for doc in docs if doc.get("kind") == "Service" and doc["metadata"]["name"] == name for p in dig(doc, "spec", "ports") or []]
        if port not in ports:
            errors.append(f"service {name} (in {SERVICES_FILE.name}): no Service/{name} on port {port} (found {ports})")
    for name in sorted(deployments - listed.keys()):
        errors.append(f"Deployment/{name}: not in {SERVICES_FILE.name}")
    return errors


def secret_keys(doc: Doc) -> set[str]:
    return set(doc.get("data") or {}) | set(doc.get("stringData") or {})


def check_broker(docs: list[Doc], listed: dict[str, int]) -> list[str]:
    """Each listed service's Deployment gets AMQP_URL from a Secret: an
    `env` entry with a secretKeyRef, or an `envFrom` secretRef whose Secret
    has the key (a Secret the manifests do not make, e.g. one from a secret
    manager, is taken on trust). A ConfigMap or a literal value is an error:
    the URL carries the broker's password."""
    errors = []
    secrets = {doc["metadata"]["name"]: doc for doc in docs if doc.get("kind") == "Secret"}
    config_maps = {doc["metadata"]["name"]: doc for doc in docs if doc.get("kind") == "ConfigMap"}
    for doc in docs:
        if doc.get("kind") != "Deployment" or doc["metadata"]["name"] not in listed:
            continue
        where = name_of(doc)
        from_secret = False
        for container in (dig(doc, *POD_TEMPLATE_PATHS["Deployment"]) or {}).get("containers") or []:
            for source in container.get("envFrom") or []:
                prefix = source.get("prefix") or ""
                ref = dig(source, "configMapRef", "name")
                if ref and "AMQP_URL" in {prefix + key for key in (config_maps.get(ref) or {}).get("data") or {}}:
                    errors.append(f"{where}: AMQP_URL comes from ConfigMap/{ref}: it carries a password, put it in a Secret")
                ref = dig(source, "secretRef", "name")
                if ref and (ref not in secrets or "AMQP_URL" in {prefix + key for key in secret_keys(secrets[ref])}):
                    from_secret = True
            for item in container.get("env") or []:
                if item.get("name") != "AMQP_URL":
                    continue
                if "value" in item:
                    errors.append(f"{where}: AMQP_URL is a literal value: it carries a password, take it from a Secret")
                elif dig(item, "valueFrom", "secretKeyRef"):
                    from_secret = True
                else:
                    errors.append(f"{where}: AMQP_URL must come from a Secret (secretKeyRef), not {item.get('valueFrom')}")
        if not from_secret:
            errors.append(f"{where}: no AMQP_URL from a Secret: without a broker its events wait in the outbox")
    return errors


# ---------------------------------------------------------------- self-test


def first(docs: list[Doc], kind: str, name: str | None = None) -> Doc:
    for doc in docs:
        if doc.get("kind") == kind and (name is None or doc["metadata"]["name"] == name):
            return doc
    raise LookupError(f"no {kind} {name or ''}".strip())


def container_of(docs: list[Doc], kind: str = "Deployment") -> Doc:
    return dig(first(docs, kind), *POD_TEMPLATE_PATHS[kind])["containers"][0]


def pod_of(docs: list[Doc], kind: str = "Deployment") -> Doc:
    return dig(first(docs, kind), *POD_TEMPLATE_PATHS[kind])


def context_of(docs: list[Doc], kind: str = "Deployment") -> Doc:
    return container_of(docs, kind).setdefault("securityContext", {})


def remove(docs: list[Doc], kind: str) -> None:
    docs.remove(first(docs, kind))


def broker_container(docs: list[Doc]) -> Doc:
    """The in-cluster RabbitMQ's container (dev only: elsewhere a LookupError
    skips the breakage)."""
    return dig(first(docs, "StatefulSet", "rabbitmq"), *POD_TEMPLATE_PATHS["StatefulSet"])["containers"][0]


def broker_pod(docs: list[Doc]) -> Doc:
    return dig(first(docs, "StatefulSet", "rabbitmq"), *POD_TEMPLATE_PATHS["StatefulSet"])


def service_container(docs: list[Doc]) -> Doc:
    """The container of the first listed service's Deployment."""
    return dig(first(docs, "Deployment", next(iter(services()))), *POD_TEMPLATE_PATHS["Deployment"])["containers"][0]


def drop_amqp_url(docs: list[Doc]) -> None:
    """Removes AMQP_URL from the Secrets the first listed service reads."""
    for source in service_container(docs).get("envFrom") or []:
        ref = dig(source, "secretRef", "name")
        if ref:
            secret = first(docs, "Secret", ref)
            for field in ("data", "stringData"):
                (secret.get(field) or {}).pop("AMQP_URL", None)


def remove_default_deny(docs: list[Doc]) -> None:
    docs[:] = [d for d in docs if not (d.get("kind") == "NetworkPolicy" and dig(d, "spec", "podSelector") == {} and not dig(d, "spec", "egress"))]


# (what breaks, how, a piece of the message that must report it)
BREAKAGES: list[tuple[str, Callable[[list[Doc]], None], str]] = [
    ("no livenessProbe", lambda d: container_of(d).pop("livenessProbe"), "livenessProbe is missing"),
    ("no readinessProbe", lambda d: container_of(d).pop("readinessProbe"), "readinessProbe is missing"),
    ("no startupProbe", lambda d: container_of(d).pop("startupProbe"), "startupProbe is missing"),
    ("readiness asks for \"\"", lambda d: container_of(d)["readinessProbe"]["grpc"].pop("service"), "own health service"),
    ("no limits", lambda d: container_of(d)["resources"].pop("limits"), "resources.limits"),
    ("no memory request", lambda d: container_of(d)["resources"]["requests"].pop("memory"), "resources.requests.memory"),
    ("runAsNonRoot false in the container", lambda d: context_of(d).update(runAsNonRoot=False), "runAsNonRoot"),
    ("runAsNonRoot nowhere", lambda d: (context_of(d).pop("runAsNonRoot", None), pod_of(d)["securityContext"].pop("runAsNonRoot")), "runAsNonRoot"),
    ("runAsUser 0", lambda d: context_of(d).update(runAsUser=0), "runAsUser"),
    ("writable root filesystem", lambda d: context_of(d).update(readOnlyRootFilesystem=False), "readOnlyRootFilesystem"),
    ("privilege escalation", lambda d: context_of(d).pop("allowPrivilegeEscalation"), "allowPrivilegeEscalation"),
    ("privileged", lambda d: context_of(d).update(privileged=True), "privileged"),
    ("capabilities kept", lambda d: context_of(d).pop("capabilities"), "capabilities.drop"),
    ("capability added", lambda d: context_of(d)["capabilities"].update(add=["NET_ADMIN"]), "capabilities.add"),
    ("seccomp Unconfined", lambda d: context_of(d).update(seccompProfile={"type": "Unconfined"}), "seccompProfile"),
    ("service account token mounted", lambda d: pod_of(d).update(automountServiceAccountToken=True), "automountServiceAccountToken"),
    ("host network", lambda d: pod_of(d).update(hostNetwork=True), "hostNetwork"),
    ("grace shorter than the drain delay", lambda d: pod_of(d).update(terminationGracePeriodSeconds=1), "terminationGracePeriodSeconds"),
    ("StatefulSet with a writable root", lambda d: context_of(d, "StatefulSet").pop("readOnlyRootFilesystem"), "StatefulSet/"),
    ("init container unhardened", lambda d: pod_of(d).setdefault("initContainers", []).append({"name": "setup", "image": "busybox"}), "container setup"),
    ("no default deny", remove_default_deny, "default-deny"),
    ("no PodDisruptionBudget", lambda d: remove(d, "PodDisruptionBudget"), "PodDisruptionBudget"),
    ("no HorizontalPodAutoscaler", lambda d: remove(d, "HorizontalPodAutoscaler"), "HorizontalPodAutoscaler"),
    # The in-cluster broker is held to the same rules (dev).
    ("the broker without a livenessProbe", lambda d: broker_container(d).pop("livenessProbe"), "StatefulSet/rabbitmq container rabbitmq: livenessProbe"),
    ("the broker without limits", lambda d: broker_container(d)["resources"].pop("limits"), "StatefulSet/rabbitmq container rabbitmq: resources.limits"),
    ("the broker as root", lambda d: broker_pod(d)["securityContext"].update(runAsUser=0), "StatefulSet/rabbitmq container rabbitmq: securityContext.runAsUser"),
    ("the broker with a writable root", lambda d: broker_container(d)["securityContext"].pop("readOnlyRootFilesystem"), "StatefulSet/rabbitmq container rabbitmq: securityContext.readOnlyRootFilesystem"),
    ("the broker mounting a token", lambda d: broker_pod(d).update(automountServiceAccountToken=True), "StatefulSet/rabbitmq: automountServiceAccountToken"),
]

# Each service's AMQP_URL (check_broker): (what breaks, how, expected message).
BROKER_BREAKAGES: list[tuple[str, Callable[[list[Doc]], None], str]] = [
    ("a service without AMQP_URL", drop_amqp_url, "no AMQP_URL from a Secret"),
    (
        "AMQP_URL as a literal value",
        lambda d: service_container(d).setdefault("env", []).append({"name": "AMQP_URL", "value": "amqp://guest:guest@rabbitmq:5672/%2f"}),
        "AMQP_URL is a literal value",
    ),
    (
        "AMQP_URL in a ConfigMap",
        lambda d: first(d, "ConfigMap", service_container(d)["envFrom"][0]["configMapRef"]["name"])["data"].update(AMQP_URL="amqp://guest:guest@rabbitmq:5672/%2f"),
        "AMQP_URL comes from ConfigMap/",
    ),
]


def self_test(docs: list[Doc]) -> tuple[list[str], int]:
    """Each breakage must be reported; the unbroken overlay must pass.
    Breakages of kinds the overlay lacks (a StatefulSet) are skipped.
    Returns the problems and how many breakages were tried."""
    problems = []
    tried = 0
    errors, _ = check_hardening(copy.deepcopy(docs))
    if errors:
        problems.append(f"self-test: the unbroken overlay fails: {errors}")
    for what, breakage, expected in BREAKAGES:
        broken = copy.deepcopy(docs)
        try:
            breakage(broken)
        except LookupError:
            continue
        tried += 1
        errors, _ = check_hardening(broken)
        if not any(expected in error for error in errors):
            problems.append(f"self-test: {what}: not caught (expected a message with {expected!r}, got {errors})")
    # A service's AMQP_URL missing or out of a Secret.
    listed = services()
    errors = check_broker(copy.deepcopy(docs), listed)
    if errors:
        problems.append(f"self-test: the unbroken overlay fails: {errors}")
    for what, breakage, expected in BROKER_BREAKAGES:
        broken = copy.deepcopy(docs)
        breakage(broken)
        tried += 1
        errors = check_broker(broken, listed)
        if not any(expected in error for error in errors):
            problems.append(f"self-test: {what}: not caught (expected a message with {expected!r}, got {errors})")
    # The manifests and the list of services drifting apart, both ways.
    for what, changed, expected in [
        ("a listed service without manifests", {**listed, "unlisted-new": 50099}, "no Deployment/unlisted-new"),
        ("a Deployment missing from the list", dict(list(listed.items())[1:]), "not in services"),
        ("a service on another port", {name: port + 1 for name, port in listed.items()}, "on port"),
    ]:
        tried += 1
        errors = check_services(docs, changed)
        if not any(expected in error for error in errors):
            problems.append(f"self-test: {what}: not caught (expected a message with {expected!r}, got {errors})")
    return problems, tried


# --------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kubectl", default="kubectl", help="the kubectl to render with (default: kubectl on PATH)")
    parser.add_argument("--out", type=Path, help="also write each rendered overlay to OUT/<overlay>.yaml")
    parser.add_argument("--self-test", action="store_true", help="prove the check catches each broken rule")
    parser.add_argument("overlays", nargs="*", help="overlay names (default: every k8s/overlays/*)")
    args = parser.parse_args()

    overlays = args.overlays or sorted(p.parent.name for p in (K8S_DIR / "overlays").glob("*/kustomization.yaml"))
    if not overlays:
        print("k8s: no overlays found", file=sys.stderr)
        return 1
    failures = []
    for overlay in overlays:
        docs = render(overlay, args.kubectl)
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{overlay}.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
        schema_errors = validate_schemas(docs)
        hardening_errors, containers = check_hardening(docs)
        hardening_errors += check_services(docs, services())
        hardening_errors += check_broker(docs, services())
        self_test_errors, tried = self_test(docs) if args.self_test else ([], 0)
        problems = schema_errors + hardening_errors + self_test_errors
        failures += problems
        status = f"FAILED ({len(problems)} problems)" if problems else "ok"
        print(
            f"k8s: {overlay}: {len(docs)} resources, schemas (Kubernetes {', '.join(KUBERNETES_VERSIONS)}, strict), "
            f"hardening of {containers} containers, the list of services and their AMQP_URL"
            + (f", self-test of {tried} breakages" if args.self_test else "")
            + f": {status}",
            flush=True,
        )
        for problem in problems:
            print(f"k8s: {overlay}: {problem}", file=sys.stderr, flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
