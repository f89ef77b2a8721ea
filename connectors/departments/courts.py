"""人民法院: dishonest judgment debtors (失信被执行人), JSON Lines files; many identified by name alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import (
    canonical,
    event,
    event_date,
    parse_date,
    parse_float,
    split_enterprise_id,
    text,
)
from connectors.sdk.config import FileDropConfig
from connectors.sdk.streams import DeclarativeConnector, JsonLinesFileStream
from credithub.domain import CanonicalRecord

DEPT = "courts"


class DishonestDebtors(JsonLinesFileStream):
    name = "dishonest_debtors"
    title = "失信被执行人"
    pattern = "sxbzxr_*.jsonl"
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "caseCode": "case_no",
        "iname": "name",
        "cardNum": "card_num",
        "businessEntity": "legal_rep",
        "courtName": "court",
        "areaName": "area",
        "gistId": "basis_doc",
        "regDate": "filing_date",
        "publishDate": "publish_date",
        "amount": "amount",
        "performance": "performance",
        "disruptTypeName": "disrupt_type",
        "removeDate": "removed_date",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "caseCode", "iname")
    identifier_fields = {"card_num": "org_code"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        performance = text(staged.get("performance"))
        ev = event(
            "dishonest_debtor",
            event_date(staged.get("filing_date"), staged.get("updated_at")),
            f"失信被执行人：{text(staged.get('case_no')) or ''}",
            "serious",
            end_date=parse_date(staged.get("removed_date")),
            case_no=text(staged.get("case_no")),
            court=text(staged.get("court")),
            amount=parse_float(staged.get("amount")),
            status=performance,
            disrupt_type=text(staged.get("disrupt_type")),
            basis_doc=text(staged.get("basis_doc")),
            published=text(staged.get("publish_date")),
        )
        return canonical(
            DEPT,
            self.name,
            staged,
            events=[ev],
            legal_rep=staged.get("legal_rep"),
            **split_enterprise_id(staged.get("card_num")),
        )


class Courts(DeclarativeConnector):
    name = DEPT
    title = "人民法院"
    config_model = FileDropConfig
    streams = (DishonestDebtors,)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=3)
