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
from sqlalchemy import Table, insert, text
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
