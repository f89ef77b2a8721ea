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

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from credithub.search.embedded import EmbeddedBackend
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import (
    CanonicalRecordRow,
    Entity,
    EntityLink,
    ProfileRow,
    ResolutionFlag,
    StagedRecord,
)

pytestmark = pytest.mark.slow

COMPANIES = 40
CLI = str(Path(sys.executable).with_name("credithub"))
# Small chunks, so that "inside a long stage" has several commits to fall between.
SMALL_CHUNKS = {"CREDITHUB_SYNC_CHUNK_ROWS": "7", "CREDITHUB_VALIDATE_CHUNK_ROWS": "9"}


def _env(var: Path, failpoints: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITHUB_")}
    env.update(SMALL_CHUNKS)
    env.update(CREDITHUB_VAR_DIR=str(var), CREDITHUB_SANDBOX_COMPANIES=str(COMPANIES),
               GX_ANALYTICS_ENABLED="False")
    if failpoints:
        env["CREDITHUB_FAILPOINTS"] = failpoints
    return env


def _run(var: Path, *, failpoints: str | None = None, kill_after: float | None = None) -> int:
    proc = subprocess.Popen([CLI, "run"], env=_env(var, failpoints), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        if kill_after is not None:
            try:
                proc.wait(timeout=kill_after)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    if proc.returncode not in (0, -signal.SIGKILL):
        raise AssertionError(f"credithub run failed ({proc.returncode}): {err.decode(errors='replace')[-3000:]}")
    return proc.returncode


# Surrogate keys that number batches and raw rows in arrival order: a resumed run numbers them
# differently (the killed run used some), so they are masked; every other byte is compared.
SURROGATE_KEYS = frozenset({"batch_id", "raw_record_id"})


def _masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "*" if k in SURROGATE_KEYS else _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return value


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


def snapshot(var: Path) -> dict[str, Any]:
    """Everything a user or a department can observe, without ids that depend on timing
    (batch and row ids); entity ids are content-derived and compared as they are."""
    settings = Settings(var_dir=var, database_url=None, search_backend="embedded", es_url=None)
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as s:
            staged = sorted(
                (r.department, r.stream, r.source_record_id, r.status, _digest(r.staged), _digest(r.failures))
                for r in s.scalars(select(StagedRecord))
            )
            canonical = {
                r.id: (r.department, r.dataset, r.source_record_id, r.content_hash, r.resolved)
                for r in s.scalars(select(CanonicalRecordRow))
            }
            links = sorted((canonical[ln.canonical_record_id][:3], ln.entity_id, ln.method)
                           for ln in s.scalars(select(EntityLink)))
            entities = sorted((e.id, e.status, e.merged_into, e.dirty) for e in s.scalars(select(Entity)))
            profiles = sorted((p.entity_id, _digest(_masked({**p.data, "updated_at": None})),
                               p.published_hash == p.content_hash)
                              for p in s.scalars(select(ProfileRow)))
            flags = sorted((f.kind, canonical[f.canonical_record_id][:3] if f.canonical_record_id else None, f.status)
                           for f in s.scalars(select(ResolutionFlag)))
        backend = EmbeddedBackend(settings.index_dir)
        try:
            served = {eid: _digest(_masked(backend.get(eid))) for eid, _, _ in profiles}
            count = backend.count()
        finally:
            backend.close()
    finally:
        db.dispose()
    by_status: dict[str, int] = {}
    for row in staged:
        by_status[row[3]] = by_status.get(row[3], 0) + 1
    return {"staged_by_status": by_status, "staged": staged, "canonical": sorted(canonical.values()),
            "links": links, "entities": entities, "profiles": profiles, "flags": flags, "served": served,
            "index_count": count}


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var dir holding only the generated sandbox, copied for every run."""
    var = tmp_path_factory.mktemp("pristine") / "var"
    from credithub import sandbox

    settings = Settings(var_dir=var, database_url=None, sandbox_companies=COMPANIES)
    sandbox.generate(settings.sandbox_dir, COMPANIES, settings.sandbox_seed)
    return var


def _fresh(pristine: Path, tmp_path: Path) -> Path:
    var = tmp_path / "var"
    shutil.copytree(pristine, var)
    return var


@pytest.fixture(scope="module")
def reference(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    var = tmp_path_factory.mktemp("reference") / "var"
    shutil.copytree(pristine, var)
    assert _run(var) == 0
    snap = snapshot(var)
    assert snap["staged_by_status"].get("passed", 0) > 50 and snap["staged_by_status"].get("quarantined", 0) > 0
    assert snap["index_count"] == len(snap["profiles"]) > 0
    assert snap["staged_by_status"].get("pending", 0) == 0
    return snap


def _assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["staged_by_status"] == want["staged_by_status"]
    for key in ("staged", "canonical", "links", "entities", "profiles", "flags", "served", "index_count"):
        assert got[key] == want[key], f"{key} differs from the uninterrupted run"


FAIL_POINTS = [
    "sync.flushed@2",                 # inside the first department's sync, after a landed chunk
    "run.synced.market_regulation",   # between sync and validation of the register
    "validate.checked@1",             # inside validation, before the hold decision
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
    var = _fresh(pristine, tmp_path)
    assert _run(var, failpoints=point) == -signal.SIGKILL, f"fail point {point} never fired"
    assert _run(var) == 0
    _assert_same(snapshot(var), reference)


@pytest.mark.parametrize("fraction", [0.15, 0.4, 0.7])
def test_killed_by_a_timer_resumes_to_the_uninterrupted_result(
    fraction: float, pristine: Path, reference: dict[str, Any], tmp_path: Path
) -> None:
    # Time one clean run here to aim the timer at moments inside it, whatever this machine's speed.
    timing = _fresh(pristine, tmp_path / "timing")
    started = time.monotonic()
    _run(timing)
    whole = time.monotonic() - started
    var = _fresh(pristine, tmp_path)
    _run(var, kill_after=whole * fraction)
    _run(var, kill_after=whole * fraction / 2)  # killed again while resuming
    assert _run(var) == 0
    _assert_same(snapshot(var), reference)


def test_two_concurrent_runs_end_with_what_one_run_gives(
    pristine: Path, reference: dict[str, Any], tmp_path: Path
) -> None:
    var = _fresh(pristine, tmp_path)
    procs = [subprocess.Popen([CLI, "run"], env=_env(var), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True) for _ in range(2)]
    try:
        errors = [p.communicate(timeout=600)[1] for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
    assert [p.returncode for p in procs] == [0, 0], [e.decode(errors="replace")[-2000:] for e in errors]
    _assert_same(snapshot(var), reference)
