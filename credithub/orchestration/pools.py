"""One Airflow pool of one slot per department: its sync and validation never run twice at once.

Why pools and not `max_active_tis_per_dag`: the same department is synced and validated by two
DAGs (its `ingest_<department>` DAG and the whole-pipeline DAG's `ingest_<department>` task),
and `max_active_tis_per_dag`/`max_active_runs` only count inside one DAG. A pool is the one
Airflow limit shared by tasks of different DAGs, on every worker. The stage lock
(credithub.storage.locks, `department:<name>`) still makes the stages safe when called from
anywhere else (CLI, steward console); the pool keeps a second task from even being sent to a
worker, where it would hold a worker slot waiting on that lock.

Airflow never schedules a task whose pool does not exist (the scheduler only logs a warning),
so the pools must be created before the DAGs run: `airflow-init` in docker-compose.yml and
scripts/airflow-standalone.sh run

    python -m credithub.orchestration.pools > pools.json && airflow pools import pools.json

which is idempotent and, run again after a connector is installed, adds its pool.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable

from pydantic import BaseModel, Field

POOL_PREFIX = "credithub_department_"


class PoolSpec(BaseModel):
    """One entry of the `airflow pools import` JSON file."""

    slots: int = Field(1, ge=1)
    description: str
    include_deferred: bool = False


def department_pool(department: str) -> str:
    return f"{POOL_PREFIX}{department}"


def pool_specs(departments: Iterable[str]) -> dict[str, PoolSpec]:
    return {
        department_pool(d): PoolSpec(description=f"CreditHub: one sync/validation of {d} at a time")
        for d in sorted(departments)
    }


def pools_json(departments: Iterable[str]) -> str:
    """The `airflow pools import` file for these departments."""
    specs = pool_specs(departments)
    return json.dumps({name: spec.model_dump() for name, spec in specs.items()}, ensure_ascii=False, indent=2)


def main() -> None:
    from connectors.registry import load_registry  # the same registry the DAG files are generated from

    sys.stdout.write(pools_json(load_registry()) + "\n")


if __name__ == "__main__":
    main()
