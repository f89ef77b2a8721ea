"""Build CreditHub's Airflow DAGs from the connector registry (imported by the files in dags/).

- ingest_<department>: one per registered connector (sorted), with the connector's schedule:
  sync -> validate -> land (emits Asset `credithub.validated.<department>` with counts).
- credithub_resolve_publish: on AssetAny(all department assets): resolve -> partitions ->
  profiles (one mapped task per entity hash partition, dirty entities only) -> publish -> scorecard.
- credithub_pipeline: the whole main job in one run (manual trigger), same stages after ingest.
- credithub_scorecard: hourly evaluation, so a feed that stops entirely still gets its card.

Running on several workers (CeleryExecutor, docs/decisions/orchestration.md):
- a department's sync and validation hold its pool (credithub.orchestration.pools, one slot),
  shared by its ingest DAG and the pipeline DAG, so they never run twice at once;
- profiles fan out into `partitions` mapped tasks (DAG param, default from Settings) that the
  workers run at once; each builds the dirty entities of its hash partition;
- resolve stays one task: clustering is global (a new record can merge entities of any partition);
- publish stays one task: the full-or-incremental decision and its audit record are per run,
  the embedded index has one writer (tantivy), and Elasticsearch bulk requests already go out
  concurrently from that task (CREDITHUB_ES_BULK_THREADS).

Numbers (retries, delays, timeouts, start date) come from Settings; connection details from
the sources file / environment. Nothing here reads Airflow Variables at parse time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
from airflow.sdk import (
    DAG,
    Asset,
    AssetAny,
    DeadlineAlert,
    DeadlineReference,
    Metadata,
    Param,
    SyncCallback,
    TriggerRule,
    dag,
    get_current_context,
    task,
)

from credithub.orchestration import tasks
from credithub.orchestration.pools import department_pool
from credithub.orchestration.retry import backoff_args, retry_policy
from credithub.settings import Settings

TIMEZONE = "Asia/Shanghai"
OWNER = "credithub"


def validated_asset(department: str) -> Asset:
    return Asset(
        name=f"credithub.validated.{department}",
        uri=f"credithub://validated/{department}",
        group="credithub",
        extra={"department": department},
    )


def registry_connectors() -> dict[str, Any]:
    """name -> connector class, sorted (stable DAG generation order)."""
    from connectors.registry import load_registry

    return dict(sorted(load_registry().items()))


def _default_args(settings: Settings) -> dict[str, Any]:
    return {
        "owner": OWNER,
        **backoff_args(
            settings.airflow_retries,
            settings.airflow_retry_delay,
            settings.airflow_max_retry_delay,
            settings.airflow_task_timeout,
        ),
    }


def _start_date(settings: Settings) -> pendulum.DateTime:
    d = settings.airflow_start_date
    return pendulum.datetime(d.year, d.month, d.day, tz=TIMEZONE)


def _full_param() -> dict[str, Param]:
    return {
        "full": Param(False, type="boolean", description="Re-read the source from the start (duplicates are skipped).")
    }


def _stage_params(settings: Settings) -> dict[str, Param]:
    return {
        **_full_param(),
        "partitions": Param(
            settings.airflow_partitions,
            type="integer",
            minimum=1,
            maximum=256,
            description="Entity hash partitions the profiles stage fans out into (one mapped task each).",
        ),
    }


def _freshness_deadline(department: str, sla: dt.timedelta) -> DeadlineAlert:
    """The run must finish within the department's freshness SLA of being queued; otherwise the
    callback evaluates the scorecard (warning / yellow card and notices)."""
    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=sla,
        callback=SyncCallback(
            "credithub.orchestration.callbacks.ingest_deadline_missed", kwargs={"department": department}
        ),
    )


def build_ingest_dag(department: str, connector_cls: Any, settings: Settings) -> DAG:
    asset = validated_asset(department)
    title = getattr(connector_cls, "title", department)
    sla: dt.timedelta = getattr(connector_cls, "freshness_sla", dt.timedelta(days=1))

    @dag(
        dag_id=f"ingest_{department}",
        description=f"{title}：同步 → 校验 → 落地（{department}）",
        schedule=getattr(connector_cls, "schedule", "@daily"),
        start_date=_start_date(settings),
        catchup=False,  # backfills are explicit: `airflow backfill create` (docs/deploy.md)
        max_active_runs=1,  # one sync per department at a time: the cursor is shared
        default_args=_default_args(settings),
        params=_full_param(),
        tags=["credithub", "ingest", department],
        deadline=_freshness_deadline(department, sla) if settings.airflow_deadline_alerts else None,
        doc_md=f"Ingest **{title}** (`{department}`). Freshness SLA {sla}. Emits asset `{asset.name}`.",
    )
    def ingest() -> None:
        pool = department_pool(department)

        @task(retry_policy=retry_policy(), pool=pool)
        def sync() -> dict[str, Any]:
            params = get_current_context()["params"]
            return tasks.sync(department, full=bool(params.get("full", False)))

        @task(retry_policy=retry_policy(), pool=pool)
        def validate(synced: dict[str, Any]) -> dict[str, Any]:
            return tasks.validate(department)

        @task(outlets=[asset])
        def land(synced: dict[str, Any], validated: dict[str, Any]):  # type: ignore[no-untyped-def]
            yield Metadata(
                asset,
                {
                    "department": department,
                    "batches": validated["batches"],
                    "rows_fetched": synced["rows_fetched"],
                    "rows_new": synced["rows_new"],
                    "passed": validated["passed"],
                    "quarantined": validated["quarantined"],
                    "held_batches": validated["held"],
                },
            )

        synced = sync()
        land(synced, validate(synced))

    return ingest()


def build_resolve_publish_dag(departments: list[str], settings: Settings) -> DAG:
    assets = [validated_asset(d) for d in departments]

    @dag(
        dag_id="credithub_resolve_publish",
        description="增量实体解析 → 重建变更画像 → 发布到检索 → 部门记分卡",
        schedule=AssetAny(*assets) if assets else None,
        start_date=_start_date(settings),
        catchup=False,
        max_active_runs=1,  # resolution and card raising must not race
        default_args=_default_args(settings),
        params=_stage_params(settings),
        tags=["credithub", "resolve", "publish"],
        doc_md="Runs when any department's validated asset is updated.",
    )
    def resolve_publish() -> None:
        @task(inlets=assets)
        def resolve() -> dict[str, Any]:
            context = get_current_context()
            events = context.get("triggering_asset_events") or {}
            depts = sorted({getattr(a, "name", str(a)) for a in events})
            out = tasks.resolve()
            return {**out, "triggered_by": depts}

        @task(trigger_rule=TriggerRule.ALL_DONE)  # cards matter most when something failed
        def scorecard() -> dict[str, Any]:
            return tasks.scorecard()

        _profiles_and_publish(resolve()) >> scorecard()

    return resolve_publish()


def _profiles_and_publish(resolved: Any) -> Any:
    """partitions -> profiles (mapped: one task per partition) -> publish. Call inside a DAG
    that has the `partitions` param (_stage_params); returns the publish task."""

    @task
    def partitions(resolved: dict[str, Any]) -> list[dict[str, int]]:
        params = get_current_context()["params"]
        return tasks.partitions(int(params["partitions"]))

    @task
    def profiles(partition: dict[str, int]) -> dict[str, Any]:
        return tasks.build_partition_profiles(partition)

    @task
    def publish() -> dict[str, Any]:
        params = get_current_context()["params"]
        return tasks.publish(full=bool(params.get("full", False)))

    published = publish()
    profiles.expand(partition=partitions(resolved)) >> published
    return published


def build_pipeline_dag(departments: list[str], settings: Settings) -> DAG:
    @dag(
        dag_id="credithub_pipeline",
        description="主流程：全部部门同步与校验 → 实体解析 → 画像 → 发布 → 记分卡",
        schedule=None,
        start_date=_start_date(settings),
        catchup=False,
        max_active_runs=1,
        default_args=_default_args(settings),
        params=_stage_params(settings),
        tags=["credithub", "pipeline"],
        doc_md="The whole main job (same stage functions as `credithub run`). A failing department "
        "fails only its own task; resolution goes on with the others.",
    )
    def pipeline() -> None:
        @task(retry_policy=retry_policy())
        def ingest(department: str) -> dict[str, Any]:
            params = get_current_context()["params"]
            return tasks.ingest(department, full=bool(params.get("full", False)))

        @task(trigger_rule=TriggerRule.ALL_DONE)
        def resolve() -> dict[str, Any]:
            return tasks.resolve()

        @task(trigger_rule=TriggerRule.ALL_DONE)  # cards matter most when something failed
        def scorecard() -> dict[str, Any]:
            return tasks.scorecard()

        @task  # all_success: upstream_failed (so the run fails) when any department failed
        def all_departments_ok() -> list[str]:
            return list(departments)

        ingests = [ingest.override(task_id=f"ingest_{d}", pool=department_pool(d))(d) for d in departments]
        resolved = resolve()
        done = all_departments_ok()
        for t in ingests:
            t >> resolved
            t >> done
        _profiles_and_publish(resolved) >> scorecard() >> done

    return pipeline()


def build_scorecard_dag(settings: Settings) -> DAG:
    @dag(
        dag_id="credithub_scorecard",
        description="部门记分卡：逾期预警、黄牌、红牌与月度排名",
        schedule="@hourly",
        start_date=_start_date(settings),
        catchup=False,
        max_active_runs=1,
        default_args=_default_args(settings),
        tags=["credithub", "scorecard"],
    )
    def scorecard_dag() -> None:
        @task
        def evaluate() -> dict[str, Any]:
            return tasks.scorecard()

        evaluate()

    return scorecard_dag()
