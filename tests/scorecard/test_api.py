"""GET /api/v1/departments/scorecard and the Chinese web page, over a real database."""

from __future__ import annotations

import datetime as dt
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.scorecard.routes import router
from credithub.scorecard import evaluate_scorecard
from credithub.settings import Settings
from credithub.storage.db import Database

from .conftest import add_batch


def _client(db: Database, settings: Settings) -> TestClient:
    app = FastAPI()
    app.state.settings, app.state.db = settings, db
    app.include_router(router)
    return TestClient(app)


def test_json_and_page_show_cards_ranking_and_metrics(sqlite_db: Database, settings: Settings) -> None:
    now = dt.datetime.now(dt.UTC)
    add_batch(sqlite_db, "tax", now - dt.timedelta(days=3), passed=10, quarantined=30)
    add_batch(sqlite_db, "market_regulation", now - dt.timedelta(hours=1), passed=50)
    evaluate_scorecard(sqlite_db, settings, now - dt.timedelta(seconds=1), notifiers=[])
    client = _client(sqlite_db, settings)

    body = client.get("/api/v1/departments/scorecard").json()
    by_dept = {d["department"]: d for d in body["departments"]}
    # the catalog is the connector registry: registered departments appear even without data
    assert {"tax", "market_regulation", "quality_supervision"} <= set(by_dept)
    tax = by_dept["tax"]
    assert tax["status"] == "yellow"
    assert {(c["metric"], c["level"]) for c in tax["open_cards"]} >= {("timeliness", "yellow"), ("failure_rate", "yellow")}
    assert tax["metrics"]["failure_rate"] == 0.75 and tax["metrics"]["quarantine_backlog"] == 30
    assert by_dept["market_regulation"]["status"] == "ok"
    ranking = [r["department"] for r in body["ranking"]]
    assert ranking[-1] == "tax" and ranking.index("market_regulation") < ranking.index("tax")
    assert body["month"] == now.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m")

    page = client.get("/departments/scorecard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "部门数据报送记分卡" in html and "月度排名" in html and "黄牌" in html and "数据逾期" in html
    assert re.search(r'id="dept-tax".*?s-yellow', html, re.S)
    assert "近 30 天的预警与亮牌记录" in html and "未解除" in html
    assert [c["department"] for c in body["recent_cards"]] == ["tax"] * len(body["recent_cards"])
    # no external assets: nothing is fetched from a CDN
    assert not re.search(r'(src|href)="(https?:)?//', html)


def test_page_is_read_only(sqlite_db: Database, settings: Settings) -> None:
    add_batch(sqlite_db, "tax", dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    client = _client(sqlite_db, settings)
    assert client.get("/departments/scorecard").status_code == 200
    body = client.get("/api/v1/departments/scorecard").json()
    tax = next(d for d in body["departments"] if d["department"] == "tax")
    assert tax["status"] == "yellow" and tax["open_cards"] == []  # late, but a page view raises no card
