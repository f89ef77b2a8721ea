"""Airflow callbacks (must be importable top-level callables)."""

from __future__ import annotations

import logging
from typing import Any

from credithub.observability.logs import log_context

log = logging.getLogger(__name__)


def ingest_deadline_missed(department: str, **context: Any) -> None:
    """DeadlineAlert callback: a department's ingest run did not finish within its freshness SLA.

    Logs it and evaluates the scorecard now, which raises the timeliness warning/yellow card
    (and sends its notice) if the department's data really is stale.
    """
    from credithub.orchestration.tasks import scorecard

    with log_context(department=department, stage="deadline"):
        log.error("ingest run for %s missed its freshness deadline", department)
        scorecard()
