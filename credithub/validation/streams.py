"""Find the Stream class of a department dataset (for promotion) without a configured connector."""

from __future__ import annotations

from connectors.sdk.base import Stream
from credithub.errors import ConfigError


def stream_for(department: str, stream: str) -> Stream:
    """An instance of the registered connector's stream class; `to_canonical` needs no connector."""
    from connectors.registry import load_registry

    registry = load_registry()
    connector_cls = registry.get(department)
    if connector_cls is None:
        raise ConfigError("no connector registered for this department", department=department)
    for cls in connector_cls.streams:
        if cls.name == stream:
            return cls(None)  # type: ignore[arg-type]
    raise ConfigError("connector has no such stream", department=department, stream=stream)
