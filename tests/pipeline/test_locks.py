"""Stage locks: one holder at a time across processes, released when the holder dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from credithub.errors import RunInProgressError
from credithub.storage.locks import ENTITIES, department_lock_name, stage_lock
from credithub.storage.db import Database

HOLDER = textwrap.dedent(
    """
    import sys, time
    from credithub.storage.locks import stage_lock
    from credithub.storage.db import Database
    db = Database(sys.argv[1])
    with stage_lock(db, sys.argv[2], timeout=0):
        print("held", flush=True)
        time.sleep(600)
    """
)


def _holder(db: Database, name: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, db.url, name], stdout=subprocess.PIPE, text=True,
                            start_new_session=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_caller_is_told_a_run_is_in_progress_and_gets_the_lock_once_the_holder_dies(
    any_db: Database,
) -> None:
    holder = _holder(any_db, ENTITIES)
    try:
        started = time.monotonic()
        with pytest.raises(RunInProgressError) as info:
            with stage_lock(any_db, ENTITIES, timeout=0.5):
                pass
        assert time.monotonic() - started >= 0.5
        assert "another run" in str(info.value) and "entities" in str(info.value)
        # Another lock is independent: departments sync while entities are being resolved.
        with stage_lock(any_db, department_lock_name("tax"), timeout=0):
            pass
        os.killpg(holder.pid, signal.SIGKILL)  # a killed run leaves no lock behind
        holder.wait(timeout=10)
        with stage_lock(any_db, ENTITIES, timeout=5):
            pass
    finally:
        if holder.poll() is None:
            os.killpg(holder.pid, signal.SIGKILL)


def test_a_waiting_caller_proceeds_when_the_holder_finishes(any_db: Database) -> None:
    holder = _holder(any_db, department_lock_name("courts"))
    try:
        subprocess.Popen(["sh", "-c", f"sleep 1; kill -TERM -{holder.pid}"])
        started = time.monotonic()
        with stage_lock(any_db, department_lock_name("courts"), timeout=30):
            waited = time.monotonic() - started
        assert 0.5 < waited < 30
    finally:
        if holder.poll() is None:
            os.killpg(holder.pid, signal.SIGKILL)
