"""Kill a real `credithub run` anywhere, run it again, and get exactly what one clean run gives.

Real parts: the `credithub` console script in a subprocess, the sandbox's files, SQLite
databases and local HTTP servers, SQLite storage, the embedded index. The kill is SIGKILL
(no clean-up of any kind), fired from a fail point (credithub/pipeline/failpoints.py) at
every stage boundary and inside long stages (chunk sizes are made small so that sync,
validation, profiles and publish have several chunks), and by a timer at moments no code
chose. The comparison covers staged rows by status, canonical records, entities and their
links, profiles, what the search index serves (hidden events included), and open flags.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.faults.harness import CLI, assert_same, env_for, fresh_var, run_cli, snapshot

pytestmark = pytest.mark.slow


FAIL_POINTS = [
    "sync.flushed@2",                 # inside the first department's sync, after a landed chunk
    "run.synced.market_regulation",   # between sync and validation of the register
    "validate.checked@0",             # inside validation, before the hold decision
    "validate.decided",               # decision recorded, nothing promoted
    "validate.promoted@1",            # inside promotion, after a committed chunk
    "run.synced.tax",                 # between departments, later in the run
    "run.ingested",                   # every department done, nothing resolved
    "resolve.written",                # resolve wrote everything but did not commit
    "run.resolved",
    "profiles.chunk@0",               # inside profiles, after the first committed chunk
    "run.profiled",
    "publish.rebuilt",                # the new index is live, profiles not yet marked published
]


@pytest.mark.parametrize("point", FAIL_POINTS)
def test_killed_at_a_fail_point_resumes_to_the_uninterrupted_result(
    point: str, pristine: Path, reference: dict[str, Any], tmp_path: Path
) -> None:
    var = fresh_var(pristine, tmp_path)
    assert run_cli(var, failpoints=point) == -signal.SIGKILL, f"fail point {point} never fired"
    assert run_cli(var) == 0
    assert_same(snapshot(var), reference)


@pytest.mark.parametrize("fraction", [0.3, 0.65])
def test_killed_by_a_timer_resumes_to_the_uninterrupted_result(
    fraction: float, pristine: Path, reference: dict[str, Any], tmp_path: Path
) -> None:
    # Aimed at moments inside the run by the clean run's duration, whatever this machine's speed.
    whole = reference["seconds"]
    var = fresh_var(pristine, tmp_path)
    run_cli(var, kill_after=whole * fraction)
    run_cli(var, kill_after=whole * fraction / 2)  # killed again while resuming
    assert run_cli(var) == 0
    assert_same(snapshot(var), reference)


def test_two_concurrent_runs_end_with_what_one_run_gives(
    pristine: Path, reference: dict[str, Any], tmp_path: Path
) -> None:
    var = fresh_var(pristine, tmp_path)
    procs = [subprocess.Popen([CLI, "run"], env=env_for(var), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True) for _ in range(2)]
    try:
        errors = [p.communicate(timeout=600)[1] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    assert [p.returncode for p in procs] == [0, 0], [e.decode(errors="replace")[-2000:] for e in errors]
    assert_same(snapshot(var), reference)
