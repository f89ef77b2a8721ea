"""Airflow test harness: one SQLite Airflow DB per session, the repo's dags/ folder, and a
small sandbox whose HTTP departments are served on 127.0.0.1 for the whole session.

Airflow reads its configuration when first imported, so AIRFLOW_* is set at import time
(before any test module imports airflow). CREDITHUB_* is set only while tests in this package
run (package-scoped autouse fixture) and restored after its last test, so other test folders in
the same pytest process see their own environment; the sandbox servers stop then too.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DAGS = ROOT / "dags"
COMPANIES = 12
SEED = 20261128

if "airflow" in sys.modules:  # pragma: no cover - would silently use another AIRFLOW_HOME
    raise RuntimeError("tests/dags must configure Airflow before it is imported")
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="credithub-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS)
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME}/airflow.db"
os.environ["AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT"] = "120"


def pytest_sessionfinish(session: pytest.Session) -> None:
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


class HubEnv:
    """The CREDITHUB_* environment the DAG tasks read (they build Settings() themselves)."""

    def __init__(self, base: dict[str, str]) -> None:
        self.base = base

    def apply(self, **overrides: str | None) -> None:
        for key in [k for k in os.environ if k.startswith("CREDITHUB_")]:
            del os.environ[key]
        values = {**self.base, **overrides}
        os.environ.update({k: v for k, v in values.items() if v is not None})


@pytest.fixture(scope="package")
def sandbox_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from credithub.sandbox import generate

    out = tmp_path_factory.mktemp("dag-sandbox") / "sandbox"
    generate(out, COMPANIES, SEED)
    return out


@pytest.fixture(scope="package")
def sandbox_urls(sandbox_dir: Path) -> Iterator[dict[str, str]]:
    from credithub.sandbox.server import serve_sandbox

    with serve_sandbox(sandbox_dir) as server:
        yield dict(server.base_urls)


def make_var_dir(root: Path, sandbox_dir: Path) -> Path:
    """A hub var dir with its own copy of the sandbox (tests may break its sources)."""
    var = root / "var"
    shutil.copytree(sandbox_dir, var / "sandbox")
    return var


@pytest.fixture(scope="package", autouse=True)
def hub_env(
    tmp_path_factory: pytest.TempPathFactory, sandbox_dir: Path, sandbox_urls: dict[str, str]
) -> Iterator[HubEnv]:
    saved = {k: v for k, v in os.environ.items() if k.startswith("CREDITHUB_")}
    var = make_var_dir(tmp_path_factory.mktemp("dag-hub"), sandbox_dir)
    env = HubEnv(
        {
            "CREDITHUB_VAR_DIR": str(var),
            "CREDITHUB_SEARCH_BACKEND": "embedded",
            "CREDITHUB_SANDBOX_COMPANIES": str(COMPANIES),
            "CREDITHUB_SANDBOX_SEED": str(SEED),
            "CREDITHUB_SOURCE_BASE_URLS": json.dumps(sandbox_urls),
            # fast retries so failing-source tests finish in seconds (backoff still doubles)
            "CREDITHUB_AIRFLOW_RETRIES": "2",
            "CREDITHUB_AIRFLOW_RETRY_DELAY": "PT1S",
            "CREDITHUB_AIRFLOW_MAX_RETRY_DELAY": "PT2S",
            "CREDITHUB_AIRFLOW_TASK_TIMEOUT": "PT10M",
            # Airflow 3.3.2's dag.test() hands the scheduler DAG un-stored deadline definitions and
            # crashes on a successful run (DeadlineAlertModel.get_by_id(dict)); the real scheduler
            # stores them first. Deadlines are checked on a separately parsed bag (dagbag_with_deadlines).
            "CREDITHUB_AIRFLOW_DEADLINE_ALERTS": "false",
        }
    )
    env.apply()
    yield env
    for key in [k for k in os.environ if k.startswith("CREDITHUB_")]:
        del os.environ[key]
    os.environ.update(saved)


@pytest.fixture(scope="package")
def airflow_db(hub_env: HubEnv) -> None:
    from airflow.utils import db

    db.initdb()


@pytest.fixture(scope="package")
def dagbag(airflow_db: None):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


@pytest.fixture(scope="package")
def dagbag_with_deadlines(airflow_db: None, hub_env: HubEnv):  # type: ignore[no-untyped-def]
    """The DAGs as production parses them (freshness DeadlineAlerts on)."""
    from airflow.dag_processing.dagbag import DagBag

    hub_env.apply(CREDITHUB_AIRFLOW_DEADLINE_ALERTS="true")
    try:
        return DagBag(dag_folder=str(DAGS))
    finally:
        hub_env.apply()
