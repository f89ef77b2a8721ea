"""Request-body size limit: 413 before a large body is read, parsed or buffered.

A declared Content-Length over the limit is refused without reading a byte. Bodies without one
(chunked) or that run past it are counted as they stream in, and reading stops at the limit:
the exception raised from `receive` is a FastAPI HTTPException, the one kind FastAPI's body
parsing lets through unchanged, so api/errors.py renders it like every other problem.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem


class RequestBodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        # The rest of the body stays unread, so the connection cannot carry another request.
        super().__init__(413, detail=too_large_detail(limit), headers={"Connection": "close"})
        self.limit = limit


def too_large_detail(limit: int) -> str:
    size = f"{limit // 1024 // 1024} MiB" if limit % (1024 * 1024) == 0 else f"{limit} 字节"
    return f"请求体过大：上限 {size}（{limit} 字节）。Request body too large: the limit is {limit} bytes."


class BodySizeLimitMiddleware:
    """Pure ASGI middleware; `limits` maps path prefixes to larger (or smaller) limits than `default`."""

    def __init__(self, app: ASGIApp, *, default: int, limits: Mapping[str, int] | None = None) -> None:
        self.app = app
        self.default = default
        # Longest prefix first, so /api/v1/x/uploads can differ from /api/v1/x.
        self.limits = sorted((limits or {}).items(), key=lambda kv: len(kv[0]), reverse=True)

    def limit_for(self, path: str) -> int:
        return next((limit for prefix, limit in self.limits if path.startswith(prefix)), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = [v for k, v in scope["headers"] if k == b"content-length"]
        if declared:
            if len(set(declared)) != 1 or not declared[0].isdigit():
                await self._refuse(scope, receive, send, 400, "Content-Length 无效。Invalid Content-Length header.",
                                   "bad_content_length")
                return
            if int(declared[0]) > limit:
                await self._refuse(scope, receive, send, 413, too_large_detail(limit), "payload_too_large")
                return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestBodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except RequestBodyTooLarge as exc:
            # Normally the app's exception handler answered already; this catches readers outside it.
            if started:
                raise
            await self._refuse(scope, receive, send, 413, str(exc.detail), "payload_too_large")

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, detail: str, code: str) -> None:
        response = problem(Request(scope), status, detail, code=code, headers={"Connection": "close"})
        await response(scope, receive, send)
