"""The scorecard stage: measure every department, raise/clear cards, notify, rank.

`evaluate_scorecard` writes cards and sends notices (the Airflow task calls it);
`scorecard_view` computes the same report read-only (the API and web page call it).
Time is passed in so an evaluation is reproducible.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

from sqlalchemy import select

from credithub.scorecard.cards import card_view, open_cards, recent_cards, reconcile
from credithub.scorecard.metrics import DepartmentInfo, as_utc, measure
from credithub.scorecard.models import LEVEL_RANK, CardView, DepartmentScore, ScorecardReport, Status, SyncState
from credithub.scorecard.notify import Notifier, build_notifiers
from credithub.scorecard.ranking import SCORE_FORMULA, month_label, rank
from credithub.scorecard.rules import judge
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import ScorecardCard, SyncBatch

log = logging.getLogger(__name__)


def department_catalog(db: Database) -> dict[str, DepartmentInfo]:
    """Every registered connector (title, freshness SLA), plus departments seen in past batches."""
    from connectors.registry import load_registry

    catalog = {
        name: DepartmentInfo(title=cls.title, freshness_sla=cls.freshness_sla) for name, cls in load_registry().items()
    }
    with db.session() as s:
        for (dept,) in s.execute(select(SyncBatch.department).distinct()):
            catalog.setdefault(dept, DepartmentInfo(title=dept, freshness_sla=dt.timedelta(days=1)))
    return dict(sorted(catalog.items()))


def _status(findings_max: int, cards: list[CardView], sync_state: SyncState) -> Status:
    """Red and yellow as the cards say; otherwise a failed or missing sync outranks ok/warning."""
    if any(c.level == "red" for c in cards):
        return "red"
    level = max([findings_max] + [LEVEL_RANK[c.level] for c in cards])
    if level >= LEVEL_RANK["yellow"]:
        return "yellow"
    if sync_state == "failed":
        return "sync_failed"
    if sync_state == "never":
        return "never_synced"
    return "warning" if level else "ok"


def _report(
    db: Database,
    settings: Settings,
    now: dt.datetime,
    departments: Mapping[str, DepartmentInfo] | None,
    write: bool,
) -> tuple[ScorecardReport, list[ScorecardCard]]:
    now = as_utc(now)  # type: ignore[assignment]
    catalog = dict(departments) if departments is not None else department_catalog(db)
    raised_rows: list[ScorecardCard] = []
    cleared_rows: list[ScorecardCard] = []
    with db.session() as s:
        measured = measure(s, catalog, now, settings.scorecard_window)
        scores: list[DepartmentScore] = []
        for dept, m in measured.items():
            findings = judge(m, settings)
            if write:
                raised, cleared = reconcile(s, dept, findings, now, settings.scorecard_red_after)
                raised_rows += raised
                cleared_rows += cleared
            cards = [card_view(c) for c in open_cards(s, dept, now)]
            scores.append(
                DepartmentScore(
                    department=dept,
                    title=m.title,
                    status=_status(max(LEVEL_RANK[f.condition] for f in findings), cards, m.sync_state),
                    metrics=m,
                    findings=findings,
                    open_cards=cards,
                )
            )
        s.flush()
        ranking = rank(s, measured, now)
        report = ScorecardReport(
            generated_at=now,
            month=month_label(now),
            departments=scores,
            ranking=ranking,
            recent_cards=[card_view(c) for c in recent_cards(s, now) if c.department in catalog],
            raised=[card_view(c) for c in raised_rows],
            cleared=[card_view(c) for c in cleared_rows],
            score_formula=SCORE_FORMULA,
        )
    return report, raised_rows


def scorecard_view(
    db: Database, settings: Settings, now: dt.datetime, *, departments: Mapping[str, DepartmentInfo] | None = None
) -> ScorecardReport:
    """The scorecard as of `now`, without raising cards or sending anything."""
    return _report(db, settings, now, departments, write=False)[0]


def _notify_pending(
    db: Database,
    settings: Settings,
    now: dt.datetime,
    notifiers: Sequence[Notifier],
    titles: Mapping[str, str],
) -> list[str]:
    """Send every open, not yet notified card at or above the configured level; failures are retried next time."""
    errors: list[str] = []
    if not notifiers:
        return errors
    min_rank = LEVEL_RANK[settings.scorecard_notify_min_level]
    with db.session() as s:
        for card in open_cards(s, None, now):
            if card.notified_at is not None or LEVEL_RANK[card.level] < min_rank:
                continue
            view = card_view(card)
            delivered = False
            for notifier in notifiers:
                try:
                    notifier.send(view, titles.get(card.department, card.department))
                    delivered = True
                except Exception as exc:  # noqa: BLE001 - one channel failing must not stop the others
                    msg = f"{notifier.name} notice for card {card.id} ({card.department}/{card.level}) failed: {exc}"
                    log.warning(msg)
                    errors.append(msg)
            if delivered:
                card.notified_at = now
    return errors


def evaluate_scorecard(
    db: Database,
    settings: Settings,
    now: dt.datetime,
    *,
    departments: Mapping[str, DepartmentInfo] | None = None,
    notifiers: Sequence[Notifier] | None = None,
) -> ScorecardReport:
    """Measure, raise/clear cards, notify raised cards (e-mail/webhook per settings), rank.

    Idempotent: evaluating again at the same `now` raises nothing new. Run one evaluation at a
    time (the Airflow DAG has max_active_runs=1) so two runs cannot raise the same card twice.
    """
    report, _ = _report(db, settings, now, departments, write=True)
    chosen = build_notifiers(settings) if notifiers is None else list(notifiers)
    titles = {d.department: d.title for d in report.departments}
    report.notification_errors = _notify_pending(db, settings, as_utc(now), chosen, titles)  # type: ignore[arg-type]
    if report.raised:
        # re-read notified_at for the cards this run raised
        ids = {c.id for c in report.raised}
        with db.session() as s:
            rows = s.scalars(select(ScorecardCard).where(ScorecardCard.id.in_(ids))).all()
            report.raised = [card_view(c) for c in sorted(rows, key=lambda c: c.id)]
    for card in report.raised:
        log.info("scorecard card raised", extra={"department": card.department, "card": card.model_dump(mode="json")})
    return report
