"""The fault suites share one generated sandbox and one uninterrupted reference run per session."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from credithub.settings import Settings
from tests.faults.harness import COMPANIES, run_cli, snapshot


@pytest.fixture(scope="session")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var dir holding only the generated sandbox, copied for every run."""
    var = tmp_path_factory.mktemp("pristine") / "var"
    from credithub import sandbox

    settings = Settings(var_dir=var, database_url=None, sandbox_companies=COMPANIES)
    sandbox.generate(settings.sandbox_dir, COMPANIES, settings.sandbox_seed)
    return var


@pytest.fixture(scope="session")
def reference(pristine: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    var = tmp_path_factory.mktemp("reference") / "var"
    shutil.copytree(pristine, var)
    started = time.monotonic()
    assert run_cli(var) == 0
    snap = snapshot(var)
    snap["seconds"] = time.monotonic() - started
    assert snap["staged_by_status"].get("passed", 0) > 30 and snap["staged_by_status"].get("quarantined", 0) > 0
    assert snap["index_count"] == len(snap["profiles"]) > 0
    assert snap["staged_by_status"].get("pending", 0) == 0
    return snap
