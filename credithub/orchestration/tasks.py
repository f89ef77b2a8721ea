"""Task bodies for the Airflow DAGs: each opens settings and the database itself, calls one
stage, and returns a small JSON-safe dict (XCom). No Airflow imports here, so they run and
test as plain functions too.

Every task is idempotent: sync dedups by content hash and resumes from its saved cursor,
validate only touches pending rows, resolve/profiles/publish work on what changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any


from connectors.sdk.base import Connector
from credithub.errors import ConfigError
from credithub.observability.logs import log_context
from credithub.settings import Settings
from credithub.storage.db import Database

log = logging.getLogger(__name__)


def open_db(settings: Settings) -> Database:
    """The hub database, migrated. The tasks of a first run start at once on several workers;
    Database.migrate takes the schema lock, so one migrates and the others find the schema current."""
    db = Database(settings.resolved_database_url)
    db.migrate()
    return db


@contextlib.contextmanager
def source_endpoints(settings: Settings) -> Iterator[dict[str, str]]:
    """Base URLs of HTTP sources: CREDITHUB_SOURCE_BASE_URLS when set (running sandbox server,
    or real department gateways); otherwise the sandbox servers for the task's duration."""
    if settings.source_base_urls is not None:
        yield dict(settings.source_base_urls)
        return
    from credithub.pipeline.run import source_endpoints as sandbox_endpoints

    with sandbox_endpoints(settings) as urls:
        yield urls


def load_connector(settings: Settings, department: str, base_urls: dict[str, str]) -> Connector:
    """Instantiate ONE department's connector, so another department's bad config cannot stop it."""
    from connectors.registry import load_registry
    from credithub.pipeline.sources import read_sources_file, sandbox_configs

    registry = load_registry()
    if department not in registry:
        raise ConfigError("no connector registered", department=department)
    if settings.sources_config is not None:
        configs = read_sources_file(settings.sources_config)
    else:
        configs = sandbox_configs(settings, base_urls)
    if department not in configs:
        raise ConfigError("no source configured", department=department, file=str(settings.sources_config or "sandbox"))
    return registry[department](configs[department])


def sync(department: str, *, full: bool = False, settings: Settings | None = None) -> dict[str, Any]:
    """Land every stream of one department. Raises the first source error (after all streams
    ran and whatever was fetched landed) so Airflow's retry policy can decide."""
    from credithub.pipeline.sync import sync_department

    settings = settings or Settings()
    db = open_db(settings)
    try:
        with log_context(department=department, stage="sync"), source_endpoints(settings) as urls:
            connector = load_connector(settings, department, urls)
            reports = sync_department(db, connector, full=full)
        return {
            "department": department,
            "batches": [r.batch_id for r in reports],
            "rows_fetched": sum(r.rows_fetched for r in reports),
            "rows_new": sum(r.rows_new for r in reports),
            "rows_faulty": sum(r.rows_faulty for r in reports),
            "drift": [d for r in reports for d in r.drift],
        }
    finally:
        db.dispose()


def validate(department: str, *, settings: Settings | None = None) -> dict[str, Any]:
    from credithub.pipeline.validate import batches_to_validate, validate_batch

    settings = settings or Settings()
    db = open_db(settings)
    out: dict[str, Any] = {"department": department, "batches": [], "passed": 0, "quarantined": 0, "held": []}
    first_error: Exception | None = None
    try:
        for batch_id in batches_to_validate(db, department):
            with log_context(department=department, batch=batch_id, stage="validate"):
                try:
                    report = validate_batch(db, settings, batch_id, chunk_rows=settings.validate_chunk_rows)
                except Exception as exc:  # noqa: BLE001 - one stream's problem must not stall the others
                    log.exception("validation of batch %s failed", batch_id)
                    first_error = first_error or exc
                    continue
                log.info("validated batch: %s passed, %s quarantined", report.passed, report.quarantined)
            out["batches"].append(batch_id)
            out["passed"] += int(report.passed)
            out["quarantined"] += int(report.quarantined)
            if report.held:
                out["held"].append(batch_id)
    finally:
        db.dispose()
    if first_error is not None:
        raise first_error
    return out


def ingest(department: str, *, full: bool = False, settings: Settings | None = None) -> dict[str, Any]:
    """sync then validate in one task (the whole-pipeline DAG); rows that landed before a
    source error are still validated, then the error propagates for the retry policy."""
    settings = settings or Settings()
    try:
        synced = sync(department, full=full, settings=settings)
    finally:
        validated = validate(department, settings=settings)
    return {**synced, "passed": validated["passed"], "quarantined": validated["quarantined"]}


def resolve(*, settings: Settings | None = None) -> dict[str, Any]:
    from credithub.pipeline.resolve import resolve_pending

    settings = settings or Settings()
    db = open_db(settings)
    try:
        with log_context(stage="resolve"):
            return resolve_pending(db, settings).model_dump(mode="json")
    finally:
        db.dispose()


def build_profiles(*, settings: Settings | None = None) -> dict[str, Any]:
    """Rebuild profiles of dirty entities only (entity_ids=None means 'the dirty ones')."""
    from credithub.pipeline.profiles import build_profiles as build

    settings = settings or Settings()
    db = open_db(settings)
    try:
        with log_context(stage="profiles"):
            return build(db, settings).model_dump(mode="json")
    finally:
        db.dispose()


def partitions(count: int) -> list[dict[str, int]]:
    """The partitions a fanned-out stage is mapped over (XCom-safe dicts)."""
    from credithub.pipeline.partitions import all_partitions

    return [p.model_dump() for p in all_partitions(count)]


def build_partition_profiles(partition: dict[str, int], *, settings: Settings | None = None) -> dict[str, Any]:
    """Rebuild the profiles of one partition's dirty entities (one mapped task per partition)."""
    from credithub.pipeline.partitions import Partition, build_partition_profiles as build

    part = Partition.model_validate(partition)
    settings = settings or Settings()
    db = open_db(settings)
    try:
        with log_context(stage="profiles", partition=str(part)):
            return {"partition": part.model_dump(), **build(db, settings, part).model_dump(mode="json")}
    finally:
        db.dispose()


def publish(*, full: bool = False, settings: Settings | None = None) -> dict[str, Any]:
    from credithub.pipeline.publish import publish_profiles

    settings = settings or Settings()
    db = open_db(settings)
    try:
        with log_context(stage="publish"):
            return publish_profiles(db, settings, full=full).model_dump(mode="json")
    finally:
        db.dispose()


def scorecard(now: dt.datetime | None = None, *, settings: Settings | None = None) -> dict[str, Any]:
    from credithub.scorecard import evaluate_scorecard

    settings = settings or Settings()
    db = open_db(settings)
    try:
        with log_context(stage="scorecard"):
            report = evaluate_scorecard(db, settings, now or dt.datetime.now(dt.UTC))
        return {
            "month": report.month,
            "raised": [c.model_dump(mode="json") for c in report.raised],
            "cleared": [c.id for c in report.cleared],
            "status": {d.department: d.status for d in report.departments},
            "notification_errors": report.notification_errors,
        }
    finally:
        db.dispose()
