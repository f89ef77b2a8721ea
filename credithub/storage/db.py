"""The Database handle: one engine and session factory per settings, migrations on demand."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import orjson
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the API read while the pipeline writes; foreign keys are off by default in SQLite.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # NORMAL in WAL mode syncs at checkpoints, not at every commit (a commit per landed chunk was a
    # fifth of the sync stage). The database stays consistent; a power cut can undo the last
    # commits, and every stage resumes from what is committed (a chunk and its cursor commit together).
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _dump_json(value: object) -> str:
    # orjson: JSON columns (raw, staged and canonical rows, profiles) were a sixth of a city load
    # with the standard library's encoder. Storage only; content hashes keep their own encoder.
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS).decode()


def _pg_json_loads(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    # psycopg decodes JSONB itself (SQLAlchemy's json_deserializer is not used for it), and encodes
    # the Jsonb values COPY writes (credithub.storage.bulk): orjson for both.
    from psycopg.types.json import set_json_dumps, set_json_loads

    set_json_loads(orjson.loads, dbapi_conn)
    set_json_dumps(_dump_json, dbapi_conn)


class Database:
    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(
            url, future=True, pool_pre_ping=True, json_serializer=_dump_json, json_deserializer=orjson.loads
        )
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        elif self.engine.dialect.name == "postgresql":
            event.listen(self.engine, "connect", _pg_json_loads)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def alembic_config(self) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        return cfg

    def migrate(self) -> None:
        """Bring the schema to the newest migration (idempotent).

        One process migrates at a time: a first run starts many processes at once (two CLI runs,
        the Airflow tasks of a first DAG run on several workers), and concurrent migrations of an
        empty database collide ("table already exists"); the others then find the schema current.
        """
        from credithub.storage.locks import SCHEMA, stage_lock  # locks uses Database

        with stage_lock(self, SCHEMA), self.engine.begin() as conn:
            cfg = self.alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def analyze(self, *tables: str) -> None:
        """Refresh PostgreSQL's planner statistics of `tables` after a bulk load.

        A stage that COPYs hundreds of thousands of rows outruns autovacuum: with statistics from when
        the table was small, the planner turned the landing stage's `source_record_id IN (...)` lookup
        from an index condition into a filter over every row of the stream (200 ms per chunk at 300k
        companies, growing with the table). SQLite plans from its indexes without this.
        """
        if self.dialect != "postgresql" or not tables:
            return
        with self.engine.begin() as conn:
            conn.execute(text(f"ANALYZE {', '.join(tables)}"))

    def dispose(self) -> None:
        self.engine.dispose()
