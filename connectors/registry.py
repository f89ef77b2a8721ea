"""Which connectors exist: the built-in departments plus third-party packages.

Built-ins: `connectors.departments.BUILTIN` (a tuple/list of Connector subclasses).
Third parties: entry points in the group `credithub.connectors`, e.g. in their pyproject.toml

    [project.entry-points."credithub.connectors"]
    water_supply = "credithub_conn_water:WaterSupplyConnector"

The registry key is the connector's `name` class attribute; the entry-point name must equal it.
Two connectors with one name are an error (a package must not silently replace a department).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
from typing import Any

from connectors.sdk.base import Connector
from credithub.errors import ConfigError

ENTRY_POINT_GROUP = "credithub.connectors"

log = logging.getLogger(__name__)


def builtin_connectors() -> list[type[Connector]]:
    """Connector classes listed in connectors.departments.BUILTIN ([] while it does not exist yet)."""
    try:
        module = importlib.import_module("connectors.departments")
    except ModuleNotFoundError as exc:
        if exc.name in ("connectors.departments", "connectors"):
            return []
        raise
    builtin: Any = getattr(module, "BUILTIN", ())
    out = []
    for cls in builtin:
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise ConfigError(f"connectors.departments.BUILTIN holds {cls!r}, not a Connector subclass")
        out.append(cls)
    return out


def entry_point_connectors() -> list[tuple[str, type[Connector]]]:
    """(entry point name, class) for every installed third-party connector."""
    found = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:  # noqa: BLE001 - one broken package must name itself
            raise ConfigError(
                f"cannot load connector entry point {ep.name} = {ep.value}: {type(exc).__name__}: {exc}",
                entry_point=ep.name,
            ) from exc
        if not (isinstance(cls, type) and issubclass(cls, Connector)):
            raise ConfigError(
                f"entry point {ep.name} = {ep.value} is not a Connector subclass", entry_point=ep.name
            )
        found.append((ep.name, cls))
    return found


def load_registry() -> dict[str, type[Connector]]:
    """name -> connector class, built-ins and entry points, sorted by name."""
    registry: dict[str, type[Connector]] = {}
    origin: dict[str, str] = {}

    def add(name: str, cls: type[Connector], where: str) -> None:
        if name in registry and registry[name] is not cls:
            raise ConfigError(
                f"two connectors are named {name!r}: {origin[name]} and {where}", connector=name
            )
        registry[name] = cls
        origin[name] = where

    for cls in builtin_connectors():
        add(cls.name, cls, f"built-in {cls.__module__}.{cls.__qualname__}")
    for ep_name, cls in entry_point_connectors():
        if ep_name != cls.name:
            raise ConfigError(
                f"entry point name {ep_name!r} differs from the connector's name {cls.name!r}", entry_point=ep_name
            )
        add(cls.name, cls, f"entry point {ep_name} ({cls.__module__}.{cls.__qualname__})")
    return dict(sorted(registry.items()))


def get_connector_class(name: str) -> type[Connector]:
    registry = load_registry()
    if name not in registry:
        raise ConfigError(f"no connector named {name!r}", known=", ".join(registry) or "(none)")
    return registry[name]
