"""to_canonical on hand-written staged rows: event types, severities, dates, identifiers, private fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from connectors.departments import BUILTIN
from credithub.domain import CanonicalRecord

STREAMS = {(c.name, s.name): s for c in BUILTIN for s in c.streams}


def canon(dept: str, stream: str, **staged: Any) -> CanonicalRecord:
    row = {f: None for f in STREAMS[(dept, stream)].fields.values()}
    row.update(record_id="R1", name="深圳市华信科技有限公司", updated_at="2026-05-01T10:00:00", **staged)
    return STREAMS[(dept, stream)](None).to_canonical(row)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rating", "severity"), [("A", "positive"), ("B", "neutral"), ("C", "minor"), ("D", "serious")]
)
def test_tax_rating_severity_and_taxpayer_id_kind(rating: str, severity: str) -> None:
    rec = canon("tax", "tax_ratings", taxpayer_id="914403001922038216", year=2025, rating=rating)
    (ev,) = rec.events
    assert (ev.event_type, ev.severity, ev.attributes["rating"], ev.attributes["year"]) == (
        "tax_rating",
        severity,
        rating,
        2025,
    )
    assert rec.uscc == "914403001922038216" and rec.tax_no is None
    old = canon("tax", "tax_ratings", taxpayer_id="440300192203821", year=2025, rating=rating)
    assert old.tax_no == "440300192203821" and old.uscc is None


def test_register_is_the_master_record() -> None:
    rec = canon(
        "market_regulation",
        "register",
        uscc="914403001922038216",
        reg_no="440301103097413",
        former_names="深圳市华为技术有限公司；深圳华为通信有限公司",
        legal_rep="张三",
        registered_capital="4104113.182",
        established="1987-09-15",
        status="吊销",
        district="龙岗区",
        industry="计算机、通信和其他电子设备制造业",
    )
    assert rec.is_register and rec.former_names == ["深圳市华为技术有限公司", "深圳华为通信有限公司"]
    assert rec.registered_capital == pytest.approx(4104113.182) and rec.established == dt.date(1987, 9, 15)
    (ev,) = rec.events
    assert ev.event_type == "register_status" and ev.severity == "serious"
    assert canon("market_regulation", "register", status="存续").events == []


def test_abnormal_operations_end_when_removed() -> None:
    listed = canon("market_regulation", "abnormal_operations", listed_date="2024-07-01", reason="未按期公示年度报告")
    assert listed.events[0].end_date is None and listed.events[0].attributes["status"] == "listed"
    removed = canon(
        "market_regulation",
        "abnormal_operations",
        listed_date="2024-07-01",
        removed_date="2025-01-10",
        removal_reason="已补报",
    )
    ev = removed.events[0]
    assert ev.event_type == "abnormal_operations" and ev.end_date == dt.date(2025, 1, 10)
    assert ev.date == dt.date(2024, 7, 1) and ev.attributes["removal_reason"] == "已补报"


def test_market_penalty_amount_is_converted_from_wan_yuan() -> None:
    ev = canon(
        "market_regulation", "penalties", case_no="深市监罚〔2025〕1号", amount="2.5", decision_date="2025-03-01"
    ).events[0]
    assert ev.event_type == "administrative_penalty" and ev.attributes["amount"] == 25_000
    assert ev.attributes["case_no"] == "深市监罚〔2025〕1号"


@pytest.mark.parametrize(("level", "severity"), [("绿色", "positive"), ("黄色", "minor"), ("黑色", "serious")])
def test_environment_rating_levels(level: str, severity: str) -> None:
    ev = canon("environment", "credit_ratings", rating=level, year=2025, publish_date="2026-03-01").events[0]
    assert ev.severity == severity and ev.attributes["rating"] == level


def test_court_case_identifier_and_removal() -> None:
    rec = canon(
        "courts",
        "dishonest_debtors",
        case_no="（2024）粤03执1234号",
        card_num="19220382-1",
        filing_date="2024-02-01",
        amount=120000.0,
        performance="全部履行",
        removed_date="2024-09-01",
    )
    ev = rec.events[0]
    assert rec.org_code == "19220382-1" and rec.uscc is None
    assert ev.event_type == "dishonest_debtor" and ev.severity == "serious"
    assert ev.attributes["case_no"] == "（2024）粤03执1234号" and ev.attributes["status"] == "全部履行"
    assert ev.end_date == dt.date(2024, 9, 1)
    assert canon("courts", "dishonest_debtors", card_num=None).uscc is None


def test_private_fields_are_declared_only_when_present() -> None:
    ev = canon(
        "social_security",
        "wage_arrears_blacklist",
        listed_date="2025-01-01",
        legal_rep_id_no="44030519801120599X",
        amount="100000",
    ).events[0]
    assert ev.private_fields == ["legal_rep_id_no"]
    ev = canon("social_security", "wage_arrears_blacklist", listed_date="2025-01-01").events[0]
    assert ev.private_fields == []
    ev = canon("statistics", "enterprise_size", year=2025, size_class="小型", revenue=1200.5).events[0]
    assert ev.private_fields == ["revenue"] and ev.attributes["revenue"] == pytest.approx(12_005_000)


def test_bad_dates_fall_back_to_the_change_time() -> None:
    ev = canon(
        "quality_supervision", "spot_checks", org_code="19220382-1", check_date="2024-02-30", result="合格"
    ).events[0]
    assert ev.date == dt.date(2026, 5, 1)
    assert canon("quality_supervision", "spot_checks", check_date="2024年03月05日").events[0].date == dt.date(
        2024, 3, 5
    )


def test_credit_repair_names_the_penalty() -> None:
    ev = canon(
        "development_reform",
        "credit_repair",
        original_record="深市监罚〔2024〕7号",
        repair_date="2025-02-01",
        result="准予修复",
    ).events[0]
    assert ev.event_type == "credit_repair" and ev.attributes["original_record"] == "深市监罚〔2024〕7号"
    assert ev.severity == "positive" and ev.date == dt.date(2025, 2, 1)
