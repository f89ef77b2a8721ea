"""SQL table transport: any SQLAlchemy URL, streamed with a server-side cursor.

Usage (SqlStream does this for you):

    t = SqlTableTransport(SqlSourceConfig(url="sqlite:////data/sc.db"), "qy_djxx", spec)
    for msg in t.read(state):   # state None = full read
        ...

Incremental: rows are read ordered by (cursor column, primary key) and filtered with
`cursor > saved OR (cursor = saved AND pk > saved_pk)`, so a checkpoint in the middle of
rows sharing one cursor value loses nothing. State:
    {"cursor": "2026-11-01T08:00:00", "cursor_type": "datetime", "pk": "42", "pk_type": "int"}
(values are typed back before binding, so PostgreSQL compares timestamps with timestamps).
With `lookback_s` and a date/time cursor the filter becomes `cursor >= saved - lookback`, so rows
committed late with an earlier timestamp are still read (the re-read ones are deduplicated).
A StateCheckpoint follows every `checkpoint_every` rows and the last row. Rows whose cursor is
NULL are only read by a full sync. Without a cursor column the table is read in pk order
(append-only tables). A missing table or a missing required column raises SchemaDriftError /
FatalSourceError naming the department and table; extra columns are reported as SchemaDrift.
Connection failures raise RetriableSourceError.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Column, MetaData, Table, and_, create_engine, or_, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import NoSuchTableError, OperationalError, SQLAlchemyError

from connectors.sdk.base import Message, StateCheckpoint
from connectors.sdk.config import SqlSourceConfig
from connectors.sdk.rows import RowSpec, jsonable
from credithub.errors import FatalSourceError, RetriableSourceError, SchemaDriftError


def _encode(value: Any) -> tuple[str | None, str]:
    if value is None:
        return None, "none"
    if isinstance(value, bool):
        return str(int(value)), "int"
    if isinstance(value, int):
        return str(value), "int"
    if isinstance(value, float):
        return repr(value), "float"
    if isinstance(value, Decimal):
        return str(value), "decimal"
    if isinstance(value, dt.datetime):
        return value.isoformat(), "datetime"
    if isinstance(value, dt.date):
        return value.isoformat(), "date"
    return str(value), "str"


def _decode(value: str | None, kind: str) -> Any:
    if value is None or kind == "none":
        return None
    return {
        "int": int,
        "float": float,
        "decimal": Decimal,
        "datetime": dt.datetime.fromisoformat,
        "date": dt.date.fromisoformat,
    }.get(kind, str)(value)


class SqlTableTransport:
    """One table of a SQL database."""

    def __init__(self, config: SqlSourceConfig, table: str, spec: RowSpec, *, pk_column: str | None = None) -> None:
        self.config = config
        self.table_name = table
        self.spec = spec
        self.pk_column = pk_column or spec.record_id_column

    @property
    def where(self) -> str:
        return f"{self.config.db_schema}.{self.table_name}" if self.config.db_schema else self.table_name

    def engine(self) -> Engine:
        url = make_url(self.config.url)
        if self.config.password is not None:
            url = url.set(password=self.config.password.get_secret_value())
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            # Read-only: a wrong path must fail, not create an empty database.
            url = url.set(query={**url.query, "mode": "ro"}, database=f"file:{url.database}").update_query_dict(
                {"uri": "true"}
            )
        return create_engine(url, pool_pre_ping=True)

    def _reflect(self, engine: Engine) -> Table:
        try:
            return Table(self.table_name, MetaData(), schema=self.config.db_schema, autoload_with=engine)
        except NoSuchTableError as exc:
            raise FatalSourceError(
                "table does not exist", department=self.spec.department, stream=self.spec.stream, table=self.where
            ) from exc
        except OperationalError as exc:
            raise RetriableSourceError(
                f"cannot connect to database: {type(exc.orig).__name__}: {exc.orig}",
                department=self.spec.department,
                stream=self.spec.stream,
                table=self.where,
            ) from exc

    def check(self) -> str:
        engine = self.engine()
        try:
            table = self._reflect(engine)
            _, missing = self.spec.header_drift([c.name for c in table.columns], f"table {self.where}")
            if missing:
                raise SchemaDriftError(
                    f"required column(s) missing: {', '.join(missing)}",
                    department=self.spec.department,
                    table=self.where,
                    column=missing[0],
                )
            return f"table {self.where} reachable ({len(table.columns)} columns)"
        finally:
            engine.dispose()

    def read(self, state: Mapping[str, Any] | None) -> Iterator[Message]:
        engine = self.engine()
        try:
            yield from self._read(engine, state)
        except (OperationalError,) as exc:
            raise RetriableSourceError(
                f"database error while reading: {type(exc.orig).__name__}: {exc.orig}",
                department=self.spec.department,
                stream=self.spec.stream,
                table=self.where,
            ) from exc
        except SQLAlchemyError as exc:
            raise FatalSourceError(
                f"database error while reading: {exc}",
                department=self.spec.department,
                stream=self.spec.stream,
                table=self.where,
            ) from exc
        finally:
            engine.dispose()

    def _column(self, table: Table, name: str | None, what: str) -> Column[Any] | None:
        if name is None:
            return None
        if name not in table.c:
            raise SchemaDriftError(
                f"{what} column is missing", department=self.spec.department, table=self.where, column=name
            )
        return table.c[name]

    def _read(self, engine: Engine, state: Mapping[str, Any] | None) -> Iterator[Message]:
        table = self._reflect(engine)
        drift, missing = self.spec.header_drift([c.name for c in table.columns], f"table {self.where}")
        if drift is not None:
            yield drift
        if missing:
            raise SchemaDriftError(
                f"required column(s) missing: {', '.join(missing)}",
                department=self.spec.department,
                stream=self.spec.stream,
                table=self.where,
                column=missing[0],
            )
        cursor_col = self._column(table, self.spec.cursor_column, "cursor")
        pk_col = self._column(table, self.pk_column, "primary key")
        query = select(table)
        order = []
        if cursor_col is not None:
            order.append(cursor_col.asc().nulls_first())
        if pk_col is not None:
            order.append(pk_col.asc())
        query = query.order_by(*order)
        if state:
            saved_cursor = _decode(state.get("cursor"), state.get("cursor_type", "str"))
            saved_pk = _decode(state.get("pk"), state.get("pk_type", "str"))
            lookback = dt.timedelta(seconds=self.config.lookback_s)
            if cursor_col is not None and saved_cursor is not None and lookback and isinstance(saved_cursor, dt.date):
                # Late commits can carry an earlier timestamp: re-read a window (deduplicated downstream).
                query = query.where(cursor_col >= saved_cursor - lookback)
            elif cursor_col is not None and saved_cursor is not None:
                cond = cursor_col > saved_cursor
                if pk_col is not None and saved_pk is not None:
                    cond = or_(cond, and_(cursor_col == saved_cursor, pk_col > saved_pk))
                query = query.where(cond)
            elif cursor_col is None and pk_col is not None and saved_pk is not None:
                query = query.where(pk_col > saved_pk)
        every = self.config.checkpoint_every
        last: dict[str, Any] | None = None
        n = 0
        with engine.connect() as conn:
            result = conn.execution_options(stream_results=True, yield_per=self.config.batch_size).execute(query)
            for row in result.mappings():
                n += 1
                raw = dict(row)
                data = {k: jsonable(v) for k, v in raw.items()}
                pk_val = raw.get(self.pk_column) if self.pk_column else None
                where = f"table {self.where} row {n}" + (f" ({self.pk_column}={pk_val})" if pk_val is not None else "")
                yield self.spec.make_row(data, where)
                cur_v, cur_t = _encode(raw.get(self.spec.cursor_column)) if self.spec.cursor_column else (None, "none")
                pk_v, pk_t = _encode(pk_val)
                if cur_v is not None or cursor_col is None:
                    last = {"cursor": cur_v, "cursor_type": cur_t, "pk": pk_v, "pk_type": pk_t}
                if last is not None and n % every == 0:
                    yield StateCheckpoint(stream=self.spec.stream, state=dict(last))
        if last is not None and n % every != 0:
            yield StateCheckpoint(stream=self.spec.stream, state=last)
        elif last is None and state:
            yield StateCheckpoint(stream=self.spec.stream, state=dict(state))
