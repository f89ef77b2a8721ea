"""`credithub scorecard evaluate/show` through typer's CliRunner on a real database."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from credithub.scorecard.cli import app
from credithub.settings import Settings
from credithub.storage.db import Database

from .conftest import add_batch


def test_show_is_read_only_and_evaluate_raises_cards(
    sqlite_db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDITHUB_VAR_DIR", str(settings.var_dir))
    at = dt.datetime(2026, 11, 10, tzinfo=dt.UTC)
    add_batch(sqlite_db, "tax", at - dt.timedelta(days=3), passed=30)
    runner = CliRunner()
    for command in (["show", "--help"], ["evaluate", "--help"]):
        assert runner.invoke(app, command).exit_code == 0
    shown = runner.invoke(app, ["show", "--at", at.isoformat(), "--json"])
    assert shown.exit_code == 0, shown.output
    tax = next(d for d in json.loads(shown.output)["departments"] if d["department"] == "tax")
    assert tax["status"] == "yellow" and tax["open_cards"] == []
    evaluated = runner.invoke(app, ["evaluate", "--at", at.isoformat()])
    assert evaluated.exit_code == 0, evaluated.output
    assert "新亮牌" in evaluated.output and "timeliness" in evaluated.output
    again = runner.invoke(app, ["show", "--at", at.isoformat(), "--json"])
    tax = next(d for d in json.loads(again.output)["departments"] if d["department"] == "tax")
    assert {c["level"] for c in tax["open_cards"]} == {"warning", "yellow"}
