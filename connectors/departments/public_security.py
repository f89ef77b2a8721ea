"""公安局 (fire services): fire-safety inspections and penalties from its own SQL schema."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_float, text
from connectors.sdk.config import SqlSourceConfig
from connectors.sdk.streams import DeclarativeConnector, SqlStream
from credithub.domain import CanonicalRecord

DEPT = "public_security"
RESULT_SEVERITY = {"合格": "neutral", "责令改正": "minor", "不合格": "general"}


class FireInspections(SqlStream):
    name = "fire_inspections"
    title = "消防监督检查"
    table = "t_xf_jcjl"
    cursor_field = "updated_at"
    fields = {
        "jcid": "record_id",
        "dwmc": "name",
        "zzjgdm": "org_code",
        "dwdz": "address",
        "jcrq": "check_date",
        "jcjg": "result",
        "wtms": "issue",
        "gxsj": "updated_at",
    }
    required_columns = ("jcid", "dwmc", "jcrq", "jcjg")
    identifier_fields = {"org_code": "org_code"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        result = text(staged.get("result")) or ""
        ev = event(
            "fire_safety_inspection",
            event_date(staged.get("check_date"), staged.get("updated_at")),
            f"消防监督检查：{result}",
            RESULT_SEVERITY.get(result, "neutral"),
            result=result,
            issue=text(staged.get("issue")),
        )
        return canonical(
            DEPT, self.name, staged, events=[ev], org_code=staged.get("org_code"), address=staged.get("address")
        )


class FirePenalties(SqlStream):
    name = "fire_penalties"
    title = "消防行政处罚"
    table = "t_xf_xzcf"
    cursor_field = "updated_at"
    fields = {
        "cfid": "record_id",
        "jdswh": "case_no",
        "dwmc": "name",
        "tyshxydm": "uscc",
        "wfxw": "violation",
        "cfzl": "penalty_type",
        "fkje": "amount",
        "cfrq": "decision_date",
        "gxsj": "updated_at",
    }
    required_columns = ("cfid", "dwmc", "cfrq")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        kind = text(staged.get("penalty_type")) or ""
        ev = event(
            "fire_safety_penalty",
            event_date(staged.get("decision_date"), staged.get("updated_at")),
            f"消防行政处罚（{kind}）：{text(staged.get('violation')) or ''}",
            "serious" if kind == "责令停产停业" else "general",
            case_no=text(staged.get("case_no")),
            violation=text(staged.get("violation")),
            penalty=kind,
            amount=parse_float(staged.get("amount")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class PublicSecurity(DeclarativeConnector):
    name = DEPT
    title = "公安局"
    config_model = SqlSourceConfig
    streams = (FireInspections, FirePenalties)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=7)
