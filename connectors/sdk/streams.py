"""Declarative streams: a department stream is class attributes plus `to_canonical`.

    class SpotChecks(CsvFileStream):
        name = "spot_checks"
        title = "产品质量监督抽查"
        pattern = "spotchecks_*.csv"
        fields = {"抽查编号": "record_id", "组织机构代码": "org_code", "企业名称": "name", ...}
        required_columns = ("抽查编号", "企业名称")
        identifier_fields = {"org_code": "org_code"}
        primary_key = "record_id"          # staged field; its source column gives SourceRow.record_id
        cursor_field = "updated_at"        # staged field; its source column is the incremental cursor

        def to_canonical(self, staged): ...

    class QualitySupervision(DeclarativeConnector):
        name = "quality_supervision"; title = "市场监管局（质量监督）"
        config_model = FileDropConfig
        streams = (SpotChecks,)

Which part of the connector config a stream uses: the whole config, or the attribute named by
`config_key` when one connector mixes transports (config_model then nests the transport models).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from connectors.sdk.base import CheckResult, Connector, Message, Stream
from connectors.sdk.config import FileDropConfig, HttpSourceConfig, SqlSourceConfig
from connectors.sdk.rows import RowSpec
from connectors.sdk.transports.csv_records import CsvLimits
from connectors.sdk.transports.files import (
    FileDropTransport,
    read_csv_file,
    read_jsonl_file,
    read_xlsx_file,
    read_xml_file,
)
from connectors.sdk.transports.http import HttpEndpoint, HttpJsonTransport
from connectors.sdk.transports.sql import SqlTableTransport
from credithub.errors import ConfigError, CreditHubError


class DeclarativeStream(Stream):
    """Common machinery: row spec from the declarations, cleaned staging, check, state order."""

    transport_kind: ClassVar[str] = "custom"
    config_key: ClassVar[str | None] = None
    ignored_columns: ClassVar[tuple[str, ...]] = ()
    """Source columns known and deliberately left unmapped: not reported as schema drift."""

    def transport_config(self) -> BaseModel:
        cfg = self.connector.config
        if self.config_key is None:
            return cfg
        part = getattr(cfg, self.config_key, None)
        if part is None:
            raise ConfigError(
                f"config has no section {self.config_key!r} for stream {self.name}", department=self.connector.name
            )
        return part

    @classmethod
    def source_column(cls, staged_field: str | None) -> str | None:
        if staged_field is None:
            return None
        for src, staged in cls.fields.items():
            if staged == staged_field:
                return src
        return None

    def record_id(self, data: Mapping[str, Any]) -> Any:
        """The source record id; override to derive one (e.g. from several columns)."""
        col = self.source_column(self.primary_key)
        return data.get(col) if col else None

    def row_spec(self) -> RowSpec:
        return RowSpec(
            department=self.connector.name,
            stream=self.name,
            columns=tuple(self.fields),
            required=tuple(self.required_columns),
            record_id_column=self.source_column(self.primary_key),
            cursor_column=self.source_column(self.cursor_field),
            ignored=tuple(self.ignored_columns) + self._implicit_ignored(),
            record_id_fn=self.record_id,
        )

    def _implicit_ignored(self) -> tuple[str, ...]:
        return ()

    def stage(self, data: Mapping[str, Any]) -> dict[str, Any]:
        """Mapped columns only; text trimmed and empty text as None (raw keeps it as fetched)."""
        out: dict[str, Any] = {}
        for src, staged in self.fields.items():
            value = data.get(src)
            if isinstance(value, str):
                value = value.strip() or None
            out[staged] = value
        return out

    def check(self) -> CheckResult:
        try:
            return CheckResult(ok=True, message=f"{self.name}: {self._check()}")
        except CreditHubError as exc:
            return CheckResult(ok=False, message=f"{self.name}: {exc}")
        except Exception as exc:  # noqa: BLE001 - check reports, never raises
            return CheckResult(ok=False, message=f"{self.name}: {type(exc).__name__}: {exc}")

    def _check(self) -> str:
        return "ok"

    @staticmethod
    def state_not_before(new: Mapping[str, Any] | None, old: Mapping[str, Any] | None) -> bool:
        """Does `new` not go backwards from `old`? (used by the acceptance suite)."""
        if not old:
            return True
        if not new:
            return False
        if "files" in old:
            return set(old["files"]).issubset(new.get("files", {}))
        for key in ("cursor", "pk"):
            a, b = old.get(key), new.get(key)
            if a is None:
                continue
            if b is None:
                return False
            kind = old.get(f"{key}_type", "str")
            if kind in ("int", "float", "decimal"):
                if float(b) < float(a):
                    return False
                if float(b) > float(a):
                    return True
            else:
                if str(b) < str(a):
                    return False
                if str(b) > str(a):
                    return True
        return True


class SqlStream(DeclarativeStream):
    """A table of a SQL database (config: SqlSourceConfig)."""

    transport_kind = "sql"
    table: ClassVar[str]
    pk_column: ClassVar[str | None] = None
    """Source column used as the tie-breaker after the cursor (default: the primary key's column)."""

    def _implicit_ignored(self) -> tuple[str, ...]:
        return (self.pk_column,) if self.pk_column else ()

    def transport(self) -> SqlTableTransport:
        cfg = self.transport_config()
        assert isinstance(cfg, SqlSourceConfig), f"{self.name}: SqlStream needs SqlSourceConfig"
        return SqlTableTransport(cfg, self.table, self.row_spec(), pk_column=self.pk_column)

    def _check(self) -> str:
        return self.transport().check()

    def read(self, state: Mapping[str, Any] | None) -> Iterator[Message]:
        return self.transport().read(state)


class HttpJsonStream(DeclarativeStream):
    """An endpoint of a JSON API (config: HttpSourceConfig)."""

    transport_kind = "http"
    endpoint: ClassVar[HttpEndpoint]

    def transport(self) -> HttpJsonTransport:
        cfg = self.transport_config()
        assert isinstance(cfg, HttpSourceConfig), f"{self.name}: HttpJsonStream needs HttpSourceConfig"
        return HttpJsonTransport(cfg, self.endpoint, self.row_spec())

    def _check(self) -> str:
        return self.transport().check()

    def read(self, state: Mapping[str, Any] | None) -> Iterator[Message]:
        return self.transport().read(state)


class FileStream(DeclarativeStream):
    """Export files dropped in a folder (config: FileDropConfig)."""

    pattern: ClassVar[str]
    encoding: ClassVar[str | None] = None
    """Fixed encoding of this stream's files; None = the config's (default auto-detect)."""

    def file_config(self) -> FileDropConfig:
        cfg = self.transport_config()
        assert isinstance(cfg, FileDropConfig), f"{self.name}: file streams need FileDropConfig"
        return cfg

    def effective_encoding(self) -> str:
        return self.encoding or self.file_config().encoding

    def read_file(self, path: Path, spec: RowSpec) -> Any:
        raise NotImplementedError

    def transport(self) -> FileDropTransport:
        cfg = self.file_config()
        spec = self.row_spec()
        return FileDropTransport(
            cfg.directory, cfg.pattern or self.pattern, lambda p: self.read_file(p, spec), spec, settle_s=cfg.settle_s
        )

    def _check(self) -> str:
        files = self.transport().files()
        return f"{len(files)} file(s) matching {self.file_config().pattern or self.pattern} in {self.file_config().directory}"

    def read(self, state: Mapping[str, Any] | None) -> Iterator[Message]:
        return self.transport().read(state)


class CsvFileStream(FileStream):
    transport_kind = "csv"
    pattern = "*.csv"
    delimiter: ClassVar[str] = ","

    def read_file(self, path: Path, spec: RowSpec) -> Any:
        cfg = self.file_config()
        limits = CsvLimits(max_record_lines=cfg.csv_max_record_lines, max_record_bytes=cfg.csv_max_record_bytes)
        return read_csv_file(path, spec, encoding=self.effective_encoding(), delimiter=self.delimiter, limits=limits)


class JsonLinesFileStream(FileStream):
    transport_kind = "jsonl"
    pattern = "*.jsonl"

    def read_file(self, path: Path, spec: RowSpec) -> Any:
        return read_jsonl_file(path, spec, encoding=self.effective_encoding())


class XlsxFileStream(FileStream):
    transport_kind = "xlsx"
    pattern = "*.xlsx"
    sheet: ClassVar[str | None] = None

    def read_file(self, path: Path, spec: RowSpec) -> Any:
        return read_xlsx_file(path, spec, sheet=self.sheet)


class XmlFileStream(FileStream):
    transport_kind = "xml"
    pattern = "*.xml"
    record_tag: ClassVar[str] = "record"

    def read_file(self, path: Path, spec: RowSpec) -> Any:
        return read_xml_file(path, spec, record_tag=self.record_tag, encoding=self.effective_encoding())


class DeclarativeConnector(Connector):
    """A connector whose streams are declarative: `check` asks every stream's transport."""

    def check(self) -> CheckResult:
        results = []
        for stream in self.stream_instances():
            res = stream.check() if isinstance(stream, DeclarativeStream) else CheckResult(ok=True, message=stream.name)
            results.append(res)
        ok = all(r.ok for r in results)
        msgs = [r.message or "" for r in results if (not r.ok) or ok]
        return CheckResult(ok=ok, message=f"{self.name}: " + "; ".join(msgs))

    @classmethod
    def transport_kinds(cls) -> list[str]:
        return sorted({getattr(s, "transport_kind", "custom") for s in cls.streams})
