"""生态环境局: environmental credit ratings and penalties, XLSX workbooks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_float, parse_int, text
from connectors.sdk.config import FileDropConfig
from connectors.sdk.streams import DeclarativeConnector, XlsxFileStream
from credithub.domain import CanonicalRecord

DEPT = "environment"
LEVEL_SEVERITY = {"绿色": "positive", "蓝色": "neutral", "黄色": "minor", "红色": "general", "黑色": "serious"}
LEVEL_MEANING = {"绿色": "诚信", "蓝色": "良好", "黄色": "警示", "红色": "不良", "黑色": "严重失信"}


class CreditRatings(XlsxFileStream):
    name = "credit_ratings"
    title = "企业环境信用评价"
    pattern = "credit_ratings*.xlsx"
    cursor_field = "updated_at"
    fields = {
        "序号": "record_id",
        "统一社会信用代码": "uscc",
        "企业名称": "name",
        "评价年度": "year",
        "评价等级": "rating",
        "发布日期": "publish_date",
        "更新时间": "updated_at",
    }
    required_columns = ("序号", "企业名称", "评价等级")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        level = text(staged.get("rating")) or ""
        year = parse_int(staged.get("year"))
        ev = event(
            "environment_rating",
            event_date(staged.get("publish_date"), staged.get("updated_at")),
            f"{year}年度环境信用评价：{level}（{LEVEL_MEANING.get(level, '')}）",
            LEVEL_SEVERITY.get(level, "neutral"),
            rating=level,
            year=year,
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class Penalties(XlsxFileStream):
    name = "penalties"
    title = "环境行政处罚"
    pattern = "penalties*.xlsx"
    cursor_field = "updated_at"
    fields = {
        "序号": "record_id",
        "统一社会信用代码": "uscc",
        "企业名称": "name",
        "处罚文号": "case_no",
        "违法类型": "violation",
        "罚款金额（万元）": "amount",
        "处罚日期": "decision_date",
        "更新时间": "updated_at",
    }
    required_columns = ("序号", "企业名称", "处罚日期")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        amount = parse_float(staged.get("amount"))
        ev = event(
            "environment_penalty",
            event_date(staged.get("decision_date"), staged.get("updated_at")),
            f"环境行政处罚：{text(staged.get('violation')) or ''}",
            "general",
            case_no=text(staged.get("case_no")),
            violation=text(staged.get("violation")),
            amount=None if amount is None else round(amount * 10_000, 2),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class Environment(DeclarativeConnector):
    name = DEPT
    title = "生态环境局"
    config_model = FileDropConfig
    streams = (CreditRatings, Penalties)
    schedule = "@weekly"
    freshness_sla = dt.timedelta(days=30)
