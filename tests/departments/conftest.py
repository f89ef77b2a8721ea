from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from credithub.sandbox import SandboxManifest, generate, sources_config
from credithub.sandbox.server import serve_sandbox


@pytest.fixture(scope="session")
def dept_sandbox(tmp_path_factory: pytest.TempPathFactory) -> SandboxManifest:
    return generate(tmp_path_factory.mktemp("dept-sandbox") / "sbx", 100, 777)


@pytest.fixture(scope="session")
def dept_configs(dept_sandbox: SandboxManifest) -> Iterator[dict[str, dict[str, Any]]]:
    """Connector configs for every department, with the sandbox HTTP servers running."""
    with serve_sandbox(Path(dept_sandbox.out_dir)) as server:
        yield sources_config(dept_sandbox.out_dir, server.base_urls)
