"""The standard acceptance suite for the $name connector (one pytest case per check)."""

from __future__ import annotations

import shutil
from pathlib import Path

from connectors.acceptance import make_acceptance_test
from $package import $class_name

SAMPLE = Path(__file__).resolve().parent.parent / "sample"


def source(tmp: Path) -> dict[str, str]:
    shutil.copytree(SAMPLE, tmp)
    return {"directory": str(tmp), "encoding": "auto"}


test_acceptance = make_acceptance_test($class_name, source)
