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


def make_uscc(region: str, org_body: str) -> str:
    """A valid USCC for a made-up company: 91 + 6-digit region + org code (with its check) + check."""
    from stdnum.cn import uscc

    from entity_resolution.identifiers import org_code_check_char

    body = f"91{region}{org_body}{org_code_check_char(org_body)}"
    return body + uscc.calc_check_digit(body)


def seed_population(db: Database, today: dt.date) -> dict[str, str]:
    """Huawei (E1) plus a few companies with close names, a merged duplicate and list flags."""
    seed_huawei(db, today)
    ids = {"E1": HUAWEI_USCC}
    b = add_batch(db, "market_regulation", "register")
    companies = [
        ("E2", "深圳市华信科技有限公司", "MA5DC2WK", "南山区", "存续", "软件和信息技术服务业"),
        ("E3", "深圳市华信电子有限公司", "MA5DC3AB", "福田区", "存续", "计算机、通信和其他电子设备制造业"),
        ("E4", "深圳市腾达物流有限公司", "MA5FF001", "宝安区", "吊销", "道路运输业"),
    ]
    for eid, name, org_body, district, status, industry in companies:
        uscc = make_uscc("440300", org_body)
        ids[eid] = uscc
        add_record(
            db,
            b,
            register(f"R-{eid}", name, uscc, district=district, status=status, industry=industry, legal_rep="李四",
                     established=dt.date(2015, 3, 1), registered_capital=100.0),
            eid,
        )
    b2 = add_batch(db, "market_regulation", "abnormal")
    add_record(
        db,
        b2,
        CanonicalRecord(
            department="market_regulation",
            dataset="abnormal",
            source_record_id="AB-E4",
            name="深圳市腾达物流有限公司",
            uscc=ids["E4"],
            events=[CreditEvent(event_type="abnormal_operations", date=today - dt.timedelta(days=20), title="列入经营异常名录：未按期公示年度报告")],
        ),
        "E4",
    )
    # E5 was a duplicate of E2 and has been merged into it.
    b3 = add_batch(db, "quality_supervision", "spot_checks")
    add_record(
        db,
        b3,
        CanonicalRecord(department="quality_supervision", dataset="spot_checks", source_record_id="Q-E5", name="华信科技（深圳）有限公司"),
        "E5",
    )
    merge(db, "E5", "E2")
    return ids
