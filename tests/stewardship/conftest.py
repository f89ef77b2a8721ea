"""A small FastAPI app with the steward routers over a real database holding real validated batches
(promoted through the registered connectors' streams)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.errors import install_error_handlers
from api.steward import pages, routes
from connectors.sdk.base import Stream
from credithub.pipeline.validate import validate_batch
from credithub.settings import Settings
from credithub.stewardship.tokens import add_steward
from credithub.storage.db import Database
from credithub.storage.tables import StagedRecord
from credithub.validation.streams import stream_for
from tests.validation.helpers import make_batch, spot_row


def resolver(department: str, stream: str) -> Stream:
    """The registered connectors' own streams (what production uses)."""
    return stream_for(department, stream)


def tax_row(i: int, **over: Any) -> dict[str, Any]:
    row = {"record_id": f"TX-{i:04d}", "taxpayer_id": "914403001922038216", "name": f"深圳市税务测试{i}有限公司",
           "year": "2024", "rating": "A", "updated_at": "2025-04-02T08:00:00"}
    row.update(over)
    return row


@dataclass
class World:
    db: Database
    settings: Settings
    client: TestClient
    tokens: dict[str, str]
    qs_bad: list[int]
    tax_bad: list[int]
    qs_batch: int
    tax_batch: int

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def sign_in(self, who: str) -> None:
        """The browser's sign-in: load the form (pre-session cookie + token), post it from the console's origin."""
        form = self.client.get("/steward/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        r = self.client.post("/steward/login", data={"token": self.tokens[who], "csrf_token": token},
                             headers={"Origin": ORIGIN}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/steward", r.text

    def csrf(self, page: str = "/steward") -> str:
        """The CSRF token the signed-in console's forms carry, read from a page like a browser would."""
        return re.search(r'name="csrf_token" value="([^"]+)"', self.client.get(page).text).group(1)

    def post_form(self, url: str, data: dict[str, Any], **kw: Any) -> Any:
        """A console form post as the browser sends it: same-origin, with the page's CSRF token."""
        return self.client.post(url, data={**data, "csrf_token": self.csrf()}, headers={"Origin": ORIGIN}, **kw)

    def staged(self, staged_id: int) -> StagedRecord:
        with self.db.session() as s:
            row = s.get(StagedRecord, staged_id)
            assert row is not None
            s.expunge(row)
            return row


ORIGIN = "http://testserver"  # TestClient's base URL: the console's public origin in these tests


def build_world(db: Database, settings: Settings, *, build_docs: bool = False) -> World:
    settings.steward_public_origin = ORIGIN
    qs_rows = [spot_row(i) for i in range(4)] + [spot_row(10, org_code="19220382-2"),
                                                 spot_row(11, org_code="12345678-0"),
                                                 spot_row(12, result="不合格", issue=None)]
    qs_batch = make_batch(db, qs_rows)
    validate_batch(db, settings, qs_batch, stream=resolver("quality_supervision", "spot_checks"),
                   build_docs=build_docs)
    tax_batch = make_batch(db, [tax_row(1), tax_row(2, rating="E"), tax_row(3, taxpayer_id="914403001922038217")],
                           department="tax", stream="tax_ratings")
    validate_batch(db, settings, tax_batch, stream=resolver("tax", "tax_ratings"), build_docs=build_docs)
    tokens = {}
    for who, dept, admin in (("tax", "tax", False), ("qs", "quality_supervision", False),
                             ("qs2", "quality_supervision", False), ("admin", None, True)):
        _, tokens[who] = add_steward(db, settings, name=f"{who}-steward", department=dept, admin=admin)
    with db.session() as s:
        def bad(dept: str) -> list[int]:
            return list(s.scalars(select(StagedRecord.id).where(
                StagedRecord.department == dept, StagedRecord.status == "quarantined").order_by(StagedRecord.id)))
        qs_bad, tax_bad = bad("quality_supervision"), bad("tax")
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(routes.router)
    app.include_router(pages.router)
    app.state.settings, app.state.db = settings, db  # streams come from the connector registry
    return World(db=db, settings=settings, client=TestClient(app), tokens=tokens, qs_bad=qs_bad,
                 tax_bad=tax_bad, qs_batch=qs_batch, tax_batch=tax_batch)


@pytest.fixture
def world(sqlite_db: Database, settings: Settings) -> World:
    return build_world(sqlite_db, settings)


@pytest.fixture
def any_world(any_db: Database, settings: Settings) -> World:
    return build_world(any_db, settings)


@contextlib.contextmanager
def full_app_world(var_dir: Path) -> Iterator[tuple[TestClient, World]]:
    """The whole application (public API and console) over a steward world in `var_dir`, with a rate
    limit no test reaches: for suites that sweep many requests across routes."""
    from api.app import create_app

    settings = Settings(var_dir=var_dir, database_url=None, search_backend="embedded", es_url=None,
                        rate_limit_per_minute=100_000)
    db = Database(settings.resolved_database_url)
    db.migrate()
    world = build_world(db, settings)
    with TestClient(create_app(settings)) as client:
        yield client, world
    db.dispose()
