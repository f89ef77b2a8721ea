"""Public JSON API routes: parse and validate, call the service, return a model."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel

from api.deps import Service
from api.errors import problem_responses
from api.public.models import (
    CompanySearchResult,
    EventsPage,
    Health,
    LookupResult,
    MatchRequest,
    MatchResponse,
    PublicProfile,
    Readiness,
)
from api.public.service import MovedPermanently
from credithub.search.base import SearchFilters, SearchQuery

router = APIRouter()
PREFIX = "/api/v1"
# Profiles change at most once per pipeline run; a short shared cache keeps load off the API.
PROFILE_CACHE_CONTROL = "public, max-age=300"

FlagName = Literal["dishonest_debtor", "abnormal_operations", "serious_dishonest", "red_list"]
SortKey = Literal["relevance", "name", "established", "-established", "capital", "-capital"]
EntityId = Annotated[
    str, Path(min_length=1, max_length=40, description="Company (entity) id.", examples=["E0001"])
]


def _json(model: BaseModel) -> Response:
    """Serialise once with pydantic's Rust encoder; `response_model` still documents the shape
    (FastAPI skips re-validating a returned Response, which cost a second full conversion)."""
    return Response(model.model_dump_json(), media_type="application/json")


def _redirect(request: Request, survivor: str, suffix: str = "") -> RedirectResponse:
    url = f"{PREFIX}/companies/{survivor}{suffix}"
    if request.url.query:
        url += f"?{request.url.query}"
    return RedirectResponse(url, status_code=301)


@router.get(
    f"{PREFIX}/companies",
    tags=["companies"],
    response_model=CompanySearchResult,
    summary="Search companies",
    description="Search by a company name in any spelling (typos, traditional characters, brackets, region dropped) "
    "or by any identifier in any common spelling, with filters. Matched parts of names come back in <em>…</em>.",
    responses=problem_responses(422, 429, 503),
)
def search_companies(
    service: Service,
    q: Annotated[str, Query(max_length=200, description="A name or an identifier.", examples=["华为技术有限公司", "19220382-1"])] = "",
    district: Annotated[str | None, Query(max_length=50, description="District (区).", examples=["南山区"])] = None,
    status: Annotated[str | None, Query(max_length=20, description="Register status.", examples=["存续"])] = None,
    industry: Annotated[str | None, Query(max_length=100, description="Industry.", examples=["软件和信息技术服务业"])] = None,
    tax_rating: Annotated[str | None, Query(max_length=5, description="Published tax credit rating.", examples=["A"])] = None,
    customs_grade: Annotated[str | None, Query(max_length=20, description="Customs credit grade.", examples=["高级认证企业"])] = None,
    environment_rating: Annotated[str | None, Query(max_length=20, description="Environmental credit rating.", examples=["绿"])] = None,
    flag: Annotated[
        list[FlagName], Query(description="Only companies carrying every listed flag.", examples=[["abnormal_operations"]])
    ] = [],  # noqa: B006 - FastAPI copies defaults
    sort: Annotated[SortKey, Query(description="Order of results.", examples=["relevance"])] = "relevance",
    page: Annotated[int, Query(ge=1, le=1000, description="1-based page number.", examples=[1])] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="Results per page.", examples=[10])] = 10,
) -> Response:
    query = SearchQuery(
        q=q.strip(),
        filters=SearchFilters(
            district=district or None,
            status=status or None,
            industry=industry or None,
            tax_rating=tax_rating or None,
            customs_grade=customs_grade or None,
            environment_rating=environment_rating or None,
            flags=list(flag),
        ),
        sort=sort,
        page=page,
        size=size,
    )
    return _json(service.search(query))


@router.get(
    PREFIX + "/companies/{entity_id}",
    tags=["companies"],
    response_model=PublicProfile,
    summary="Public profile of a company",
    description="The public credit profile. A merged id answers 301 with the surviving id in Location. "
    "Supports conditional requests: send the ETag back in If-None-Match to get 304.",
    responses={
        301: {"description": "Merged into another company; see Location."},
        304: {"description": "Not modified since the ETag you sent."},
        **problem_responses(404, 422, 429),
    },
)
def get_company(request: Request, service: Service, entity_id: EntityId) -> Response:
    try:
        view = service.profile_view(entity_id)
    except MovedPermanently as moved:
        return _redirect(request, moved.location_id)
    headers = {"ETag": view.etag, "Cache-Control": PROFILE_CACHE_CONTROL}
    if _etag_matches(request.headers.get("if-none-match"), view.etag):
        return Response(status_code=304, headers=headers)
    # PublicProfile has exactly Profile's fields: the cached Profile JSON is the response body.
    return Response(view.body, media_type="application/json", headers=headers)


def _etag_matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    if header.strip() == "*":
        return True
    return etag in {t.strip().removeprefix("W/") for t in header.split(",")}


@router.get(
    PREFIX + "/companies/{entity_id}/events",
    tags=["companies"],
    response_model=EventsPage,
    summary="Timeline of a company, paged",
    description="Public credit events, newest first, each with its department, batch and source record.",
    responses={301: {"description": "Merged into another company; see Location."}, **problem_responses(404, 422, 429)},
)
def get_company_events(
    request: Request,
    service: Service,
    entity_id: EntityId,
    department: Annotated[str | None, Query(max_length=64, description="Only this department's events.", examples=["tax"])] = None,
    event_type: Annotated[str | None, Query(max_length=64, description="Only this event type.", examples=["penalty"])] = None,
    page: Annotated[int, Query(ge=1, le=10000, description="1-based page number.", examples=[1])] = 1,
    size: Annotated[int, Query(ge=1, le=100, description="Events per page.", examples=[20])] = 20,
) -> Response:
    try:
        return _json(service.events(entity_id, page=page, size=size, department=department, event_type=event_type))
    except MovedPermanently as moved:
        return _redirect(request, moved.location_id, "/events")


@router.get(
    PREFIX + "/lookup",
    tags=["identifiers"],
    response_model=LookupResult,
    summary="Look up a company by identifier",
    description="Any identifier kind (USCC, organization code, registration number, tax number) in any common "
    "spelling: full-width characters, lower case, spaces, hyphens, O for 0. An unrecognisable code or a failed "
    "check digit answers 422; an unknown code 404.",
    responses=problem_responses(404, 422, 429),
)
def lookup(
    service: Service,
    id: Annotated[  # noqa: A002 - the public parameter name
        str, Query(min_length=1, max_length=64, description="The identifier.", examples=["19220382-1", "914403001922038216"])
    ],
) -> Response:
    return _json(service.lookup(id))


@router.post(
    PREFIX + "/match",
    tags=["identifiers"],
    response_model=MatchResponse,
    summary="Match up to 100 names and/or identifiers",
    description="Each query is answered with its best candidates and scores (0–1); `match` marks a candidate "
    "confident enough to accept without review. More than 100 queries answer 422.",
    responses=problem_responses(400, 422, 429),
)
def match(service: Service, request_body: Annotated[MatchRequest, Body(description="The queries.")]) -> Response:
    return _json(MatchResponse(results=[service.match_one(q) for q in request_body.queries]))


@router.get(
    "/healthz",
    tags=["operations"],
    response_model=Health,
    summary="Liveness",
    description="Answers 200 while the process serves requests.",
)
def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    tags=["operations"],
    response_model=Readiness,
    summary="Readiness, live index version and data freshness",
    description="200 when the database answers and a search index is live, else 503 with the same body. "
    "Reports the live index version and, per department, when its last successful batch finished.",
    responses={503: {"model": Readiness, "description": "Not ready; `problems` says why."}},
)
def readyz(service: Service) -> JSONResponse:
    report = service.readiness(dt.datetime.now(dt.UTC))
    return JSONResponse(report.model_dump(mode="json"), status_code=200 if report.status == "ready" else 503)
