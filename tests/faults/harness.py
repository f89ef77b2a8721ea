"""Helpers of the fault-injection suites: run `credithub run` for real and snapshot what it left."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

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

COMPANIES = 25
CLI = str(Path(sys.executable).with_name("credithub"))
# Small chunks, so that "inside a long stage" has several commits to fall between.
SMALL_CHUNKS = {"CREDITHUB_SYNC_CHUNK_ROWS": "7", "CREDITHUB_VALIDATE_CHUNK_ROWS": "9"}


def env_for(var: Path, failpoints: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CREDITHUB_")}
    env.update(SMALL_CHUNKS)
    env.update(CREDITHUB_VAR_DIR=str(var), CREDITHUB_SANDBOX_COMPANIES=str(COMPANIES),
               GX_ANALYTICS_ENABLED="False", COLUMNS="400")  # the console must not wrap the messages we read
    if failpoints:
        env["CREDITHUB_FAILPOINTS"] = failpoints
    return env


def run_cli(var: Path, *, failpoints: str | None = None, kill_after: float | None = None) -> int:
    proc = subprocess.Popen([CLI, "run"], env=env_for(var, failpoints), stdout=subprocess.DEVNULL,
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


def snapshot(var: Path, *, database_url: str | None = None) -> dict[str, Any]:
    """Everything a user or a department can observe, without ids that depend on timing
    (batch and row ids); entity ids are content-derived and compared as they are."""
    settings = Settings(var_dir=var, database_url=database_url, search_backend="embedded", es_url=None)
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


def fresh_var(pristine: Path, tmp_path: Path) -> Path:
    var = tmp_path / "var"
    shutil.copytree(pristine, var)
    return var


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["staged_by_status"] == want["staged_by_status"]
    for key in ("staged", "canonical", "links", "entities", "profiles", "flags", "served", "index_count"):
        assert got[key] == want[key], f"{key} differs from the uninterrupted run"
