"""Every built-in department connector passes the acceptance suite against a generated sandbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from connectors.acceptance import run_acceptance
from connectors.cli import app
from connectors.registry import builtin_connectors

BUILTIN = {cls.name: cls for cls in builtin_connectors()}


@pytest.fixture(scope="module")
def sandbox_configs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    from credithub import sandbox
    from credithub.sandbox.server import serve_sandbox

    out = tmp_path_factory.mktemp("sandbox")
    sandbox.generate(out, 60, 20261128)
    with serve_sandbox(out) as server:
        yield sandbox.sources_config(out, server.base_urls)


def test_seventeen_departments_are_listed() -> None:
    res = CliRunner().invoke(app, ["list", "--json"])
    assert res.exit_code == 0, res.output
    names = [r["name"] for r in json.loads(res.output)]
    assert set(BUILTIN) <= set(names)
    assert len(BUILTIN) == 17


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_department_passes_acceptance(name: str, sandbox_configs: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    report = run_acceptance(BUILTIN[name], sandbox_configs[name], work_dir=tmp_path)
    report.assert_ok()


def test_cli_test_generates_and_serves_a_sandbox() -> None:
    res = CliRunner().invoke(app, ["test", "tax", "--companies", "60"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "tax passed" in res.output and "incremental" in res.output
