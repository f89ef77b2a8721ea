"""Every suite in expectations/ loads and only names fields its stream stages; a sandbox
department goes sync -> validate with its real connector, suite and Data Docs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from connectors.registry import load_registry
from credithub.settings import REPO_ROOT, Settings
from credithub.storage.db import Database
from credithub.storage.tables import CanonicalRecordRow, StagedRecord, ValidationRun
from credithub.validation.suites import load_suite, suite_columns

SUITES = sorted((REPO_ROOT / "expectations").glob("*.json"))


@pytest.mark.parametrize("path", SUITES, ids=[p.stem for p in SUITES])
def test_suite_loads_and_names_only_staged_fields(path: Path) -> None:
    department, stream = path.stem.split(".", 1)
    suite = load_suite(path.parent, department, stream)
    registry = load_registry()
    assert department in registry, f"{path.name}: no connector {department}"
    streams = {s.name: s for s in registry[department].streams}
    assert stream in streams, f"{path.name}: {department} has no stream {stream}"
    unknown = set(suite_columns(suite)) - set(streams[stream].fields.values())
    assert not unknown, f"{path.name} names fields the stream does not stage: {sorted(unknown)}"
    assert all(e.meta.get("reason_zh") for e in suite.expectations), f"{path.name}: meta.reason_zh missing"


def test_sandbox_department_syncs_and_validates_with_its_real_suite(tmp_path: Path) -> None:
    from credithub import sandbox
    from credithub.pipeline.sync import sync_department
    from credithub.pipeline.validate import validate_batch

    sandbox.generate(tmp_path / "sb", 60, 7)
    cfg = sandbox.sources_config(tmp_path / "sb", {})
    settings = Settings(var_dir=tmp_path / "var")
    db = Database(settings.resolved_database_url)
    db.migrate()
    connector = load_registry()["market_regulation"](cfg["market_regulation"])
    reports = {r.stream: r for r in sync_department(db, connector)}
    outcome = validate_batch(db, settings, reports["register"].batch_id)
    assert outcome.status == "validated" and outcome.passed + outcome.quarantined == reports["register"].rows_new
    with db.session() as s:
        canon = s.scalars(select(CanonicalRecordRow).where(CanonicalRecordRow.dataset == "register")).all()
        assert len(canon) == outcome.passed and all(c.data["is_register"] for c in canon)
        for row in s.scalars(select(StagedRecord).where(StagedRecord.status == "quarantined",
                                                        StagedRecord.stream == "register")):
            assert row.failures and all(f["reason_zh"] and f["expectation"] for f in row.failures)
        run = s.scalars(select(ValidationRun).where(ValidationRun.batch_id == outcome.batch_id)).one()
        assert run.datadocs_path and (settings.datadocs_dir / run.datadocs_path).is_file()
    db.dispose()
