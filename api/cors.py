"""CORS for the public read endpoints only: any origin may GET public data.

Steward and write endpoints get no CORS headers, so browsers keep other sites from
calling them with a steward's credentials.
"""

from __future__ import annotations

from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

READ_PREFIXES = ("/api/v1/companies", "/api/v1/lookup", "/api/v1/reconcile", "/healthz", "/readyz", "/openapi.json")


class PublicReadCORS:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.cors = CORSMiddleware(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD"],
            allow_headers=["Accept", "Accept-Language", "If-None-Match", "Content-Type"],
            expose_headers=["ETag", "Cache-Control", "Retry-After", "Location"],
            allow_credentials=False,
            max_age=600,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(READ_PREFIXES):
            await self.cors(scope, receive, send)
        else:
            await self.app(scope, receive, send)
