"""应急管理局: work-safety penalties and safety production licences, XML files (legacy registration numbers common)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_date, parse_float, text
from connectors.sdk.config import FileDropConfig
from connectors.sdk.streams import DeclarativeConnector, XmlFileStream
from credithub.domain import CanonicalRecord

DEPT = "emergency_management"


class WorkSafetyPenalties(XmlFileStream):
    name = "work_safety_penalties"
    title = "安全生产行政处罚"
    pattern = "work_safety_penalties*.xml"
    record_tag = "Record"
    cursor_field = "updated_at"
    fields = {
        "Wsh": "record_id",
        "Tyshxydm": "uscc",
        "Zch": "reg_no",
        "Qymc": "name",
        "Wfxw": "violation",
        "Cfjg": "penalty",
        "Fkje": "amount",
        "Cfrq": "decision_date",
        "Gxsj": "updated_at",
    }
    required_columns = ("Wsh", "Qymc", "Cfrq")
    identifier_fields = {"uscc": "uscc", "reg_no": "reg_no"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "work_safety_penalty",
            event_date(staged.get("decision_date"), staged.get("updated_at")),
            f"安全生产行政处罚：{text(staged.get('violation')) or ''}",
            "general",
            case_no=str(staged["record_id"]),
            violation=text(staged.get("violation")),
            penalty=text(staged.get("penalty")),
            amount=parse_float(staged.get("amount")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"), reg_no=staged.get("reg_no"))


class SafetyLicences(XmlFileStream):
    name = "safety_licences"
    title = "安全生产许可证"
    pattern = "safety_licences*.xml"
    record_tag = "Licence"
    cursor_field = "updated_at"
    fields = {
        "Xkzh": "record_id",
        "Tyshxydm": "uscc",
        "Qymc": "name",
        "Xkfw": "scope",
        "Fzrq": "issue_date",
        "Yxqz": "valid_until",
        "Zt": "status",
        "Gxsj": "updated_at",
    }
    required_columns = ("Xkzh", "Qymc", "Fzrq")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "safety_licence",
            event_date(staged.get("issue_date"), staged.get("updated_at")),
            f"安全生产许可：{text(staged.get('scope')) or ''}",
            "neutral",
            end_date=parse_date(staged.get("valid_until")),
            licence_no=str(staged["record_id"]),
            scope=text(staged.get("scope")),
            status=text(staged.get("status")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class EmergencyManagement(DeclarativeConnector):
    name = DEPT
    title = "应急管理局"
    config_model = FileDropConfig
    streams = (WorkSafetyPenalties, SafetyLicences)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=7)
