"""The connector contract the pipeline relies on.

A connector reads one department. It has one or more streams (datasets); each stream
reads through a shared transport and yields typed messages, so a bad row is a
first-class output (SourceFault), never an exception that loses the rest of the batch.

Flow for one stream:  transport rows (source column names, values as fetched)
  -> SourceRow.data lands raw in the database
  -> Stream.stage(data) renames source columns to the dataset's staged fields
  -> great-expectations validates staged rows (suite expectations/<department>.<stream>.json)
  -> Stream.to_canonical(staged) builds the CanonicalRecord for entity resolution and profiles.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from credithub.domain import CanonicalRecord, IdentifierKind
from credithub.errors import ConfigError


class SourceRow(BaseModel):
    """One record exactly as the source delivered it."""

    kind: Literal["row"] = "row"
    stream: str
    record_id: str = Field(description="The source's own key for the record (or a stable derived key).")
    location: str = Field(description="Human locator, e.g. 'spotchecks_2026-11.csv row 17' or 'page 3 item 5'.")
    data: dict[str, Any] = Field(description="Source column -> value as fetched (strings for text sources).")
    cursor_value: str | None = None


class SourceFault(BaseModel):
    """A record that could not even be parsed (undecodable bytes, wrong column count, bad JSON).

    It still lands raw (hex of the bytes, or the text) and goes to quarantine.
    """

    kind: Literal["fault"] = "fault"
    stream: str
    location: str
    reason: str
    raw: str
    field: str | None = None
    record_id: str | None = None


class SchemaDrift(BaseModel):
    """Columns the source added (warned, ignored) or optional columns it dropped."""

    kind: Literal["drift"] = "drift"
    stream: str
    location: str
    added: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)


class StateCheckpoint(BaseModel):
    """The stream's cursor after everything before it was emitted; persisted only after staging."""

    kind: Literal["state"] = "state"
    stream: str
    state: dict[str, Any]


Message = SourceRow | SourceFault | SchemaDrift | StateCheckpoint


class CheckResult(BaseModel):
    ok: bool
    message: str | None = None


class Stream(ABC):
    """A dataset of one department. Subclasses are mostly declaration."""

    name: ClassVar[str]
    title: ClassVar[str] = ""
    primary_key: ClassVar[str] = "record_id"
    """Staged field that holds the source record id."""
    cursor_field: ClassVar[str | None] = None
    """Staged field used for incremental sync ("changed since")."""
    fields: ClassVar[Mapping[str, str]] = {}
    """Source column -> staged field name."""
    required_columns: ClassVar[tuple[str, ...]] = ()
    """Source columns without which a file/page cannot be read (schema drift stops it)."""
    identifier_fields: ClassVar[Mapping[str, IdentifierKind]] = {}
    """Staged field -> which identifier it carries."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector

    def stage(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Rename source columns to staged fields; unmapped columns are dropped here (they stay in raw)."""
        return {staged: data.get(src) for src, staged in self.fields.items()}

    @abstractmethod
    def read(self, state: Mapping[str, Any] | None) -> Iterator[Message]:
        """Yield messages for records after `state` (None = full read)."""

    @abstractmethod
    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        """Map a validated staged row to the canonical record (with its credit events)."""


class Connector(ABC):
    """One department source."""

    name: ClassVar[str]
    title: ClassVar[str]
    """Department name in Chinese, e.g. 税务局."""
    config_model: ClassVar[type[BaseModel]]
    streams: ClassVar[tuple[type[Stream], ...]]
    schedule: ClassVar[str] = "@daily"
    freshness_sla: ClassVar[dt.timedelta] = dt.timedelta(days=1)
    """How stale this department's data may become before the scorecard warns."""

    def __init__(self, config: Mapping[str, Any] | BaseModel) -> None:
        try:
            self.config = (
                config if isinstance(config, self.config_model) else self.config_model.model_validate(config)
            )
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise ConfigError(f"invalid connector config: {problems}", department=self.name) from exc

    @classmethod
    def spec(cls) -> dict[str, Any]:
        """JSON Schema of the config (secrets are marked format=password, writeOnly)."""
        return cls.config_model.model_json_schema()

    @abstractmethod
    def check(self) -> CheckResult:
        """Can the source be reached and read as configured?"""

    def stream_instances(self) -> list[Stream]:
        return [s(self) for s in self.streams]

    def stream(self, name: str) -> Stream:
        for s in self.stream_instances():
            if s.name == name:
                return s
        raise ConfigError(f"no stream {name!r}", department=self.name)
