"""Typed shapes of the department scorecard (what the API and the DAG task return)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

CardLevel = Literal["warning", "yellow", "red"]
Condition = Literal["ok", "warning", "yellow"]
Metric = Literal["timeliness", "failure_rate", "quarantine_backlog"]
SyncState = Literal["ok", "failed", "never"]
Status = Literal["ok", "warning", "yellow", "red", "sync_failed", "never_synced"]

LEVEL_RANK: dict[str, int] = {"ok": 0, "warning": 1, "yellow": 2, "red": 3}


class DepartmentMetrics(BaseModel):
    """Measured at `now`; every duration in seconds so the JSON is unambiguous."""

    department: str
    title: str
    freshness_sla_seconds: float
    last_success_at: dt.datetime | None = Field(description="Finish of the newest sync batch that did not fail.")
    seconds_since_success: float | None = Field(
        description="Since the last successful sync (or since the first attempt when none succeeded)."
    )
    sla_elapsed: float | None = Field(description="seconds_since_success / SLA; 1.0 means the feed is due now.")
    validated_rows: int = Field(description="Rows validated (passed + failed) staged within the window.")
    failed_rows: int
    failure_rate: float | None = Field(description="failed_rows / validated_rows; None when nothing was validated.")
    quarantine_backlog: int = Field(description="Rows still in quarantine.")
    oldest_quarantine_age_seconds: float | None
    median_fix_seconds: float | None = Field(description="Median quarantine -> release time of rows fixed in the window.")
    fixed_rows: int = 0
    sync_state: SyncState = Field(
        "ok",
        description="failed: the newest sync of some stream failed or was interrupted; never: no sync ever succeeded.",
    )


class Finding(BaseModel):
    """One rule's verdict on one metric."""

    metric: Metric
    condition: Condition
    reason: str = Field(description="Chinese, for the public page and the stewards.")


class CardView(BaseModel):
    id: int
    department: str
    level: CardLevel
    metric: str
    reason: str
    raised_at: dt.datetime
    cleared_at: dt.datetime | None = None
    notified_at: dt.datetime | None = None


class DepartmentScore(BaseModel):
    department: str
    title: str
    status: Status
    metrics: DepartmentMetrics
    findings: list[Finding]
    open_cards: list[CardView]


class RankingEntry(BaseModel):
    rank: int
    department: str
    title: str
    score: float
    warnings: int
    yellow_cards: int
    red_cards: int
    failure_rate: float | None


class ScorecardReport(BaseModel):
    generated_at: dt.datetime
    month: str = Field(description="YYYY-MM of the ranking (month to date).")
    departments: list[DepartmentScore]
    ranking: list[RankingEntry]
    recent_cards: list[CardView] = Field(
        default_factory=list, description="Cards open now or cleared in the last 30 days, newest first."
    )
    raised: list[CardView] = Field(default_factory=list, description="Cards raised by this evaluation.")
    cleared: list[CardView] = Field(default_factory=list, description="Cards cleared by this evaluation.")
    notification_errors: list[str] = Field(default_factory=list)
    score_formula: str
