"""Prometheus metrics for the API process, one CollectorRegistry per app (no module globals).

Pipeline numbers (records per stage and department, validation failures, queue sizes, cards)
are read from the database at scrape time by `DatabaseCollector`: stages run in Airflow
worker processes, so in-process counters there would never reach the API's /metrics; the
database is the one place every process writes to. API latency is measured in-process.

Mount it in the app factory:

    from credithub.observability.metrics import install_metrics
    install_metrics(app, settings)          # GET /metrics + latency middleware
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import (
    CanonicalRecordRow,
    Entity,
    ProfileRow,
    RawRecord,
    ResolutionFlag,
    ScorecardCard,
    StagedRecord,
    SyncBatch,
)

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class DatabaseCollector(Collector):
    """Reads pipeline state from the hub database on every scrape."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[Any]:
        up = GaugeMetricFamily("credithub_metrics_db_up", "1 when the pipeline metrics could be read from the database.")
        try:
            families = list(self._families())
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because the DB is down
            log.warning("metrics: database not readable: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Any]:
        with self.db.session() as s:
            stage = CounterMetricFamily(
                "credithub_stage_records",
                "Records that reached each pipeline stage, per department.",
                labels=["stage", "department"],
            )
            for dept, n in s.execute(select(RawRecord.department, func.count()).group_by(RawRecord.department)):
                stage.add_metric(["sync", dept], n)
            for dept, status, n in s.execute(
                select(StagedRecord.department, StagedRecord.status, func.count()).group_by(
                    StagedRecord.department, StagedRecord.status
                )
            ):
                stage.add_metric([f"staged_{status}", dept], n)
            for dept, resolved, n in s.execute(
                select(CanonicalRecordRow.department, CanonicalRecordRow.resolved, func.count()).group_by(
                    CanonicalRecordRow.department, CanonicalRecordRow.resolved
                )
            ):
                stage.add_metric(["resolved" if resolved else "canonical_unresolved", dept], n)
            yield stage

            failures = CounterMetricFamily(
                "credithub_validation_failures",
                "Rows that failed validation (quarantined, later released or rejected), per department.",
                labels=["department"],
            )
            for dept, n in s.execute(
                select(StagedRecord.department, func.count())
                .where(StagedRecord.status.in_(("quarantined", "released", "rejected")))
                .group_by(StagedRecord.department)
            ):
                failures.add_metric([dept], n)
            yield failures

            queue = GaugeMetricFamily(
                "credithub_queue_size", "Work waiting in each queue, per department where it applies.",
                labels=["queue", "department"],
            )
            for dept, status, n in s.execute(
                select(StagedRecord.department, StagedRecord.status, func.count())
                .where(StagedRecord.status.in_(("pending", "quarantined")))
                .group_by(StagedRecord.department, StagedRecord.status)
            ):
                queue.add_metric(["validation_pending" if status == "pending" else "quarantine", dept], n)
            for dept, n in s.execute(
                select(CanonicalRecordRow.department, func.count())
                .where(CanonicalRecordRow.resolved.is_(False))
                .group_by(CanonicalRecordRow.department)
            ):
                queue.add_metric(["resolution_pending", dept], n)
            for dept, n in s.execute(
                select(ResolutionFlag.department, func.count())
                .where(ResolutionFlag.status == "open")
                .group_by(ResolutionFlag.department)
            ):
                queue.add_metric(["resolution_flags", dept or ""], n)
            queue.add_metric(
                ["profiles_dirty", ""],
                s.scalar(select(func.count()).select_from(Entity).where(Entity.dirty.is_(True))) or 0,
            )
            queue.add_metric(
                ["publish_pending", ""],
                s.scalar(
                    select(func.count())
                    .select_from(ProfileRow)
                    .where((ProfileRow.published_hash.is_(None)) | (ProfileRow.published_hash != ProfileRow.content_hash))
                )
                or 0,
            )
            yield queue

            last_ok = GaugeMetricFamily(
                "credithub_last_successful_sync_timestamp_seconds",
                "Unix time of the newest sync batch that did not fail, per department.",
                labels=["department"],
            )
            from credithub.scorecard.metrics import FAILED_BATCH_STATUSES, as_utc

            for dept, finished in s.execute(
                select(SyncBatch.department, func.max(SyncBatch.finished_at))
                .where(SyncBatch.status.not_in(FAILED_BATCH_STATUSES))
                .group_by(SyncBatch.department)
            ):
                if finished is not None:
                    last_ok.add_metric([dept], as_utc(finished).timestamp())  # type: ignore[union-attr]
            yield last_ok

            cards = GaugeMetricFamily(
                "credithub_scorecard_open_cards", "Open scorecard cards per department and level.",
                labels=["department", "level"],
            )
            for dept, level, n in s.execute(
                select(ScorecardCard.department, ScorecardCard.level, func.count())
                .where(ScorecardCard.cleared_at.is_(None))
                .group_by(ScorecardCard.department, ScorecardCard.level)
            ):
                cards.add_metric([dept, level], n)
            yield cards


@dataclass
class AppMetrics:
    registry: CollectorRegistry
    request_latency: Histogram

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def create_metrics(db: Database | None = None) -> AppMetrics:
    """A fresh registry with the API latency histogram and (when given) the database collector."""
    registry = CollectorRegistry(auto_describe=True)
    latency = Histogram(
        "credithub_api_request_duration_seconds",
        "API request latency by route template, method and status.",
        labelnames=("method", "route", "status"),
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    if db is not None:
        registry.register(DatabaseCollector(db))
    return AppMetrics(registry=registry, request_latency=latency)


class LatencyMiddleware:
    """Pure ASGI middleware (works with streaming responses); labels by route template, not raw path."""

    def __init__(self, app: Any, metrics: AppMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = {"code": 500}

        async def send_wrapper(message: Any) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.request_latency.labels(scope.get("method", ""), template, str(status["code"])).observe(
                time.perf_counter() - start
            )


def install_metrics(app: Any, settings: Settings, db: Database | None = None, path: str = "/metrics") -> AppMetrics:
    """Add GET `path` (Prometheus text format) and the latency middleware to a FastAPI app.

    Uses `db` when given, else opens the hub database from settings. Returns the AppMetrics
    (also stored on app.state.metrics).
    """
    from fastapi import Response

    metrics = create_metrics(db if db is not None else Database(settings.resolved_database_url))

    async def prometheus_metrics() -> Response:
        body, content_type = metrics.render()
        return Response(content=body, media_type=content_type)

    app.add_api_route(path, prometheus_metrics, methods=["GET"], include_in_schema=False, name="metrics")
    app.add_middleware(LatencyMiddleware, metrics=metrics)
    app.state.metrics = metrics
    return metrics
