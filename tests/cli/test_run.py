"""`credithub run` exits non-zero when a department failed, and a relative var dir works (issue 11)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from credithub.cli.main import app
from credithub.settings import Settings


def _run(tmp_path: Path, sources: dict[str, object], *extra: str) -> object:
    sources_file = tmp_path / "sources.json"
    sources_file.write_text(json.dumps(sources), encoding="utf-8")
    env = {"CREDITHUB_VAR_DIR": str(tmp_path / "var"), "CREDITHUB_DATABASE_URL": "", "CREDITHUB_SOURCES_CONFIG": ""}
    return CliRunner().invoke(app, ["run", "--sources", str(sources_file), *extra], env=env)


def test_run_exits_2_and_names_the_failed_department_and_why(tmp_path: Path) -> None:
    missing = tmp_path / "no_such_folder"
    result = _run(tmp_path, {"quality_supervision": {"directory": str(missing)}}, "--report-json", str(tmp_path / "r.json"))
    assert result.exit_code == 2, result.output
    assert "quality_supervision" in result.output and "does not exist" in result.output
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))  # the report is still written
    assert [d["department"] for d in report["departments"] if d["error"]] == ["quality_supervision"]


def test_run_exits_0_when_every_department_synced(tmp_path: Path) -> None:
    drop = tmp_path / "drop"
    drop.mkdir()
    result = _run(tmp_path, {"quality_supervision": {"directory": str(drop)}})
    assert result.exit_code == 0, result.output


def test_relative_paths_in_settings_are_pinned_to_the_starting_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CREDITHUB_VAR_DIR", "relvar")
    monkeypatch.setenv("CREDITHUB_SOURCES_CONFIG", "conf/sources.json")
    settings = Settings()
    assert settings.var_dir == tmp_path / "relvar"
    assert settings.sources_config == tmp_path / "conf" / "sources.json"
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'relvar' / 'credithub.db'}"
    monkeypatch.chdir("/")
    assert settings.datadocs_dir == tmp_path / "relvar" / "datadocs"  # unchanged by a later chdir


def test_sandbox_run_with_a_relative_var_dir_succeeds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    env = {"CREDITHUB_VAR_DIR": "relvar", "CREDITHUB_DATABASE_URL": "", "CREDITHUB_SOURCES_CONFIG": ""}
    result = CliRunner().invoke(app, ["run", "--companies", "30"], env=env)
    assert result.exit_code == 0, result.output
    assert "failed" not in result.output
    assert (tmp_path / "relvar" / "credithub.db").exists()
