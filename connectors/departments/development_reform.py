"""发展和改革委员会: credit commitments, red list (守信激励) and credit-repair decisions, paged JSON API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_date, text
from connectors.sdk.config import HttpSourceConfig
from connectors.sdk.streams import DeclarativeConnector, HttpJsonStream
from connectors.sdk.transports.http import HttpEndpoint
from credithub.domain import CanonicalRecord

DEPT = "development_reform"


def _endpoint(path: str) -> HttpEndpoint:
    return HttpEndpoint(
        path=path,
        paging="page",
        records_path="rows",
        page_param="page",
        size_param="size",
        total_path="total",
        since_param="updated_since",
        sorted_by_cursor=True,
    )


class CreditCommitments(HttpJsonStream):
    name = "credit_commitments"
    title = "信用承诺"
    endpoint = _endpoint("/credit_commitments")
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "entName": "name",
        "uscc": "uscc",
        "commitmentType": "commitment_type",
        "matter": "matter",
        "commitDate": "commit_date",
        "fulfilment": "fulfilment",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "entName", "commitmentType", "commitDate")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        fulfilment = text(staged.get("fulfilment"))
        ev = event(
            "credit_commitment",
            event_date(staged.get("commit_date"), staged.get("updated_at")),
            f"信用承诺：{text(staged.get('commitment_type')) or ''}（{fulfilment or ''}）",
            "general" if fulfilment == "未履约" else "neutral",
            commitment_type=text(staged.get("commitment_type")),
            matter=text(staged.get("matter")),
            status=fulfilment,
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class RedList(HttpJsonStream):
    name = "red_list"
    title = "守信激励红名单"
    endpoint = _endpoint("/red_list")
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "entName": "name",
        "uscc": "uscc",
        "listName": "list_name",
        "issuer": "issuer",
        "listedDate": "listed_date",
        "validUntil": "valid_until",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "entName", "listName", "listedDate")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "red_list",
            event_date(staged.get("listed_date"), staged.get("updated_at")),
            f"守信激励：{text(staged.get('list_name')) or ''}",
            "positive",
            end_date=parse_date(staged.get("valid_until")),
            list_name=text(staged.get("list_name")),
            issuer=text(staged.get("issuer")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class CreditRepair(HttpJsonStream):
    name = "credit_repair"
    title = "信用修复"
    endpoint = _endpoint("/credit_repair")
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "entName": "name",
        "uscc": "uscc",
        "originalRecord": "original_record",
        "originalDept": "original_department",
        "repairDate": "repair_date",
        "result": "result",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "entName", "originalRecord", "repairDate", "result")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        result = text(staged.get("result"))
        ev = event(
            "credit_repair",
            event_date(staged.get("repair_date"), staged.get("updated_at")),
            f"信用修复：{text(staged.get('original_record')) or ''}（{result or ''}）",
            "positive" if result == "准予修复" else "neutral",
            original_record=text(staged.get("original_record")),
            original_department=text(staged.get("original_department")),
            result=result,
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class DevelopmentReform(DeclarativeConnector):
    name = DEPT
    title = "发展和改革委员会"
    config_model = HttpSourceConfig
    streams = (CreditCommitments, RedList, CreditRepair)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=3)
