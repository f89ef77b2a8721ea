"""Builders for staged batches (real rows in a real database) and a spot-check test stream."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connectors.sdk.base import Message, Stream
from credithub.domain import CanonicalRecord, CreditEvent
from credithub.hashing import content_hash
from credithub.storage.db import Database
from credithub.storage.tables import RawRecord, StagedRecord, SyncBatch

HUAWEI_USCC = "914403001922038216"
HUAWEI_ORG = "19220382-1"


class SpotChecksStream(Stream):
    """quality_supervision/spot_checks as the brief's shared vocabulary defines it."""

    name = "spot_checks"
    fields = {k: k for k in ("record_id", "org_code", "name", "product", "check_date", "result", "issue",
                             "updated_at")}

    def read(self, state: Mapping[str, Any] | None) -> Iterator[Message]:
        return iter(())

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        return CanonicalRecord(
            department="quality_supervision", dataset=self.name, source_record_id=staged["record_id"],
            name=staged["name"], org_code=staged["org_code"],
            events=[CreditEvent(event_type="spot_check", date=staged["check_date"][:10],
                                title=f"产品质量抽查：{staged['product']} {staged['result']}",
                                attributes={"result": staged["result"], "issue": staged.get("issue")})],
        )


def spot_row(i: int, **over: Any) -> dict[str, Any]:
    row = {"record_id": f"QS-{i:05d}", "org_code": HUAWEI_ORG, "name": f"深圳市测试{i}科技有限公司",
           "product": "手机", "check_date": "2025-03-01", "result": "合格", "issue": "",
           "updated_at": "2025-03-02T10:00:00"}
    row.update(over)
    return row


def make_batch(db: Database, rows: Sequence[Mapping[str, Any]], *, department: str = "quality_supervision",
               stream: str = "spot_checks", full_read: bool = True, faults: int = 0) -> int:
    """A landed batch with pending staged rows (and `faults` source-parse quarantines)."""
    with db.session() as s:
        batch = SyncBatch(department=department, stream=stream, status="landed",
                          cursor_before=None if full_read else {"updated_at": "2025-01-01"},
                          rows_fetched=len(rows) + faults, rows_new=len(rows) + faults, rows_faulty=faults)
        s.add(batch)
        s.flush()
        for r in rows:
            raw = RawRecord(batch_id=batch.id, department=department, stream=stream,
                            source_record_id=str(r["record_id"]), content_hash=content_hash(dict(r)),
                            location=f"test row {r['record_id']}", data={f"src_{k}": v for k, v in r.items()})
            s.add(raw)
            s.flush()
            s.add(StagedRecord(raw_record_id=raw.id, batch_id=batch.id, department=department, stream=stream,
                               source_record_id=str(r["record_id"]), staged=dict(r), status="pending"))
        for j in range(faults):
            raw = RawRecord(batch_id=batch.id, department=department, stream=stream,
                            source_record_id=f"fault:{batch.id}:{j}", content_hash=f"f{batch.id}-{j}",
                            location=f"line {j}", data={"raw": "\\xff\\xfe"}, fault="undecodable")
            s.add(raw)
            s.flush()
            s.add(StagedRecord(raw_record_id=raw.id, batch_id=batch.id, department=department, stream=stream,
                               source_record_id=raw.source_record_id, staged={}, status="quarantined",
                               failures=[{"expectation": "source_parse", "column": None, "value": "\\xff",
                                          "reason_zh": "源数据无法解析"}]))
        return batch.id
