"""住房和建设局: construction qualifications and bad-conduct records, JSON API with offset/limit paging."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_date, parse_int, text
from connectors.sdk.config import HttpSourceConfig
from connectors.sdk.streams import DeclarativeConnector, HttpJsonStream
from connectors.sdk.transports.http import HttpEndpoint
from credithub.domain import CanonicalRecord

DEPT = "housing_construction"


def _endpoint(path: str) -> HttpEndpoint:
    return HttpEndpoint(
        path=path,
        paging="offset",
        records_path="results",
        offset_param="offset",
        limit_param="limit",
        total_path="total",
        since_param="updated_since",
        sorted_by_cursor=True,
    )


class Qualifications(HttpJsonStream):
    name = "qualifications"
    title = "建筑业企业资质"
    endpoint = _endpoint("/qualifications")
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "creditCode": "uscc",
        "companyName": "name",
        "certNo": "cert_no",
        "qualificationName": "qualification",
        "issueDate": "issue_date",
        "expiryDate": "expiry_date",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "companyName", "qualificationName")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "construction_qualification",
            event_date(staged.get("issue_date"), staged.get("updated_at")),
            f"建筑业企业资质：{text(staged.get('qualification')) or ''}",
            "neutral",
            end_date=parse_date(staged.get("expiry_date")),
            cert_no=text(staged.get("cert_no")),
            qualification=text(staged.get("qualification")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class BadConduct(HttpJsonStream):
    name = "bad_conduct"
    title = "建筑市场不良行为记录"
    endpoint = _endpoint("/bad_conduct")
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "creditCode": "uscc",
        "companyName": "name",
        "projectName": "project",
        "conduct": "conduct",
        "deductPoints": "points",
        "decisionDate": "decision_date",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "companyName", "conduct", "decisionDate")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "construction_bad_conduct",
            event_date(staged.get("decision_date"), staged.get("updated_at")),
            f"建筑市场不良行为：{text(staged.get('conduct')) or ''}",
            "general",
            project=text(staged.get("project")),
            conduct=text(staged.get("conduct")),
            points=parse_int(staged.get("points")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class HousingConstruction(DeclarativeConnector):
    name = DEPT
    title = "住房和建设局"
    config_model = HttpSourceConfig
    streams = (Qualifications, BadConduct)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=3)
