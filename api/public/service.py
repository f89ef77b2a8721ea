"""The public read service: everything the routes and pages need, independent of HTTP.

Routes parse and validate, call one method here, and return its pydantic result
(yente's "thin routes"). The public view is applied here at request time, so a publicity
period that ends today is honoured even before the nightly republish.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from sqlalchemy import func, select, text

from api.public.models import (
    DepartmentFreshness,
    EventsPage,
    IdentifierReading,
    LookupResult,
    MatchCandidate,
    MatchQuery,
    MatchResult,
    Readiness,
)
from credithub.disclosure.policy import DisclosurePolicy
from credithub.disclosure.view import public_view
from credithub.domain import Profile
from credithub.errors import NotFoundError, ValidationFailedError
from credithub.pipeline.profiles import survivor_of
from credithub.pipeline.publish import last_publish
from credithub.search.base import SearchBackend, SearchHit, SearchQuery, SearchResult
from credithub.storage.db import Database
from credithub.storage.tables import Entity, ProfileRow, SyncBatch
from entity_resolution.identifiers import classify_identifier

# Search scores are 0–100 for names (identifier hits score higher); the API reports 0–1.
NAME_SCORE_SCALE = 100.0
# A top candidate at or above this similarity, clearly ahead of the runner-up, is a match.
MATCH_THRESHOLD = 0.9
MATCH_MARGIN = 0.05
# Public views cached per (entity, content hash, date): a changed profile or a new day misses.
VIEW_CACHE_SIZE = 4096
SUCCESS_STATUSES = ("validated", "landed", "published")


class PublicProfileView:
    """A public profile as its JSON body plus its ETag validator.

    Only bytes are cached: caching pydantic objects put ~100 GC-tracked objects per profile
    on the heap, and full collections over them stalled workers for ~0.5 s at 4096 entries.
    """

    __slots__ = ("body", "validator")

    def __init__(self, body: bytes, validator: str) -> None:
        self.body = body
        self.validator = validator

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.validator.encode()).hexdigest()[:32] + '"'

    @property
    def profile(self) -> Profile:
        return Profile.model_validate_json(self.body)


class MovedPermanently(Exception):
    """The requested entity was merged; `location_id` is the survivor."""

    def __init__(self, location_id: str) -> None:
        super().__init__(location_id)
        self.location_id = location_id


class PublicService:
    def __init__(
        self,
        db: Database,
        backend: Callable[[], SearchBackend],
        policy: DisclosurePolicy,
        today: Callable[[], dt.date],
    ) -> None:
        self.db = db
        self._backend = backend
        self.policy = policy
        self.today = today
        self._views: OrderedDict[tuple[str, str, dt.date], PublicProfileView] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def backend(self) -> SearchBackend:
        return self._backend()

    # ---- search -----------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        return self.backend.search(query)

    # ---- profiles ---------------------------------------------------------------
    def profile(self, entity_id: str) -> tuple[Profile, str]:
        """The public profile and a validator (content hash + date + policy) for ETags."""
        view = self.profile_view(entity_id)
        return view.profile, view.validator

    def profile_view(self, entity_id: str) -> PublicProfileView:
        """Cached public view of one profile; misses cost one more query and the policy filter."""
        today = self.today()
        # Core queries, not ORM sessions: this is the hottest path of the API.
        with self.db.engine.connect() as conn:
            digest = conn.execute(select(ProfileRow.content_hash).where(ProfileRow.entity_id == entity_id)).scalar()
            if digest is None:
                with self.db.session() as session:
                    survivor = survivor_of(session, entity_id)
                if survivor is not None and survivor != entity_id:
                    raise MovedPermanently(survivor)
                raise NotFoundError(f"没有该企业：{entity_id}", entity_id=entity_id)
            key = (entity_id, digest, today)
            with self._lock:
                cached = self._views.get(key)
                if cached is not None:
                    self._views.move_to_end(key)
                    return cached
            data = conn.execute(select(ProfileRow.data).where(ProfileRow.entity_id == entity_id)).scalar()
        profile = public_view(Profile.model_validate(data), self.policy, today)
        validator = f"{digest[:32]}-{today.isoformat()}-{self.policy.version}"
        view = PublicProfileView(profile.model_dump_json().encode("utf-8"), validator)
        with self._lock:
            self._views[key] = view
            if len(self._views) > VIEW_CACHE_SIZE:
                self._views.popitem(last=False)
        return view

    def events(
        self, entity_id: str, *, page: int, size: int, department: str | None = None, event_type: str | None = None
    ) -> EventsPage:
        profile, _ = self.profile(entity_id)
        events = [
            e
            for e in profile.events
            if (department is None or e.provenance.department == department)
            and (event_type is None or e.event_type == event_type)
        ]
        start = (page - 1) * size
        return EventsPage(entity_id=entity_id, total=len(events), page=page, size=size, events=events[start : start + size])

    # ---- identifiers and matching ---------------------------------------------------
    def lookup(self, raw: str) -> LookupResult:
        readings = classify_identifier(raw)
        if not readings:
            raise ValidationFailedError(
                "不是可识别的企业代码（统一社会信用代码18位、组织机构代码9位、注册号或税务登记号15位）", field="id", value=raw
            )
        valid = [r for r in readings if r.valid]
        result = LookupResult(
            query=raw,
            readings=[IdentifierReading(kind=r.kind, value=r.value, valid=r.valid, reason=r.reason) for r in readings],
            results=[],
        )
        if not valid:
            raise ValidationFailedError(
                f"代码校验未通过：{readings[0].reason or '校验位错误'}", field="id", value=raw, kind=readings[0].kind
            )
        seen: set[str] = set()
        for reading in valid:
            for hit in self.backend.search(SearchQuery(q=reading.value, size=10)).hits:
                if hit.matched == "identifier" and hit.entity_id not in seen:
                    seen.add(hit.entity_id)
                    result.results.append(hit)
        if not result.results:
            raise NotFoundError(f"没有企业使用该代码：{raw}", id=raw)
        return result

    def _identifier_candidates(self, raw: str) -> list[MatchCandidate]:
        out: list[MatchCandidate] = []
        for reading in classify_identifier(raw):
            if not reading.valid:
                continue
            for hit in self.backend.search(SearchQuery(q=reading.value, size=5)).hits:
                if hit.matched == "identifier":
                    out.append(_candidate(hit, 1.0))
        return out

    def match_one(self, query: MatchQuery) -> MatchResult:
        best: dict[str, MatchCandidate] = {}
        if query.identifier:
            for cand in self._identifier_candidates(query.identifier):
                best.setdefault(cand.entity_id, cand)
        if query.name and query.name.strip():
            for hit in self.backend.search(SearchQuery(q=query.name, size=query.limit)).hits:
                cand = _candidate(hit, min(1.0, max(0.0, hit.score / NAME_SCORE_SCALE)))
                if hit.entity_id not in best or best[hit.entity_id].score < cand.score:
                    best[hit.entity_id] = cand
        ranked = sorted(best.values(), key=lambda c: (-c.score, c.entity_id))[: query.limit]
        if ranked:
            runner_up = ranked[1].score if len(ranked) > 1 else 0.0
            top = ranked[0]
            confident = top.score >= MATCH_THRESHOLD and top.score - runner_up >= MATCH_MARGIN
            ranked[0] = top.model_copy(update={"match": confident or top.matched == "identifier"})
        return MatchResult(key=query.key, query=query, candidates=ranked)

    # ---- readiness --------------------------------------------------------------------
    def readiness(self, now: dt.datetime) -> Readiness:
        problems: list[str] = []
        departments: list[DepartmentFreshness] = []
        last_at: dt.datetime | None = None
        try:
            with self.db.session() as session:
                session.execute(text("SELECT 1"))
                done = dict(
                    session.execute(
                        select(SyncBatch.department, func.max(SyncBatch.finished_at))
                        .where(SyncBatch.status.in_(SUCCESS_STATUSES))
                        .group_by(SyncBatch.department)
                    ).all()
                )
                latest_ids = select(SyncBatch.department, func.max(SyncBatch.id).label("id")).group_by(SyncBatch.department).subquery()
                statuses = dict(
                    session.execute(
                        select(SyncBatch.department, SyncBatch.status).join(latest_ids, latest_ids.c.id == SyncBatch.id)
                    ).all()
                )
                last = last_publish(session)
                last_at = _aware(last.at) if last else None
            for dept in sorted(set(done) | set(statuses)):
                finished = _aware(done.get(dept))
                departments.append(
                    DepartmentFreshness(
                        department=dept,
                        last_success_at=finished,
                        age_hours=round((now - finished).total_seconds() / 3600, 2) if finished else None,
                        last_status=statuses.get(dept),
                    )
                )
        except Exception as exc:  # noqa: BLE001 - readiness reports, it does not fail
            problems.append(f"database: {type(exc).__name__}")
        version: str | None = None
        documents: int | None = None
        try:
            version = self.backend.live_version()
            documents = self.backend.count() if version else None
        except Exception as exc:  # noqa: BLE001
            problems.append(f"search: {type(exc).__name__}")
        if version is None and not any(p.startswith("search") for p in problems):
            problems.append("search: no live index yet")
        return Readiness(
            status="not_ready" if problems else "ready",
            index_version=version,
            documents=documents,
            last_publish_at=last_at,
            departments=departments,
            problems=problems,
        )


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands back naive datetimes for timezone-aware columns; they were written in UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _candidate(hit: SearchHit, score: float) -> MatchCandidate:
    return MatchCandidate(
        entity_id=hit.entity_id, name=hit.name, uscc=hit.uscc, score=round(score, 4), match=False, matched=hit.matched
    )
