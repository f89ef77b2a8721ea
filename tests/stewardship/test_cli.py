"""`credithub stewards add/list/revoke` through typer's CliRunner against a real SQLite file."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from credithub.settings import Settings
from credithub.stewardship.cli import app
from credithub.stewardship.tokens import authenticate
from credithub.storage.db import Database
from credithub.storage.tables import Steward


def test_add_prints_token_once_stores_only_hash_list_and_revoke(tmp_path: Path) -> None:
    env = {"CREDITHUB_VAR_DIR": str(tmp_path / "var"), "CREDITHUB_DATABASE_URL": ""}
    runner = CliRunner()
    r = runner.invoke(app, ["add", "--department", "tax", "--name", "王税务"], env=env)
    assert r.exit_code == 0, r.output
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("chs_") and len(token) > 40
    settings = Settings(var_dir=tmp_path / "var", database_url=None)
    db = Database(settings.resolved_database_url)
    with db.session() as s:
        row = s.scalars(select(Steward)).one()
        assert (row.name, row.department, row.role) == ("王税务", "tax", "steward")
        assert token not in row.token_hash and row.token_hash == "sha256:" + hashlib.sha256(token.encode()).hexdigest()
    assert authenticate(db, settings, token).department == "tax"

    admin = runner.invoke(app, ["add", "--admin", "--name", "管理员"], env=env)
    assert admin.exit_code == 0
    listing = runner.invoke(app, ["list"], env=env)
    assert listing.exit_code == 0 and "王税务" in listing.stdout and token[:10] in listing.stdout
    assert token not in listing.stdout and "admin" in listing.stdout

    assert runner.invoke(app, ["revoke", str(row.id)], env=env).exit_code == 0
    again = runner.invoke(app, ["revoke", str(row.id)], env=env)
    assert again.exit_code == 1 and "already revoked" in again.output
    try:
        authenticate(db, settings, token)
    except Exception as exc:  # noqa: BLE001
        assert type(exc).__name__ == "AuthenticationError"
    else:
        raise AssertionError("revoked token still authenticates")
    unknown = runner.invoke(app, ["add", "--name", "x", "--department", "taxx"], env=env)
    assert unknown.exit_code == 2 and "unknown department" in unknown.output and "quality_supervision" in unknown.output
    missing = runner.invoke(app, ["add", "--name", "x"], env=env)
    assert missing.exit_code == 2 and "--department" in missing.output
    db.dispose()


def test_every_command_has_help() -> None:
    runner = CliRunner()
    for cmd in ([], ["add"], ["list"], ["revoke"]):
        r = runner.invoke(app, [*cmd, "--help"])
        assert r.exit_code == 0 and "Usage" in r.output
