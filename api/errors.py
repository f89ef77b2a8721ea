"""One error shape for the whole app: RFC 9457 problem details (application/problem+json).

Typed exceptions from credithub.errors are mapped to HTTP statuses here, once, at the edge;
routes and services never build error responses themselves.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from credithub import errors

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Most specific class first: SchemaDriftError is a FatalSourceError is a SourceError.
STATUS_BY_ERROR: list[tuple[type[errors.CreditHubError], int, str]] = [
    (errors.NotFoundError, 404, "not_found"),
    (errors.AuthenticationError, 401, "authentication_required"),
    (errors.PermissionDeniedError, 403, "permission_denied"),
    (errors.ConflictError, 409, "conflict"),
    (errors.ValidationFailedError, 422, "validation_failed"),
    (errors.RetriableSourceError, 503, "source_unavailable"),
    (errors.SourceError, 502, "source_failed"),
    (errors.ConfigError, 500, "configuration_error"),
]
if hasattr(errors, "SearchBackendError"):
    STATUS_BY_ERROR.insert(0, (errors.SearchBackendError, 503, "search_unavailable"))

TITLES_ZH = {
    400: "请求有误",
    401: "需要登录",
    403: "无权访问",
    404: "未找到",
    405: "不支持该请求方法",
    409: "数据冲突",
    413: "请求体过大",
    422: "请求参数无效",
    429: "请求过于频繁",
    500: "服务器内部错误",
    502: "数据源错误",
    503: "服务暂不可用",
}


class Problem(BaseModel):
    """RFC 9457 problem details; every error response of the API has this shape."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "没有该企业：E0000000",
                    "instance": "/api/v1/companies/E0000000",
                    "code": "not_found",
                }
            ]
        },
    )

    type: str = Field("about:blank", description="Problem type URI; about:blank means the HTTP status says it all.")
    title: str = Field(description="Short summary of the HTTP status.")
    status: int = Field(description="HTTP status code.", examples=[404])
    detail: str | None = Field(None, description="Human-readable (Chinese) explanation of this occurrence.")
    instance: str | None = Field(None, description="The request path that failed.")
    code: str | None = Field(None, description="Stable machine-readable error code.", examples=["not_found"])


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries documenting problem+json for the given statuses."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {
            "model": Problem,
            "description": f"{HTTPStatus(status).phrase} (RFC 9457 problem details)",
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
    return out


def problem(
    request: Request,
    status: int,
    detail: str | None = None,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Render a problem; HTML pages get a Chinese error page instead of JSON."""
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "code": code,
        **extra,
    }
    if _wants_html(request):
        templates = getattr(request.app.state, "templates", None)
        if templates is not None:
            return templates.TemplateResponse(
                request,
                "error.html",
                {"status": status, "title_zh": TITLES_ZH.get(status, HTTPStatus(status).phrase), "detail": detail},
                status_code=status,
                headers=headers,
            )
        return HTMLResponse(f"<h1>{status}</h1>", status_code=status, headers=headers)
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith("/api/") or path in ("/openapi.json", "/healthz", "/readyz"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _allowed_methods(request: Request) -> list[str]:
    """Every method any route serves on this path (Starlette names only the first route's)."""
    from starlette.routing import Match

    methods: set[str] = set()
    for route in request.app.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods.update(route.methods)
    return sorted(methods)


def _status_for(exc: errors.CreditHubError) -> tuple[int, str]:
    for cls, status, code in STATUS_BY_ERROR:
        if isinstance(exc, cls):
            return status, code
    return 500, "internal_error"


def install_error_handlers(app: FastAPI) -> None:
    async def credithub_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.CreditHubError)
        status, code = _status_for(exc)
        if status >= 500:
            log.error("request failed: %s", exc)
        # Context (department, batch, record, field) is part of the contract: errors name where.
        context = {k: v for k, v in exc.context.items() if isinstance(v, (str, int, float, bool, list, dict))}
        return problem(request, status, exc.message, code=code, context=context or None)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else None
        code = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}.get(exc.status_code)
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return problem(request, exc.status_code, detail or TITLES_ZH.get(exc.status_code), code=code, headers=headers or None)

    async def validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        invalid = [
            {"location": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg"), "type": e.get("type")}
            for e in exc.errors()
        ]
        return problem(request, 422, "请求参数无效", code="validation_failed", errors=invalid)

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return problem(request, 500, "服务器内部错误", code="internal_error")

    app.add_exception_handler(errors.CreditHubError, credithub_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(Exception, unexpected)
