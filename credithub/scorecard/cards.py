"""Keep the ScorecardCard table in step with the current findings (idempotent).

A card of level L for a metric stays open while the metric's condition is at least L;
it is cleared (cleared_at set, never deleted) when the condition drops below L. A red card
is raised when a yellow card for the same metric has stayed open for `red_after`; it
clears together with that yellow card.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from credithub.scorecard.models import LEVEL_RANK, CardView, Finding
from credithub.storage.tables import ScorecardCard


def card_view(card: ScorecardCard) -> CardView:
    from credithub.scorecard.metrics import as_utc

    return CardView(
        id=card.id,
        department=card.department,
        level=card.level,  # type: ignore[arg-type]
        metric=card.metric,
        reason=card.reason,
        raised_at=as_utc(card.raised_at),  # type: ignore[arg-type]
        cleared_at=as_utc(card.cleared_at),
        notified_at=as_utc(card.notified_at),
    )


def open_cards(session: Session, department: str | None, now: dt.datetime) -> list[ScorecardCard]:
    stmt = select(ScorecardCard).where(ScorecardCard.cleared_at.is_(None), ScorecardCard.raised_at <= now)
    if department is not None:
        stmt = stmt.where(ScorecardCard.department == department)
    return list(session.scalars(stmt.order_by(ScorecardCard.raised_at, ScorecardCard.id)))


def reconcile(
    session: Session,
    department: str,
    findings: list[Finding],
    now: dt.datetime,
    red_after: dt.timedelta,
) -> tuple[list[ScorecardCard], list[ScorecardCard]]:
    """Raise and clear cards for one department; returns (raised, cleared) ORM rows."""
    from credithub.scorecard.metrics import as_utc

    raised: list[ScorecardCard] = []
    cleared: list[ScorecardCard] = []
    current = open_cards(session, department, now)
    for finding in findings:
        severity = LEVEL_RANK[finding.condition]
        mine = [c for c in current if c.metric == finding.metric]
        for card in mine:
            # red is kept alive by its yellow card, so it clears at the yellow threshold
            needed = LEVEL_RANK["yellow"] if card.level == "red" else LEVEL_RANK[card.level]
            if severity < needed:
                card.cleared_at = now
                cleared.append(card)
        still_open = {c.level: c for c in mine if c.cleared_at is None}
        for level in ("warning", "yellow"):
            if severity >= LEVEL_RANK[level] and level not in still_open:
                card = ScorecardCard(
                    department=department, level=level, metric=finding.metric, reason=finding.reason, raised_at=now
                )
                session.add(card)
                raised.append(card)
                still_open[level] = card
        yellow = still_open.get("yellow")
        if (
            yellow is not None
            and "red" not in still_open
            and now - as_utc(yellow.raised_at) >= red_after  # type: ignore[operator]
        ):
            days = red_after.total_seconds() / 86400
            card = ScorecardCard(
                department=department,
                level="red",
                metric=finding.metric,
                reason=f"黄牌超过 {days:g} 天未解决（黄牌于 {as_utc(yellow.raised_at):%Y-%m-%d %H:%M} UTC 亮出）："
                f"{finding.reason}",
                raised_at=now,
            )
            session.add(card)
            raised.append(card)
    session.flush()
    return raised, cleared


def recent_cards(session: Session, now: dt.datetime, days: int = 30) -> list[ScorecardCard]:
    """Cards raised by `now` that are still open or were cleared in the last `days` days."""
    from sqlalchemy import or_

    since = now - dt.timedelta(days=days)
    stmt = (
        select(ScorecardCard)
        .where(
            ScorecardCard.raised_at <= now,
            or_(ScorecardCard.cleared_at.is_(None), ScorecardCard.cleared_at >= since),
        )
        .order_by(ScorecardCard.raised_at.desc(), ScorecardCard.id.desc())
    )
    return list(session.scalars(stmt))
