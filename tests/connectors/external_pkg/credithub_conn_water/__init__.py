"""水务集团 water-supply arrears: a connector living outside CreditHub, found via its entry point."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from connectors.sdk import DeclarativeConnector, FileDropConfig, JsonLinesFileStream
from connectors.sdk.parsing import clean_identifier, parse_amount_wan, parse_date
from credithub.domain import CanonicalRecord, CreditEvent

SAMPLE_DIR = Path(__file__).parent / "sample"


class WaterArrears(JsonLinesFileStream):
    name = "water_arrears"
    title = "水费欠缴"
    pattern = "arrears_*.jsonl"
    fields: ClassVar = {
        "id": "record_id",
        "company": "name",
        "credit_code": "uscc",
        "amount": "amount_wan",
        "since": "arrears_since",
        "modified": "updated_at",
    }
    required_columns = ("id", "company")
    identifier_fields: ClassVar = {"uscc": "uscc"}
    primary_key = "record_id"
    cursor_field = "updated_at"

    def to_canonical(self, staged: Mapping[str, Any]) -> CanonicalRecord:
        since = parse_date(staged["arrears_since"])
        if since is None:
            raise ValueError("欠费起始日期为空")
        amount = parse_amount_wan(staged["amount_wan"])
        return CanonicalRecord(
            department=self.connector.name,
            dataset=self.name,
            source_record_id=str(staged["record_id"]),
            name=staged["name"],
            uscc=clean_identifier(staged["uscc"]),
            events=[
                CreditEvent(
                    event_type="utility_arrears",
                    date=since,
                    title=f"欠缴水费 {amount:g} 万元",
                    severity="minor",
                    attributes={"amount_wan": amount},
                )
            ],
        )


class WaterSupplyConnector(DeclarativeConnector):
    name = "water_supply"
    title = "水务集团"
    config_model = FileDropConfig
    streams = (WaterArrears,)
    schedule = "0 4 * * 1"
    freshness_sla = dt.timedelta(days=8)
