"""The Chinese steward console under /steward: server-rendered, no external assets.

Sign-in exchanges the token for an HttpOnly, SameSite=Strict cookie (so other sites cannot
post forms with it). Pages handle the typed errors themselves: an unknown or revoked token
sends the browser back to sign-in; a refused fix re-renders the form with the reasons.
Data Docs are served from settings.datadocs_dir with every CDN reference rewritten to the
vendored stand-ins under /steward/datadocs/_static/.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response, StreamingResponse
from fastapi.templating import Jinja2Templates

from api.params import IdPath, checked, form_float, form_int
from api.steward.csrf import LOGIN_COOKIE, csrf_protect, csrf_token_for, login_form_token
from api.steward.deps import COOKIE_NAME, get_db, get_service, get_settings, page_principal
from api.steward.flash import flash_message, flash_url
from credithub.errors import (
    AuthenticationError,
    ConflictError,
    CreditHubError,
    NotFoundError,
    PermissionDeniedError,
    ValidationFailedError,
)
from credithub.stewardship.models import AuditFilter, QueueFilter
from credithub.stewardship.sessions import end_session, start_session
from credithub.stewardship.tokens import Principal
from credithub.validation.datadocs import offline_css, offline_html

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
DATADOCS_STATIC = STATIC_DIR / "datadocs"
DATADOCS_STATIC_URL = "/steward/datadocs/_static"

# csrf_protect runs before every console route: state-changing requests need origin + token.
router = APIRouter(prefix="/steward", tags=["steward console"], include_in_schema=False,
                   dependencies=[Depends(csrf_protect)])
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}

STATUS_ZH = {"quarantined": "隔离中", "pending": "待校验", "released": "已放行", "rejected": "已驳回",
             "passed": "已通过", "superseded": "已被新版本取代"}
FORM_FIELD_PREFIX = "f__"


def _render(request: Request, name: str, principal: Principal | None, status_code: int = 200,
            **ctx: Any) -> HTMLResponse:
    ctx.setdefault("message", flash_message(request.query_params))
    ctx.setdefault("csrf_token", csrf_token_for(request))
    return templates.TemplateResponse(request, f"steward/{name}", {"principal": principal, **ctx},
                                      status_code=status_code)


def _error_page(request: Request, principal: Principal | None, exc: CreditHubError) -> Response:
    if isinstance(exc, AuthenticationError):
        resp = RedirectResponse(flash_url("/steward/login", "relogin"), 303)
        resp.delete_cookie(COOKIE_NAME, path="/steward")
        return resp
    status, title = (404, "未找到") if isinstance(exc, NotFoundError) else \
        (403, "无权访问") if isinstance(exc, PermissionDeniedError) else \
        (409, "数据冲突") if isinstance(exc, ConflictError) else \
        (422, "输入有误") if isinstance(exc, ValidationFailedError) else (500, "服务器内部错误")
    return _render(request, "error.html", principal, status_code=status, status=status, title_zh=title,
                   detail=exc.message)


def _principal(request: Request) -> Principal:
    return page_principal(request)


# ---------------------------------------------------------------- sign-in


def _login_form(request: Request, status_code: int = 200, **ctx: Any) -> Response:
    """The sign-in page with a login-CSRF token bound to its pre-session cookie."""
    cookies = Response()
    token = login_form_token(request, cookies)
    resp = _render(request, "login.html", None, status_code=status_code, login_csrf_token=token, **ctx)
    for header in cookies.headers.getlist("set-cookie"):
        resp.headers.append("set-cookie", header)
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    return _login_form(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token") or "").strip()
    try:
        session_id, _ = start_session(get_db(request), get_settings(request), token)
    except AuthenticationError:
        return _login_form(request, status_code=401, error="令牌无效、已过期或已被吊销，请联系管理员。")
    resp = RedirectResponse("/steward", status_code=303)
    # The cookie holds a fresh random session id, never the token itself.
    resp.set_cookie(COOKIE_NAME, session_id, httponly=True, samesite="strict", path="/steward",
                    secure=request.url.scheme == "https")
    resp.delete_cookie(LOGIN_COOKIE, path="/steward/login")
    return resp


@router.post("/logout")
def logout(request: Request) -> Response:
    end_session(get_db(request), get_settings(request), request.cookies.get(COOKIE_NAME))
    resp = RedirectResponse(flash_url("/steward/login", "logged_out"), status_code=303)
    resp.delete_cookie(COOKIE_NAME, path="/steward")
    return resp


# ---------------------------------------------------------------- queue and records


# Hand-parsed numbers are bounded like the API's (422 for garbage, inf, nan, > 64 bits).
_opt_int, _opt_float = form_int, form_float


@router.get("", response_class=HTMLResponse)
def queue_page(request: Request) -> Response:
    principal = None
    try:
        principal = _principal(request)
        q = request.query_params
        flt = checked(
            QueueFilter,
            department=q.get("department") or None, batch_id=_opt_int(q.get("batch_id")),
            source_record_id=q.get("source_record_id") or None,
            expectation=q.get("expectation") or None, field=q.get("field") or None,
            older_than_hours=_opt_float(q.get("older_than_hours")),
            status=q.get("status") if q.get("status") in ("quarantined", "released", "rejected", "pending")
            else "quarantined",
            page=max(1, _opt_int(q.get("page")) or 1))
        page = get_service(request).queue(principal, flt)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    base = {k: v for k, v in flt.model_dump(exclude={"page", "page_size"}).items() if v not in (None, "")}
    return _render(request, "queue.html", principal, page=page, flt=flt,
                   statuses={k: STATUS_ZH[k] for k in ("quarantined", "released", "rejected", "pending")},
                   prev_url="/steward?" + urlencode({**base, "page": flt.page - 1}),
                   next_url="/steward?" + urlencode({**base, "page": flt.page + 1}))


def _record_page(request: Request, principal: Principal, record_id: int, status_code: int = 200,
                 values: dict[str, Any] | None = None, **ctx: Any) -> Response:
    rec = get_service(request).record(principal, record_id)
    failed = {c for f in rec.failures for c in str(f.get("column") or "").split(",") if c}
    return _render(request, "record.html", principal, status_code=status_code, rec=rec, statuses=STATUS_ZH,
                   values=values if values is not None else rec.staged, failed_fields=failed, **ctx)


@router.get("/records/{record_id}", response_class=HTMLResponse)
def record_page(request: Request, record_id: IdPath) -> Response:
    principal = None
    try:
        principal = _principal(request)
        return _record_page(request, principal, record_id)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)


@router.post("/records/{record_id}/fix")
async def fix_submit(request: Request, record_id: IdPath) -> Response:
    form = await request.form()
    principal = None
    try:
        principal = _principal(request)
        service = get_service(request)
        current = service.record(principal, record_id)
        submitted = {k[len(FORM_FIELD_PREFIX):]: str(v) for k, v in form.items() if k.startswith(FORM_FIELD_PREFIX)}
        # Only fields the steward actually changed are edits (blank means "empty" only if it was set before).
        changes = {k: v for k, v in submitted.items()
                   if (v.strip() or None) != (None if current.staged.get(k) in (None, "") else str(current.staged.get(k)))}
        version = _opt_int(str(form.get("version") or ""))
        if version is None:
            raise ValidationFailedError("缺少版本号，请刷新页面后重试", record=record_id)
        try:
            result = service.fix(principal, record_id, version, changes, str(form.get("note") or "") or None)
        except (ValidationFailedError, ConflictError) as exc:
            failures = exc.context.get("failures") if isinstance(exc.context.get("failures"), list) else []
            return _record_page(request, principal, record_id,
                                status_code=422 if isinstance(exc, ValidationFailedError) else 409,
                                values={**current.staged, **submitted}, error=exc.message,
                                error_failures=failures)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    if result.pending_change_id is not None:
        return RedirectResponse(flash_url(f"/steward/records/{record_id}", "fix_pending",
                                          change=result.pending_change_id), 303)
    return RedirectResponse(flash_url(f"/steward/records/{record_id}", "fixed"), 303)


@router.post("/records/{record_id}/reject")
async def reject_submit(request: Request, record_id: IdPath) -> Response:
    form = await request.form()
    principal = None
    try:
        principal = _principal(request)
        version = _opt_int(str(form.get("version") or "")) or 0
        try:
            get_service(request).reject(principal, record_id, version, str(form.get("reason") or ""))
        except (ValidationFailedError, ConflictError) as exc:
            return _record_page(request, principal, record_id, status_code=422 if isinstance(
                exc, ValidationFailedError) else 409, error=exc.message)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    return RedirectResponse(flash_url(f"/steward/records/{record_id}", "rejected"), 303)


@router.post("/records/{record_id}/release-now")
def release_now_submit(request: Request, record_id: IdPath) -> Response:
    principal = None
    try:
        principal = _principal(request)
        get_service(request).release_now(principal, record_id)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    return RedirectResponse(flash_url(f"/steward/records/{record_id}", "released_now"), 303)


@router.post("/bulk")
async def bulk_submit(request: Request) -> Response:
    form = await request.form()
    principal = None
    try:
        principal = _principal(request)
        ids = [i for v in form.getlist("ids") if (i := _opt_int(str(v))) is not None]
        if not ids:
            raise ValidationFailedError("请先选择记录")
        service = get_service(request)
        if form.get("action") == "fix":
            field = str(form.get("field") or "").strip()
            if not field:
                raise ValidationFailedError("请填写要批量修改的字段")
            result = service.bulk_fix(principal, ids, {field: str(form.get("value") or "")})
            code = "bulk_fixed"
        else:
            result = service.bulk_reject(principal, ids, str(form.get("reason") or ""))
            code = "bulk_rejected"
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    awaiting = sum(1 for r in result.done if r.pending_change_id is not None)
    numbers = {"done": len(result.done) - awaiting, "refused": len(result.refused)}
    if awaiting:
        code, numbers["awaiting"] = "bulk_fixed_pending", awaiting
    return RedirectResponse(flash_url("/steward", code, **numbers), 303)


# ---------------------------------------------------------------- identity changes (four-eyes rule)

ChangeId = Annotated[int, PathParam(ge=1, le=2**63 - 1)]


@router.get("/changes", response_class=HTMLResponse)
def changes_page(request: Request) -> Response:
    principal = None
    try:
        principal = _principal(request)
        changes = get_service(request).pending_changes(principal)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    return _render(request, "changes.html", principal, changes=changes)


@router.post("/changes/{change_id}/approve")
async def change_approve_submit(request: Request, change_id: ChangeId) -> Response:
    form = await request.form()
    principal = None
    try:
        principal = _principal(request)
        result = get_service(request).approve_change(principal, change_id, str(form.get("note") or "") or None)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    return RedirectResponse(flash_url(f"/steward/records/{result.id}", "change_approved", change=change_id), 303)


@router.post("/changes/{change_id}/reject")
async def change_reject_submit(request: Request, change_id: ChangeId) -> Response:
    form = await request.form()
    principal = None
    try:
        principal = _principal(request)
        info = get_service(request).reject_change(principal, change_id, str(form.get("reason") or ""))
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    return RedirectResponse(flash_url(f"/steward/records/{info.staged_record_id}", "change_rejected",
                                      change=change_id), 303)


# ---------------------------------------------------------------- batches, runs, audit


@router.get("/batches", response_class=HTMLResponse)
def batches_page(request: Request) -> Response:
    principal = None
    try:
        principal = _principal(request)
        batches = get_service(request).held_batches(principal)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    return _render(request, "batches.html", principal, batches=batches)


@router.post("/batches/{batch_id}/decision")
async def batch_decision(request: Request, batch_id: IdPath) -> Response:
    form = await request.form()
    principal = None
    try:
        principal = _principal(request)
        decision = str(form.get("decision") or "")
        if decision not in ("release", "reject"):
            raise ValidationFailedError("未知的决定", field="decision")
        note = str(form.get("note") or "").strip()
        if not note:
            raise ValidationFailedError("请填写决定说明", field="note")
        get_service(request).decide_batch(principal, batch_id, decision, note)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    code = "batch_released" if decision == "release" else "batch_rejected"
    return RedirectResponse(flash_url("/steward/batches", code, batch=batch_id), 303)


@router.get("/runs", response_class=HTMLResponse)
def runs_page(request: Request) -> Response:
    principal = None
    try:
        principal = _principal(request)
        runs = get_service(request).validation_runs(principal)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    return _render(request, "runs.html", principal, runs=runs)


@router.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request) -> Response:
    principal = None
    try:
        principal = _principal(request)
        page = max(1, _opt_int(request.query_params.get("page")) or 1)
        entries, total = get_service(request).audit(principal, checked(AuditFilter, page=page, page_size=100))
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    return _render(request, "audit.html", principal, entries=entries, total=total, page=page)


@router.get("/audit/export")
def audit_export_page(request: Request, format: str = "csv") -> Response:  # noqa: A002
    principal = None
    try:
        principal = _principal(request)
        lines = get_service(request).export_audit(principal, format)
        first = next(lines, "")
    except CreditHubError as exc:
        return _error_page(request, principal, exc)

    def body():  # type: ignore[no-untyped-def]
        yield first
        yield from lines

    media = "text/csv; charset=utf-8" if format == "csv" else "application/x-ndjson"
    return StreamingResponse(body(), media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="credithub-audit.{format}"'})


# ---------------------------------------------------------------- static files and Data Docs


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    path = (STATIC_DIR / name).resolve()
    if path.parent != STATIC_DIR or not path.is_file():
        return Response(status_code=404)
    return FileResponse(path)


@router.get("/datadocs/_static/{name}")
def datadocs_static(name: str) -> Response:
    path = (DATADOCS_STATIC / name).resolve()
    if path.parent != DATADOCS_STATIC or not path.is_file():
        return Response(status_code=404)
    return FileResponse(path)


@router.get("/datadocs/{rel:path}")
def datadocs(request: Request, rel: str) -> Response:
    principal = None
    try:
        principal = _principal(request)
        path = get_service(request).datadocs_file(principal, rel)
    except CreditHubError as exc:
        return _error_page(request, principal, exc)
    if path.suffix == ".html":
        html = offline_html(path.read_text(encoding="utf-8"), DATADOCS_STATIC_URL)
        return HTMLResponse(html)
    if path.suffix == ".css":
        return Response(offline_css(path.read_text(encoding="utf-8")), media_type="text/css")
    return FileResponse(path, media_type=mimetypes.guess_type(path.name)[0])
