"""Monthly ranking of departments (published, as the city's e-supervision system did)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from credithub.scorecard.models import DepartmentMetrics, RankingEntry
from credithub.storage.tables import ScorecardCard

# Months are the city's calendar months.
RANKING_TZ = ZoneInfo("Asia/Shanghai")
WEIGHTS = {"warning": 2.0, "yellow": 10.0, "red": 25.0}
FAILURE_RATE_WEIGHT = 20.0
SCORE_FORMULA = (
    "score = max(0, 100 − 2×预警数 − 10×黄牌数 − 25×红牌数 − 20×校验失败率)；"
    "计入本月内任一时刻处于未解除状态的牌；失败率取统计窗口内的比例（0–1）。"
    "同分时红牌少者、黄牌少者在前，再按部门代码排序。"
)


def month_start(now: dt.datetime) -> dt.datetime:
    local = now.astimezone(RANKING_TZ)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


def month_label(now: dt.datetime) -> str:
    return now.astimezone(RANKING_TZ).strftime("%Y-%m")


def rank(
    session: Session, metrics: Mapping[str, DepartmentMetrics], now: dt.datetime
) -> list[RankingEntry]:
    start = month_start(now)
    counts: dict[str, Counter[str]] = {d: Counter() for d in metrics}
    for dept, level in session.execute(
        select(ScorecardCard.department, ScorecardCard.level).where(
            ScorecardCard.raised_at <= now,
            or_(ScorecardCard.cleared_at.is_(None), ScorecardCard.cleared_at >= start),
        )
    ):
        if dept in counts:
            counts[dept][level] += 1
    entries = []
    for dept, m in metrics.items():
        c = counts[dept]
        penalty = sum(WEIGHTS[level] * c[level] for level in WEIGHTS)
        penalty += FAILURE_RATE_WEIGHT * (m.failure_rate or 0.0)
        entries.append(
            RankingEntry(
                rank=0,
                department=dept,
                title=m.title,
                score=round(max(0.0, 100.0 - penalty), 1),
                warnings=c["warning"],
                yellow_cards=c["yellow"],
                red_cards=c["red"],
                failure_rate=m.failure_rate,
            )
        )
    entries.sort(key=lambda e: (-e.score, e.red_cards, e.yellow_cards, e.department))
    for i, e in enumerate(entries, start=1):
        e.rank = i
    return entries
