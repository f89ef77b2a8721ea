"""Write canonical records, entities and links straight through the ORM (upstream stages are
exercised in their own suites); used by the profile, publish, API and browser tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from credithub.domain import CanonicalRecord, CreditEvent
from credithub.hashing import content_hash
from credithub.storage.db import Database
from credithub.storage.tables import (
    CanonicalRecordRow,
    Entity,
    EntityLink,
    RawRecord,
    StagedRecord,
    SyncBatch,
)

# Valid identifiers (check digits verified with entity_resolution.identifiers).
HUAWEI_USCC = "914403001922038216"
HUAWEI_ORG = "192203821"


def add_batch(db: Database, department: str, stream: str, *, finished: dt.datetime | None = None) -> int:
    with db.session() as s:
        batch = SyncBatch(
            department=department,
            stream=stream,
            status="validated",
            finished_at=finished or dt.datetime.now(dt.UTC),
        )
        s.add(batch)
        s.flush()
        return batch.id


def add_record(db: Database, batch_id: int, record: CanonicalRecord, entity_id: str) -> int:
    """Land one canonical record (with its raw and staged rows) and link it to `entity_id`."""
    data: dict[str, Any] = record.model_dump(mode="json")
    with db.session() as s:
        if s.get(Entity, entity_id) is None:
            s.add(Entity(id=entity_id, status="active", dirty=True))
            s.flush()
        else:
            s.get(Entity, entity_id).dirty = True  # type: ignore[union-attr]
        raw = RawRecord(
            batch_id=batch_id,
            department=record.department,
            stream=record.dataset,
            source_record_id=record.source_record_id,
            content_hash=content_hash(data),
            location=f"test:{record.source_record_id}",
            data=data,
        )
        s.add(raw)
        s.flush()
        staged = StagedRecord(
            raw_record_id=raw.id,
            batch_id=batch_id,
            department=record.department,
            stream=record.dataset,
            source_record_id=record.source_record_id,
            staged=data,
            status="passed",
        )
        s.add(staged)
        s.flush()
        row = CanonicalRecordRow(
            staged_record_id=staged.id,
            batch_id=batch_id,
            department=record.department,
            dataset=record.dataset,
            source_record_id=record.source_record_id,
            data=data,
            content_hash=content_hash(data),
            resolved=True,
        )
        s.add(row)
        s.flush()
        s.add(EntityLink(canonical_record_id=row.id, entity_id=entity_id, method="identifier", score=1.0))
        return row.id


def merge(db: Database, loser: str, survivor: str) -> None:
    with db.session() as s:
        entity = s.get(Entity, loser)
        assert entity is not None
        entity.merged_into = survivor
        entity.status = "merged"
        entity.dirty = True


def register(source_record_id: str, name: str, uscc: str, **kw: Any) -> CanonicalRecord:
    return CanonicalRecord(
        department="market_regulation",
        dataset="register",
        source_record_id=source_record_id,
        name=name,
        uscc=uscc,
        is_register=True,
        **kw,
    )


def event(event_type: str, date: dt.date, title: str, **kw: Any) -> CreditEvent:
    return CreditEvent(event_type=event_type, date=date, title=title, **kw)


def seed_huawei(db: Database, today: dt.date) -> dict[str, int]:
    """One company seen by three departments, with a conflict and a sensitive attribute."""
    b_reg = add_batch(db, "market_regulation", "register")
    b_tax = add_batch(db, "tax", "tax_ratings")
    b_qs = add_batch(db, "quality_supervision", "spot_checks")
    b_mr = add_batch(db, "market_regulation", "penalties")
    add_record(
        db,
        b_reg,
        register(
            "R-1",
            "华为技术有限公司",
            HUAWEI_USCC,
            former_names=["深圳市华为技术有限公司"],
            reg_no="440301103097413",
            legal_rep="赵明路",
            registered_capital=4104113.182,
            established=dt.date(1987, 9, 15),
            address="深圳市龙岗区坂田华为总部办公楼",
            status="存续",
            industry="计算机、通信和其他电子设备制造业",
            district="龙岗区",
        ),
        "E1",
    )
    add_record(
        db,
        b_tax,
        CanonicalRecord(
            department="tax",
            dataset="tax_ratings",
            source_record_id="T-1",
            name="华为技术有限公司",
            tax_no=HUAWEI_USCC,
            events=[
                event("tax_rating", dt.date(today.year - 1, 4, 1), "2024年度纳税信用A级", attributes={"rating": "A", "year": today.year - 2}),
            ],
        ),
        "E1",
    )
    add_record(
        db,
        b_qs,
        CanonicalRecord(
            department="quality_supervision",
            dataset="spot_checks",
            source_record_id="Q-1",
            name="華為技術有限公司",
            org_code="19220382-1",
            address="深圳市南山区科技园",
            events=[
                event(
                    "spot_check",
                    today - dt.timedelta(days=40),
                    "产品质量监督抽查：合格",
                    attributes={"product": "路由器", "result": "合格", "inspector_phone": "13812345678", "phone": "13812345678"},
                ),
            ],
        ),
        "E1",
    )
    add_record(
        db,
        b_mr,
        CanonicalRecord(
            department="market_regulation",
            dataset="penalties",
            source_record_id="P-1",
            name="华为技术有限公司",
            uscc=HUAWEI_USCC,
            events=[
                event(
                    "penalty",
                    today - dt.timedelta(days=30),
                    "行政处罚：未按规定公示年度报告",
                    severity="general",
                    attributes={"decision_no": "深市监罚〔2026〕12号", "amount": 5000, "id_number": "11010519491231002X"},
                    private_fields=["amount"],
                ),
            ],
        ),
        "E1",
    )
    return {"register": b_reg, "tax": b_tax, "quality": b_qs, "penalties": b_mr}
