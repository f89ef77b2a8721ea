"""Shared transports: SQL tables, JSON HTTP APIs and file drops (CSV, XLSX, XML, JSON Lines).

Each yields connectors.sdk.base messages (SourceRow, SourceFault, SchemaDrift, StateCheckpoint),
streaming, with locations a steward can find ("x.csv row 16 (line 17)", "GET /ratings page 3 item 5").
"""

from connectors.sdk.transports.files import (
    FileDropTransport,
    detect_encoding,
    read_csv_file,
    read_jsonl_file,
    read_xlsx_file,
    read_xml_file,
)
from connectors.sdk.transports.http import HttpEndpoint, HttpJsonTransport
from connectors.sdk.transports.sql import SqlTableTransport

__all__ = [
    "FileDropTransport",
    "HttpEndpoint",
    "HttpJsonTransport",
    "SqlTableTransport",
    "detect_encoding",
    "read_csv_file",
    "read_jsonl_file",
    "read_xlsx_file",
    "read_xml_file",
]
