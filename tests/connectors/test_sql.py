"""SQL table transport on real SQLite and PostgreSQL sources."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Numeric, String, Table, create_engine, insert, update

from connectors.sdk import DeclarativeConnector, SchemaDrift, SourceFault, SourceRow, SqlSourceConfig, SqlStream, StateCheckpoint
from credithub.errors import ConfigError, FatalSourceError, SchemaDriftError


@pytest.fixture(params=["sqlite", "postgresql"])
def source_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'source.db'}"
    return request.getfixturevalue("pg_server_url")


def make_table(url: str, n: int) -> tuple[str, Any]:
    name = f"qy_{uuid.uuid4().hex[:8]}"
    engine = create_engine(url)
    table = Table(
        name,
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("record_id", String(20)),
        Column("name", String(100)),
        Column("capital", Numeric(12, 2)),
        Column("updated_at", DateTime),
        Column("remark", String(50)),
    )
    table.create(engine)
    base = dt.datetime(2026, 1, 1, 8, 0)
    with engine.begin() as conn:
        conn.execute(
            insert(table),
            [
                {"id": i, "record_id": f"R{i:04d}", "name": f"深圳市{i}公司", "capital": 100 + i, "updated_at": base + dt.timedelta(days=i // 4)}
                for i in range(1, n + 1)
            ],
        )
    return name, (engine, table)


def connector_for(url: str, table_name: str, **cfg: Any) -> DeclarativeConnector:
    class Register(SqlStream):
        name = "register"
        table = table_name
        fields: ClassVar = {"record_id": "record_id", "name": "name", "capital": "registered_capital", "updated_at": "updated_at"}
        required_columns = ("record_id", "name")
        primary_key = "record_id"
        cursor_field = "updated_at"
        pk_column = "id"

        def to_canonical(self, staged: Any) -> Any:
            raise NotImplementedError

    class MarketRegulation(DeclarativeConnector):
        name = "market_regulation"
        title = "市场监督管理局"
        config_model = SqlSourceConfig
        streams = (Register,)

    return MarketRegulation({"url": url, **cfg})


def rows(msgs: list[Any]) -> list[SourceRow]:
    return [m for m in msgs if isinstance(m, SourceRow)]


def test_full_incremental_and_resume_from_every_checkpoint(source_url: str) -> None:
    name, (engine, table) = make_table(source_url, 22)
    conn = connector_for(source_url, name, checkpoint_every=5, batch_size=3)
    assert conn.check().ok
    msgs = list(conn.stream("register").read(None))
    ids = [r.record_id for r in rows(msgs)]
    assert ids == [f"R{i:04d}" for i in range(1, 23)]
    assert rows(msgs)[0].data["capital"] == "101.00" and rows(msgs)[0].data["updated_at"] == "2026-01-01T08:00:00"
    assert rows(msgs)[0].location == f"table {name} row 1 (id=1)"
    assert isinstance(msgs[0], SchemaDrift) and msgs[0].added == ["remark"]  # the pk_column is known
    checkpoints = [(i, m.state) for i, m in enumerate(msgs) if isinstance(m, StateCheckpoint)]
    assert len(checkpoints) == 5
    for pos, state in checkpoints:
        # Checkpoints fall inside runs of equal cursor values; resuming must give exactly the rest.
        before = [m.record_id for m in msgs[:pos] if isinstance(m, SourceRow)]
        after = [r.record_id for r in rows(list(conn.stream("register").read(state)))]
        assert before + after == ids
    final = checkpoints[-1][1]
    assert final["cursor_type"] == "datetime"
    assert rows(list(conn.stream("register").read(final))) == []
    with engine.begin() as c:
        c.execute(update(table).where(table.c.id == 3).values(name="改名公司", updated_at=dt.datetime(2026, 2, 1)))
        c.execute(insert(table).values(id=99, record_id="R0099", name="新公司", updated_at=dt.datetime(2026, 2, 1)))
    changed = rows(list(conn.stream("register").read(final)))
    assert [(r.record_id, r.data["name"]) for r in changed] == [("R0003", "改名公司"), ("R0099", "新公司")]
    engine.dispose()


def test_null_record_id_is_a_fault(source_url: str) -> None:
    name, (engine, table) = make_table(source_url, 3)
    with engine.begin() as c:
        c.execute(update(table).where(table.c.id == 2).values(record_id=None))
    msgs = list(connector_for(source_url, name).stream("register").read(None))
    (fault,) = [m for m in msgs if isinstance(m, SourceFault)]
    assert fault.field == "record_id" and fault.location == f"table {name} row 2 (id=2)"
    engine.dispose()


def test_missing_table_and_required_column(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.db'}"
    name, (engine, table) = make_table(url, 2)
    with pytest.raises(FatalSourceError, match="table does not exist"):
        list(connector_for(url, "nope").stream("register").read(None))
    with engine.begin() as c:
        c.exec_driver_sql(f"ALTER TABLE {name} RENAME COLUMN name TO company_name")
    with pytest.raises(SchemaDriftError) as err:
        list(connector_for(url, name).stream("register").read(None))
    assert err.value.context["column"] == "name" and err.value.context["department"] == "market_regulation"
    res = connector_for(url, name).check()
    assert not res.ok and "name" in res.message


def test_wrong_sqlite_path_fails_instead_of_creating_a_database(tmp_path: Path) -> None:
    res = connector_for(f"sqlite:///{tmp_path / 'absent.db'}", "qy").check()
    assert not res.ok
    assert not (tmp_path / "absent.db").exists()


def test_password_must_not_be_inline() -> None:
    with pytest.raises(ConfigError, match="url"):
        connector_for("postgresql+psycopg://u:hunter2@127.0.0.1/db", "qy")
    conn = connector_for("postgresql+psycopg://u@127.0.0.1/db", "qy", password="hunter2")
    assert "hunter2" not in repr(conn.config)


def test_lookback_reads_rows_committed_late_with_an_earlier_timestamp(source_url: str) -> None:
    name, (engine, table) = make_table(source_url, 8)
    plain = connector_for(source_url, name)
    looking = connector_for(source_url, name, lookback_s=86400)
    final = [m for m in plain.stream("register").read(None) if isinstance(m, StateCheckpoint)][-1].state
    assert final["cursor"] == "2026-01-03T08:00:00"
    with engine.begin() as c:  # a writer commits late, with a timestamp before the saved cursor
        c.execute(insert(table).values(id=50, record_id="R0050", name="迟到公司", updated_at=dt.datetime(2026, 1, 3, 7, 0)))
    assert rows(list(plain.stream("register").read(final))) == []
    late = [r.record_id for r in rows(list(looking.stream("register").read(final)))]
    assert "R0050" in late and "R0001" not in late
    engine.dispose()
