"""CSRF defence of the steward console (a dependency of every console route).

SameSite=Strict alone is not enough: a page on another port of the same host is same-site, so
its forms carry the cookie. Every state-changing console request authenticated by cookie must
therefore (1) come from the configured public origin (Origin header, else Referer) and (2) carry a
synchronizer token in its form:

* signed in: HMAC(session id, purpose). The session id lives only in the HttpOnly cookie, so a
  page that cannot read the cookie cannot compute the token, and the token reveals nothing
  about the session id. Nothing extra is stored; logging out (a new session) changes it.
* the sign-in form (login CSRF): the same construction over a random pre-session cookie set
  when the login page is shown.

Requests carrying `Authorization: Bearer …` are authenticated by that header alone (see
deps.page_principal), which no cross-site form can send, so they need neither check.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request, Response

from api.steward.deps import COOKIE_NAME, bearer_token, get_settings
from credithub.errors import PermissionDeniedError

LOGIN_COOKIE = "credithub_steward_login"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_PATH = "/steward/login"
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _mac(secret: str, purpose: bytes) -> str:
    return hmac.new(secret.encode(), purpose, hashlib.sha256).hexdigest()


def session_csrf_token(session_id: str) -> str:
    return _mac(session_id, b"credithub steward console csrf")


def login_csrf_token(pre_session: str) -> str:
    return _mac(pre_session, b"credithub steward login csrf")


def csrf_token_for(request: Request) -> str | None:
    """The token the forms of this signed-in page must carry (None without a session cookie)."""
    session_id = request.cookies.get(COOKIE_NAME)
    return session_csrf_token(session_id) if session_id else None


def login_form_token(request: Request, response: Response) -> str:
    """The sign-in form's token, setting the pre-session cookie it is bound to when missing."""
    pre = request.cookies.get(LOGIN_COOKIE)
    if not pre:
        pre = secrets.token_urlsafe(32)
        response.set_cookie(LOGIN_COOKIE, pre, httponly=True, samesite="strict", path=LOGIN_PATH,
                            secure=request.url.scheme == "https")
    return login_csrf_token(pre)


def normalize_origin(url: str) -> str | None:
    """scheme://host[:port] in lower case without a default port; None when not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return f"{scheme}://{host}" if port in (None, _DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def check_origin(request: Request) -> None:
    """403 unless the request says it comes from the console's own public origin."""
    expected = normalize_origin(get_settings(request).resolved_steward_origin)
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not claimed or expected is None or normalize_origin(claimed) != expected:
        raise PermissionDeniedError("请求来源与控制台地址不符，已拒绝（跨站请求）/ cross-origin request refused")


async def csrf_protect(request: Request) -> None:
    """Refuse a cookie-authenticated state-changing console request without both defences."""
    if request.method in SAFE_METHODS or bearer_token(request) is not None:
        return
    check_origin(request)
    form = await request.form()  # Starlette caches it: the route reads the same form afterwards
    submitted = str(form.get(CSRF_FIELD) or "")
    if request.url.path == LOGIN_PATH:
        pre = request.cookies.get(LOGIN_COOKIE)
        expected = login_csrf_token(pre) if pre else None
    else:
        expected = csrf_token_for(request)
    if not expected or not submitted or not hmac.compare_digest(submitted, expected):
        raise PermissionDeniedError("表单已过期或缺少安全令牌，请刷新页面后重试 / missing or wrong CSRF token")
