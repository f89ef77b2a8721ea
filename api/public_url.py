"""The site's own address comes from settings.public_base_url, never from the request.

The Host header is whatever the client typed. Anything the app turns into an absolute URL
(request.base_url, request.url_for, Starlette's trailing-slash redirects) would echo a forged
one, so this middleware replaces Host and the scheme with the configured public origin before
routing. Routes that print the site's address (the reconcile manifest) read the setting directly.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send


class PublicURLMiddleware:
    def __init__(self, app: ASGIApp, *, public_base_url: str) -> None:
        self.app = app
        parts = urlsplit(public_base_url)
        self.scheme = parts.scheme
        self.host = parts.netloc.encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = [(k, v) for k, v in scope["headers"] if k != b"host"]
            headers.append((b"host", self.host))
            scope = {**scope, "headers": headers, "scheme": self.scheme}
        await self.app(scope, receive, send)
