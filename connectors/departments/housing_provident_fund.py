"""住房公积金管理中心: provident-fund contribution arrears, plain paged JSON API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_float, parse_int, text
from connectors.sdk.config import HttpSourceConfig
from connectors.sdk.streams import DeclarativeConnector, HttpJsonStream
from connectors.sdk.transports.http import HttpEndpoint
from credithub.domain import CanonicalRecord

DEPT = "housing_provident_fund"


class Arrears(HttpJsonStream):
    name = "arrears"
    title = "住房公积金欠缴"
    endpoint = HttpEndpoint(
        path="/arrears",
        paging="page",
        records_path="rows",
        page_param="page",
        size_param="size",
        total_path="total",
        since_param="updated_since",
        sorted_by_cursor=True,
    )
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "unitName": "name",
        "creditCode": "uscc",
        "unitAccount": "unit_account",
        "arrearsMonths": "months",
        "arrearsAmount": "amount",
        "employees": "employees",
        "noticeDate": "notice_date",
        "status": "status",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "unitName", "noticeDate")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        months = parse_int(staged.get("months"))
        status = text(staged.get("status"))
        # The centre publishes that a unit is in arrears, not the sum or its account number.
        ev = event(
            "provident_fund_arrears",
            event_date(staged.get("notice_date"), staged.get("updated_at")),
            f"欠缴住房公积金{months or ''}个月（{status or ''}）",
            "minor" if status == "已缴清" else "general",
            private=("amount", "unit_account"),
            months=months,
            amount=parse_float(staged.get("amount")),
            unit_account=text(staged.get("unit_account")),
            employees=parse_int(staged.get("employees")),
            status=status,
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class HousingProvidentFund(DeclarativeConnector):
    name = DEPT
    title = "住房公积金管理中心"
    config_model = HttpSourceConfig
    streams = (Arrears,)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=7)
