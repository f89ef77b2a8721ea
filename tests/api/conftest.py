from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from credithub.disclosure import local_today
from credithub.pipeline.profiles import build_profiles
from credithub.pipeline.publish import publish_profiles
from credithub.search.embedded import EmbeddedBackend
from credithub.settings import Settings
from credithub.storage.db import Database
from tests.profiles.seed import seed_population


def published_app(tmp: Path, *, rate_limit: int = 100_000) -> tuple[FastAPI, dict[str, str]]:
    """A real SQLite database with seeded records, profiles built and published to a real embedded index."""
    settings = Settings(var_dir=tmp / "var", search_backend="embedded", rate_limit_per_minute=rate_limit)
    db = Database(settings.resolved_database_url)
    db.migrate()
    ids = seed_population(db, local_today(settings))
    build_profiles(db, settings)
    backend = EmbeddedBackend(settings.index_dir, reload_interval_s=0)
    publish_profiles(db, settings, backend)
    db.dispose()
    return create_app(settings, backend=backend), ids


@pytest.fixture(scope="module")
def api_setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app, ids = published_app(tmp_path_factory.mktemp("api"))
    with TestClient(app) as client:
        yield client, ids


@pytest.fixture
def client(api_setup: tuple[TestClient, dict[str, str]]) -> TestClient:
    return api_setup[0]


@pytest.fixture
def ids(api_setup: tuple[TestClient, dict[str, str]]) -> dict[str, str]:
    return api_setup[1]
