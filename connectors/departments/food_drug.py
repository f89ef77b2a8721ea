"""食品药品监督管理局: food business licences and food-safety penalties, GBK CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_date, parse_float, text
from connectors.sdk.config import FileDropConfig
from connectors.sdk.streams import CsvFileStream, DeclarativeConnector
from credithub.domain import CanonicalRecord

DEPT = "food_drug"


class FoodLicences(CsvFileStream):
    name = "food_licences"
    title = "食品经营许可证"
    pattern = "food_licences*.csv"
    cursor_field = "updated_at"
    fields = {
        "许可证编号": "record_id",
        "经营者名称": "name",
        "社会信用代码": "uscc",
        "法定代表人": "legal_rep",
        "联系电话": "contact_phone",
        "经营场所": "address",
        "主体业态": "business_type",
        "经营项目": "items",
        "发证日期": "issue_date",
        "有效期至": "valid_until",
        "更新时间": "updated_at",
    }
    required_columns = ("许可证编号", "经营者名称", "发证日期")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "food_licence",
            event_date(staged.get("issue_date"), staged.get("updated_at")),
            f"食品经营许可（{text(staged.get('business_type')) or ''}）",
            "neutral",
            end_date=parse_date(staged.get("valid_until")),
            private=("contact_phone",),
            licence_no=str(staged["record_id"]),
            contact_phone=text(staged.get("contact_phone")),
            business_type=text(staged.get("business_type")),
            items=text(staged.get("items")),
        )
        return canonical(
            DEPT,
            self.name,
            staged,
            events=[ev],
            uscc=staged.get("uscc"),
            legal_rep=staged.get("legal_rep"),
            address=staged.get("address"),
        )


class FoodSafetyPenalties(CsvFileStream):
    name = "food_safety_penalties"
    title = "食品安全行政处罚"
    pattern = "food_safety_penalties*.csv"
    cursor_field = "updated_at"
    fields = {
        "行政处罚决定书文号": "record_id",
        "当事人名称": "name",
        "统一社会信用代码": "uscc",
        "违法行为": "violation",
        "处罚内容": "penalty",
        "罚款金额": "amount",
        "处罚日期": "decision_date",
        "更新时间": "updated_at",
    }
    required_columns = ("行政处罚决定书文号", "当事人名称", "处罚日期")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "food_safety_penalty",
            event_date(staged.get("decision_date"), staged.get("updated_at")),
            f"食品安全行政处罚：{text(staged.get('violation')) or ''}",
            "general",
            case_no=str(staged["record_id"]),
            violation=text(staged.get("violation")),
            penalty=text(staged.get("penalty")),
            amount=parse_float(staged.get("amount")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class FoodDrug(DeclarativeConnector):
    name = DEPT
    title = "食品药品监督管理局"
    config_model = FileDropConfig
    streams = (FoodLicences, FoodSafetyPenalties)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=7)
