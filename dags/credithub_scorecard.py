"""Airflow DAG `credithub_scorecard`: hourly department scorecard evaluation (warnings, yellow and
red cards, notices), so a feed that stopped entirely is still carded."""

from __future__ import annotations

from credithub.orchestration.dag_factory import build_scorecard_dag
from credithub.settings import Settings

credithub_scorecard = build_scorecard_dag(Settings())
