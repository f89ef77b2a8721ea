"""The whole main job on a small sandbox: every stage, twice, through real sources.

Real parts: sandbox files (SQLite, GBK CSV, …) and local HTTP servers, SQLite storage,
the embedded search index.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from credithub.pipeline.run import run_pipeline
from credithub.search.base import SearchQuery
from credithub.search.factory import open_backend
from credithub.settings import Settings
from credithub.storage.db import Database
from credithub.storage.tables import (
    CanonicalRecordRow,
    Entity,
    EntityLink,
    ProfileRow,
    RawRecord,
    StagedRecord,
)

SKELETON = ["market_regulation", "quality_supervision", "tax"]


@pytest.fixture(scope="module")
def job(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, list[dict]]:
    var = tmp_path_factory.mktemp("e2e") / "var"
    settings = Settings(var_dir=var, database_url=None, search_backend="embedded", es_url=None, sandbox_companies=80)
    first = run_pipeline(settings, departments=SKELETON)
    assert not first.failed_departments, first.failed_departments
    counts_1 = _counts(settings)
    second = run_pipeline(settings, departments=SKELETON)
    assert not second.failed_departments
    counts_2 = _counts(settings)
    return settings, [counts_1, counts_2]


def _counts(settings: Settings) -> dict:
    db = Database(settings.resolved_database_url)
    with db.session() as s:
        out = {
            t.__tablename__: s.scalar(select(func.count()).select_from(t))
            for t in (RawRecord, StagedRecord, CanonicalRecordRow, Entity, EntityLink, ProfileRow)
        }
        out["entity_ids"] = sorted(s.scalars(select(Entity.id)))
    db.dispose()
    return out


def _ground_truth(settings: Settings) -> list[dict]:
    lines = (settings.sandbox_dir / "ground_truth.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_running_twice_duplicates_nothing(job: tuple[Settings, list[dict]]) -> None:
    _settings, (first, second) = job
    assert first["raw_records"] > 0 and first["profiles"] > 0
    assert first == second


def test_malformed_gbk_row_is_quarantined_while_the_rest_of_the_file_goes_through(
    job: tuple[Settings, list[dict]],
) -> None:
    settings, _ = job
    db = Database(settings.resolved_database_url)
    with db.session() as s:
        rows = s.scalars(select(StagedRecord).where(StagedRecord.department == "quality_supervision")).all()
    db.dispose()
    parse_faults = [r for r in rows if r.status == "quarantined" and r.failures[0]["expectation"] == "source_parse"]
    passed = [r for r in rows if r.status == "passed"]
    assert parse_faults, "the sandbox GBK CSV carries malformed rows; they must be quarantined"
    assert len(passed) > len(rows) // 2


def _register_company(settings: Settings) -> tuple[str, dict]:
    """A company from the register with a valid USCC and at least 8 characters of name."""
    import sqlite3

    truth = _ground_truth(settings)
    reg = [t for t in truth if t["department"] == "market_regulation" and t["stream"] == "register"]
    db = Database(settings.resolved_database_url)
    with db.session() as s:
        for t in reg:
            row = s.scalar(
                select(CanonicalRecordRow).where(
                    CanonicalRecordRow.department == "market_regulation",
                    CanonicalRecordRow.source_record_id == t["source_record_id"],
                )
            )
            if row and row.data.get("uscc") and len(row.data.get("name") or "") >= 8 and "分公司" not in row.data["name"]:
                link = s.get(EntityLink, row.id)
                assert link is not None
                db.dispose()
                return link.entity_id, row.data
    raise AssertionError(f"no usable register company ({sqlite3.sqlite_version})")


def test_search_by_name_with_one_wrong_character_finds_the_company_first(job: tuple[Settings, list[dict]]) -> None:
    settings, _ = job
    entity_id, rec = _register_company(settings)
    name: str = rec["name"]
    i = len(name) // 2
    typo = name[:i] + ("鑫" if name[i] != "鑫" else "淼") + name[i + 1 :]
    backend = open_backend(settings)
    hits = backend.search(SearchQuery(q=typo)).hits
    backend.close()
    assert hits and hits[0].entity_id == entity_id, (typo, [h.name for h in hits[:3]])


def test_search_by_hyphenated_org_code_finds_the_company_first(job: tuple[Settings, list[dict]]) -> None:
    settings, _ = job
    entity_id, rec = _register_company(settings)
    uscc: str = rec["uscc"].strip().upper()
    org = uscc[8:16] + "-" + uscc[16]
    backend = open_backend(settings)
    hits = backend.search(SearchQuery(q=org)).hits
    backend.close()
    assert hits and hits[0].entity_id == entity_id


def test_api_answers_search_and_profile(job: tuple[Settings, list[dict]], tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from api.app import create_app

    settings, _ = job
    entity_id, rec = _register_company(settings)
    with TestClient(create_app(settings)) as client:
        r = client.get("/api/v1/companies", params={"q": rec["uscc"].lower()})
        assert r.status_code == 200
        body = r.json()
        first = (body.get("hits") or body.get("results") or body.get("items"))[0]
        assert first["entity_id"] == entity_id
        p = client.get(f"/api/v1/companies/{entity_id}")
        assert p.status_code == 200
        assert rec["name"] in p.text
        page = client.get("/", params={"q": rec["name"]})
        assert page.status_code == 200 and "lang=\"zh-CN\"" in page.text


def test_main_job_on_postgresql_twice_duplicates_nothing(
    pg_server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Production's database: the same job, twice, adds nothing the second time."""
    from credithub.storage.tables import Base

    db = Database(pg_server_url)
    db.migrate()
    with db.engine.begin() as conn:  # the session database may hold other tests' rows
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
    db.dispose()
    settings = Settings(
        var_dir=tmp_path_factory.mktemp("e2e-pg") / "var",
        database_url=pg_server_url,
        search_backend="embedded",
        es_url=None,
        sandbox_companies=40,
    )
    assert not run_pipeline(settings).failed_departments
    first = _counts(settings)
    assert not run_pipeline(settings).failed_departments
    assert _counts(settings) == first
    assert first["profiles"] >= 40
