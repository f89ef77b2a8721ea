"""Request and response models of the public API, with OpenAPI titles, descriptions and examples."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from credithub.domain import Profile, ProfileEvent
from credithub.search.base import SearchHit, SearchResult

MAX_MATCH_QUERIES = 100

EXAMPLE_HIT = {
    "entity_id": "E0001",
    "name": "华为技术有限公司",
    "score": 100.0,
    "highlight": "<em>华为技术</em>有限公司",
    "matched": "name",
    "uscc": "914403001922038216",
    "status": "存续",
    "district": "龙岗区",
    "industry": "计算机、通信和其他电子设备制造业",
    "established": "1987-09-15",
    "tax_rating": "A",
    "flags": [],
}
EXAMPLE_PROVENANCE = {"department": "tax", "dataset": "tax_ratings", "batch_id": 12, "source_record_id": "T-2024-0001", "raw_record_id": 3456}
EXAMPLE_EVENT = {
    "event_type": "tax_rating",
    "date": "2025-04-01",
    "end_date": None,
    "title": "2024年度纳税信用A级",
    "severity": "positive",
    "attributes": {"rating": "A", "year": 2024},
    "private_fields": [],
    "provenance": EXAMPLE_PROVENANCE,
}
EXAMPLE_PROFILE = {
    "entity_id": "E0001",
    "identity": {
        "name": "华为技术有限公司",
        "former_names": ["深圳市华为技术有限公司"],
        "other_names": ["華為技術有限公司"],
        "uscc": "914403001922038216",
        "org_code": "192203821",
        "reg_nos": ["440301103097413"],
        "tax_nos": [],
        "status": "存续",
        "registered_capital": 4104113.182,
        "established": "1987-09-15",
        "address": "深圳市龙岗区坂田华为总部办公楼",
        "legal_rep": "赵明路",
        "industry": "计算机、通信和其他电子设备制造业",
        "district": "龙岗区",
    },
    "summary": {
        "tax_rating": "A",
        "tax_rating_year": 2024,
        "customs_grade": None,
        "environment_rating": None,
        "transport_rating": None,
        "dishonest_debtor": False,
        "abnormal_operations": False,
        "serious_dishonest": False,
        "red_list": False,
        "penalties_3y": 0,
    },
    "events": [EXAMPLE_EVENT],
    "conflicts": [
        {
            "field": "address",
            "values": [
                {"value": "深圳市龙岗区坂田华为总部办公楼", "department": "market_regulation", "dataset": "register", "source_record_id": "R-1", "batch_id": 1},
                {"value": "深圳市南山区科技园", "department": "quality_supervision", "dataset": "spot_checks", "source_record_id": "Q-1", "batch_id": 3},
            ],
        }
    ],
    "departments": ["market_regulation", "quality_supervision", "tax"],
    "sources": [EXAMPLE_PROVENANCE],
    "updated_at": "2026-11-28T08:00:00Z",
}


class CompanySearchResult(SearchResult):
    """One page of companies matching a name (any spelling) or an identifier, best first."""

    model_config = ConfigDict(
        title="CompanySearchResult",
        json_schema_extra={"examples": [{"total": 1, "page": 1, "size": 10, "hits": [EXAMPLE_HIT]}]},
    )


class PublicProfile(Profile):
    """A company's public credit profile: identity, credit summary, visible timeline with provenance,
    and identity facts on which departments disagree. Only what the disclosure policy allows today."""

    model_config = ConfigDict(title="PublicProfile", json_schema_extra={"examples": [EXAMPLE_PROFILE]})


class EventsPage(BaseModel):
    """One page of a company's public credit events, newest first."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"entity_id": "E0001", "total": 1, "page": 1, "size": 20, "events": [EXAMPLE_EVENT]}]}
    )

    entity_id: str = Field(description="The company.", examples=["E0001"])
    total: int = Field(description="Visible events matching the filters.", examples=[1])
    page: int = Field(description="1-based page number.", examples=[1])
    size: int = Field(description="Events per page.", examples=[20])
    events: list[ProfileEvent] = Field(description="Events of this page, each with its provenance.")


class IdentifierReading(BaseModel):
    """One way to read the looked-up code."""

    kind: Literal["uscc", "org_code", "reg_no", "tax_no"] = Field(description="Identifier kind.", examples=["uscc"])
    value: str = Field(description="Normalised spelling.", examples=["914403001922038216"])
    valid: bool = Field(description="Whether the check character is right.", examples=[True])
    reason: str | None = Field(None, description="Why it is invalid (Chinese).", examples=[None])


class LookupResult(BaseModel):
    """Companies carrying the looked-up identifier."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "query": "19220382-1",
                    "readings": [{"kind": "org_code", "value": "192203821", "valid": True, "reason": None}],
                    "results": [EXAMPLE_HIT],
                }
            ]
        }
    )

    query: str = Field(description="The identifier as sent.", examples=["19220382-1"])
    readings: list[IdentifierReading] = Field(description="How the code was understood.")
    results: list[SearchHit] = Field(description="Companies with this identifier (normally exactly one).")


class MatchQuery(BaseModel):
    """One thing to match: a company name, an identifier, or both."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"key": "row-1", "name": "华为技术有限公司", "identifier": "914403001922038216", "limit": 3}],
            # At least one of name / identifier, as a string (also enforced by the validator below).
            "anyOf": [
                {"required": ["name"], "properties": {"name": {"type": "string"}}},
                {"required": ["identifier"], "properties": {"identifier": {"type": "string"}}},
            ],
        }
    )

    key: str | None = Field(None, max_length=200, description="Your own key, echoed back.", examples=["row-1"])
    name: str | None = Field(None, min_length=1, max_length=200, pattern=r"\S", description="Company name in any spelling.", examples=["华为技术有限公司"])
    identifier: str | None = Field(
        None, min_length=1, max_length=64, pattern=r"\S", description="USCC, organization code, registration or tax number in any spelling.",
        examples=["19220382-1"],
    )
    limit: int = Field(3, ge=1, le=10, description="Candidates to return.", examples=[3])

    @model_validator(mode="after")
    def _needs_something(self) -> MatchQuery:
        if not (self.name and self.name.strip()) and not (self.identifier and self.identifier.strip()):
            raise ValueError("each query needs a name or an identifier")
        return self


class MatchRequest(BaseModel):
    """Up to 100 names and/or identifiers matched in one request."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"queries": [{"key": "1", "name": "华为技术有限公司"}, {"key": "2", "identifier": "19220382-1"}]}]}
    )

    queries: list[MatchQuery] = Field(
        min_length=1, max_length=MAX_MATCH_QUERIES, description=f"1 to {MAX_MATCH_QUERIES} queries."
    )


class MatchCandidate(BaseModel):
    entity_id: str = Field(description="Candidate company.", examples=["E0001"])
    name: str = Field(description="Its current name.", examples=["华为技术有限公司"])
    uscc: str | None = Field(None, description="Its USCC.", examples=["914403001922038216"])
    score: float = Field(ge=0, le=1, description="Similarity 0–1; 1 for an identifier match.", examples=[0.98])
    match: bool = Field(description="True when confident enough to accept without review.", examples=[True])
    matched: str | None = Field(None, description="What matched: identifier, name, former_name…", examples=["name"])


class MatchResult(BaseModel):
    key: str | None = Field(None, description="Your key.", examples=["row-1"])
    query: MatchQuery = Field(description="The query answered.")
    candidates: list[MatchCandidate] = Field(description="Best candidates, best first.")


class MatchResponse(BaseModel):
    """Answers in the order of the queries."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "results": [
                        {
                            "key": "1",
                            "query": {"key": "1", "name": "华为技术有限公司", "identifier": None, "limit": 3},
                            "candidates": [
                                {"entity_id": "E0001", "name": "华为技术有限公司", "uscc": "914403001922038216", "score": 1.0, "match": True, "matched": "name"}
                            ],
                        }
                    ]
                }
            ]
        }
    )

    results: list[MatchResult]


class Health(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})
    status: Literal["ok"] = Field(description="The process is alive.")


class DepartmentFreshness(BaseModel):
    department: str = Field(description="Department key.", examples=["tax"])
    last_success_at: dt.datetime | None = Field(None, description="When its last successful batch finished.")
    age_hours: float | None = Field(None, description="Hours since then.", examples=[3.5])
    last_status: str | None = Field(None, description="Status of its most recent batch.", examples=["validated"])


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ready",
                    "index_version": "v-20261128T080000Z",
                    "documents": 300,
                    "last_publish_at": "2026-11-28T08:00:00Z",
                    "departments": [{"department": "tax", "last_success_at": "2026-11-28T07:55:00Z", "age_hours": 0.1, "last_status": "validated"}],
                }
            ]
        }
    )

    status: Literal["ready", "not_ready"] = Field(description="ready when the database answers and an index is live.")
    index_version: str | None = Field(None, description="Live search index version.")
    documents: int | None = Field(None, description="Documents in the live index.")
    last_publish_at: dt.datetime | None = Field(None, description="When profiles were last published.")
    departments: list[DepartmentFreshness] = Field(default_factory=list, description="Freshness per department.")
    problems: list[str] = Field(default_factory=list, description="What is not ready.")


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
