"""Airflow DAG `credithub_pipeline`: the whole main job in one run (all departments -> validate ->
resolve -> profiles -> publish -> scorecard), built from the same stage functions as `credithub run`."""

from __future__ import annotations

from credithub.orchestration.dag_factory import build_pipeline_dag, registry_connectors
from credithub.settings import Settings

credithub_pipeline = build_pipeline_dag(list(registry_connectors()), Settings())
