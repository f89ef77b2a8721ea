"""人力资源和社会保障局: social insurance arrears, wage-arrears blacklist, labour penalties (UTF-8 CSV with BOM)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_date, parse_float, parse_int, text
from connectors.sdk.config import FileDropConfig
from connectors.sdk.streams import CsvFileStream, DeclarativeConnector
from credithub.domain import CanonicalRecord

DEPT = "social_security"


class InsuranceArrears(CsvFileStream):
    name = "insurance_arrears"
    title = "社会保险费欠缴"
    pattern = "insurance_arrears*.csv"
    cursor_field = "updated_at"
    fields = {
        "编号": "record_id",
        "统一社会信用代码": "uscc",
        "单位名称": "name",
        "欠缴险种": "insurance_type",
        "欠缴金额": "amount",
        "欠缴起始月份": "since_month",
        "公告日期": "announce_date",
        "更新时间": "updated_at",
    }
    required_columns = ("编号", "单位名称", "欠缴金额")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "social_insurance_arrears",
            event_date(staged.get("announce_date"), staged.get("updated_at")),
            f"欠缴社会保险费：{text(staged.get('insurance_type')) or ''}",
            "general",
            insurance_type=text(staged.get("insurance_type")),
            amount=parse_float(staged.get("amount")),
            since_month=text(staged.get("since_month")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class WageArrearsBlacklist(CsvFileStream):
    name = "wage_arrears_blacklist"
    title = "拖欠农民工工资失信联合惩戒对象名单"
    pattern = "wage_arrears_blacklist*.csv"
    cursor_field = "updated_at"
    fields = {
        "编号": "record_id",
        "统一社会信用代码": "uscc",
        "单位名称": "name",
        "法定代表人": "legal_rep",
        "法定代表人身份证号": "legal_rep_id_no",
        "拖欠人数": "workers",
        "拖欠金额": "amount",
        "列入日期": "listed_date",
        "移出日期": "removed_date",
        "更新时间": "updated_at",
    }
    required_columns = ("编号", "单位名称", "列入日期")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        removed = parse_date(staged.get("removed_date"))
        ev = event(
            "wage_arrears_blacklist",
            event_date(staged.get("listed_date"), staged.get("updated_at")),
            "列入拖欠农民工工资失信联合惩戒对象名单" + ("（已移出）" if removed else ""),
            "serious",
            end_date=removed,
            private=("legal_rep_id_no",),
            workers=parse_int(staged.get("workers")),
            amount=parse_float(staged.get("amount")),
            legal_rep_id_no=text(staged.get("legal_rep_id_no")),
            status="removed" if removed else "listed",
        )
        return canonical(
            DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"), legal_rep=staged.get("legal_rep")
        )


class LabourPenalties(CsvFileStream):
    name = "labour_penalties"
    title = "劳动保障行政处罚"
    pattern = "labour_penalties*.csv"
    cursor_field = "updated_at"
    fields = {
        "编号": "record_id",
        "统一社会信用代码": "uscc",
        "单位名称": "name",
        "处罚决定书文号": "case_no",
        "违法事实": "violation",
        "处罚结果": "penalty",
        "罚款金额": "amount",
        "处罚日期": "decision_date",
        "更新时间": "updated_at",
    }
    required_columns = ("编号", "单位名称", "处罚日期")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "labour_penalty",
            event_date(staged.get("decision_date"), staged.get("updated_at")),
            f"劳动保障行政处罚：{text(staged.get('violation')) or ''}",
            "general",
            case_no=text(staged.get("case_no")),
            violation=text(staged.get("violation")),
            penalty=text(staged.get("penalty")),
            amount=parse_float(staged.get("amount")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class SocialSecurity(DeclarativeConnector):
    name = DEPT
    title = "人力资源和社会保障局"
    config_model = FileDropConfig
    streams = (InsuranceArrears, WageArrearsBlacklist, LabourPenalties)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=7)
