"""Server-rendered Chinese pages: search, company, disclosure rules. No scripts, no external assets."""

from __future__ import annotations

import html
from urllib.parse import urlencode
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup, escape

from api.deps import Service
from api.public import labels
from api.public.service import MovedPermanently
from credithub.search.base import FLAGS, SearchFilters, SearchQuery

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20


def safe_highlight(value: str | None, fallback: str) -> Markup:
    """Only <em> survives from a backend highlight; everything else is escaped again."""
    if not value:
        return escape(fallback)
    raw = html.unescape(value)
    text = str(escape(raw))
    return Markup(text.replace("&lt;em&gt;", "<em>").replace("&lt;/em&gt;", "</em>"))


def _render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    base = {"labels": labels, "policy": request.app.state.policy}
    return request.app.state.templates.TemplateResponse(request, template, {**base, **context}, status_code=status)


@router.get("/", response_class=HTMLResponse)
def search_page(
    request: Request,
    service: Service,
    q: Annotated[str, Query(max_length=200)] = "",
    district: Annotated[str, Query(max_length=50)] = "",
    status: Annotated[str, Query(max_length=20)] = "",
    industry: Annotated[str, Query(max_length=100)] = "",
    tax_rating: Annotated[str, Query(max_length=5)] = "",
    flag: Annotated[list[str], Query()] = [],  # noqa: B006
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
) -> HTMLResponse:
    flags = [f for f in flag if f in FLAGS]
    searched = bool(q.strip() or district or status or industry or tax_rating or flags)
    result = None
    if searched:
        result = service.search(
            SearchQuery(
                q=q.strip(),
                filters=SearchFilters(
                    district=district or None,
                    status=status or None,
                    industry=industry or None,
                    tax_rating=tax_rating or None,
                    flags=flags,  # type: ignore[arg-type]
                ),
                page=page,
                size=PAGE_SIZE,
            )
        )
    hits = [
        {"hit": h, "name_html": safe_highlight(h.highlight, h.name)} for h in (result.hits if result else [])
    ]
    pages = (result.total + PAGE_SIZE - 1) // PAGE_SIZE if result else 0
    return _render(
        request,
        "search.html",
        {
            "form": {"q": q, "district": district, "status": status, "industry": industry, "tax_rating": tax_rating, "flags": flags},
            "searched": searched,
            "result": result,
            "hits": hits,
            "page": page,
            "pages": pages,
            "page_url": lambda n: "/?" + urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page"] + [("page", str(n))]),
        },
    )


@router.get("/companies/{entity_id}", response_class=HTMLResponse)
def company_page(request: Request, service: Service, entity_id: Annotated[str, Path(min_length=1, max_length=40)]) -> Response:
    try:
        profile, _ = service.profile(entity_id)
    except MovedPermanently as moved:
        return RedirectResponse(f"/companies/{moved.location_id}", status_code=301)
    return _render(request, "company.html", {"p": profile, "today": service.today()})


@router.get("/about/disclosure", response_class=HTMLResponse)
def disclosure_page(request: Request) -> HTMLResponse:
    policy = request.app.state.policy
    rows = []
    for key, typed in sorted(policy.event_types.items(), key=lambda kv: kv[1].label_zh):
        rules = {"": typed.rule} if typed.rule else {}
        rules.update({f"（{labels.SEVERITY_ZH.get(s, s)}）": r for s, r in typed.by_severity.items()})
        for suffix, rule in rules.items():
            rows.append({"key": key, "label": typed.label_zh + suffix, "rule": rule, "flag": typed.flag})
    return _render(request, "disclosure.html", {"rows": rows, "defaults": policy.severity_defaults})
