"""Shared fixtures: settings in a temp var dir, and databases on SQLite and PostgreSQL.

PostgreSQL: each test session creates a fresh database on 127.0.0.1:5432 (user postgres)
and drops it afterwards. When CI=true a PostgreSQL test that cannot connect FAILS; locally it skips.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")

from credithub.settings import Settings  # noqa: E402
from credithub.storage.db import Database  # noqa: E402

PG_ADMIN_URL = os.environ.get("CREDITHUB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(var_dir=tmp_path / "var", database_url=None, search_backend="embedded", es_url=None)


@pytest.fixture
def sqlite_db(settings: Settings) -> Iterator[Database]:
    db = Database(settings.resolved_database_url)
    db.migrate()
    yield db
    db.dispose()


@contextlib.contextmanager
def fresh_pg_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database (its URL), dropped afterwards even if connections remain.
    Fails the test in CI when the server cannot be used; skips elsewhere."""
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection failure decides skip vs fail
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_ADMIN_URL} is required in CI and could not be used: {exc}")
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" CONNECTION LIMIT -1'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session."""
    with fresh_pg_database("credithub_test") as url:
        yield url


@pytest.fixture
def pg_db(pg_server_url: str) -> Iterator[Database]:
    """A migrated PostgreSQL database, emptied before each test."""
    from credithub.storage.tables import Base

    db = Database(pg_server_url)
    db.migrate()
    with db.engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_db(request: pytest.FixtureRequest) -> Database:
    """Run a storage test on both engines."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")
