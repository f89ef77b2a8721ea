"""The connector SDK: a connector is a small declarative class over shared transports."""

from connectors.sdk.base import (
    CheckResult,
    Connector,
    Message,
    SchemaDrift,
    SourceFault,
    SourceRow,
    StateCheckpoint,
    Stream,
)

__all__ = [
    "CheckResult",
    "Connector",
    "Message",
    "SchemaDrift",
    "SourceFault",
    "SourceRow",
    "StateCheckpoint",
    "Stream",
]
