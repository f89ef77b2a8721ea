"""交通运输局: road-transport operator quality and reputation ratings, JSON API with cursor tokens."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import canonical, event, event_date, parse_int, text
from connectors.sdk.config import HttpSourceConfig
from connectors.sdk.streams import DeclarativeConnector, HttpJsonStream
from connectors.sdk.transports.http import HttpEndpoint
from credithub.domain import CanonicalRecord

DEPT = "transport"
GRADE_SEVERITY = {"AAA": "positive", "AA": "positive", "A": "neutral", "B": "minor"}


class Ratings(HttpJsonStream):
    name = "ratings"
    title = "道路运输企业质量信誉考核"
    endpoint = HttpEndpoint(
        path="/ratings",
        paging="cursor",
        records_path="data",
        size_param="limit",
        cursor_param="cursor",
        next_cursor_path="next_cursor",
        since_param="updated_since",
        sorted_by_cursor=True,
    )
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "enterpriseName": "name",
        "uscc": "uscc",
        "operatingLicenceNo": "licence_no",
        "grade": "rating",
        "assessmentYear": "year",
        "publishDate": "publish_date",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "enterpriseName", "grade")
    identifier_fields = {"uscc": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        grade = text(staged.get("rating")) or ""
        year = parse_int(staged.get("year"))
        ev = event(
            "transport_rating",
            event_date(staged.get("publish_date"), staged.get("updated_at")),
            f"{year}年度质量信誉考核等级 {grade}",
            GRADE_SEVERITY.get(grade, "neutral"),
            rating=grade,
            year=year,
            licence_no=text(staged.get("licence_no")),
        )
        return canonical(DEPT, self.name, staged, events=[ev], uscc=staged.get("uscc"))


class Transport(DeclarativeConnector):
    name = DEPT
    title = "交通运输局"
    config_model = HttpSourceConfig
    streams = (Ratings,)
    schedule = "@weekly"
    freshness_sla = dt.timedelta(days=30)
