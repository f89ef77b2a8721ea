"""规划和自然资源局: land-use violations and idle land, GB18030 CSV; parties identified by name only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_float, text
from connectors.sdk.config import FileDropConfig
from connectors.sdk.streams import CsvFileStream, DeclarativeConnector
from credithub.domain import CanonicalRecord

DEPT = "planning_land"


class LandViolations(CsvFileStream):
    name = "land_violations"
    title = "土地违法案件"
    pattern = "land_violations*.csv"
    cursor_field = "updated_at"
    fields = {
        "案件编号": "record_id",
        "当事人名称": "name",
        "违法地块位置": "location",
        "违法面积（平方米）": "area_m2",
        "违法类型": "violation",
        "处理结果": "penalty",
        "罚款金额（元）": "amount",
        "立案日期": "filing_date",
        "更新时间": "updated_at",
    }
    required_columns = ("案件编号", "当事人名称", "立案日期")

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "land_violation",
            event_date(staged.get("filing_date"), staged.get("updated_at")),
            f"土地违法：{text(staged.get('violation')) or ''}",
            "general",
            case_no=str(staged["record_id"]),
            violation=text(staged.get("violation")),
            location=text(staged.get("location")),
            area_m2=parse_float(staged.get("area_m2")),
            penalty=text(staged.get("penalty")),
            amount=parse_float(staged.get("amount")),
        )
        return canonical(DEPT, self.name, staged, events=[ev])


class IdleLand(CsvFileStream):
    name = "idle_land"
    title = "闲置土地"
    pattern = "idle_land*.csv"
    cursor_field = "updated_at"
    fields = {
        "编号": "record_id",
        "土地使用权人": "name",
        "宗地编号": "parcel_no",
        "宗地位置": "location",
        "面积（平方米）": "area_m2",
        "闲置原因": "cause",
        "认定日期": "decision_date",
        "处置状态": "status",
        "更新时间": "updated_at",
    }
    required_columns = ("编号", "土地使用权人", "认定日期")

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "idle_land",
            event_date(staged.get("decision_date"), staged.get("updated_at")),
            f"闲置土地认定（宗地 {text(staged.get('parcel_no')) or ''}）",
            "general",
            parcel_no=text(staged.get("parcel_no")),
            location=text(staged.get("location")),
            area_m2=parse_float(staged.get("area_m2")),
            cause=text(staged.get("cause")),
            status=text(staged.get("status")),
        )
        return canonical(DEPT, self.name, staged, events=[ev])


class PlanningLand(DeclarativeConnector):
    name = DEPT
    title = "规划和自然资源局"
    config_model = FileDropConfig
    streams = (LandViolations, IdleLand)
    schedule = "@weekly"
    freshness_sla = dt.timedelta(days=30)
