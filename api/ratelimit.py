"""Per-client rate limiting: a token bucket per client IP, refilled continuously.

State lives on the app (one limiter per create_app), never in module globals. The client
is the TCP peer address; X-Forwarded-For counts only when the peer is a configured proxy
(api/clientip.py, settings.trusted_proxies), because anyone else can forge it.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from api.clientip import ClientAddress
from api.errors import problem

# Liveness/readiness probes and static assets are never limited (orchestrators poll them).
EXEMPT_PREFIXES = ("/healthz", "/readyz", "/static/")
# Buckets kept in memory; the least recently seen client is forgotten first (it just gets a full bucket).
MAX_CLIENTS = 100_000


class TokenBucketLimiter:
    """`per_minute` requests per client per minute, with bursts up to the same number."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, client: str) -> float:
        """Take one token; returns 0 when allowed, else seconds until a token is available."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > MAX_CLIENTS:
                self._buckets.popitem(last=False)
            return wait


class RateLimitMiddleware:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware on the hot path)."""

    def __init__(self, app: ASGIApp, limiter: TokenBucketLimiter, client_address: ClientAddress | None = None) -> None:
        self.app = app
        self.limiter = limiter
        self.client_address = client_address or ClientAddress(())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES) or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        wait = self.limiter.acquire(self.client_address(scope))
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        from starlette.requests import Request

        request = Request(scope)
        retry_after = str(max(1, math.ceil(wait)))
        response = problem(
            request,
            429,
            f"请求过于频繁，请 {retry_after} 秒后再试",
            code="rate_limited",
            headers={"Retry-After": retry_after},
        )
        await response(scope, receive, send)
