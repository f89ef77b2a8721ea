"""`credithub connectors …` through typer's CliRunner."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.cli import app
from tests.connectors.conftest import EXTERNAL_PKG

runner = CliRunner()


def test_every_command_has_help() -> None:
    for cmd in ("list", "check", "sync", "test", "new"):
        res = runner.invoke(app, [cmd, "--help"])
        assert res.exit_code == 0, res.output
        assert "Usage" in res.output


def test_list_shows_entry_point_connectors(external_installed: Path) -> None:
    res = runner.invoke(app, ["list", "--json"])
    assert res.exit_code == 0, res.output
    rows = {r["name"]: r for r in json.loads(res.output)}
    assert rows["water_supply"] == {
        "name": "water_supply",
        "title": "水务集团",
        "streams": ["water_arrears"],
        "transport": "jsonl",
        "schedule": "0 4 * * 1",
        "sla": "8d",
        "module": "credithub_conn_water",
    }
    table = runner.invoke(app, ["list"], terminal_width=200)
    assert "水务集团" in table.output and "water_arrears" in table.output


def _config(tmp_path: Path) -> Path:
    drop = tmp_path / "drop"
    shutil.copytree(EXTERNAL_PKG / "credithub_conn_water" / "sample", drop)
    cfg = tmp_path / "sources.json"
    cfg.write_text(json.dumps({"water_supply": {"directory": str(drop)}}), encoding="utf-8")
    return cfg


def test_check_sync_and_full_sync(external_installed: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDITHUB_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.delenv("CREDITHUB_DATABASE_URL", raising=False)
    cfg = _config(tmp_path)
    res = runner.invoke(app, ["check", "water_supply", "--config", str(cfg)], terminal_width=200)
    assert res.exit_code == 0 and "ok" in res.output and "1 file(s)" in res.output
    res = runner.invoke(app, ["sync", "water_supply", "--config", str(cfg)], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "water_arrears" in res.output and "landed" in res.output and "25" in res.output
    assert (tmp_path / "var" / "credithub.db").exists()
    again = runner.invoke(app, ["sync", "water_supply", "--config", str(cfg), "--full"], terminal_width=200)
    assert again.exit_code == 0
    row = next(line for line in again.output.splitlines() if "water_arrears" in line)
    cells = [c.strip() for c in row.split("│") if c.strip()]
    assert cells[2:5] == ["landed", "25", "0"]  # fetched 25 again, nothing new


def test_check_failure_and_unknown_connector(external_installed: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"directory": str(tmp_path / "nowhere")}), encoding="utf-8")
    res = runner.invoke(app, ["check", "water_supply", "--config", str(cfg)], terminal_width=200)
    assert res.exit_code == 1 and "FAILED" in res.output and "nowhere" in res.output
    res = runner.invoke(app, ["check", "no_such_dept", "--config", str(cfg)])
    assert res.exit_code == 1
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"directory": "x", "colour": "red"}), encoding="utf-8")
    res = runner.invoke(app, ["check", "water_supply", "--config", str(bad)], terminal_width=200)
    assert res.exit_code == 1


def test_test_command_prints_the_checks(external_installed: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["test", "water_supply", "--config", str(_config(tmp_path))], terminal_width=200)
    assert res.exit_code == 0, res.output
    for check in ("spec", "bad_config", "incremental", "repeated_sync", "bad_rows", "no_secrets"):
        assert check in res.output
    assert "water_supply passed 11 checks" in res.output


def test_test_command_fails_a_broken_connector(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "broken_conn.py").write_text(
        "from tests.connectors.sample_connectors import QualityChecks, SpotChecks\n"
        "class Dup(SpotChecks):\n"
        "    def record_id(self, data):\n        return 'same'\n"
        "class Broken(QualityChecks):\n    name = 'broken'\n    streams = (Dup,)\n",
        encoding="utf-8",
    )
    from tests.connectors.sample_connectors import write_checks

    write_checks(tmp_path / "drop", 1, 5)
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"directory": str(tmp_path / "drop")}), encoding="utf-8")
    res = runner.invoke(app, ["test", "broken_conn:Broken", "--path", str(pkg), "--config", str(cfg)], terminal_width=200)
    assert res.exit_code == 1
    assert "FAIL" in res.output and "primary key not unique" in res.output


def test_new_scaffolds_a_package_that_passes_test_at_once(tmp_path: Path) -> None:
    dest = tmp_path / "credithub-conn-water-quality"
    res = runner.invoke(app, ["new", "water_quality", "--dir", str(dest), "--title", "水质监测站"])
    assert res.exit_code == 0, res.output
    for rel in (
        "pyproject.toml",
        "credithub_conn_water_quality/__init__.py",
        "config.example.json",
        "expectations/water_quality.notices.json",
        "tests/test_water_quality.py",
        "sample/water_quality_2026-10.csv",
    ):
        assert (dest / rel).is_file(), rel
    suite = json.loads((dest / "expectations/water_quality.notices.json").read_text(encoding="utf-8"))
    assert suite["name"] == "water_quality.notices" and suite["expectations"]
    res = runner.invoke(
        app,
        ["test", "credithub_conn_water_quality:WaterQualityConnector", "--path", str(dest),
         "--config", str(dest / "config.example.json")],
        terminal_width=200,
    )
    assert res.exit_code == 0, res.output
    assert "passed 11 checks" in res.output
    # The package's own test module passes as generated.
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(dest / "tests")],
        cwd=dest, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "11 passed" in proc.stdout
    again = runner.invoke(app, ["new", "water_quality", "--dir", str(dest)])
    assert again.exit_code == 1 and "not empty" in again.output
    bad = runner.invoke(app, ["new", "Water-Quality", "--dir", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "name" in bad.output


def test_sync_without_config_uses_the_served_sandbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CREDITHUB_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("CREDITHUB_SANDBOX_COMPANIES", "60")
    monkeypatch.delenv("CREDITHUB_DATABASE_URL", raising=False)
    monkeypatch.delenv("CREDITHUB_SOURCES_CONFIG", raising=False)
    res = runner.invoke(app, ["sync", "tax"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "tax_ratings" in res.output and "landed" in res.output
    assert (tmp_path / "var" / "sandbox" / "ground_truth.jsonl").exists()
    res = runner.invoke(app, ["check", "quality_supervision"], terminal_width=200)
    assert res.exit_code == 0 and "ok" in res.output
