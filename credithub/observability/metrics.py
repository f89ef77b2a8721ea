"""Prometheus metrics for the API process, one CollectorRegistry per app (no module globals).

Pipeline numbers (records per stage and department, validation failures, queue sizes, cards,
sync failures, last successful sync and publish) come from the database: stages run in Airflow
worker processes, so in-process counters there would never reach the API's /metrics; the
database is the one place every process writes to. Counting those tables takes seconds at city
size (past Prometheus's 10 s scrape timeout), so a background thread reads them at most every
`CREDITHUB_METRICS_REFRESH_S` and every scrape serves the last good snapshot (its age is a
metric too). API latency is measured in-process.

Mount it in the app factory:

    from credithub.observability.metrics import install_metrics
    install_metrics(app, settings)          # GET /metrics + latency middleware
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from credithub.observability.pipeline_snapshot import PipelineSnapshot, read_snapshot
from credithub.settings import Settings
from credithub.storage.db import Database

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class SnapshotCache:
    """The last good PipelineSnapshot, refreshed by one background thread at most every `refresh_s`.

    A scrape only reads what is cached, so its cost does not grow with the tables. The first
    scrape of a process waits up to `first_scrape_wait_s` for the first snapshot so that a
    freshly started API answers with numbers rather than an empty page.
    """

    def __init__(
        self,
        db: Database,
        refresh_s: float,
        first_scrape_wait_s: float,
        reader: Callable[[Database], PipelineSnapshot] = read_snapshot,
    ) -> None:
        self.db = db
        self.refresh_s = refresh_s
        self.first_scrape_wait_s = first_scrape_wait_s
        self._reader = reader
        self._lock = threading.Lock()
        self._snapshot: PipelineSnapshot | None = None
        self._healthy = False
        self._started_at: float | None = None  # monotonic start of the newest refresh
        self._running = False
        self._first_done = threading.Event()

    def current(self) -> tuple[PipelineSnapshot | None, bool]:
        """(last good snapshot or None, whether the newest finished refresh succeeded)."""
        self._refresh_if_due()
        if self._snapshot is None:
            self._first_done.wait(self.first_scrape_wait_s)
        with self._lock:
            return self._snapshot, self._healthy

    def _refresh_if_due(self) -> None:
        with self._lock:
            now = time.monotonic()
            if self._running or (self._started_at is not None and now - self._started_at < self.refresh_s):
                return
            self._running, self._started_at = True, now
        threading.Thread(target=self._refresh, name="credithub-metrics-refresh", daemon=True).start()

    def _refresh(self) -> None:
        try:
            snapshot = self._reader(self.db)
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail because the DB is down
            log.warning("metrics: database not readable, serving the last snapshot: %s", exc)
            with self._lock:
                self._healthy, self._running = False, False
        else:
            with self._lock:
                self._snapshot, self._healthy, self._running = snapshot, True, False
        finally:
            self._first_done.set()


def _families(snapshot: PipelineSnapshot | None, healthy: bool, now: float) -> list[Any]:
    """Metric families from a snapshot; `now` (unix time) turns timestamps into ages."""
    up = GaugeMetricFamily(
        "credithub_metrics_db_up", "1 when the newest background read of the pipeline database succeeded."
    )
    age = GaugeMetricFamily(
        "credithub_metrics_snapshot_age_seconds", "Age of the pipeline numbers served (alert when it keeps growing)."
    )
    stage = CounterMetricFamily(
        "credithub_stage_records",
        "Records that reached each pipeline stage, per department.",
        labels=["stage", "department"],
    )
    failures = CounterMetricFamily(
        "credithub_validation_failures",
        "Rows that failed validation (quarantined, later released or rejected), per department.",
        labels=["department"],
    )
    queue = GaugeMetricFamily(
        "credithub_queue_size",
        "Work waiting in each queue, per department where it applies.",
        labels=["queue", "department"],
    )
    last_ok = GaugeMetricFamily(
        "credithub_last_successful_sync_timestamp_seconds",
        "Unix time of the newest sync batch that did not fail, per department.",
        labels=["department"],
    )
    since_ok = GaugeMetricFamily(
        "credithub_seconds_since_last_successful_sync",
        "Seconds since the newest sync batch that did not fail, per department.",
        labels=["department"],
    )
    sync_failures = CounterMetricFamily(
        "credithub_sync_failures",
        "Sync batches that failed or were interrupted, per department.",
        labels=["department"],
    )
    published = GaugeMetricFamily(
        "credithub_last_successful_publish_timestamp_seconds", "Unix time of the newest completed publish."
    )
    cards = GaugeMetricFamily(
        "credithub_scorecard_open_cards",
        "Open scorecard cards per department and level.",
        labels=["department", "level"],
    )
    up.add_metric([], 1 if healthy else 0)
    if snapshot is not None:
        age.add_metric([], max(0.0, now - snapshot.taken_at))
        for name, dept, n in snapshot.stage_records:
            stage.add_metric([name, dept], n)
        for dept, n in snapshot.validation_failures:
            failures.add_metric([dept], n)
        for name, dept, n in snapshot.queues:
            queue.add_metric([name, dept], n)
        for dept, ts in sorted(snapshot.last_successful_sync.items()):
            last_ok.add_metric([dept], ts)
            since_ok.add_metric([dept], max(0.0, now - ts))
        for dept, n in sorted(snapshot.sync_failures.items()):
            sync_failures.add_metric([dept], n)
        if snapshot.last_successful_publish is not None:
            published.add_metric([], snapshot.last_successful_publish)
        for dept, level, n in snapshot.open_cards:
            cards.add_metric([dept, level], n)
    return [up, age, stage, failures, queue, last_ok, since_ok, sync_failures, published, cards]


class DatabaseCollector(Collector):
    """Pipeline numbers from the cached snapshot: no SQL on the scrape path."""

    def __init__(self, cache: SnapshotCache) -> None:
        self.cache = cache

    def describe(self) -> Iterator[Any]:
        # Without describe(), registering would call collect() and start a database read.
        yield from _families(None, False, 0.0)

    def collect(self) -> Iterator[Any]:
        snapshot, healthy = self.cache.current()
        yield from _families(snapshot, healthy, time.time())


@dataclass
class AppMetrics:
    registry: CollectorRegistry
    request_latency: Histogram

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


def create_metrics(
    db: Database | None = None, *, refresh_s: float = 60.0, first_scrape_wait_s: float = 5.0
) -> AppMetrics:
    """A fresh registry with the API latency histogram and (when given) the database collector.

    Pipeline numbers are re-read from `db` in the background at most every `refresh_s` seconds.
    """
    registry = CollectorRegistry(auto_describe=True)
    latency = Histogram(
        "credithub_api_request_duration_seconds",
        "API request latency by route template, method and status.",
        labelnames=("method", "route", "status"),
        buckets=LATENCY_BUCKETS,
        registry=registry,
    )
    if db is not None:
        registry.register(DatabaseCollector(SnapshotCache(db, refresh_s, first_scrape_wait_s)))
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

    metrics = create_metrics(
        db if db is not None else Database(settings.resolved_database_url),
        refresh_s=settings.metrics_refresh_s,
        first_scrape_wait_s=settings.metrics_first_scrape_wait_s,
    )

    async def prometheus_metrics() -> Response:
        body, content_type = metrics.render()
        return Response(content=body, media_type=content_type)

    app.add_api_route(path, prometheus_metrics, methods=["GET"], include_in_schema=False, name="metrics")
    app.add_middleware(LatencyMiddleware, metrics=metrics)
    app.state.metrics = metrics
    return metrics
