"""Issue 11, item 1: a steward cannot read another department's Data Docs (or the admin-only index)
by walking out of a directory it may read: `..` in any encoding is resolved before the access check,
and the department is decided from where the path lands."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from credithub.errors import NotFoundError
from credithub.settings import Settings
from credithub.stewardship.service import StewardService
from credithub.stewardship.tokens import authenticate
from credithub.storage.db import Database
from credithub.storage.tables import ValidationRun
from tests.stewardship.conftest import World, build_world


@pytest.fixture
def docs_world(sqlite_db: Database, settings: Settings) -> tuple[World, dict[str, str]]:
    w = build_world(sqlite_db, settings, build_docs=True)
    with w.db.session() as s:
        runs = {r.department: r.datadocs_path for r in s.scalars(select(ValidationRun))}
    assert runs["quality_supervision"] and runs["tax"]
    assert (settings.datadocs_dir / "index.html").is_file()
    return w, runs


def _encodings(target: str) -> list[str]:
    """`static/../<target>` spelled the ways a client can get `..` and `/` past a naive check."""
    slashed = target.replace("/", "%2F")
    return [
        f"static/%2e%2e/{target}",
        f"static/%2E%2E/{target}",
        f"static/.%2e/{target}",
        f"static%2F..%2F{slashed}",
        f"static/..%2F{target}",
        f"static/styles/%2e%2e/%2e%2e/{target}",
        f"validations/tax/%2e%2e/%2e%2e/{target}",
    ]


def test_tax_steward_cannot_traverse_to_another_departments_docs(docs_world: tuple[World, dict[str, str]]) -> None:
    w, runs = docs_world
    w.sign_in("tax")
    own = w.client.get(f"/steward/datadocs/{runs['tax']}")
    assert own.status_code == 200 and "tax_ratings" in own.text
    qs_path = runs["quality_supervision"]
    assert w.client.get(f"/steward/datadocs/{qs_path}").status_code == 404
    for url in _encodings(qs_path):
        r = w.client.get(f"/steward/datadocs/{url}")
        assert r.status_code == 404, url
        assert "spot_checks" not in r.text, url


def test_tax_steward_cannot_traverse_to_the_admin_index(docs_world: tuple[World, dict[str, str]]) -> None:
    w, _ = docs_world
    w.sign_in("tax")
    assert w.client.get("/steward/datadocs/index.html").status_code == 404
    for url in [*_encodings("index.html"), "static/%2e%2e", "static/%2e%2e/", "static%2F..%2F"]:
        r = w.client.get(f"/steward/datadocs/{url}")
        assert r.status_code == 404, url
        assert "quality_supervision" not in r.text, url


def test_admin_still_reads_everything_and_nobody_leaves_the_site(docs_world: tuple[World, dict[str, str]]) -> None:
    w, runs = docs_world
    w.sign_in("admin")
    assert w.client.get("/steward/datadocs/index.html").status_code == 200
    assert w.client.get(f"/steward/datadocs/{runs['quality_supervision']}").status_code == 200
    for url in ("%2e%2e/%2e%2e/%2e%2e/etc/passwd", "static/%2e%2e/%2e%2e/credithub.db", "%2Fetc%2Fpasswd",
                "static/%00/index.html"):
        r = w.client.get(f"/steward/datadocs/{url}")
        assert r.status_code == 404, url
        assert "root:" not in r.text


def test_service_judges_the_resolved_path_not_the_spelling(docs_world: tuple[World, dict[str, str]]) -> None:
    w, runs = docs_world
    service = StewardService(w.db, w.settings)
    tax = authenticate(w.db, w.settings, w.tokens["tax"])
    assert service.datadocs_file(tax, runs["tax"]).is_file()
    for rel in (f"static/../{runs['quality_supervision']}", "static/../index.html", "static/..",
                f"validations/tax/../../{runs['quality_supervision']}", "static/./../index.html"):
        with pytest.raises(NotFoundError):
            service.datadocs_file(tax, rel)
