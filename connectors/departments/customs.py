"""海关: customs credit grades and penalties, XML file drops keyed by USCC."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_float, text
from connectors.sdk.config import FileDropConfig
from connectors.sdk.streams import DeclarativeConnector, XmlFileStream
from credithub.domain import CanonicalRecord

DEPT = "customs"
GRADE_SEVERITY = {"高级认证企业": "positive", "一般信用企业": "neutral", "失信企业": "serious"}


class CreditGrades(XmlFileStream):
    name = "credit_grades"
    title = "海关企业信用等级"
    pattern = "credit_grades_*.xml"
    record_tag = "Enterprise"
    cursor_field = "updated_at"
    fields = {
        "SeqNo": "record_id",
        "CustomsCode": "customs_code",
        "SocialCreditCode": "uscc",
        "EntName": "name",
        "CreditGrade": "grade",
        "EffectiveDate": "effective_date",
        "UpdateTime": "updated_at",
    }
    required_columns = ("SeqNo", "EntName", "CreditGrade")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        grade = text(staged.get("grade")) or ""
        ev = event(
            "customs_grade",
            event_date(staged.get("effective_date"), staged.get("updated_at")),
            f"海关信用等级：{grade}",
            GRADE_SEVERITY.get(grade, "neutral"),
            rating=grade,
            customs_code=text(staged.get("customs_code")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class Penalties(XmlFileStream):
    name = "penalties"
    title = "海关行政处罚"
    pattern = "penalties_*.xml"
    record_tag = "Case"
    cursor_field = "updated_at"
    fields = {
        "CaseNo": "record_id",
        "SocialCreditCode": "uscc",
        "EntName": "name",
        "Violation": "violation",
        "PenaltyAmount": "amount",
        "DecisionDate": "decision_date",
        "UpdateTime": "updated_at",
    }
    required_columns = ("CaseNo", "EntName", "DecisionDate")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "customs_penalty",
            event_date(staged.get("decision_date"), staged.get("updated_at")),
            f"海关行政处罚：{text(staged.get('violation')) or ''}",
            "general",
            case_no=str(staged["record_id"]),
            violation=text(staged.get("violation")),
            amount=parse_float(staged.get("amount")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class Customs(DeclarativeConnector):
    name = DEPT
    title = "海关"
    config_model = FileDropConfig
    streams = (CreditGrades, Penalties)
    schedule = "@weekly"
    freshness_sla = dt.timedelta(days=200)
