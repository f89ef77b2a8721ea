from __future__ import annotations

from pathlib import Path

import pytest

from credithub.sandbox import SandboxManifest, generate

SEED = 4242


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> SandboxManifest:
    """One small sandbox shared by the read-only tests of this package."""
    return generate(tmp_path_factory.mktemp("sandbox") / "sbx", 80, SEED)


@pytest.fixture(scope="session")
def sandbox_dir(sandbox: SandboxManifest) -> Path:
    return sandbox.out_dir
