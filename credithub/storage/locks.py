"""One writer per stage and data set, across processes and machines.

The CLI, every Airflow task and the steward console's release-now call the same stage
functions; each stage takes its lock for its whole duration, so two callers never run the
same stage on the same data at once (a second caller waits, then says clearly that a run is
in progress). Locks:

- ``department:<name>``: sync and validation of one department's batches;
- ``entities``: resolve, profiles and publish (they all read and write the entity graph);
- ``schema``: migrations, taken by ``Database.migrate`` itself.

PostgreSQL: a session-level advisory lock on a dedicated connection. SQLite: an exclusive
``flock`` on a file beside the database. Both vanish with the process that holds them, so a
killed run never leaves a lock behind (no stale-lock clean-up, no lease to expire).

Stage functions never call each other while holding a lock, so locks need not be re-entrant.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import text

from credithub.errors import RunInProgressError
from credithub.storage.db import Database

log = logging.getLogger(__name__)

ENTITIES = "entities"
SCHEMA = "schema"  # migrations (Database.migrate)
_POLL_SECONDS = 0.2


def department_lock_name(department: str) -> str:
    return f"department:{department}"


def _advisory_key(name: str) -> int:
    # A stable signed 64-bit key: Python's hash() differs between processes.
    digest = hashlib.blake2b(f"credithub:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _sqlite_lock_path(db: Database, name: str) -> Path | None:
    path = db.url.removeprefix("sqlite:///")
    if not db.url.startswith("sqlite:///") or path in ("", ":memory:"):
        return None
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
    return Path(path).with_name(Path(path).name + ".locks") / f"{safe}.lock"


@contextlib.contextmanager
def stage_lock(db: Database, name: str, *, timeout: float | None = None, shared: bool = False) -> Iterator[None]:
    """Hold the lock `name` for the block. Waits up to `timeout` seconds (None: forever,
    0: not at all) and raises RunInProgressError when another process still holds it.

    `shared`: several shared holders at once, none beside an exclusive one (the partitions of a
    fanned-out stage, credithub/pipeline/partitions.py). PostgreSQL only; on SQLite, which has one
    writer anyway, a shared request is taken exclusively."""
    deadline = None if timeout is None else time.monotonic() + timeout
    if db.dialect == "postgresql":
        with _advisory(db, name, deadline, shared=shared):
            yield
        return
    path = _sqlite_lock_path(db, name)
    if path is None:  # an in-memory database lives in one process: nothing to share
        yield
        return
    with _flock(path, name, deadline):
        yield


@contextlib.contextmanager
def _advisory(db: Database, name: str, deadline: float | None, *, shared: bool = False) -> Iterator[None]:
    key = _advisory_key(name)
    mode = "_shared" if shared else ""
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        _wait(lambda: bool(conn.execute(text(f"SELECT pg_try_advisory_lock{mode}(:k)"), {"k": key}).scalar()),
              name, deadline)
        try:
            yield
        finally:
            conn.execute(text(f"SELECT pg_advisory_unlock{mode}(:k)"), {"k": key})


@contextlib.contextmanager
def _flock(path: Path, name: str, deadline: float | None) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        def attempt() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        _wait(attempt, name, deadline)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _wait(attempt: Callable[[], bool], name: str, deadline: float | None) -> None:
    told = False
    while not attempt():
        if deadline is not None and time.monotonic() >= deadline:
            raise RunInProgressError(
                "另一个任务正在处理同一数据，请稍后再试 / another run is processing the same data", lock=name
            )
        if not told:
            log.warning("waiting for lock %s: another run is in progress", name)
            told = True
        time.sleep(_POLL_SECONDS)
