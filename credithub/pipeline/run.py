"""The main job: sync every department, validate, resolve, build profiles, publish.

One department failing is recorded and the others go on; every stage is idempotent, so
running the job again (or after a crash) adds nothing that is already there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from typing import Any

from pydantic import BaseModel, Field

from credithub.observability.logs import log_context
from credithub.pipeline.failpoints import fail_point
from credithub.pipeline.profiles import build_profiles
from credithub.pipeline.publish import publish_profiles
from credithub.pipeline.resolve import resolve_pending
from credithub.pipeline.sources import load_connectors
from credithub.pipeline.sync import SyncReport, sync_department
from credithub.pipeline.validate import batches_to_validate, validate_batch
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.failures import storage_failure

log = logging.getLogger(__name__)

ProgressFn = Callable[[str], None]


class DepartmentOutcome(BaseModel):
    department: str
    syncs: list[SyncReport] = Field(default_factory=list)
    validations: list[dict[str, Any]] = Field(default_factory=list)
    error: str | None = None


class RunReport(BaseModel):
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    departments: list[DepartmentOutcome] = Field(default_factory=list)
    resolve: dict[str, Any] = Field(default_factory=dict)
    profiles: dict[str, Any] = Field(default_factory=dict)
    publish: dict[str, Any] = Field(default_factory=dict)

    @property
    def failed_departments(self) -> list[str]:
        return [d.department for d in self.departments if d.error]


@contextlib.contextmanager
def source_endpoints(settings: Settings) -> Iterator[dict[str, str]]:
    """Base URLs of HTTP sources: the sandbox's local servers when no sources file is configured."""
    if settings.sources_config is not None:
        yield {}
        return
    from credithub import sandbox
    from credithub.sandbox.server import serve_sandbox

    if not (settings.sandbox_dir / "ground_truth.jsonl").exists():
        sandbox.generate(settings.sandbox_dir, settings.sandbox_companies, settings.sandbox_seed)
    with serve_sandbox(settings.sandbox_dir) as server:
        yield dict(server.base_urls)


def ingest_department(db: Database, settings: Settings, connector: Any, *, full: bool = False) -> DepartmentOutcome:
    """Sync one department, then validate every batch of it with rows still pending: what this
    sync landed, the part of a batch that failed mid-way, and whatever an earlier run killed
    half-way or a standalone `credithub connectors sync` left behind."""
    outcome = DepartmentOutcome(department=connector.name)
    outcome.syncs = sync_department(db, connector, full=full, raise_errors=False,
                                    lock_timeout=settings.lock_wait_seconds, chunk_rows=settings.sync_chunk_rows)
    errors = [f"{r.stream}: {r.error}" for r in outcome.syncs if r.error]
    fail_point(f"run.synced.{connector.name}")
    db.analyze("raw_records", "staged_records")  # the validation queries plan on today's sizes
    for batch_id in batches_to_validate(db, connector.name):
        with log_context(department=connector.name, batch=batch_id, stage="validate"):
            validated = validate_batch(db, settings, batch_id, chunk_rows=settings.validate_chunk_rows)
        outcome.validations.append(validated.model_dump(mode="json"))
    db.analyze("canonical_records")
    outcome.error = "; ".join(errors) or None
    return outcome


def run_pipeline(
    settings: Settings,
    *,
    departments: list[str] | None = None,
    full: bool = False,
    progress: ProgressFn | None = None,
) -> RunReport:
    step = progress or (lambda _msg: None)
    report = RunReport(started_at=dt.datetime.now(dt.UTC))
    db = Database(settings.resolved_database_url)
    try:
        db.migrate()
        with source_endpoints(settings) as base_urls:
            connectors = load_connectors(settings, base_urls)
            names = [n for n in connectors if departments is None or n in departments]
            for name in names:
                step(f"sync {name}")
                try:
                    report.departments.append(ingest_department(db, settings, connectors[name], full=full))
                except Exception as exc:  # noqa: BLE001 - one department never stops the others
                    if storage_failure(exc) is not None:
                        raise
                    log.exception("department %s failed", name)
                    report.departments.append(DepartmentOutcome(department=name, error=str(exc)))
        fail_point("run.ingested")
        step("resolve")
        report.resolve = resolve_pending(db, settings).model_dump(mode="json")
        fail_point("run.resolved")
        db.analyze("entities", "entity_links", "match_keys")
        step("profiles")
        report.profiles = build_profiles(db, settings).model_dump(mode="json")
        fail_point("run.profiled")
        step("publish")
        report.publish = publish_profiles(db, settings).model_dump(mode="json")
    except Exception as exc:
        failure = storage_failure(exc)
        if failure is None:
            raise
        raise failure from exc
    finally:
        db.dispose()
    report.finished_at = dt.datetime.now(dt.UTC)
    return report
