"""Task processes of a first run start at once on several workers, and each opens the hub
database (migrating it). On an empty PostgreSQL database concurrent migrations collided
(duplicate `alembic_version` type, seen on the Celery workers); open_db migrates one at a time."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, inspect

from ..conftest import fresh_pg_database

OPENER = textwrap.dedent(
    """
    import sys, time
    from credithub.orchestration.tasks import open_db
    from credithub.settings import Settings
    settings = Settings(database_url=sys.argv[1], _env_file=None)
    time.sleep(max(0.0, float(sys.argv[2]) - time.time()))  # every process migrates at the same instant
    open_db(settings).dispose()
    """
)


@pytest.fixture
def empty_pg_url() -> Iterator[str]:
    with fresh_pg_database("open_db") as url:
        yield url


@pytest.mark.postgres
def test_tasks_opening_an_empty_database_at_once_all_succeed(empty_pg_url: str) -> None:
    start_at = time.time() + 8  # after every interpreter has imported the project
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITHUB_")}
    procs = [
        subprocess.Popen([sys.executable, "-c", OPENER, empty_pg_url, str(start_at)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], "\n".join(o[-1500:] for o in outputs)
    engine = create_engine(empty_pg_url)
    try:
        assert {"entities", "profiles", "alembic_version"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
