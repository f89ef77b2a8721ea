"""Connector configs pointing into a generated sandbox (filled in with the connectors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def sources_config(out_dir: Path, base_urls: dict[str, str]) -> dict[str, dict[str, Any]]:
    return {}
