"""The production compose file defines every service the code expects, with settings that
credithub.settings.Settings actually reads (a typo in an env var name is a silent default)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from connectors.registry import load_registry
from credithub.orchestration.pools import department_pool
from credithub.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
AIRFLOW_SERVICES = [
    "airflow-apiserver", "airflow-scheduler", "airflow-dag-processor", "airflow-triggerer", "airflow-worker",
]
LONG_RUNNING = ["postgres", "elasticsearch", "redis", "api", *AIRFLOW_SERVICES]
_VAR = re.compile(r"(?<!\$)\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def env_example() -> dict[str, str]:
    out = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value
    return out


def _substitute(value: str, env: dict[str, str]) -> str:
    return _VAR.sub(lambda m: env.get(m.group(1)) or (m.group(2) or ""), value)


def _env(service: dict[str, Any], env: dict[str, str]) -> dict[str, str]:
    return {k: _substitute(str(v), env) for k, v in (service.get("environment") or {}).items()}


def test_every_expected_service_is_defined_with_a_healthcheck(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(LONG_RUNNING) | {"airflow-init"} <= set(services)
    for name in LONG_RUNNING:
        test = services[name].get("healthcheck", {}).get("test")
        assert test and test[0] in {"CMD", "CMD-SHELL"}, name
    assert services["airflow-init"]["restart"] == "no"
    assert "airflow db migrate" in " ".join(services["airflow-init"]["command"])
    commands = {n: " ".join(services[n]["command"]) for n in AIRFLOW_SERVICES}
    assert commands["airflow-apiserver"].startswith("airflow api-server")
    assert commands["airflow-scheduler"] == "airflow scheduler"
    assert commands["airflow-dag-processor"] == "airflow dag-processor"
    assert commands["airflow-triggerer"] == "airflow triggerer"
    assert commands["airflow-worker"] == "airflow celery worker"


def test_dependencies_wait_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ["api", *AIRFLOW_SERVICES]:
        deps = services[name]["depends_on"]
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["elasticsearch"]["condition"] == "service_healthy", name
        assert deps["airflow-init"]["condition"] == "service_completed_successfully", name


def test_named_volumes_are_declared_and_data_is_persistent(compose: dict[str, Any]) -> None:
    declared = set(compose["volumes"])
    for name, service in compose["services"].items():
        for vol in service.get("volumes", []):
            source = vol.split(":", 1)[0]
            if not source.startswith((".", "/")):
                assert source in declared, f"{name} uses undeclared volume {source}"
            else:
                assert (ROOT / source).exists(), f"{name} mounts missing {source}"
    mounts = {n: [v.split(":")[1] for v in s.get("volumes", [])] for n, s in compose["services"].items()}
    assert "/var/lib/postgresql/data" in mounts["postgres"]
    assert "/usr/share/elasticsearch/data" in mounts["elasticsearch"]
    assert "/var/lib/credithub" in mounts["api"] and "/var/lib/credithub" in mounts["airflow-scheduler"]


def test_credithub_env_vars_are_real_settings_and_point_at_the_services(
    compose: dict[str, Any], env_example: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = {f"CREDITHUB_{name.upper()}" for name in Settings.model_fields}
    services = compose["services"]
    for name in ["api", "airflow-init", *AIRFLOW_SERVICES]:
        env = _env(services[name], env_example)
        unknown = sorted(k for k in env if k.startswith("CREDITHUB_") and k not in fields)
        assert unknown == [], f"{name}: env vars Settings does not read: {unknown}"
        for required in ("CREDITHUB_DATABASE_URL", "CREDITHUB_ES_URL", "CREDITHUB_SEARCH_BACKEND", "CREDITHUB_ES_PASSWORD"):
            assert env.get(required), f"{name} lacks {required}"
        with monkeypatch.context() as m:
            for key in [k for k in os.environ if k.startswith("CREDITHUB_")]:
                m.delenv(key)
            for key, value in env.items():
                m.setenv(key, value)
            settings = Settings(_env_file=None)  # exactly what the container would parse
        db = urlsplit(settings.resolved_database_url)
        assert db.scheme == "postgresql+psycopg" and (db.hostname, db.port) == ("postgres", 5432), name
        assert db.path == "/credithub"
        assert settings.search_backend == "elasticsearch"
        es = urlsplit(settings.es_url or "")
        assert (es.hostname, es.port) == ("elasticsearch", 9200)
        assert settings.es_password is not None
        assert settings.es_password.get_secret_value() == env_example["ELASTIC_PASSWORD"]


def test_airflow_services_share_config_and_find_the_dags(compose: dict[str, Any], env_example: dict[str, str]) -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for name in ["airflow-init", *AIRFLOW_SERVICES]:
        service = compose["services"][name]
        assert service["build"]["target"] == "airflow"
        env = _env(service, env_example)
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"
        broker = urlsplit(env["AIRFLOW__CELERY__BROKER_URL"])
        assert (broker.scheme, broker.hostname, broker.port) == ("redis", "redis", 6379)
        # Celery results in Airflow's database, through the installed psycopg 3 driver
        backend = env["AIRFLOW__CELERY__RESULT_BACKEND"]
        assert backend == "db+" + env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert int(env["AIRFLOW__CELERY__WORKER_CONCURRENCY"]) >= 1
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"] == "False"
        assert urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).hostname == "postgres"
        assert urlsplit(env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]).path == "/airflow"
        # the installed driver is psycopg 3, for the sync and the async engine (asyncpg is absent)
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"] == env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg://")
        dags = env["AIRFLOW__CORE__DAGS_FOLDER"]
        assert dags == "/opt/credithub/dags"
        assert "COPY dags ./dags" in dockerfile and "WORKDIR /opt/credithub" in dockerfile
        assert urlsplit(env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"]).hostname == "airflow-apiserver"
    targets = set(re.findall(r"^FROM \S+ AS (\w+)", dockerfile, re.M))
    assert {"api", "airflow"} <= targets
    assert compose["services"]["api"]["build"]["target"] == "api"


def test_ports_and_elasticsearch_security(compose: dict[str, Any], env_example: dict[str, str]) -> None:
    services = compose["services"]
    api_env = _env(services["api"], env_example)
    published = [_substitute(p, env_example) for p in services["api"]["ports"]]
    assert published == [f"{env_example['CREDITHUB_PUBLIC_PORT']}:{api_env['CREDITHUB_API_PORT']}"]
    assert api_env["CREDITHUB_API_HOST"] == "0.0.0.0"
    assert any(p.endswith(":8080") for p in services["airflow-apiserver"]["ports"])
    es_env = services["elasticsearch"]["environment"]
    assert es_env["discovery.type"] == "single-node"
    assert es_env["xpack.security.enabled"] == "true"
    assert es_env["ELASTIC_PASSWORD"] == "${ELASTIC_PASSWORD}"  # from .env, never in the file
    assert "ports" not in services["elasticsearch"] and "ports" not in services["postgres"]


def test_env_example_covers_every_variable_and_holds_no_secrets(env_example: dict[str, str]) -> None:
    text = COMPOSE.read_text(encoding="utf-8")
    required = {m.group(1) for m in _VAR.finditer(text) if m.group(2) is None and ":-" not in m.group(0)}
    assert required - set(env_example) == set(), "variables without a default must be in .env.example"
    for key, value in env_example.items():
        if any(word in key for word in ("PASSWORD", "SECRET", "FERNET")):
            assert value == "change-me", f"{key} must be a placeholder in .env.example"


def test_postgres_init_creates_both_databases(compose: dict[str, Any]) -> None:
    script = (ROOT / "deploy/postgres/init-databases.sh").read_text(encoding="utf-8")
    assert "CREATE DATABASE credithub" in script and "CREATE DATABASE airflow" in script
    env = compose["services"]["postgres"]["environment"]
    assert env["CREDITHUB_DB_PASSWORD"] == "${POSTGRES_PASSWORD}"
    assert env["AIRFLOW_DB_PASSWORD"] == "${AIRFLOW_DB_PASSWORD}"


def test_api_healthcheck_and_metrics_paths_exist_in_the_app(compose: dict[str, Any], settings: Settings) -> None:
    from api.app import create_app

    paths = {getattr(r, "path", None) for r in create_app(settings).routes}
    url = compose["services"]["api"]["healthcheck"]["test"][-1]
    assert urlsplit(url).path in paths
    assert "/departments/scorecard" in paths and "/api/v1/departments/scorecard" in paths


def test_workers_scale_and_wait_for_the_broker(compose: dict[str, Any]) -> None:
    """`docker compose up --scale airflow-worker=N` needs a service without a fixed name or host port."""
    services = compose["services"]
    worker = services["airflow-worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert "inspect ping" in worker["healthcheck"]["test"][-1]
    for name in AIRFLOW_SERVICES:
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy", name
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "ports" not in services["redis"]


def test_airflow_init_creates_the_department_pools_the_dags_use(compose: dict[str, Any]) -> None:
    """Airflow never schedules a task whose pool is missing: airflow-init imports one per department."""
    init = " ".join(compose["services"]["airflow-init"]["command"])
    assert "python -m credithub.orchestration.pools > /tmp/credithub-pools.json" in init
    assert "airflow pools import /tmp/credithub-pools.json" in init
    assert init.index("airflow db migrate") < init.index("airflow pools import")
    out = subprocess.run([sys.executable, "-m", "credithub.orchestration.pools"], capture_output=True, text=True,
                         check=True, cwd=ROOT)
    pools = json.loads(out.stdout)
    assert set(pools) == {department_pool(d) for d in load_registry()}
    assert all(p["slots"] == 1 and p["description"] for p in pools.values())
