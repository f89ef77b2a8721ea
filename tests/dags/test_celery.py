"""The pipeline DAG on a real Airflow deployment with two Celery workers (not dag.test()).

Airflow metadata and Celery results in a fresh PostgreSQL database, Redis as the broker,
separate api-server, scheduler, dag-processor and two `airflow celery worker` processes.
The pipeline DAG runs on a 60-company sandbox against its own hub database, while the same
department's ingest DAG is triggered at the same moment; then:

- every task succeeded, and both workers ran task instances (task_instance.hostname);
- the profiles stage ran as one mapped task per partition;
- the department's two ingest tasks (pipeline DAG and ingest DAG, one pool) never overlapped;
- entities, record links and profiles equal those of `credithub run` on a second database.

With CI=true an unreachable Redis or PostgreSQL fails the test instead of skipping it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from credithub.orchestration.pools import department_pool, pools_json
from credithub.storage.db import Database
from credithub.storage.tables import CanonicalRecordRow, Entity, EntityLink, ProfileRow

from ..conftest import IN_CI, PG_ADMIN_URL
from .celery_stack import BIN, CeleryStack, running

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.timeout(720)]

COMPANIES = 60
SEED = 20261128
PARTITIONS = 4
CONTENDED = "tax"  # the department whose ingest DAG races the pipeline DAG's ingest task
REDIS_URL = os.environ.get("CREDITHUB_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
PG_BASE = PG_ADMIN_URL.rsplit("/", 1)[0]


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required in CI)")
    pytest.skip(reason)


@pytest.fixture
def databases() -> Iterator[dict[str, str]]:
    """Fresh PostgreSQL databases: Airflow metadata, the DAG run's hub, `credithub run`'s hub."""
    tag = uuid.uuid4().hex[:8]
    names = {"airflow": f"celery_airflow_{tag}", "dag": f"celery_hub_dag_{tag}", "cli": f"celery_hub_cli_{tag}"}
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure decides skip vs fail
        _unavailable(f"PostgreSQL at {PG_ADMIN_URL} not usable: {exc}")
    try:
        yield {k: f"{PG_BASE}/{v}" for k, v in names.items()}
    finally:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:  # noqa: BLE001
        _unavailable(f"Redis at {REDIS_URL} not reachable: {exc}")
    return REDIS_URL


def _forget_queue(url: str, queue: str) -> None:
    """Drop what kombu left in Redis for our private queue (never anyone else's keys)."""
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"*{queue}*"))
    if keys:
        client.delete(*keys)
    client.close()


def _hub_env(var_dir: Path, database_url: str) -> dict[str, str]:
    return {
        "CREDITHUB_VAR_DIR": str(var_dir),
        "CREDITHUB_DATABASE_URL": database_url,
        "CREDITHUB_SEARCH_BACKEND": "embedded",
        "CREDITHUB_SANDBOX_COMPANIES": str(COMPANIES),
        "CREDITHUB_SANDBOX_SEED": str(SEED),
        "CREDITHUB_AIRFLOW_RETRIES": "1",
        "CREDITHUB_AIRFLOW_RETRY_DELAY": "PT2S",
        "CREDITHUB_AIRFLOW_TASK_TIMEOUT": "PT5M",
        "CREDITHUB_AIRFLOW_PARTITIONS": str(PARTITIONS),
        # The freshness deadlines need a triggerer; they are covered by test_dags.py.
        "CREDITHUB_AIRFLOW_DEADLINE_ALERTS": "false",
    }


def _start_credithub_run(var_dir: Path, database_url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CREDITHUB_", "AIRFLOW"))}
    env.update(_hub_env(var_dir, database_url), GX_ANALYTICS_ENABLED="False")
    return subprocess.Popen(
        [str(BIN / "credithub"), "run"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _strip_run_ids(value: Any) -> Any:
    """Profile JSON without what differs between two databases holding the same data: the
    autoincrement ids of batches and raw rows in provenance, and row timestamps."""
    if isinstance(value, dict):
        return {k: _strip_run_ids(v) for k, v in value.items() if k not in {"batch_id", "raw_record_id", "updated_at"}}
    if isinstance(value, list):
        return [_strip_run_ids(v) for v in value]
    return value


def _hub_state(url: str) -> dict[str, Any]:
    db = Database(url)
    try:
        with db.session() as s:
            entities = {e.id: (e.status, e.merged_into, e.dirty) for e in s.scalars(select(Entity))}
            links = dict(
                s.execute(
                    select(
                        CanonicalRecordRow.department + "/" + CanonicalRecordRow.dataset + "/"
                        + CanonicalRecordRow.source_record_id,
                        EntityLink.entity_id,
                    ).join(EntityLink, EntityLink.canonical_record_id == CanonicalRecordRow.id)
                ).all()
            )
            profiles = {p.entity_id: _strip_run_ids(p.data) for p in s.scalars(select(ProfileRow))}
            unpublished = [p.entity_id for p in s.scalars(select(ProfileRow)) if p.published_hash != p.content_hash]
    finally:
        db.dispose()
    return {"entities": entities, "links": links, "profiles": profiles, "unpublished": unpublished}


def _interval(ti: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    return dt.datetime.fromisoformat(ti["start_date"]), dt.datetime.fromisoformat(ti["end_date"])


def test_pipeline_dag_on_two_celery_workers_equals_credithub_run(
    tmp_path: Path, databases: dict[str, str], redis_url: str
) -> None:
    from credithub.sandbox import generate
    from credithub.sandbox.server import serve_sandbox

    started = time.monotonic()
    sandbox = tmp_path / "sandbox"
    generate(sandbox, COMPANIES, SEED)
    var_dag, var_cli = tmp_path / "var-dag", tmp_path / "var-cli"
    for var in (var_dag, var_cli):
        shutil.copytree(sandbox, var / "sandbox")

    # The reference run goes on while the Airflow processes start.
    reference = _start_credithub_run(var_cli, databases["cli"], tmp_path / "credithub-run.log")
    try:
        # airflow-init's job in docker-compose.yml: both schemas and the department pools.
        db = Database(databases["dag"])
        db.migrate()
        db.dispose()
        with serve_sandbox(var_dag / "sandbox") as server:
            hub = {
                **_hub_env(var_dag, databases["dag"]),
                "CREDITHUB_SOURCE_BASE_URLS": json.dumps(dict(server.base_urls)),
            }
            stack = CeleryStack(
                home=tmp_path / "airflow", metadata_url=databases["airflow"], broker_url=redis_url, hub_env=hub
            )
            pools_file = tmp_path / "pools.json"
            from connectors.registry import load_registry

            pools_file.write_text(pools_json(load_registry()), encoding="utf-8")
            try:
                with running(stack):
                    stack.airflow("db", "migrate")
                    stack.airflow("pools", "import", str(pools_file))
                    stack.start_services()
                    stack.start_worker("w1", concurrency=2)
                    stack.start_worker("w2", concurrency=2)
                    stack.wait_for_api(timeout=120)
                    stack.wait_for_dag("credithub_pipeline", timeout=120)
                    stack.wait_for_dag(f"ingest_{CONTENDED}", timeout=60)
                    run_id = stack.trigger("credithub_pipeline", {"partitions": PARTITIONS})
                    rival_id = stack.trigger(f"ingest_{CONTENDED}")
                    state = stack.wait_for_run("credithub_pipeline", run_id, timeout=480)
                    rival_state = stack.wait_for_run(f"ingest_{CONTENDED}", rival_id, timeout=120)
                    tis = stack.task_instances("credithub_pipeline", run_id)
                    rival_tis = stack.task_instances(f"ingest_{CONTENDED}", rival_id)
            finally:
                _forget_queue(redis_url, stack.queue)
        assert reference.wait(timeout=max(10.0, 600 - (time.monotonic() - started))) == 0, (
            (tmp_path / "credithub-run.log").read_text(errors="replace")[-3000:]
        )
    finally:
        if reference.poll() is None:
            os.killpg(reference.pid, 9)
            reference.wait()

    failed = {(t["task_id"], t["map_index"]): t["state"] for t in tis if t["state"] != "success"}
    assert state == "success" and not failed, (failed, stack.log_tail("scheduler"))
    assert rival_state == "success", [(t["task_id"], t["state"]) for t in rival_tis]

    # Both workers did work, and the profiles stage fanned out into one task per partition.
    hosts = {t["hostname"] for t in tis} | {t["hostname"] for t in rival_tis}
    assert hosts == {"w1", "w2"}, hosts
    profile_tis = [t for t in tis if t["task_id"] == "profiles"]
    assert sorted(t["map_index"] for t in profile_tis) == list(range(PARTITIONS))

    # One department, two DAGs, one pool slot: its ingest tasks never ran at the same time.
    pool = department_pool(CONTENDED)
    contended = [t for t in tis if t["task_id"] == f"ingest_{CONTENDED}"] + [
        t for t in rival_tis if t["task_id"] in {"sync", "validate"}
    ]
    assert len(contended) == 3 and {t["pool"] for t in contended} == {pool}
    spans = sorted(_interval(t) for t in contended)
    for (_, end), (start, _) in zip(spans, spans[1:]):
        assert end <= start, spans

    # The same hub state as one `credithub run` process on the same sandbox.
    got, want = _hub_state(databases["dag"]), _hub_state(databases["cli"])
    assert len(want["entities"]) > COMPANIES // 2 and len(want["profiles"]) > COMPANIES // 2
    assert got["entities"] == want["entities"]
    assert got["links"] == want["links"]
    assert got["profiles"].keys() == want["profiles"].keys()
    differing = [e for e in want["profiles"] if got["profiles"][e] != want["profiles"][e]]
    assert not differing, differing[:5]
    assert got["unpublished"] == [] and want["unpublished"] == []
