"""Department scorecard: timeliness, validation failures, quarantine backlog, cards and ranking."""

from credithub.scorecard.evaluate import department_catalog, evaluate_scorecard, scorecard_view
from credithub.scorecard.metrics import DepartmentInfo
from credithub.scorecard.models import CardView, DepartmentMetrics, DepartmentScore, RankingEntry, ScorecardReport
from credithub.scorecard.notify import EmailNotifier, WebhookNotifier, build_notifiers

__all__ = [
    "CardView",
    "DepartmentInfo",
    "DepartmentMetrics",
    "DepartmentScore",
    "EmailNotifier",
    "RankingEntry",
    "ScorecardReport",
    "WebhookNotifier",
    "build_notifiers",
    "department_catalog",
    "evaluate_scorecard",
    "scorecard_view",
]
