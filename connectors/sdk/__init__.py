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
from connectors.sdk.config import FileDropConfig, HttpSourceConfig, SqlSourceConfig, TransportConfig
from connectors.sdk.rows import RowSpec
from connectors.sdk.streams import (
    CsvFileStream,
    DeclarativeConnector,
    DeclarativeStream,
    FileStream,
    HttpJsonStream,
    JsonLinesFileStream,
    SqlStream,
    XlsxFileStream,
    XmlFileStream,
)
from connectors.sdk.transports.http import HttpEndpoint

__all__ = [
    "CheckResult",
    "Connector",
    "CsvFileStream",
    "DeclarativeConnector",
    "DeclarativeStream",
    "FileDropConfig",
    "FileStream",
    "HttpEndpoint",
    "HttpJsonStream",
    "HttpSourceConfig",
    "JsonLinesFileStream",
    "Message",
    "RowSpec",
    "SchemaDrift",
    "SourceFault",
    "SourceRow",
    "SqlSourceConfig",
    "SqlStream",
    "StateCheckpoint",
    "Stream",
    "TransportConfig",
    "XlsxFileStream",
    "XmlFileStream",
]
