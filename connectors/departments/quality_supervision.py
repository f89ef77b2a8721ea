"""质量技术监督局: product spot checks and production licences, GBK CSV exports keyed by organization code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_date, text
from connectors.sdk.config import FileDropConfig
from connectors.sdk.streams import CsvFileStream, DeclarativeConnector
from credithub.domain import CanonicalRecord

DEPT = "quality_supervision"


class SpotChecks(CsvFileStream):
    name = "spot_checks"
    title = "产品质量监督抽查"
    pattern = "spot_checks_*.csv"
    cursor_field = "updated_at"
    fields = {
        "序号": "record_id",
        "组织机构代码": "org_code",
        "企业名称": "name",
        "产品名称": "product",
        "抽查日期": "check_date",
        "检验结果": "result",
        "主要问题": "issue",
        "更新时间": "updated_at",
    }
    required_columns = ("序号", "企业名称", "检验结果")
    identifier_fields = {"org_code": "org_code"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        result = text(staged.get("result"))
        product = text(staged.get("product")) or ""
        ev = event(
            "spot_check",
            event_date(staged.get("check_date"), staged.get("updated_at")),
            f"产品质量抽查（{product}）：{result or ''}",
            "general" if result == "不合格" else "neutral",
            product=product,
            result=result,
            issue=text(staged.get("issue")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], org_code=staged.get("org_code"))


class ProductionLicences(CsvFileStream):
    name = "production_licences"
    title = "工业产品生产许可证"
    pattern = "production_licences*.csv"
    cursor_field = "updated_at"
    fields = {
        "证书编号": "record_id",
        "组织机构代码": "org_code",
        "企业名称": "name",
        "产品名称": "product",
        "发证日期": "issue_date",
        "有效期至": "valid_until",
        "证书状态": "status",
        "更新时间": "updated_at",
    }
    required_columns = ("证书编号", "企业名称", "发证日期")
    identifier_fields = {"org_code": "org_code"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        status = text(staged.get("status"))
        ev = event(
            "production_licence",
            event_date(staged.get("issue_date"), staged.get("updated_at")),
            f"工业产品生产许可证（{text(staged.get('product')) or ''}）",
            "neutral",
            end_date=parse_date(staged.get("valid_until")),
            licence_no=str(staged["record_id"]),
            product=text(staged.get("product")),
            status=status,
        )
        return canonical(DEPT, self.name, staged, events=[ev], org_code=staged.get("org_code"))


class QualitySupervision(DeclarativeConnector):
    name = DEPT
    title = "质量技术监督局"
    config_model = FileDropConfig
    streams = (SpotChecks, ProductionLicences)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=7)
