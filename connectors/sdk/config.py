"""Transport configuration models (pydantic, extra='forbid', secrets as SecretStr).

A department connector's `config_model` is one of these, or a model that nests them
(stream classes then name their part with `config_key`). Validation errors name the
field because Connector.__init__ reports pydantic's `loc` for each problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, SecretStr, field_validator

Encoding = Literal["auto", "utf-8", "utf-8-sig", "gbk", "gb18030"]


class TransportConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SqlSourceConfig(TransportConfig):
    """A database table source, any SQLAlchemy URL."""

    url: str = Field(description="SQLAlchemy URL without the password, e.g. sqlite:////data/qy.db")
    password: SecretStr | None = Field(None, description="Database password (kept out of the URL so it is never logged).")
    db_schema: str | None = Field(None, description="Schema holding the table (PostgreSQL).")
    batch_size: int = Field(1000, ge=1, le=100_000, description="Rows fetched per round trip (server-side cursor).")
    checkpoint_every: int = Field(5000, ge=1, description="Emit a resumable state checkpoint every N rows.")
    lookback_s: float = Field(
        0, ge=0, description="Re-read rows whose date/time cursor is up to this many seconds before the saved one "
        "(rows committed late with an earlier timestamp); re-read rows are deduplicated."
    )

    @field_validator("url")
    @classmethod
    def _no_inline_password(cls, v: str) -> str:
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            u = make_url(v)
        except ArgumentError as exc:
            raise ValueError(f"not a SQLAlchemy URL: {exc}") from exc
        if u.password:
            raise ValueError("the URL must not contain a password; put it in `password`")
        return v


class HttpSourceConfig(TransportConfig):
    """A JSON HTTP API source."""

    base_url: HttpUrl = Field(description="API root, e.g. http://127.0.0.1:8081/api")
    api_key: SecretStr | None = Field(None, description="Sent in the header named by api_key_header.")
    api_key_header: str = Field("X-API-Key", description="Header carrying the api key ('Authorization' sends 'Bearer <key>').")
    username: str | None = Field(None, description="HTTP basic auth user.")
    password: SecretStr | None = Field(None, description="HTTP basic auth password.")
    page_size: int = Field(100, ge=1, le=10_000)
    timeout_s: float = Field(10.0, gt=0, description="Connect/read timeout per request.")
    max_retries: int = Field(4, ge=0, le=20, description="Retries on 5xx, 429, timeouts, connection errors, bad JSON.")
    backoff_s: float = Field(0.5, ge=0, description="First retry delay; doubles each retry.")
    max_backoff_s: float = Field(30.0, ge=0, description="Cap for one backoff delay.")
    max_retry_after_s: float = Field(120.0, ge=0, description="Longest Retry-After honoured in-process; longer → retriable error.")
    verify_tls: bool = True
    lookback_s: float = Field(
        0, ge=0, description="Ask for changes since (saved cursor - lookback) when the cursor is an ISO date/time."
    )


class FileDropConfig(TransportConfig):
    """A folder where the department drops export files."""

    directory: Path = Field(description="Folder watched for export files.")
    encoding: Encoding = Field("auto", description="Text encoding; 'auto' detects among UTF-8 (with/without BOM), GBK/GB18030.")
    pattern: str | None = Field(None, description="Glob overriding the stream's default file pattern.")
    settle_s: float = Field(
        0, ge=0, description="Skip files modified less than this many seconds ago (still being written); "
        "they are read by the next sync."
    )
    # Caps on one CSV record, so a stray quote or a runaway line cannot hold the file in memory.
    csv_max_record_lines: int = Field(
        100, ge=1, le=100_000, description="Longest CSV record in physical lines (a quoted field with newlines)."
    )
    csv_max_record_bytes: int = Field(
        1 << 20, ge=64, le=1 << 30, description="Longest CSV record or line in bytes; longer ones are faults."
    )
