"""Connector configs pointing into a generated sandbox: file folders, SQLite URLs, local API URLs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from credithub.sandbox.build import load_manifest

SQL_DEPARTMENTS = {"market_regulation": "scjg.db", "public_security": "xfjd.db"}
FILE_DEPARTMENTS = {
    "quality_supervision": "gbk",
    "customs": "utf-8",
    "courts": "utf-8",
    "social_security": "utf-8-sig",
    "environment": "auto",
    "planning_land": "gb18030",
    "emergency_management": "utf-8",
    "food_drug": "gbk",
    "statistics": "auto",
    "science_innovation": "utf-8",
}
HTTP_DEPARTMENTS = ("tax", "housing_construction", "transport", "housing_provident_fund", "development_reform")
HTTP_PAGE_SIZE = 50


def sources_config(out_dir: Path, base_urls: dict[str, str]) -> dict[str, dict[str, Any]]:
    """department -> connector config for the sandbox under `out_dir`.

    HTTP departments are included only when `base_urls` has their server (see serve_sandbox);
    without a running server there is nothing for them to read.
    """
    out_dir = Path(out_dir).resolve()
    manifest = load_manifest(out_dir)
    configs: dict[str, dict[str, Any]] = {}
    for dept, db_file in SQL_DEPARTMENTS.items():
        configs[dept] = {"url": f"sqlite:///{out_dir / dept / db_file}"}
    for dept, encoding in FILE_DEPARTMENTS.items():
        configs[dept] = {"directory": str(out_dir / dept), "encoding": encoding}
    for dept in HTTP_DEPARTMENTS:
        if dept not in base_urls:
            continue
        cfg: dict[str, Any] = {
            "base_url": base_urls[dept],
            "page_size": HTTP_PAGE_SIZE,
            "max_retries": 1,
            "backoff_s": 0.05,
        }
        if dept in manifest.api_keys:
            cfg["api_key"] = manifest.api_keys[dept]
        if dept in manifest.basic_auth:
            cfg.update(manifest.basic_auth[dept])
        configs[dept] = cfg
    return dict(sorted(configs.items()))
