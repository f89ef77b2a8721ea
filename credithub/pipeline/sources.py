"""Which department sources a run reads: a configured file, or the sandbox.

A sources file maps department name -> connector config. String values may reference
environment variables as ${NAME}, so secrets stay out of the file and out of the repo.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from connectors.registry import load_registry
from connectors.sdk.base import Connector
from credithub.errors import ConfigError
from credithub.settings import Settings

_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)\}")


def _expand(value: Any, where: str) -> Any:
    if isinstance(value, str):

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in os.environ:
                raise ConfigError(f"environment variable {name} is not set", field=where)
            return os.environ[name]

        return _ENV_REF.sub(sub, value)
    if isinstance(value, dict):
        return {k: _expand(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, f"{where}[{i}]") for i, v in enumerate(value)]
    return value


def read_sources_file(path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        raise ConfigError("sources file not found", file=str(path))
    text = path.read_text(encoding="utf-8")
    if path.suffix in {".yaml", ".yml"}:
        import yaml

        raw = yaml.safe_load(text)
    else:
        raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ConfigError("sources file must map department name to connector config", file=str(path))
    return {dept: _expand(cfg, dept) for dept, cfg in raw.items()}


def sandbox_configs(settings: Settings, base_urls: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Connector configs for the sandbox under settings.sandbox_dir (generated on first use)."""
    from credithub import sandbox

    if not (settings.sandbox_dir / "ground_truth.jsonl").exists():
        sandbox.generate(settings.sandbox_dir, settings.sandbox_companies, settings.sandbox_seed)
    return sandbox.sources_config(settings.sandbox_dir, base_urls)


def load_connectors(settings: Settings, base_urls: dict[str, str] | None = None) -> dict[str, Connector]:
    """Instantiate every configured connector (sandbox configs when no sources file is set)."""
    registry = load_registry()
    if settings.sources_config is not None:
        configs = read_sources_file(settings.sources_config)
    else:
        configs = sandbox_configs(settings, base_urls or {})
    unknown = sorted(set(configs) - set(registry))
    if unknown:
        raise ConfigError(f"no connector registered for {', '.join(unknown)}", known=", ".join(sorted(registry)))
    return {name: registry[name](configs[name]) for name in sorted(configs)}
