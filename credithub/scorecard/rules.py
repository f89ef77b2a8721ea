"""Card rules: turn one department's metrics into a verdict per metric (ok / warning / yellow).

Red cards are not a metric verdict: they come from a yellow card left unresolved too long
(see cards.reconcile). Reasons are Chinese because stewards and the public read them.
"""

from __future__ import annotations

from credithub.scorecard.models import DepartmentMetrics, Finding
from credithub.settings import Settings


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.1f}"


def timeliness(m: DepartmentMetrics, settings: Settings) -> Finding:
    if m.sla_elapsed is None or m.seconds_since_success is None:
        return Finding(metric="timeliness", condition="ok", reason="尚无同步记录")
    since, sla = _hours(m.seconds_since_success), _hours(m.freshness_sla_seconds)
    if m.last_success_at is None:
        what = f"自首次同步尝试起 {since} 小时内没有一次成功同步"
    else:
        what = f"距上次成功同步已 {since} 小时"
    if m.sla_elapsed >= 1:
        return Finding(metric="timeliness", condition="yellow", reason=f"数据逾期：{what}，超过时限 {sla} 小时")
    if m.sla_elapsed >= settings.scorecard_warning_fraction:
        return Finding(
            metric="timeliness",
            condition="warning",
            reason=f"即将逾期：{what}，已用去时限（{sla} 小时）的 {m.sla_elapsed:.0%}",
        )
    return Finding(metric="timeliness", condition="ok", reason=f"按时：{what}，时限 {sla} 小时")


def failure_rate(m: DepartmentMetrics, settings: Settings) -> Finding:
    if m.failure_rate is None or m.validated_rows < settings.scorecard_min_rows:
        return Finding(
            metric="failure_rate", condition="ok", reason=f"统计期内校验记录 {m.validated_rows} 条，不足以评价"
        )
    what = f"校验失败率 {m.failure_rate:.1%}（{m.failed_rows}/{m.validated_rows} 条）"
    if m.failure_rate >= settings.scorecard_failure_rate_yellow:
        return Finding(
            metric="failure_rate",
            condition="yellow",
            reason=f"{what}，超过黄牌阈值 {settings.scorecard_failure_rate_yellow:.0%}",
        )
    if m.failure_rate >= settings.scorecard_failure_rate_warning:
        return Finding(
            metric="failure_rate",
            condition="warning",
            reason=f"{what}，超过预警阈值 {settings.scorecard_failure_rate_warning:.0%}",
        )
    return Finding(metric="failure_rate", condition="ok", reason=what)


def quarantine_backlog(m: DepartmentMetrics, settings: Settings) -> Finding:
    if m.quarantine_backlog == 0:
        return Finding(metric="quarantine_backlog", condition="ok", reason="隔离区无待处理记录")
    age = m.oldest_quarantine_age_seconds or 0.0
    age_limit = settings.scorecard_backlog_age_yellow.total_seconds()
    count_limit = settings.scorecard_backlog_count_yellow
    what = f"隔离区待处理 {m.quarantine_backlog} 条，最久已 {_hours(age)} 小时"
    if age >= age_limit or m.quarantine_backlog >= count_limit:
        return Finding(
            metric="quarantine_backlog",
            condition="yellow",
            reason=f"{what}（黄牌阈值：{_hours(age_limit)} 小时或 {count_limit} 条）",
        )
    frac = settings.scorecard_warning_fraction
    if age >= frac * age_limit or m.quarantine_backlog >= frac * count_limit:
        return Finding(
            metric="quarantine_backlog",
            condition="warning",
            reason=f"{what}，接近黄牌阈值（{_hours(age_limit)} 小时或 {count_limit} 条）",
        )
    return Finding(metric="quarantine_backlog", condition="ok", reason=what)


RULES = (timeliness, failure_rate, quarantine_backlog)


def judge(m: DepartmentMetrics, settings: Settings) -> list[Finding]:
    return [rule(m, settings) for rule in RULES]
