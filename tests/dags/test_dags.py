"""Every CreditHub DAG parses and runs with dag.test() against the sandbox (SQLite, in-process).

Order matters inside this module (one hub database): the ingest DAGs land every department,
then resolve-and-publish, the scorecard and the whole-pipeline DAG run on what landed.
Failure tests use their own hub var dir with a copy of the sandbox they can break.
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from connectors.registry import load_registry
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import (
    CanonicalRecordRow,
    Entity,
    ProfileRow,
    RawRecord,
    StagedRecord,
    SyncBatch,
)

from .conftest import DAGS, HubEnv, make_var_dir

REGISTRY = dict(sorted(load_registry().items()))
FIXED_DAGS = {"credithub_pipeline", "credithub_resolve_publish", "credithub_scorecard"}


def _run(dagbag: Any, dag_id: str):  # type: ignore[no-untyped-def]
    dag = dagbag.get_dag(dag_id)
    assert dag is not None, dag_id
    return dag.test()


def _tis(dag_run: Any) -> dict[str, Any]:
    return {ti.task_id: ti for ti in dag_run.get_task_instances()}


def _hub_counts(by_department: bool = False) -> dict[str, Any]:
    db = Database(Settings().resolved_database_url)
    try:
        with db.session() as s:
            if by_department:
                return dict(s.execute(select(RawRecord.department, func.count()).group_by(RawRecord.department)).all())
            return {
                t.__tablename__: s.scalar(select(func.count()).select_from(t))
                for t in (RawRecord, StagedRecord, CanonicalRecordRow, Entity, ProfileRow)
            }
    finally:
        db.dispose()


def _asset_events(name: str) -> list[dict[str, Any]]:
    from airflow.models.asset import AssetEvent, AssetModel
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = session.scalars(
            select(AssetEvent).join(AssetModel, AssetEvent.asset_id == AssetModel.id).where(AssetModel.name == name)
        ).all()
        return [dict(r.extra or {}) for r in rows]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# parsing


def test_dagbag_has_no_import_errors_and_one_ingest_dag_per_registered_connector(dagbag: Any) -> None:
    assert dagbag.import_errors == {}
    assert len(REGISTRY) >= 3
    assert set(dagbag.dag_ids) == {f"ingest_{name}" for name in REGISTRY} | FIXED_DAGS
    # safe mode would silently skip a DAG file without the words "airflow" and "dag"
    assert {Path(p).name for p in dagbag.file_last_changed} == {p.name for p in DAGS.glob("*.py")}


def test_ingest_dags_take_schedule_sla_retries_and_timeouts_from_connector_and_settings(
    dagbag_with_deadlines: Any,
) -> None:
    from airflow.sdk import ExceptionRetryPolicy

    dagbag = dagbag_with_deadlines
    assert dagbag.import_errors == {}
    for name, cls in REGISTRY.items():
        dag = dagbag.get_dag(f"ingest_{name}")
        assert dag.schedule == cls.schedule, name
        assert name in dag.tags and dag.max_active_runs == 1
        assert [t.task_id for t in dag.topological_sort()] == ["sync", "validate", "land"]
        assert dag.deadline is not None
        deadline = dag.deadline[0] if isinstance(dag.deadline, list) else dag.deadline
        assert deadline.interval == cls.freshness_sla
        assert deadline.callback.kwargs == {"department": name}
        land = dag.get_task("land")
        assert [a.name for a in land.outlets] == [f"credithub.validated.{name}"]
        sync = dag.get_task("sync")
        assert isinstance(sync.retry_policy, ExceptionRetryPolicy)
        assert sync.retries == 2 and sync.retry_exponential_backoff
        assert sync.retry_delay == dt.timedelta(seconds=1)
        assert sync.execution_timeout == dt.timedelta(minutes=10)
    resolve = dagbag.get_dag("credithub_resolve_publish")
    assert {a.name for a in resolve.timetable.asset_condition.objects} == {
        f"credithub.validated.{n}" for n in REGISTRY
    }
    pipeline = dagbag.get_dag("credithub_pipeline")
    assert {f"ingest_{n}" for n in REGISTRY} <= set(pipeline.task_ids)


def test_a_departments_sync_and_validation_share_one_pool_slot_across_dags(dagbag: Any) -> None:
    """The ingest DAG and the pipeline DAG sync and validate the same department: both use the
    department's pool, and the pools file the deployment imports gives each pool one slot."""
    from credithub.orchestration.pools import department_pool, pools_json

    pools = json.loads(pools_json(REGISTRY))
    assert set(pools) == {department_pool(n) for n in REGISTRY}
    assert {p["slots"] for p in pools.values()} == {1}
    pipeline = dagbag.get_dag("credithub_pipeline")
    for name in REGISTRY:
        ingest = dagbag.get_dag(f"ingest_{name}")
        assert ingest.get_task("sync").pool == department_pool(name)
        assert ingest.get_task("validate").pool == department_pool(name)
        assert pipeline.get_task(f"ingest_{name}").pool == department_pool(name)
    # stages over all departments are not held back by any department's pool
    assert pipeline.get_task("resolve").pool == "default_pool"


def test_stage_dags_fan_profiles_out_over_the_partitions_param(dagbag: Any) -> None:
    for dag_id in ("credithub_pipeline", "credithub_resolve_publish"):
        dag = dagbag.get_dag(dag_id)
        assert dag.params["partitions"] == Settings().airflow_partitions
        profiles = dag.get_task("profiles")
        assert profiles.upstream_task_ids == {"partitions"}
        assert dag.get_task("partitions").upstream_task_ids == {"resolve"}
        assert dag.get_task("publish").upstream_task_ids == {"profiles"}


# --------------------------------------------------------------------------------------------
# every DAG runs


@pytest.mark.parametrize("department", list(REGISTRY))
def test_ingest_dag_runs_against_the_sandbox(dagbag: Any, department: str) -> None:
    dag_run = _run(dagbag, f"ingest_{department}")
    tis = _tis(dag_run)
    assert {k: v.state for k, v in tis.items()} == {"sync": "success", "validate": "success", "land": "success"}
    assert dag_run.state == "success"
    assert _hub_counts(by_department=True).get(department, 0) > 0, "the department's rows landed"
    events = _asset_events(f"credithub.validated.{department}")
    assert events and events[-1]["department"] == department
    assert events[-1]["passed"] + events[-1]["quarantined"] > 0


def test_resolve_publish_dag_runs_on_what_landed(dagbag: Any) -> None:
    before = _hub_counts()
    assert before["canonical_records"] > 0 and before["entities"] == 0
    dag_run = _run(dagbag, "credithub_resolve_publish")
    assert {k: v.state for k, v in _tis(dag_run).items()} == dict.fromkeys(
        ["resolve", "partitions", "profiles", "publish", "scorecard"], "success"
    )
    # profiles fanned out: one mapped task instance per partition (CREDITHUB_AIRFLOW_PARTITIONS)
    mapped = [ti for ti in dag_run.get_task_instances() if ti.task_id == "profiles"]
    assert sorted(ti.map_index for ti in mapped) == list(range(Settings().airflow_partitions))
    assert {ti.state for ti in mapped} == {"success"}
    after = _hub_counts()
    assert after["entities"] > 0 and after["profiles"] > 0
    publish = _tis(dag_run)["publish"].xcom_pull(task_ids="publish")
    assert publish, "publish reported what it sent"


def test_scorecard_dag_runs(dagbag: Any) -> None:
    dag_run = _run(dagbag, "credithub_scorecard")
    ti = _tis(dag_run)["evaluate"]
    assert ti.state == "success"
    status = ti.xcom_pull(task_ids="evaluate")["status"]
    assert set(REGISTRY) <= set(status)
    assert all(s in {"ok", "warning"} for s in status.values()), status  # every feed just landed


def test_deadline_callback_evaluates_the_scorecard(dagbag_with_deadlines: Any) -> None:
    """The DeadlineAlert callback path is importable as stored and evaluates the scorecard."""
    import importlib

    from sqlalchemy import delete

    from credithub.storage.tables import ScorecardCard

    deadline = dagbag_with_deadlines.get_dag("ingest_tax").deadline
    deadline = deadline[0] if isinstance(deadline, list) else deadline
    module, _, name = deadline.callback.path.rpartition(".")
    callback = getattr(importlib.import_module(module), name)
    db = Database(Settings().resolved_database_url)
    with db.session() as s:
        s.execute(delete(ScorecardCard))
        # make tax's last delivery 3 days old: the evaluation the callback runs must card it
        s.execute(
            SyncBatch.__table__.update()
            .where(SyncBatch.department == "tax")
            .values(finished_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
        )
    callback(**deadline.callback.kwargs)
    with db.session() as s:
        cards = s.execute(select(ScorecardCard.department, ScorecardCard.metric, ScorecardCard.level)).all()
    db.dispose()
    assert ("tax", "timeliness", "yellow") in cards
    assert {c.department for c in cards} == {"tax"}


def test_pipeline_dag_runs_everything_and_a_rerun_adds_nothing(dagbag: Any) -> None:
    before = _hub_counts()
    dag_run = _run(dagbag, "credithub_pipeline")
    states = {k: v.state for k, v in _tis(dag_run).items()}
    assert set(states.values()) == {"success"}, states
    assert dag_run.state == "success"
    assert _hub_counts() == before


def test_backfill_of_a_date_range_and_a_past_full_rerun(dagbag: Any) -> None:
    """`airflow backfill create` (same code path) makes one run per day in the range; a run for a
    past logical date that re-reads its source from the start duplicates nothing."""
    from airflow.models.backfill import _create_backfill
    from airflow.models.dagrun import DagRun
    from airflow.utils.types import DagRunType

    _create_backfill(
        dag_id="ingest_courts",
        from_date=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        to_date=dt.datetime(2026, 11, 4, tzinfo=dt.UTC),
        max_active_runs=1,
        reverse=False,
        dag_run_conf={"full": True},
        triggering_user_name="pytest",
    )
    runs = [r for r in DagRun.find(dag_id="ingest_courts") if r.run_type == DagRunType.BACKFILL_JOB]
    days = sorted(r.logical_date.astimezone(dt.timezone(dt.timedelta(hours=8))).date() for r in runs)
    assert days == [dt.date(2026, 11, d) for d in (2, 3, 4)]  # daily at 00:00 Asia/Shanghai
    assert all(r.conf == {"full": True} for r in runs)

    before = _hub_counts()
    dag_run = dagbag.get_dag("ingest_customs").test(
        logical_date=dt.datetime(2026, 11, 2, 16, tzinfo=dt.UTC), run_conf={"full": True}
    )
    assert dag_run.state == "success"
    assert _tis(dag_run)["sync"].xcom_pull(task_ids="sync")["rows_fetched"] > 0, "full re-read"
    assert _hub_counts() == before


# --------------------------------------------------------------------------------------------
# failures stay in their department


@pytest.fixture
def broken_hub(hub_env: HubEnv, sandbox_dir: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A fresh hub (own DB, own sandbox copy) for a test that breaks sources; restored after."""
    var = make_var_dir(tmp_path, sandbox_dir)

    def apply(**overrides: str | None) -> Path:
        hub_env.apply(CREDITHUB_VAR_DIR=str(var), **overrides)
        return var

    yield apply
    hub_env.apply()


def test_unreachable_source_retries_then_fails_while_other_departments_land(
    dagbag: Any, broken_hub: Any, sandbox_urls: dict[str, str]
) -> None:
    http_dept = next(d for d in sorted(sandbox_urls) if d in REGISTRY)
    urls = {**sandbox_urls, http_dept: f"http://127.0.0.1:{_closed_port()}"}
    broken_hub(CREDITHUB_SOURCE_BASE_URLS=json.dumps(urls))
    events_before = len(_asset_events(f"credithub.validated.{http_dept}"))

    dag_run = _run(dagbag, f"ingest_{http_dept}")
    tis = _tis(dag_run)
    assert dag_run.state == "failed"
    assert tis["sync"].state == "failed" and tis["sync"].try_number == 3, "1 try + 2 retries"
    assert tis["validate"].state == "upstream_failed" and tis["land"].state == "upstream_failed"
    assert len(_asset_events(f"credithub.validated.{http_dept}")) == events_before, "no asset for a failed sync"

    # the whole job in the same broken world: only that department's task fails
    dag_run = _run(dagbag, "credithub_pipeline")
    tis = _tis(dag_run)
    assert tis[f"ingest_{http_dept}"].state == "failed" and tis[f"ingest_{http_dept}"].try_number == 3
    others = {k: v.state for k, v in tis.items() if k not in {f"ingest_{http_dept}", "all_departments_ok"}}
    assert set(others.values()) == {"success"}, others  # resolve, profiles, publish, scorecard ran
    assert tis["all_departments_ok"].state == "upstream_failed" and dag_run.state == "failed"
    landed = _hub_counts(by_department=True)
    assert http_dept not in landed
    assert set(landed) == set(REGISTRY) - {http_dept}
    assert _hub_counts()["profiles"] > 0
    db = Database(Settings().resolved_database_url)
    with db.session() as s:
        failed = s.scalars(select(SyncBatch).where(SyncBatch.department == http_dept)).all()
    db.dispose()
    streams = len(REGISTRY[http_dept].streams)
    assert len(failed) == 2 * 3 * streams, "each of 3 tries in both DAGs tried every stream"
    assert {b.status for b in failed} == {"failed"}
    assert all("Connection refused" in (b.error or "") or "connect" in (b.error or "").lower() for b in failed)


def test_schema_drift_and_missing_files_fail_at_once_without_retries(dagbag: Any, broken_hub: Any) -> None:
    var = broken_hub()
    sql_dept, file_dept = "market_regulation", "quality_supervision"
    stream = REGISTRY[sql_dept].streams[0]
    dropped = stream.required_columns[1]  # the department renamed a required column
    db_file = next((var / "sandbox" / sql_dept).glob("*.db"))
    with sqlite3.connect(db_file) as conn:
        conn.execute(f"ALTER TABLE {stream.table} RENAME COLUMN {dropped} TO {dropped}_NEW")
    (var / "sandbox" / file_dept).rename(var / "sandbox" / f"{file_dept}.moved")

    for dept, error in ((sql_dept, "SchemaDriftError"), (file_dept, "FatalSourceError")):
        dag_run = _run(dagbag, f"ingest_{dept}")
        sync = _tis(dag_run)["sync"]
        assert dag_run.state == "failed", dept
        assert sync.state == "failed" and sync.try_number == 1, f"{dept}: {error} must not be retried"
    db = Database(Settings().resolved_database_url)
    with db.session() as s:
        batches = s.execute(select(SyncBatch.department, SyncBatch.stream, SyncBatch.status, SyncBatch.error)).all()
    db.dispose()
    drifted = [b for b in batches if b.department == sql_dept and b.stream == stream.name]
    assert len(drifted) == 1 and drifted[0].status == "failed" and dropped in drifted[0].error
    # the department's other streams were still read (one stream's drift does not stop them)
    others = {b.status for b in batches if b.department == sql_dept and b.stream != stream.name}
    assert others == {"landed"}, "validated by the next successful run (credithub.pipeline.validate.batches_to_validate)"
    assert [b.error for b in batches if b.department == file_dept][0].startswith("file-drop folder does not exist")
