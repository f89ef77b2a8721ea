"""Bulk inserts: COPY on PostgreSQL, multi-row INSERT (executemany) on SQLite.

The stages insert millions of plain rows; on PostgreSQL `COPY ... FROM STDIN` is the fastest way
in (several times an INSERT executemany through psycopg), so the two backends land rows at
comparable speed. Ids, when the caller needs them (a staged row points at its raw row), are
reserved from the table's sequence first and written explicitly, so COPY needs no RETURNING.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Column, MetaData, Table, bindparam, insert, text, update
from sqlalchemy.orm import Session
from sqlalchemy.types import JSON


def _pg_value(value: Any, is_json: bool) -> Any:
    return Jsonb(value) if is_json and value is not None else value


def bulk_insert(session: Session, table: Table, rows: Sequence[dict[str, Any]], *, return_ids: bool = False) -> list[int]:
    """Insert `rows` (dicts with the same keys) into `table`; the new ids in row order if asked."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        stmt = insert(table)
        if return_ids:
            return list(session.execute(stmt.returning(table.c.id, sort_by_parameter_order=True), rows).scalars())
        session.execute(stmt, rows)
        return []
    given = list(rows[0])
    columns = list(given)
    ids: list[int] = []
    if return_ids:
        ids = list(session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table.name, "n": len(rows)},
        ).scalars())
        columns = ["id", *columns]
    is_json = [isinstance(table.c[c].type, JSON) for c in columns]
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for i, row in enumerate(rows):
            values = [row[c] for c in given]
            if return_ids:
                values.insert(0, ids[i])
            copy.write_row([_pg_value(v, j) for v, j in zip(values, is_json, strict=True)])
    return ids


def bulk_update(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, key: str = "id",
    only_where: dict[str, Any] | None = None, also_set: dict[str, Any] | None = None,
) -> None:
    """Set each row's columns (its dict minus `key`) on the table row with that `key`.

    `only_where`: column = value conditions a row must still meet (e.g. status 'pending', so a
    row a steward touched meanwhile is left alone); `also_set`: SQL expressions or values set on
    every updated row. PostgreSQL: COPY into a temporary table, then one UPDATE ... FROM; psycopg
    sends an executemany UPDATE as one statement per row. SQLite: executemany.
    """
    if not rows:
        return
    columns = [c for c in rows[0] if c != key]
    only_where = only_where or {}
    also_set = also_set or {}
    if session.get_bind().dialect.name != "postgresql":
        stmt = (
            update(table)
            .where(table.c[key] == bindparam(f"b_{key}"), *[table.c[c] == v for c, v in only_where.items()])
            .values({**{c: bindparam(f"b_{c}") for c in columns}, **also_set})
        )
        session.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in rows])
        return
    temp = f"_bulk_{table.name}"
    session.execute(text(f"DROP TABLE IF EXISTS {temp}"))
    session.execute(text(f"CREATE TEMP TABLE {temp} AS SELECT {key}, {', '.join(columns)} FROM {table.name} WITH NO DATA"))
    order = [key, *columns]
    is_json = [isinstance(table.c[c].type, JSON) for c in order]
    raw = session.connection().connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur, cur.copy(f"COPY {temp} ({', '.join(order)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([_pg_value(row[c], j) for c, j in zip(order, is_json, strict=True)])
    src = Table(temp, MetaData(), *[Column(c, table.c[c].type) for c in order])
    stmt = (
        update(table)
        .where(table.c[key] == src.c[key], *[table.c[c] == v for c, v in only_where.items()])
        .values({**{c: src.c[c] for c in columns}, **also_set})
    )
    session.execute(stmt)
    session.execute(text(f"DROP TABLE {temp}"))
