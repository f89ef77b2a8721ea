"""Serve GX Data Docs offline: map every CDN script/style/image the generated pages reference
to CreditHub's vendored stand-ins (api/steward/static/datadocs) and neutralise other external links."""

from __future__ import annotations

import re
from pathlib import Path

from credithub.errors import NotFoundError

_EXTERNAL_ATTR = re.compile(r"""(?P<attr>\b(?:src|href))=(?P<q>["'])(?P<url>(?:https?:)?//[^"']+)(?P=q)""", re.I)
_EXTERNAL_CSS_URL = re.compile(r"""url\((?P<q>['"]?)(?:https?:)?//[^)'"]+(?P=q)\)""", re.I)
_IMAGE = re.compile(r"\.(?:png|jpe?g|gif|svg|ico)(?:\?|$)", re.I)


def _local_for(url: str, static_prefix: str) -> str:
    path = url.split("?", 1)[0].lower()
    if path.endswith(".css") or "/css/" in path:
        return f"{static_prefix}/gx-offline.css"
    if _IMAGE.search(url):
        return f"{static_prefix}/gx-logo.svg"
    if path.endswith(".js") or "/js/" in path or any(k in path for k in ("vega", "jquery", "popper", "bootstrap")):
        return f"{static_prefix}/gx-offline.js"
    return "#"


def offline_html(html: str, static_prefix: str) -> str:
    """Every http(s)/protocol-relative src or href -> a local asset (or '#' for plain links)."""
    def sub(m: re.Match[str]) -> str:
        return f"{m['attr']}={m['q']}{_local_for(m['url'], static_prefix)}{m['q']}"

    html = _EXTERNAL_ATTR.sub(sub, html)
    # GX also sets a CDN logo through inline style url(...).
    return _EXTERNAL_CSS_URL.sub("none", html)


def offline_css(css: str) -> str:
    return _EXTERNAL_CSS_URL.sub("none", css)


def resolve_docs_file(datadocs_dir: Path, rel: str) -> Path:
    """A file inside the Data Docs site, refusing any path that escapes it."""
    root = datadocs_dir.resolve()
    target = (root / (rel or "index.html")).resolve()
    if root != target and root not in target.parents:
        raise NotFoundError("no such Data Docs page", path=rel)
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        raise NotFoundError("no such Data Docs page", path=rel)
    return target
