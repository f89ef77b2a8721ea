"""税务局: tax credit ratings, arrears announcements and major violations, from a page-numbered JSON API."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from connectors.departments._common import (
    canonical,
    event,
    event_date,
    parse_float,
    parse_int,
    split_enterprise_id,
    text,
)
from connectors.sdk.config import HttpSourceConfig
from connectors.sdk.streams import DeclarativeConnector, HttpJsonStream
from connectors.sdk.transports.http import HttpEndpoint
from credithub.domain import CanonicalRecord

DEPT = "tax"
RATING_SEVERITY = {"A": "positive", "B": "neutral", "M": "neutral", "C": "minor", "D": "serious"}


def _endpoint(path: str) -> HttpEndpoint:
    return HttpEndpoint(
        path=path,
        paging="page",
        records_path="items",
        page_param="page",
        size_param="page_size",
        total_path="total",
        since_param="updated_since",
        sorted_by_cursor=True,
    )


class TaxRatings(HttpJsonStream):
    name = "tax_ratings"
    title = "纳税信用等级"
    endpoint = _endpoint("/tax_ratings")
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "taxpayerId": "taxpayer_id",
        "taxpayerName": "name",
        "year": "year",
        "rating": "rating",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "taxpayerName", "rating", "updatedAt")
    identifier_fields = {"taxpayer_id": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        rating = text(staged.get("rating")) or ""
        year = parse_int(staged.get("year"))
        # Ratings for year N are set each April of N+1.
        when = event_date(staged.get("updated_at"), fallback=dt.date((year or 2000) + 1, 4, 1))
        ev = event(
            "tax_rating",
            when,
            f"{year}年度纳税信用等级 {rating}",
            RATING_SEVERITY.get(rating, "neutral"),
            rating=rating,
            year=year,
        )
        return canonical(DEPT, self.name, staged, events=[ev], **split_enterprise_id(staged.get("taxpayer_id")))


class Arrears(HttpJsonStream):
    name = "arrears"
    title = "欠税公告"
    endpoint = _endpoint("/arrears")
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "taxpayerId": "taxpayer_id",
        "taxpayerName": "name",
        "legalRep": "legal_rep",
        "legalRepIdNo": "legal_rep_id_no",
        "taxType": "tax_type",
        "arrearsAmount": "amount",
        "currentArrears": "current_amount",
        "announceDate": "announce_date",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "taxpayerName", "arrearsAmount", "announceDate", "updatedAt")
    identifier_fields = {"taxpayer_id": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "tax_arrears",
            event_date(staged.get("announce_date"), staged.get("updated_at")),
            f"欠税公告：{text(staged.get('tax_type')) or ''}",
            "general",
            private=("legal_rep_id_no",),
            tax_type=text(staged.get("tax_type")),
            amount=parse_float(staged.get("amount")),
            current_amount=parse_float(staged.get("current_amount")),
            legal_rep_id_no=text(staged.get("legal_rep_id_no")),
        )
        return canonical(
            DEPT,
            self.name,
            staged,
            events=[ev],
            legal_rep=staged.get("legal_rep"),
            **split_enterprise_id(staged.get("taxpayer_id")),
        )


class Violations(HttpJsonStream):
    name = "violations"
    title = "重大税收违法失信案件"
    endpoint = _endpoint("/violations")
    cursor_field = "updated_at"
    fields = {
        "id": "record_id",
        "taxpayerId": "taxpayer_id",
        "taxpayerName": "name",
        "legalRep": "legal_rep",
        "financeChief": "finance_chief",
        "caseNature": "case_nature",
        "facts": "facts",
        "penalty": "penalty",
        "announceDate": "announce_date",
        "updatedAt": "updated_at",
    }
    required_columns = ("id", "taxpayerName", "caseNature", "announceDate", "updatedAt")
    identifier_fields = {"taxpayer_id": "uscc"}

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        ev = event(
            "tax_violation",
            event_date(staged.get("announce_date"), staged.get("updated_at")),
            f"重大税收违法失信案件：{text(staged.get('case_nature')) or ''}",
            "serious",
            case_nature=text(staged.get("case_nature")),
            facts=text(staged.get("facts")),
            penalty=text(staged.get("penalty")),
            finance_chief=text(staged.get("finance_chief")),
        )
        return canonical(
            DEPT,
            self.name,
            staged,
            events=[ev],
            legal_rep=staged.get("legal_rep"),
            **split_enterprise_id(staged.get("taxpayer_id")),
        )


class Tax(DeclarativeConnector):
    name = DEPT
    title = "税务局"
    config_model = HttpSourceConfig
    streams = (TaxRatings, Arrears, Violations)
    schedule = "@daily"
    freshness_sla = dt.timedelta(days=2)
