"""Steward console sessions: sign-in exchanges a steward token for a random session id.

The browser only ever holds the session id (never the long-lived token); the database holds
its hash. A session ends at logout (revoked server-side), after settings.steward_session_idle_timeout
without a request, settings.steward_session_absolute_timeout after sign-in, or as soon as its
steward's token is revoked or expires. Every refusal raises the same AuthenticationError, so a
caller cannot tell an unknown session from a revoked or an expired one.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete, select

from credithub.errors import AuthenticationError
from credithub.settings import Settings
from credithub.stewardship.tokens import (
    INVALID_CREDENTIALS,
    Principal,
    as_utc,
    authenticate,
    hash_token,
    principal_of,
    steward_is_active,
)
from credithub.storage.db import Database
from credithub.storage.tables import AuditLog, Steward, StewardSession, utcnow


def start_session(db: Database, settings: Settings, token: str | None) -> tuple[str, Principal]:
    """Check the steward token and open a console session; returns the session id (shown once)."""
    principal = authenticate(db, settings, token)
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    with db.session() as s:
        # Sessions past their absolute end can never be used again; dropping them keeps the table small.
        s.execute(delete(StewardSession).where(StewardSession.expires_at < now))
        row = StewardSession(steward_id=principal.steward_id, session_hash=hash_token(session_id, settings),
                             created_at=now, last_seen_at=now,
                             expires_at=now + settings.steward_session_absolute_timeout)
        s.add(row)
        s.flush()
        s.add(AuditLog(actor=principal.actor, action="session_start", department=principal.department,
                       target=f"session:{row.id}", before=None, after={"expires_at": row.expires_at.isoformat()}))
    return session_id, principal


def session_principal(db: Database, settings: Settings, session_id: str | None) -> Principal:
    """The steward of a live console session; refreshes its idle timer."""
    if not session_id:
        raise AuthenticationError(INVALID_CREDENTIALS)
    now = utcnow()
    with db.session() as s:
        row = s.scalar(select(StewardSession).where(StewardSession.session_hash == hash_token(session_id, settings)))
        steward = s.get(Steward, row.steward_id) if row is not None else None
        if (row is None or steward is None or row.revoked_at is not None
                or now >= as_utc(row.expires_at)
                or now - as_utc(row.last_seen_at) >= settings.steward_session_idle_timeout
                or not steward_is_active(steward, settings, now)):
            raise AuthenticationError(INVALID_CREDENTIALS)
        row.last_seen_at = now
        return principal_of(steward)


def end_session(db: Database, settings: Settings, session_id: str | None) -> None:
    """Revoke a session server-side (logout); unknown or already ended sessions are ignored."""
    if not session_id:
        return
    with db.session() as s:
        row = s.scalar(select(StewardSession).where(StewardSession.session_hash == hash_token(session_id, settings)))
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = utcnow()
        steward = s.get(Steward, row.steward_id)
        s.add(AuditLog(actor=principal_of(steward).actor if steward else f"steward#{row.steward_id}",
                       action="session_end", department=steward.department if steward else None,
                       target=f"session:{row.id}", before=None, after={"reason": "logout"}))
