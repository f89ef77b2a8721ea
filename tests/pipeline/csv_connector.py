"""A minimal connector over a real CSV file, for testing the sync stage in isolation.

It reads with the csv module (not the SDK transports, which have their own tests) and can
be told to die after N rows to simulate a killed sync.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from connectors.sdk.base import CheckResult, Connector, Message, SourceFault, SourceRow, StateCheckpoint, Stream
from credithub.domain import CanonicalRecord


class CsvConfig(BaseModel, extra="forbid"):
    path: Path
    die_after: int | None = None
    checkpoint_every: int = 2


class Killed(RuntimeError):
    pass


class RowsStream(Stream):
    name = "rows"
    primary_key = "record_id"
    cursor_field = "updated_at"
    fields = {"id": "record_id", "name": "name", "uscc": "uscc", "updated_at": "updated_at"}

    def read(self, state: Mapping[str, Any] | None) -> Iterator[Message]:
        cfg: CsvConfig = self.connector.config  # type: ignore[assignment]
        after = (state or {}).get("updated_at", "")
        emitted = 0
        last = after
        with cfg.path.open(encoding="utf-8", newline="") as f:
            rows = sorted(csv.DictReader(f), key=lambda r: (r["updated_at"], r["id"]))
        for i, row in enumerate(rows, start=2):
            if row["updated_at"] <= after:
                continue
            if cfg.die_after is not None and emitted >= cfg.die_after:
                raise Killed("killed half-way")
            if not row["name"]:
                yield SourceFault(stream=self.name, location=f"{cfg.path.name} row {i}", reason="name missing",
                                  raw=str(row), field="name", record_id=row["id"])
            else:
                yield SourceRow(stream=self.name, record_id=row["id"], location=f"{cfg.path.name} row {i}",
                                data=dict(row), cursor_value=row["updated_at"])
            emitted += 1
            last = row["updated_at"]
            if emitted % cfg.checkpoint_every == 0:
                yield StateCheckpoint(stream=self.name, state={"updated_at": last})
        yield StateCheckpoint(stream=self.name, state={"updated_at": last})

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        return CanonicalRecord(department="testdept", dataset=self.name, source_record_id=staged["record_id"],
                               name=staged["name"], uscc=staged["uscc"])


class CsvTestConnector(Connector):
    name = "testdept"
    title = "测试部门"
    config_model = CsvConfig
    streams = (RowsStream,)

    def check(self) -> CheckResult:
        ok = self.config.path.exists()  # type: ignore[attr-defined]
        return CheckResult(ok=ok, message=None if ok else "file missing")


def write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["id", "name", "uscc", "updated_at"])
        w.writeheader()
        w.writerows(rows)
