"""Publish stage: changed profiles -> public view (disclosure policy) -> search documents -> backend.

The public view depends on today's date (publicity periods end by themselves). Each published
profile stores the first day its public view may change (`public_next_change`, from
credithub.disclosure.view.next_public_change), so a new day re-publishes only the profiles
whose day has come, plus those whose content changed; entities merged away (or left without
records) since the last publish are deleted. A changed policy, a missing or outdated index,
or `--full` rebuild everything. Each publish is recorded in the audit log (actor
pipeline.publish).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import bindparam, or_, select, update
from sqlalchemy.orm import Session

from credithub.disclosure.policy import DisclosurePolicy, load_policy, local_today
from credithub.disclosure.view import next_public_change, public_view
from credithub.domain import Profile
from credithub.search.base import SearchBackend
from credithub.pipeline.failpoints import fail_point
from credithub.storage.locks import ENTITIES, stage_lock
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import AuditLog, Entity, ProfileRow, utcnow

PUBLISH_ACTOR = "pipeline.publish"
PUBLISH_ACTION = "publish_profiles"
# Documents per upsert call and per ORM page: bounds memory on million-profile rebuilds.
BATCH = 1000


class PublishReport(BaseModel):
    full: bool = Field(description="True when the whole index was rebuilt.")
    reason: str = Field(description="Why this kind of publish: requested, first, new_date, policy_changed, no_index, index_outdated, changed.")
    today: dt.date
    upserted: int = 0
    due: int = Field(0, description="Unchanged profiles re-published because their public view changes by today.")
    deleted: int = 0
    version: str | None = Field(None, description="Live index version after publishing.")


class LastPublish(BaseModel):
    at: dt.datetime
    date: str
    policy_version: str


def last_publish(session: Session) -> LastPublish | None:
    row = session.scalars(
        select(AuditLog).where(AuditLog.action == PUBLISH_ACTION).order_by(AuditLog.id.desc()).limit(1)
    ).first()
    if row is None or not row.after:
        return None
    return LastPublish(at=row.at, date=str(row.after.get("date")), policy_version=str(row.after.get("policy_version")))


# Stored for "its public view never changes by date alone" (NULL means "not known yet": due).
NEVER = dt.date(9999, 12, 31)


class _Rendered(BaseModel):
    document: dict[str, Any]
    next_change: dt.date


def _render(data: dict[str, Any], policy: DisclosurePolicy, today: dt.date) -> _Rendered:
    """The search document of today's public view, and the first day that view may change."""
    from credithub.search.documents import profile_document

    profile = Profile.model_validate(data)
    return _Rendered(document=profile_document(public_view(profile, policy, today)),
                     next_change=next_public_change(profile, policy, today) or NEVER)


def _mark_published(session: Session, rows: list[tuple[str, str, dt.date]]) -> None:
    """(entity id, published content hash, next public change) for each published profile."""
    if not rows:
        return
    table = ProfileRow.__table__
    # Guarded by content_hash: a profile rebuilt meanwhile stays unpublished. One executemany:
    # building an UPDATE per profile cost a sixth of a full publish.
    stmt = (
        update(table)
        .where(table.c.entity_id == bindparam("p_entity_id"), table.c.content_hash == bindparam("p_digest"))
        .values(published_hash=bindparam("p_digest"), public_next_change=bindparam("p_next"))
    )
    for start in range(0, len(rows), BATCH):
        session.execute(stmt, [{"p_entity_id": e, "p_digest": d, "p_next": n} for e, d, n in rows[start : start + BATCH]])


def _active_rows(session: Session) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(entity_id, content_hash, data) of live profiles, streamed as plain rows: ORM objects would
    pile up in the session's identity map (gigabytes on a full rebuild of a large city)."""
    stmt = (
        select(ProfileRow.entity_id, ProfileRow.content_hash, ProfileRow.data)
        .join(Entity, Entity.id == ProfileRow.entity_id)
        .where(Entity.merged_into.is_(None))
        .order_by(ProfileRow.entity_id)
    )
    for entity_id, digest, data in session.execute(stmt.execution_options(yield_per=BATCH)):
        yield entity_id, digest, data


def _full(db: Database, backend: SearchBackend, policy: DisclosurePolicy, today: dt.date, report: PublishReport) -> None:
    published: list[tuple[str, str, dt.date]] = []

    def documents() -> Iterator[dict[str, Any]]:
        with db.session() as session:
            for entity_id, digest, data in _active_rows(session):
                rendered = _render(data, policy, today)
                published.append((entity_id, digest, rendered.next_change))
                yield rendered.document

    report.version = backend.rebuild(documents())
    fail_point("publish.rebuilt")
    report.upserted = len(published)
    with db.session() as session:
        _mark_published(session, published)


def _incremental(
    db: Database, backend: SearchBackend, policy: DisclosurePolicy, today: dt.date, since: dt.datetime, report: PublishReport
) -> None:
    with db.session() as session:
        changed = session.execute(
            select(ProfileRow.entity_id, ProfileRow.content_hash, ProfileRow.published_hash)
            .join(Entity, Entity.id == ProfileRow.entity_id)
            .where(Entity.merged_into.is_(None))
            .where(or_(ProfileRow.published_hash.is_(None), ProfileRow.published_hash != ProfileRow.content_hash,
                       ProfileRow.public_next_change.is_(None), ProfileRow.public_next_change <= today))
            .order_by(ProfileRow.entity_id)
        ).all()
        report.due = sum(1 for _, digest, published in changed if digest == published)
        changed = [(eid, digest) for eid, digest, _ in changed]
        gone = list(
            session.scalars(
                select(Entity.id)
                .outerjoin(ProfileRow, ProfileRow.entity_id == Entity.id)
                .where(Entity.updated_at >= since)
                .where(or_(Entity.merged_into.is_not(None), ProfileRow.entity_id.is_(None)))
                .order_by(Entity.id)
            )
        )
    # Chunked so memory stays bounded however many profiles changed.
    for start in range(0, len(changed), BATCH):
        chunk = changed[start : start + BATCH]
        with db.session() as session:
            data = dict(
                session.execute(
                    select(ProfileRow.entity_id, ProfileRow.data).where(ProfileRow.entity_id.in_([c[0] for c in chunk]))
                ).all()
            )
        rendered = {eid: _render(data[eid], policy, today) for eid, _ in chunk if eid in data}
        report.upserted += backend.upsert(r.document for r in rendered.values())
        fail_point("publish.upserted", index=start // BATCH)
        with db.session() as session:
            _mark_published(session, [(eid, digest, rendered[eid].next_change) for eid, digest in chunk
                                      if eid in rendered])
    if gone:
        backend.delete(gone)
        report.deleted = len(gone)
    report.version = backend.live_version()


def publish_profiles(
    db: Database, settings: Settings, backend: SearchBackend | None = None, *, full: bool = False,
    today: dt.date | None = None,
) -> PublishReport:
    """Send changed public profiles to the search backend (everything when `full` or the date changed)."""
    policy = load_policy(settings)
    today = today or local_today(settings)  # a given day: the operator's replay, the tests' clock
    owned = backend is None
    if backend is None:
        from credithub.search.factory import open_backend

        backend = open_backend(settings)
    try:
        with stage_lock(db, ENTITIES, timeout=settings.lock_wait_seconds):
            return _publish_locked(db, backend, policy, today, full)
    finally:
        if owned:
            backend.close()


def _publish_locked(
    db: Database, backend: SearchBackend, policy: DisclosurePolicy, today: dt.date, full: bool
) -> PublishReport:
    started = utcnow()
    with db.session() as session:
        last = last_publish(session)
    reason = "changed"
    if full:
        reason = "requested"
    elif last is None:
        reason = "first"
    elif backend.live_version() is None:
        reason = "no_index"
    elif backend.needs_rebuild():
        reason = "index_outdated"
    elif last.policy_version != policy.version:
        reason = "policy_changed"
    elif last.date != today.isoformat():
        # Only the profiles whose public view changes by today (public_next_change) are redone.
        reason = "new_date"
    report = PublishReport(full=reason not in ("changed", "new_date"), reason=reason, today=today)
    if report.full:
        _full(db, backend, policy, today, report)
    else:
        assert last is not None
        _incremental(db, backend, policy, today, last.at, report)
    with db.session() as session:
        session.add(
            AuditLog(
                at=started,
                actor=PUBLISH_ACTOR,
                action=PUBLISH_ACTION,
                target=report.version,
                after={
                    "date": today.isoformat(),
                    "policy_version": policy.version,
                    "full": report.full,
                    "reason": reason,
                    "upserted": report.upserted,
                    "deleted": report.deleted,
                    "version": report.version,
                },
            )
        )
    return report
