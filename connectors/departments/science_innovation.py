"""科技创新委员会: high-tech enterprise certificates with their validity, UTF-8 CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_date, text
from connectors.sdk.config import FileDropConfig
from connectors.sdk.streams import CsvFileStream, DeclarativeConnector
from credithub.domain import CanonicalRecord

DEPT = "science_innovation"


class HighTechCertificates(CsvFileStream):
    name = "high_tech_certificates"
    title = "高新技术企业证书"
    pattern = "high_tech_certificates*.csv"
    cursor_field = "updated_at"
    fields = {
        "证书编号": "record_id",
        "企业名称": "name",
        "统一社会信用代码": "uscc",
        "发证日期": "issue_date",
        "有效期至": "valid_until",
        "认定批次": "batch",
        "更新时间": "updated_at",
    }
    required_columns = ("证书编号", "企业名称", "发证日期")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "high_tech_enterprise",
            event_date(staged.get("issue_date"), staged.get("updated_at")),
            "认定为高新技术企业",
            "positive",
            end_date=parse_date(staged.get("valid_until")),
            cert_no=str(staged["record_id"]),
            batch=text(staged.get("batch")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class ScienceInnovation(DeclarativeConnector):
    name = DEPT
    title = "科技创新委员会"
    config_model = FileDropConfig
    streams = (HighTechCertificates,)
    schedule = "@weekly"
    freshness_sla = dt.timedelta(days=30)
