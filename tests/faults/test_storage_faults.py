"""A full disk and a database that goes away mid-run: a clear error, and the next run completes
to exactly what an uninterrupted run gives.

Real parts: `credithub run` in a subprocess; the disk fills for real (RLIMIT_FSIZE: every write
past the limit fails with EFBIG, as on a full volume; CPython ignores SIGXFSZ so the process
sees the error); PostgreSQL really refuses connections (connection limit 0 and every backend of
the run terminated).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import PG_ADMIN_URL, fresh_pg_database
from tests.faults.harness import CLI, assert_same, env_for, fresh_var, run_cli, snapshot

pytestmark = pytest.mark.slow


def test_a_full_disk_stops_the_run_with_a_clear_error_and_the_next_run_completes(
    pristine: Path, reference: dict[str, Any], tmp_path: Path
) -> None:
    var = fresh_var(pristine, tmp_path)
    db_file = var / "credithub.db"
    limit = 400_000  # bytes: the empty schema fits, the first departments' rows do not

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run([CLI, "run"], env=env_for(var), capture_output=True, preexec_fn=small_disk, timeout=600)
    out = (proc.stdout + proc.stderr).decode(errors="replace")
    assert proc.returncode == 1, out[-3000:]
    assert "disk full" in out and "run again once fixed" in out
    assert "Traceback" not in out
    assert db_file.stat().st_size <= limit
    assert run_cli(var) == 0
    assert_same(snapshot(var), reference)


@pytest.fixture
def pg_url() -> Iterator[str]:
    with fresh_pg_database("credithub_fault") as url:
        yield url


def test_postgresql_going_away_mid_run_stops_it_clearly_and_the_next_run_completes(
    pg_url: str, pristine: Path, reference: dict[str, Any], tmp_path: Path
) -> None:
    var = fresh_var(pristine, tmp_path)
    name = pg_url.rsplit("/", 1)[1]
    env = {**env_for(var), "CREDITHUB_DATABASE_URL": pg_url}
    proc = subprocess.Popen([CLI, "run"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        # Wait until the run is writing (raw rows exist), then take the database away.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and proc.poll() is None:
            with admin.connect() as conn:
                landed = conn.execute(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :n"), {"n": name}).scalar()
            if landed:
                break
            time.sleep(0.2)
        time.sleep(reference["seconds"] * 0.2)
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" CONNECTION LIMIT 0'))
            for _ in range(20):  # a few seconds of outage: every connection it has or opens is cut
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
                time.sleep(0.15)
        out = proc.communicate(timeout=600)[0].decode(errors="replace")
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" CONNECTION LIMIT -1'))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        admin.dispose()
    assert proc.returncode == 1, out[-3000:]
    assert "the database went away" in out and "run again once fixed" in out
    assert "Traceback" not in out
    second = subprocess.run([CLI, "run"], env=env, capture_output=True, timeout=600)
    assert second.returncode == 0, second.stderr.decode(errors="replace")[-3000:]
    assert_same(snapshot(var, database_url=pg_url), reference)
