"""Hash partitions of entities, so a stage can run as N independent tasks on several workers.

An entity belongs to partition `crc32(entity_id) mod count`. CRC-32 and not Python's `hash()`:
string hashes are salted per process, and every worker must put an entity in the same
partition. Entity ids are content-derived (entity_resolution.matcher.entity_id_for), so the
assignment is the same on every machine and in every run.

Which stages partition (docs/decisions/orchestration.md):
- profiles: partitioned. One profile per entity from that entity's records only, so partitions
  are independent and together build exactly what one process builds;
- publish: one task. The full-versus-incremental decision and the audit record belong to the run,
  the embedded index has one tantivy writer, and Elasticsearch bulk requests already go out
  concurrently from that task;
- resolve: one task. Global clustering (a new record may merge entities of any partition).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import Entity

if TYPE_CHECKING:
    from credithub.pipeline.profiles import ProfilesReport


class Partition(BaseModel):
    """Partition `index` of `count` (0 <= index < count)."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(ge=0)
    count: int = Field(ge=1)

    @model_validator(mode="after")
    def _index_below_count(self) -> Partition:
        if self.index >= self.count:
            raise ValueError(f"partition index {self.index} is not below the count {self.count}")
        return self

    def contains(self, key: str) -> bool:
        return partition_of(key, self.count) == self.index

    def select(self, keys: Iterable[str]) -> list[str]:
        """The keys of this partition, in their input order."""
        return [k for k in keys if self.contains(k)]

    def __str__(self) -> str:
        return f"{self.index + 1}/{self.count}"


def partition_of(key: str, count: int) -> int:
    """Stable partition number of `key` among `count` partitions."""
    if count < 1:
        raise ValueError("count must be at least 1")
    return zlib.crc32(key.encode("utf-8")) % count


def all_partitions(count: int) -> list[Partition]:
    return [Partition(index=i, count=count) for i in range(count)]


def dirty_entities(db: Database, partition: Partition) -> list[str]:
    """Entities of the partition whose profile needs a rebuild (the profiles stage's own
    selection, `entities.dirty`, narrowed to one partition), sorted."""
    with db.session() as session:
        ids = session.scalars(select(Entity.id).where(Entity.dirty.is_(True)).order_by(Entity.id))
        return partition.select(ids)


def build_partition_profiles(db: Database, settings: Settings, partition: Partition) -> ProfilesReport:
    """The profiles stage for one partition: exactly its dirty entities. A profile depends only on
    its own entity's records, so the partitions together build what one `build_profiles` builds."""
    from credithub.pipeline.profiles import build_profiles

    # The entities lock in shared mode: partitions run at once on different workers, never beside
    # a resolve or publish. The selection above is taken before the lock; an entity dirtied after it
    # is simply built by the next run (what a partition builds is read under the lock).
    return build_profiles(db, settings, entity_ids=dirty_entities(db, partition), shared_lock=True)
