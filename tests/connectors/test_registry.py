"""Discovery: built-ins plus the entry-point group credithub.connectors."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connectors.acceptance import run_acceptance
from connectors.registry import ENTRY_POINT_GROUP, builtin_connectors, load_registry
from credithub.errors import ConfigError
from credithub.pipeline.sync import sync_department
from credithub.storage.db import Database
from credithub.storage.tables import StagedRecord
from tests.connectors.conftest import EXTERNAL_PKG, install_dist_info


def test_external_package_declares_its_entry_point() -> None:
    meta = tomllib.loads((EXTERNAL_PKG / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["entry-points"][ENTRY_POINT_GROUP] == {
        "water_supply": "credithub_conn_water:WaterSupplyConnector"
    }


def test_registry_without_the_external_package_does_not_have_it() -> None:
    assert "water_supply" not in load_registry()


def test_external_connector_is_discovered_and_synced(external_installed: Path, sqlite_db: Database, tmp_path: Path) -> None:
    registry = load_registry()
    assert list(registry) == sorted(registry)
    cls = registry["water_supply"]
    assert cls.__module__ == "credithub_conn_water"
    assert set(builtin_connectors()) <= set(registry.values())
    drop = tmp_path / "drop"
    shutil.copytree(EXTERNAL_PKG / "credithub_conn_water" / "sample", drop)
    reports = sync_department(sqlite_db, cls({"directory": str(drop)}))
    assert [(r.stream, r.status, r.rows_new, r.rows_faulty) for r in reports] == [("water_arrears", "landed", 25, 0)]
    with sqlite_db.session() as s:
        assert s.scalar(select(func.count()).select_from(StagedRecord).where(StagedRecord.department == "water_supply")) == 25
    run_acceptance(cls, {"directory": str(drop)}, work_dir=tmp_path / "acc").assert_ok()


def test_name_clash_is_an_error(external_installed: Path) -> None:
    install_dist_info(external_installed, "credithub-conn-water-fork", {"water_supply": "credithub_conn_water:WaterSupplyConnector2"})
    import credithub_conn_water

    class WaterSupplyConnector2(credithub_conn_water.WaterSupplyConnector):
        pass

    credithub_conn_water.WaterSupplyConnector2 = WaterSupplyConnector2  # type: ignore[attr-defined]
    try:
        with pytest.raises(ConfigError, match="two connectors are named 'water_supply'"):
            load_registry()
    finally:
        del credithub_conn_water.WaterSupplyConnector2  # type: ignore[attr-defined]


def test_entry_point_name_must_match_and_target_must_be_a_connector(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    install_dist_info(site, "credithub-conn-odd", {"odd": "credithub_conn_water:WaterSupplyConnector"})
    monkeypatch.syspath_prepend(str(EXTERNAL_PKG))
    monkeypatch.syspath_prepend(str(site))
    with pytest.raises(ConfigError, match="differs from the connector's name"):
        load_registry()
    shutil.rmtree(site)
    install_dist_info(site, "credithub-conn-bad", {"bad": "credithub_conn_water:SAMPLE_DIR"})
    with pytest.raises(ConfigError, match="not a Connector subclass"):
        load_registry()
    shutil.rmtree(site)
    install_dist_info(site, "credithub-conn-gone", {"gone": "no_such_module_xyz:Thing"})
    with pytest.raises(ConfigError, match="cannot load connector entry point gone"):
        load_registry()
