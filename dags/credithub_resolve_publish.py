"""Airflow DAG `credithub_resolve_publish`: scheduled on AssetAny(credithub.validated.<dept> ...):
incremental resolution -> profiles of changed entities -> publish -> scorecard."""

from __future__ import annotations

from credithub.orchestration.dag_factory import build_resolve_publish_dag, registry_connectors
from credithub.settings import Settings

credithub_resolve_publish = build_resolve_publish_dag(list(registry_connectors()), Settings())
