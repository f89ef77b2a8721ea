"""Airflow DAG `credithub_pipeline`: the whole main job in one run (all departments -> validate ->
resolve -> profiles -> publish -> scorecard), built from the same stage functions as `credithub run`.

On several Celery workers: each department's ingest task holds that department's pool (one slot,
shared with its `ingest_<department>` DAG); profiles fan out into one mapped task per entity hash
partition (param `partitions`); resolve (global clustering) and publish (run-level decision and
audit record; the embedded tantivy index has one writer) are single tasks. See
credithub/orchestration/dag_factory.py and docs/decisions/orchestration.md."""

from __future__ import annotations

from credithub.orchestration.dag_factory import build_pipeline_dag, registry_connectors
from credithub.settings import Settings

credithub_pipeline = build_pipeline_dag(list(registry_connectors()), Settings())
