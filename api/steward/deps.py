"""Shared dependencies of the steward routers: settings, database, service, the signed-in steward.

The app may put `settings`, `db` and `steward_stream_resolver` on app.state; otherwise they
are built from the environment once per app (same convention as the other routers).
"""

from __future__ import annotations

from fastapi import Request

from credithub.errors import AuthenticationError
from credithub.settings import Settings
from credithub.stewardship.service import StewardService
from credithub.stewardship.sessions import session_principal
from credithub.stewardship.tokens import Principal, authenticate
from credithub.storage.db import Database

COOKIE_NAME = "credithub_steward"


def get_settings(request: Request) -> Settings:
    settings = getattr(request.app.state, "settings", None)
    if settings is None:
        settings = request.app.state.settings = Settings()
    return settings


def get_db(request: Request) -> Database:
    db = getattr(request.app.state, "db", None)
    if db is None:
        db = request.app.state.db = Database(get_settings(request).resolved_database_url)
    return db


def get_service(request: Request) -> StewardService:
    resolver = getattr(request.app.state, "steward_stream_resolver", None)
    return StewardService(get_db(request), get_settings(request), resolver)


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def api_principal(request: Request) -> Principal:
    """JSON API: `Authorization: Bearer <token>` (the console's cookie is not accepted here: no CSRF surface)."""
    token = bearer_token(request)
    if token is None:
        raise AuthenticationError("steward token required (Authorization: Bearer …)")
    return authenticate(get_db(request), get_settings(request), token)


def page_principal(request: Request) -> Principal:
    """Console pages: a bearer header if there is one (then the cookie is ignored, which is what
    lets bearer requests skip the CSRF check), else the session id cookie set at sign-in."""
    token = bearer_token(request)
    if token is not None:
        return authenticate(get_db(request), get_settings(request), token)
    return session_principal(get_db(request), get_settings(request), request.cookies.get(COOKIE_NAME))
