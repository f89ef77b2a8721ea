"""Issue 11, item 3: console sessions are server-side (random id, hashed, idle and absolute timeouts,
revoked at logout), steward tokens expire by policy, and a refused credential never says why."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import select, update
from typer.testing import CliRunner

from credithub.settings import Settings
from credithub.stewardship.cli import app as cli_app
from credithub.stewardship.tokens import add_steward, authenticate, revoke_steward
from credithub.storage.db import Database
from credithub.storage.tables import Steward, StewardSession, utcnow
from tests.stewardship.conftest import World


def _signed_out(w: World) -> bool:
    r = w.client.get("/steward", follow_redirects=False)
    return r.status_code == 303 and r.headers["location"].startswith("/steward/login")


def _steward_id(w: World, who: str) -> int:
    with w.db.session() as s:
        return s.scalar(select(Steward.id).where(Steward.name == f"{who}-steward"))


def test_cookie_holds_a_random_session_id_stored_only_hashed(world: World) -> None:
    w = world
    w.sign_in("tax")
    cookie = w.client.cookies.get("credithub_steward")
    assert cookie and w.tokens["tax"] not in cookie and cookie != w.tokens["tax"]
    with w.db.session() as s:
        row = s.scalars(select(StewardSession)).one()
        assert row.steward_id == _steward_id(w, "tax") and row.revoked_at is None
        assert row.session_hash == "sha256:" + hashlib.sha256(cookie.encode()).hexdigest()
        assert cookie not in row.session_hash
        lifetime = row.expires_at.replace(tzinfo=None) - row.created_at.replace(tzinfo=None)
        assert lifetime == w.settings.steward_session_absolute_timeout
    # A second sign-in is a different session.
    w.sign_in("tax")
    assert w.client.cookies.get("credithub_steward") != cookie


def test_logout_revokes_the_session_server_side(world: World) -> None:
    w = world
    w.sign_in("tax")
    stolen = w.client.cookies.get("credithub_steward")
    assert not _signed_out(w)
    r = w.post_form("/steward/logout", {}, follow_redirects=False)
    assert r.status_code == 303
    with w.db.session() as s:
        assert s.scalars(select(StewardSession)).one().revoked_at is not None
    # Replaying the old cookie (copied before logout) no longer works.
    w.client.cookies.set("credithub_steward", stolen, path="/steward")
    assert _signed_out(w)


def test_idle_timeout_ends_a_session(world: World) -> None:
    w = world
    w.settings.steward_session_idle_timeout = dt.timedelta(minutes=5)
    w.sign_in("tax")
    with w.db.session() as s:
        s.execute(update(StewardSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=4)))
    assert not _signed_out(w)  # used within the idle window: still valid, and the use refreshes it
    with w.db.session() as s:
        seen = s.scalars(select(StewardSession)).one().last_seen_at.replace(tzinfo=dt.UTC)
        assert utcnow() - seen < dt.timedelta(minutes=1)
        s.execute(update(StewardSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=6)))
    assert _signed_out(w)


def test_absolute_timeout_ends_a_busy_session(world: World) -> None:
    w = world
    w.sign_in("tax")
    with w.db.session() as s:
        s.execute(update(StewardSession).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert _signed_out(w)  # even though it was used a moment ago
    w.sign_in("tax")  # signing in again drops sessions past their absolute end
    with w.db.session() as s:
        assert len(s.scalars(select(StewardSession)).all()) == 1


def test_revoking_or_expiring_the_token_ends_its_sessions(world: World) -> None:
    w = world
    w.sign_in("tax")
    revoke_steward(w.db, _steward_id(w, "tax"))
    with w.db.session() as s:
        assert s.scalars(select(StewardSession)).one().revoked_at is not None
    assert _signed_out(w)
    w.sign_in("qs")
    with w.db.session() as s:
        s.execute(update(Steward).where(Steward.id == _steward_id(w, "qs"))
                  .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    assert _signed_out(w)


def test_tokens_expire_by_policy(sqlite_db: Database, settings: Settings) -> None:
    settings.steward_token_days = 7
    info, token = add_steward(sqlite_db, settings, name="短期", department="tax")
    assert info.expires_at is not None
    assert abs(info.expires_at.replace(tzinfo=dt.UTC) - (utcnow() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)
    assert authenticate(sqlite_db, settings, token).name == "短期"
    with sqlite_db.session() as s:
        s.execute(update(Steward).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    try:
        authenticate(sqlite_db, settings, token)
    except Exception as exc:  # noqa: BLE001
        assert type(exc).__name__ == "AuthenticationError"
    else:
        raise AssertionError("an expired token still authenticates")
    # Tokens created before expiry existed (expires_at null) live created_at + the policy's days.
    _, old = add_steward(sqlite_db, settings, name="旧令牌", department="tax")
    with sqlite_db.session() as s:
        s.execute(update(Steward).where(Steward.name == "旧令牌")
                  .values(expires_at=None, created_at=utcnow() - dt.timedelta(days=6)))
    assert authenticate(sqlite_db, settings, old).name == "旧令牌"
    with sqlite_db.session() as s:
        s.execute(update(Steward).where(Steward.name == "旧令牌").values(created_at=utcnow() - dt.timedelta(days=8)))
    try:
        authenticate(sqlite_db, settings, old)
    except Exception as exc:  # noqa: BLE001
        assert type(exc).__name__ == "AuthenticationError"
    else:
        raise AssertionError("a pre-expiry token lives forever")


def test_cli_add_takes_expires_days(tmp_path: Path) -> None:
    env = {"CREDITHUB_VAR_DIR": str(tmp_path / "var"), "CREDITHUB_DATABASE_URL": ""}
    r = CliRunner().invoke(cli_app, ["add", "--department", "tax", "--name", "李", "--expires-days", "30"], env=env)
    assert r.exit_code == 0, r.output
    db = Database(Settings(var_dir=tmp_path / "var", database_url=None).resolved_database_url)
    with db.session() as s:
        row = s.scalars(select(Steward)).one()
        assert (row.expires_at - row.created_at).days == 30 or \
            abs((row.expires_at - row.created_at) - dt.timedelta(days=30)) < dt.timedelta(seconds=5)
    db.dispose()
    bad = CliRunner().invoke(cli_app, ["add", "--department", "tax", "--name", "李", "--expires-days", "0"], env=env)
    assert bad.exit_code == 2


def test_unknown_revoked_and_expired_get_the_same_401(world: World) -> None:
    w = world
    with w.db.session() as s:
        s.execute(update(Steward).where(Steward.id == _steward_id(w, "qs"))
                  .values(expires_at=utcnow() - dt.timedelta(seconds=1)))
    revoke_steward(w.db, _steward_id(w, "tax"))
    bodies = []
    for token in ("chs_" + "x" * 43, w.tokens["tax"], w.tokens["qs"]):
        r = w.client.get("/api/v1/steward/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        bodies.append(r.json())
    assert bodies[0] == bodies[1] == bodies[2]
    assert not bodies[0].get("context")  # no steward id or reason leaks through the problem context
    # The sign-in page says the same thing for all three, too.
    pages = []
    for token in ("chs_" + "x" * 43, w.tokens["tax"], w.tokens["qs"]):
        import re

        form = w.client.get("/steward/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        r = w.client.post("/steward/login", data={"token": token, "csrf_token": csrf},
                          headers={"Origin": "http://testserver"})
        assert r.status_code == 401
        pages.append(re.search(r'id="error"[^>]*>(.*?)</div>', r.text, re.S).group(1).strip())
    assert pages[0] == pages[1] == pages[2]
