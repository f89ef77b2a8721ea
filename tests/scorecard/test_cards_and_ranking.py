"""Must-show: one department's feed goes late and its failure rate goes high; the scorecard
shows the warning, the yellow card, the red card (with notices by webhook and e-mail) and the
department falling in the monthly ranking; fixing it clears the cards."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from credithub.scorecard import DepartmentInfo, evaluate_scorecard, scorecard_view
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import ScorecardCard, StagedRecord

from .conftest import add_batch

DAY = dt.timedelta(days=1)
H = dt.timedelta(hours=1)
DEPTS = {
    "market_regulation": DepartmentInfo(title="市场监督管理局", freshness_sla=DAY),
    "quality_supervision": DepartmentInfo(title="质量技术监督局", freshness_sla=DAY),
    "tax": DepartmentInfo(title="税务局", freshness_sla=DAY),
}
T0 = dt.datetime(2026, 11, 2, 0, 0, tzinfo=dt.UTC)
LATE = "market_regulation"


def _cards(db: Database, dept: str) -> list[ScorecardCard]:
    with db.session() as s:
        return list(s.scalars(select(ScorecardCard).where(ScorecardCard.department == dept).order_by(ScorecardCard.id)))


def _open(report, dept: str) -> set[tuple[str, str]]:  # type: ignore[no-untyped-def]
    score = next(d for d in report.departments if d.department == dept)
    return {(c.metric, c.level) for c in score.open_cards}


def _rank(report, dept: str) -> int:  # type: ignore[no-untyped-def]
    return next(r.rank for r in report.ranking if r.department == dept)


@pytest.fixture
def card_settings(settings: Settings, webhook, smtp_server) -> Settings:  # type: ignore[no-untyped-def]
    url, _ = webhook
    port, _ = smtp_server
    return settings.model_copy(
        update={
            "scorecard_notify": ["webhook", "email"],
            "scorecard_notify_min_level": "yellow",
            "scorecard_webhook_url": url,
            "scorecard_smtp_port": port,
            "scorecard_mail_to": ["steward@example.org", "head@example.org"],
            "scorecard_red_after": 2 * DAY,
            "scorecard_backlog_age_yellow": 10 * DAY,  # keep the backlog rule out of this story
        }
    )


def test_late_feed_and_high_failure_rate_get_warning_yellow_red_and_lose_rank(
    any_db: Database, card_settings: Settings, webhook, smtp_server  # type: ignore[no-untyped-def]
) -> None:
    db, settings = any_db, card_settings
    for dept in DEPTS:
        add_batch(db, dept, T0 - H, passed=98, quarantined=2)

    def others_keep_syncing(until: dt.datetime) -> None:
        t = T0 + 12 * H
        while t <= until:
            for dept in DEPTS:
                if dept != LATE:
                    add_batch(db, dept, t, passed=49, quarantined=1)
            t += 12 * H

    # all fine at first: nobody has a card; ties are broken by department code
    first = evaluate_scorecard(db, settings, T0, departments=DEPTS)
    assert first.raised == [] and all(d.status == "ok" for d in first.departments)
    assert _rank(first, LATE) == 1

    # one hour later the late department delivers a bad batch: 60 of 100 rows fail validation
    add_batch(db, LATE, T0 + H, passed=40, quarantined=60)
    others_keep_syncing(T0 + 5 * DAY)

    # 20 h after its last delivery (83% of a 24 h SLA): a warning, and a yellow card for the failure rate
    r1 = evaluate_scorecard(db, settings, T0 + 21 * H, departments=DEPTS)
    assert _open(r1, LATE) == {("timeliness", "warning"), ("failure_rate", "warning"), ("failure_rate", "yellow")}
    late = next(d for d in r1.departments if d.department == LATE)
    assert late.status == "yellow"
    assert late.metrics.failure_rate == pytest.approx(62 / 200)  # window covers both of its batches
    assert late.metrics.sla_elapsed == pytest.approx(20 / 24)
    assert "即将逾期" in next(f.reason for f in late.findings if f.metric == "timeliness")
    for dept in DEPTS:
        if dept != LATE:
            assert _open(r1, dept) == set(), dept
    assert _rank(r1, LATE) == 3, r1.ranking

    # evaluating again at the same instant is idempotent
    again = evaluate_scorecard(db, settings, T0 + 21 * H, departments=DEPTS)
    assert again.raised == [] and len(_cards(db, LATE)) == 3

    # past the SLA: yellow card for timeliness
    r2 = evaluate_scorecard(db, settings, T0 + 26 * H, departments=DEPTS)
    assert ("timeliness", "yellow") in {(c.metric, c.level) for c in r2.raised}
    reason = next(c.reason for c in r2.raised if c.metric == "timeliness")
    assert "数据逾期" in reason and "25.0 小时" in reason

    # the failure-rate yellow card has been open 2 days: red card
    r3 = evaluate_scorecard(db, settings, T0 + 21 * H + 2 * DAY, departments=DEPTS)
    assert [(c.metric, c.level) for c in r3.raised] == [("failure_rate", "red")]
    assert "黄牌超过 2 天未解决" in r3.raised[0].reason
    # and later the timeliness yellow card turns red too
    r4 = evaluate_scorecard(db, settings, T0 + 26 * H + 2 * DAY, departments=DEPTS)
    assert [(c.metric, c.level) for c in r4.raised] == [("timeliness", "red")]
    late = next(d for d in r4.departments if d.department == LATE)
    assert late.status == "red"
    entry = next(r for r in r4.ranking if r.department == LATE)
    assert (entry.rank, entry.yellow_cards, entry.red_cards) == (3, 2, 2)
    assert entry.score < min(r.score for r in r4.ranking if r.department != LATE)
    assert all(d.status == "ok" for d in r4.departments if d.department != LATE)

    # every yellow and red card was sent by webhook and by e-mail, once
    _, hooks = webhook
    _, mails = smtp_server
    levels = sorted((h["card"]["metric"], h["card"]["level"]) for h in hooks.items)
    assert levels == sorted(
        [("failure_rate", "yellow"), ("timeliness", "yellow"), ("failure_rate", "red"), ("timeliness", "red")]
    )
    assert all(h["card"]["department"] == LATE for h in hooks.items)
    assert len(mails.items) == 4
    red_mail = next(m for m in mails.items if "红牌" in m["subject"])
    assert red_mail["to"] == ["steward@example.org", "head@example.org"]
    assert "市场监督管理局" in red_mail["subject"] and "原因：黄牌超过" in red_mail["body"]
    assert all(c.notified_at is not None for c in _cards(db, LATE) if c.level in {"yellow", "red"})

    # the department delivers a clean batch and its stewards release the quarantined rows: all cards clear
    fixed_at = T0 + 4 * DAY
    add_batch(db, LATE, fixed_at, passed=600)  # released rows still count as failed: 62/800 < 10%
    with db.session() as s:
        s.execute(
            update(StagedRecord)
            .where(StagedRecord.department == LATE, StagedRecord.status == "quarantined")
            .values(status="released", resolved_at=fixed_at)
        )
    r5 = evaluate_scorecard(db, settings, fixed_at + H, departments=DEPTS)
    assert _open(r5, LATE) == set()
    assert {c.level for c in r5.cleared} == {"warning", "yellow", "red"}
    assert [(c.metric, c.level) for c in _cards(db, LATE) if c.cleared_at is None] == []
    late = next(d for d in r5.departments if d.department == LATE)
    assert late.metrics.quarantine_backlog == 0
    # 60 rows quarantined at T0+1h and 2 at T0-1h, all released at T0+4d: median is 95 h
    assert late.metrics.median_fix_seconds == pytest.approx(95 * 3600)
    # the month's ranking remembers the cards, and the history shows when each was raised and cleared
    assert _rank(r5, LATE) == 3
    history = [c for c in r5.recent_cards if c.department == LATE]
    assert len(history) == 6 and all(c.cleared_at == fixed_at + H for c in history)
    assert {(c.metric, c.level) for c in history} == {
        (m, lvl) for m in ("timeliness", "failure_rate") for lvl in ("warning", "yellow", "red")
    }


def test_view_is_read_only_and_matches_evaluation(sqlite_db: Database, settings: Settings) -> None:
    add_batch(sqlite_db, "tax", T0 - 30 * H, passed=10, quarantined=0)
    view = scorecard_view(sqlite_db, settings, T0, departments=DEPTS)
    tax = next(d for d in view.departments if d.department == "tax")
    assert tax.status == "yellow" and tax.open_cards == []  # late, but nothing written
    assert _cards(sqlite_db, "tax") == []
    assert next(d for d in view.departments if d.department == "market_regulation").status == "never_synced"
    evaluated = evaluate_scorecard(sqlite_db, settings, T0, departments=DEPTS, notifiers=[])
    assert {(c.metric, c.level) for c in evaluated.raised} == {("timeliness", "warning"), ("timeliness", "yellow")}


def test_failed_syncs_do_not_count_as_delivery(sqlite_db: Database, settings: Settings) -> None:
    add_batch(sqlite_db, "tax", T0 - 30 * H, passed=30)
    add_batch(sqlite_db, "tax", T0 - H, passed=0, status="failed")
    view = scorecard_view(sqlite_db, settings, T0, departments={"tax": DEPTS["tax"]})
    assert view.departments[0].metrics.sla_elapsed == pytest.approx(30 / 24)


def test_backlog_age_and_count_thresholds(sqlite_db: Database, settings: Settings) -> None:
    s = settings.model_copy(update={"scorecard_backlog_age_yellow": 2 * DAY, "scorecard_min_rows": 1000})
    add_batch(sqlite_db, "tax", T0, passed=10, quarantined=3)
    add_batch(sqlite_db, "tax", T0 + 47 * H, passed=10)  # fresh feed: only the backlog matters
    view = scorecard_view(sqlite_db, s, T0 + 48 * H, departments={"tax": DEPTS["tax"]})
    backlog = next(f for f in view.departments[0].findings if f.metric == "quarantine_backlog")
    assert backlog.condition == "yellow" and "隔离区待处理 3 条" in backlog.reason
    view = scorecard_view(sqlite_db, s, T0 + 40 * H, departments={"tax": DEPTS["tax"]})
    assert next(f for f in view.departments[0].findings if f.metric == "quarantine_backlog").condition == "warning"


def test_notification_failure_is_reported_and_retried(sqlite_db: Database, settings: Settings, webhook) -> None:  # type: ignore[no-untyped-def]
    url, got = webhook
    s = settings.model_copy(update={"scorecard_notify": ["webhook"], "scorecard_webhook_url": "http://127.0.0.1:9/x"})
    add_batch(sqlite_db, "tax", T0 - 30 * H, passed=10)
    r = evaluate_scorecard(sqlite_db, s, T0, departments={"tax": DEPTS["tax"]})
    assert r.notification_errors and "webhook" in r.notification_errors[0]
    assert all(c.notified_at is None for c in _cards(sqlite_db, "tax"))
    s = s.model_copy(update={"scorecard_webhook_url": url})
    r = evaluate_scorecard(sqlite_db, s, T0 + H, departments={"tax": DEPTS["tax"]})
    assert r.notification_errors == [] and r.raised == []
    assert [h["card"]["level"] for h in got.items] == ["yellow"]  # the warning is below the notify level
