"""统计局: serious statistical dishonesty and enterprise size classes, XLSX workbooks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_date, parse_float, parse_int, text
from connectors.sdk.config import FileDropConfig
from connectors.sdk.streams import DeclarativeConnector, XlsxFileStream
from credithub.domain import CanonicalRecord

DEPT = "statistics"


class StatisticalDishonesty(XlsxFileStream):
    name = "statistical_dishonesty"
    title = "统计严重失信企业"
    pattern = "statistical_dishonesty*.xlsx"
    cursor_field = "updated_at"
    fields = {
        "序号": "record_id",
        "企业名称": "name",
        "统一社会信用代码": "uscc",
        "失信行为": "conduct",
        "认定日期": "decision_date",
        "认定机关": "authority",
        "公示截止日期": "publicity_until",
        "更新时间": "updated_at",
    }
    required_columns = ("序号", "企业名称", "认定日期")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "statistical_dishonesty",
            event_date(staged.get("decision_date"), staged.get("updated_at")),
            f"统计严重失信：{text(staged.get('conduct')) or ''}",
            "serious",
            end_date=parse_date(staged.get("publicity_until")),
            conduct=text(staged.get("conduct")),
            authority=text(staged.get("authority")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class EnterpriseSize(XlsxFileStream):
    name = "enterprise_size"
    title = "企业规模划型"
    pattern = "enterprise_size*.xlsx"
    cursor_field = "updated_at"
    fields = {
        "序号": "record_id",
        "企业名称": "name",
        "统一社会信用代码": "uscc",
        "组织机构代码": "org_code",
        "统计年度": "year",
        "企业规模": "size_class",
        "从业人员": "employees",
        "营业收入（万元）": "revenue",
        "更新时间": "updated_at",
    }
    required_columns = ("序号", "企业名称", "企业规模")
    identifier_fields = {"uscc": "uscc", "org_code": "org_code"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        year = parse_int(staged.get("year"))
        size = text(staged.get("size_class")) or ""
        revenue = parse_float(staged.get("revenue"))
        # Revenue is reported to the statistics bureau in confidence (统计法): never public.
        ev = event(
            "enterprise_size",
            event_date(staged.get("updated_at"), fallback=dt.date((year or 2000) + 1, 3, 1)),
            f"{year}年度企业规模：{size}",
            "neutral",
            private=("revenue",),
            size_class=size,
            year=year,
            employees=parse_int(staged.get("employees")),
            revenue=None if revenue is None else revenue * 10_000,
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"), org_code=staged.get("org_code"))


class Statistics(DeclarativeConnector):
    name = DEPT
    title = "统计局"
    config_model = FileDropConfig
    streams = (StatisticalDishonesty, EnterpriseSize)
    schedule = "@monthly"
    freshness_sla = dt.timedelta(days=62)
