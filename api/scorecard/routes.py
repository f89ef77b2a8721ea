"""GET /api/v1/departments/scorecard (JSON) and /departments/scorecard (Chinese web page).

Both are read-only views as of the request time: cards are raised by the scheduled
evaluation (Airflow), never by a page view. The app may provide `app.state.settings` and
`app.state.db`; otherwise they are built from the environment once per app.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from credithub.scorecard import ScorecardReport, scorecard_view
from credithub.settings import Settings
from credithub.storage.db import Database

router = APIRouter(tags=["scorecard"])
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))

STATUS_ZH = {"ok": "正常", "warning": "预警", "yellow": "黄牌", "red": "红牌", "sync_failed": "同步失败", "never_synced": "从未同步"}
LEVEL_ZH = {"warning": "预警", "yellow": "黄牌", "red": "红牌"}
METRIC_ZH = {"timeliness": "及时性", "failure_rate": "校验失败率", "quarantine_backlog": "隔离积压"}


def _settings(request: Request) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    if settings is None:
        settings = request.app.state.settings = Settings()
    return settings


def _db(request: Request) -> Database:
    db = getattr(request.app.state, "db", None)
    if db is None:
        db = request.app.state.db = Database(_settings(request).resolved_database_url)
    return db


def _report(request: Request) -> ScorecardReport:
    return scorecard_view(_db(request), _settings(request), dt.datetime.now(dt.UTC))


@router.get(
    "/api/v1/departments/scorecard",
    response_model=ScorecardReport,
    summary="部门记分卡：及时性、校验失败率、隔离积压、预警/黄牌/红牌与月度排名",
)
def scorecard_json(request: Request) -> ScorecardReport:
    return _report(request)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    hours = seconds / 3600
    return f"{hours / 24:.1f} 天" if hours >= 48 else f"{hours:.1f} 小时"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _when(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")


@router.get("/departments/scorecard", response_class=HTMLResponse, include_in_schema=False)
def scorecard_page(request: Request) -> HTMLResponse:
    report = _report(request)
    return templates.TemplateResponse(
        request,
        "scorecard.html",
        {
            "report": report,
            "titles": {d.department: d.title for d in report.departments},
            "status_zh": STATUS_ZH,
            "level_zh": LEVEL_ZH,
            "metric_zh": METRIC_ZH,
            "duration": _duration,
            "percent": _percent,
            "when": _when,
        },
    )
