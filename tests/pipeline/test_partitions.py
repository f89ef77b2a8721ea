"""Entity hash partitions: stable assignment, and partitioned profiles equal one whole build."""

from __future__ import annotations

import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import select, update

from credithub.errors import RunInProgressError
from credithub.pipeline.partitions import Partition, all_partitions, build_partition_profiles, dirty_entities, partition_of
from credithub.pipeline.run import run_pipeline
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.locks import ENTITIES, stage_lock
from credithub.storage.tables import Entity, ProfileRow

DEPARTMENTS = ["market_regulation", "quality_supervision", "tax", "courts"]


def test_partition_of_is_crc32_mod_count_and_the_same_in_another_process() -> None:
    keys = [f"ent_{i:016x}" for i in range(200)]
    assert [partition_of(k, 7) for k in keys] == [zlib.crc32(k.encode()) % 7 for k in keys]
    # Python's hash() is salted per process; a worker on another machine must agree with us.
    code = "from credithub.pipeline.partitions import partition_of; print([partition_of(f'ent_{i:016x}', 7) for i in range(200)])"
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": ""}, cwd=Path(__file__).resolve().parents[2])
    assert other.stdout.strip() == str([partition_of(k, 7) for k in keys])


def test_every_key_is_in_exactly_one_partition() -> None:
    keys = [f"ent_{i:016x}" for i in range(500)]
    parts = all_partitions(4)
    chosen = [p.select(keys) for p in parts]
    assert sorted(k for c in chosen for k in c) == sorted(keys)
    assert all(chosen), "500 keys leave no partition of 4 empty"
    assert str(parts[0]) == "1/4"


@pytest.mark.parametrize("index,count", [(4, 4), (-1, 4), (0, 0)])
def test_invalid_partitions_are_rejected(index: int, count: int) -> None:
    with pytest.raises(ValidationError):
        Partition(index=index, count=count)


def _profiles(db: Database) -> dict[str, tuple[str, dict]]:
    with db.session() as s:
        return {p.entity_id: (p.content_hash, p.data) for p in s.scalars(select(ProfileRow))}


def test_partitioned_profiles_build_exactly_what_one_build_builds(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var", database_url=None, search_backend="embedded", es_url=None,
                        sandbox_companies=40)
    report = run_pipeline(settings, departments=DEPARTMENTS)
    assert not report.failed_departments
    db = Database(settings.resolved_database_url)
    try:
        whole = _profiles(db)
        assert len(whole) > 20
        # Forget every profile and mark every entity dirty: the stage must build them all again.
        with db.session() as s:
            s.execute(ProfileRow.__table__.delete())
            s.execute(update(Entity).values(dirty=True))
            entities = list(s.scalars(select(Entity.id)))
        parts = all_partitions(3)
        for part in parts:
            mine = dirty_entities(db, part)
            assert mine == sorted(part.select(entities))
            built = build_partition_profiles(db, settings, part)
            assert built.entities == len(mine)
            # the partition's entities are done; the others are still waiting for their task
            assert all(not part.contains(e) for p in parts for e in dirty_entities(db, p))
        assert _profiles(db) == whole
        with db.session() as s:
            assert s.scalars(select(Entity.id).where(Entity.dirty.is_(True))).first() is None
    finally:
        db.dispose()


@pytest.mark.postgres
def test_partitions_run_beside_each_other_but_never_beside_an_exclusive_stage(pg_db: Database, tmp_path: Path) -> None:
    """On PostgreSQL a partition holds the entities lock shared: another partition task may hold it
    too, resolve/publish/whole builds (exclusive) may not, in either order."""
    settings = Settings(var_dir=tmp_path / "var", lock_wait_seconds=0)
    part = Partition(index=0, count=2)
    with stage_lock(pg_db, ENTITIES, shared=True, timeout=0):  # another partition's task
        assert build_partition_profiles(pg_db, settings, part).entities == 0
        with pytest.raises(RunInProgressError):
            with stage_lock(pg_db, ENTITIES, timeout=0):  # resolve waits for the partitions
                pass
    with stage_lock(pg_db, ENTITIES, timeout=0):  # resolve in progress
        with pytest.raises(RunInProgressError):
            build_partition_profiles(pg_db, settings, part)


def test_on_sqlite_a_shared_request_is_exclusive(sqlite_db: Database) -> None:
    """SQLite has one writer: partitions there take turns."""
    with stage_lock(sqlite_db, ENTITIES, shared=True, timeout=0):
        with pytest.raises(RunInProgressError):
            with stage_lock(sqlite_db, ENTITIES, shared=True, timeout=0):
                pass
