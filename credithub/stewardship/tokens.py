"""Steward tokens: shown once at creation, stored only as a hash.

Tokens are 256-bit random strings, so a fast hash is not brute-forceable; with
settings.steward_token_secret set, the hash is an HMAC keyed by that server secret, so a
stolen database alone cannot even confirm a guessed token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from pydantic import BaseModel
from sqlalchemy import select, update

from credithub.errors import AuthenticationError, ConflictError, NotFoundError, ValidationFailedError
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import AuditLog, Steward, StewardSession, utcnow

TOKEN_PREFIX = "chs_"
_DEPARTMENT = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
# One message for every refused credential: unknown, revoked and expired must look the same to a
# caller, or the error tells an attacker which stolen tokens are worth keeping.
INVALID_CREDENTIALS = "令牌或会话无效、已过期或已被吊销 / invalid, expired or revoked credentials"


class Principal(BaseModel):
    """The authenticated steward a request acts as."""

    steward_id: int
    name: str
    department: str | None
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        return f"{self.name}#{self.steward_id}"

    def can_access(self, department: str) -> bool:
        return self.is_admin or self.department == department


class StewardInfo(BaseModel):
    id: int
    name: str
    department: str | None
    role: str
    token_prefix: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None

    @classmethod
    def of(cls, row: Steward, settings: Settings | None = None) -> StewardInfo:
        expires = token_expires_at(row, settings) if settings is not None else row.expires_at
        return cls(id=row.id, name=row.name, department=row.department, role=row.role,
                   token_prefix=row.token_prefix, created_at=row.created_at, revoked_at=row.revoked_at,
                   expires_at=expires)


def as_utc(moment: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def token_expires_at(row: Steward, settings: Settings) -> dt.datetime:
    """A token's end of life; tokens created before expiry existed get the policy lifetime."""
    if row.expires_at is not None:
        return as_utc(row.expires_at)
    return as_utc(row.created_at) + dt.timedelta(days=settings.steward_token_days)


def steward_is_active(row: Steward, settings: Settings, now: dt.datetime | None = None) -> bool:
    return row.revoked_at is None and (now or utcnow()) < token_expires_at(row, settings)


def principal_of(row: Steward) -> Principal:
    return Principal(steward_id=row.id, name=row.name, department=row.department, role=row.role)


def hash_token(token: str, settings: Settings) -> str:
    secret = settings.steward_token_secret
    if secret is not None:
        digest = hmac.new(secret.get_secret_value().encode(), token.encode(), hashlib.sha256).hexdigest()
        return f"hmac-sha256:{digest}"
    return f"sha256:{hashlib.sha256(token.encode()).hexdigest()}"


def add_steward(db: Database, settings: Settings, *, name: str, department: str | None,
                admin: bool = False, actor: str = "cli", expires_days: int | None = None) -> tuple[StewardInfo, str]:
    """Create a steward; returns its info and the token (the only time the token exists in clear).

    The token expires after `expires_days` (default settings.steward_token_days)."""
    days = settings.steward_token_days if expires_days is None else expires_days
    if not 1 <= days <= 3650:
        raise ValidationFailedError("expiry must be between 1 and 3650 days", field="expires_days", value=days)
    name = name.strip()
    if not name:
        raise ValidationFailedError("steward name is empty", field="name")
    if not admin:
        if not department or not _DEPARTMENT.match(department):
            raise ValidationFailedError("a steward needs a department name like 'tax'", field="department",
                                        value=department)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with db.session() as s:
        row = Steward(name=name, department=None if admin else department, role="admin" if admin else "steward",
                      token_hash=hash_token(token, settings), token_prefix=token[:10],
                      expires_at=utcnow() + dt.timedelta(days=days))
        s.add(row)
        s.flush()
        info = StewardInfo.of(row)
        s.add(AuditLog(actor=actor, action="steward_add", department=info.department, target=f"steward:{info.id}",
                       before=None, after=info.model_dump(mode="json")))
    return info, token


def list_stewards(db: Database, settings: Settings, *, include_revoked: bool = True) -> list[StewardInfo]:
    with db.session() as s:
        q = select(Steward).order_by(Steward.id)
        if not include_revoked:
            q = q.where(Steward.revoked_at.is_(None))
        return [StewardInfo.of(r, settings) for r in s.scalars(q)]


def revoke_steward(db: Database, steward_id: int, *, actor: str = "cli") -> StewardInfo:
    with db.session() as s:
        row = s.get(Steward, steward_id)
        if row is None:
            raise NotFoundError("no such steward", steward=steward_id)
        if row.revoked_at is not None:
            raise ConflictError("token already revoked", steward=steward_id)
        before = StewardInfo.of(row).model_dump(mode="json")
        row.revoked_at = utcnow()
        # Console sessions die with the token (they are also checked against it on every request).
        s.execute(update(StewardSession).where(StewardSession.steward_id == row.id,
                                               StewardSession.revoked_at.is_(None)).values(revoked_at=row.revoked_at))
        s.flush()
        info = StewardInfo.of(row)
        s.add(AuditLog(actor=actor, action="steward_revoke", department=row.department,
                       target=f"steward:{row.id}", before=before, after=info.model_dump(mode="json")))
        return info


def authenticate(db: Database, settings: Settings, token: str | None) -> Principal:
    """The steward holding `token`; AuthenticationError when missing, unknown, revoked or expired
    (the last three with one and the same message and no context)."""
    if not token:
        raise AuthenticationError("steward token required")
    hashed = hash_token(token.strip(), settings)
    with db.session() as s:
        row = s.scalar(select(Steward).where(Steward.token_hash == hashed))
        # compare_digest keeps the final equality constant-time even though the lookup is by index.
        if row is None or not hmac.compare_digest(row.token_hash, hashed) or not steward_is_active(row, settings):
            raise AuthenticationError(INVALID_CREDENTIALS)
        return principal_of(row)
