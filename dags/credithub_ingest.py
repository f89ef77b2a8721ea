"""Airflow DAGs `ingest_<department>`: one per connector in the registry (dynamic DAG generation).

A new connector (built-in or from the `credithub.connectors` entry-point group) gets its DAG
here with no DAG code written. See credithub/orchestration/dag_factory.py and dags/README.md.
"""

from __future__ import annotations

from credithub.orchestration.dag_factory import build_ingest_dag, registry_connectors
from credithub.settings import Settings

_settings = Settings()
for _name, _connector in registry_connectors().items():
    globals()[f"ingest_{_name}"] = build_ingest_dag(_name, _connector, _settings)
