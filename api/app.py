"""The FastAPI application: public API (/api/v1), Chinese web pages, steward and scorecard routers."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from api.clientip import ClientAddress
from api.cors import PublicReadCORS
from api.deps import LazyBackend
from api.errors import Problem, install_error_handlers
from api.limits import BodySizeLimitMiddleware
from api.openapi_docs import complete_schemas
from api.public.service import PublicService
from api.public_url import PublicURLMiddleware
from api.ratelimit import RateLimitMiddleware, TokenBucketLimiter
from credithub.disclosure.policy import load_policy, local_today
from credithub.search.base import SearchBackend
from credithub.settings import Settings
from credithub.storage.db import Database

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent

DESCRIPTION = """\
CreditHub public API: enterprise credit information shared by the city's departments.

* **Search** companies by any name spelling or any identifier (USCC, organization code with or
  without hyphen, registration or tax number), with filters.
* **Profiles**: identity, credit summary, timeline of credit events with provenance (department,
  batch, source record), and identity facts on which departments disagree.
* **Lookup** by identifier, **batch matching** (POST /api/v1/match, up to 100 names/identifiers) and an
  **OpenRefine reconciliation service** (/api/v1/reconcile).

Only what the disclosure policy allows is returned (see /about/disclosure): events leave public view when
their publicity period ends or after credit repair; personal ID numbers and phone numbers never appear.
Errors are RFC 9457 problem details (application/problem+json). Requests are rate limited per client
(429 with Retry-After). Merged company ids redirect (301) to the surviving id.
"""

OPENAPI_TAGS = [
    {"name": "companies", "description": "Search and public credit profiles."},
    {"name": "identifiers", "description": "Identifier lookup, batch matching and OpenRefine reconciliation."},
    {"name": "operations", "description": "Liveness and readiness probes."},
]


def _warm_analysis() -> None:
    """Load the name-analysis dictionaries (OpenCC, place and industry words) before freezing the
    heap; no index is touched, so startup still works before the first publish."""
    from credithub.search.analysis import analyse_query

    analyse_query("深圳市华信科技有限公司")
    analyse_query("19220382-1")


def create_app(settings: Settings | None = None, *, backend: SearchBackend | None = None) -> FastAPI:
    """Build the whole app from `settings`; `backend` overrides the configured search backend."""
    settings = settings or Settings()
    db = Database(settings.resolved_database_url)
    lazy_backend = LazyBackend(settings, backend)
    policy = load_policy(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Everything loaded so far (modules, schemas, dictionaries) lives as long as the process:
        # moving it out of the collector's reach keeps full GC passes (which stop the worker) short.
        _warm_analysis()
        gc.collect()
        gc.freeze()
        yield
        lazy_backend.close()
        db.dispose()

    app = FastAPI(
        title="CreditHub API",
        version="1.0.0",
        summary="Enterprise credit information hub: public search, profiles and matching.",
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        # The bundled Swagger UI / ReDoc pages load scripts from a CDN; nothing may load from outside.
        docs_url=None,
        redoc_url=None,
        license_info={"name": "Apache-2.0", "identifier": "Apache-2.0"},
    )
    app.state.settings = settings
    app.state.db = db
    app.state.backend = lazy_backend
    app.state.policy = policy
    app.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    app.state.public_service = PublicService(db, lazy_backend, policy, lambda: local_today(settings))

    install_error_handlers(app)
    from api.public.pages import router as pages_router
    from api.public.reconcile import router as reconcile_router
    from api.public.routes import router as public_router
    from api.scorecard import routes as scorecard_routes
    from api.steward import pages as steward_pages
    from api.steward import routes as steward_routes
    from credithub.observability.metrics import install_metrics

    app.include_router(public_router)
    app.include_router(reconcile_router)
    app.include_router(pages_router)
    app.include_router(steward_routes.router)
    app.include_router(steward_pages.router, include_in_schema=False)
    app.include_router(scorecard_routes.router)
    install_metrics(app, settings, db=db)
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")

    # Added innermost first. CORS must also decorate 429 answers, so it wraps the rate limiter,
    # which refuses flooding clients before the body limit looks at anything.
    app.add_middleware(PublicURLMiddleware, public_base_url=settings.public_base_url)
    app.add_middleware(
        BodySizeLimitMiddleware, default=settings.max_request_body_bytes, limits=settings.request_body_limits
    )
    app.add_middleware(
        RateLimitMiddleware,
        limiter=TokenBucketLimiter(settings.rate_limit_per_minute),
        client_address=ClientAddress(settings.trusted_proxies),
    )
    app.add_middleware(PublicReadCORS)
    _ensure_problem_schema(app)
    return app


def _document_body_limit(schema: dict) -> None:  # type: ignore[type-arg]
    """Every operation that takes a body can answer 413 (api/limits.py refuses it before reading)."""
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for item in schema.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                operation.setdefault("responses", {}).setdefault(
                    "413", {"description": "请求体过大 / request body larger than the limit", "content": problem})


def _ensure_problem_schema(app: FastAPI) -> None:
    """Register the Problem schema even if no route referenced it through a model."""
    original = app.openapi

    def openapi() -> dict:  # type: ignore[type-arg]
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        schemas = schema.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault("Problem", Problem.model_json_schema(ref_template="#/components/schemas/{model}"))
        complete_schemas(schema)
        _document_body_limit(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
