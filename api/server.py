"""uvicorn options for `credithub serve`, derived from Settings in one place.

uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise; here it believes it only
from settings.trusted_proxies, and not at all when none are configured, so neither the access log
nor request.client can be forged (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from credithub.settings import Settings


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    proxies = [str(network) for network in settings.trusted_proxies]
    return {
        "host": settings.api_host,
        "port": settings.api_port,
        "log_level": "info",
        "proxy_headers": bool(proxies),
        # Never None: uvicorn would then fall back to $FORWARDED_ALLOW_IPS or 127.0.0.1.
        "forwarded_allow_ips": proxies,
        "server_header": False,
    }
