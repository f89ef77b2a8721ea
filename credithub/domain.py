"""Domain models shared by every stage: the canonical record a department row becomes,
the credit events it carries, and the unified profile built per entity.

These are the typed boundaries between connectors, validation, entity resolution,
profile building and search. Keep them small and stable.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

IdentifierKind = Literal["uscc", "org_code", "reg_no", "tax_no"]


class Provenance(BaseModel):
    """Where a fact came from: the department, its batch and its source record."""

    model_config = ConfigDict(frozen=True)

    department: str
    dataset: str
    batch_id: int
    source_record_id: str
    raw_record_id: int | None = None


class CreditEvent(BaseModel):
    """One credit-relevant fact published by a department about a company.

    `event_type` keys the disclosure policy (publicity periods); `attributes` holds
    typed details (rating, amount, case number…); `private_fields` names attribute
    keys a public response must never show.
    """

    event_type: str = Field(description="e.g. tax_rating, spot_check, abnormal_operations, penalty")
    date: dt.date
    end_date: dt.date | None = Field(None, description="When the fact stopped applying (removed from a list).")
    title: str = Field(description="Short Chinese summary shown on the timeline.")
    severity: Literal["positive", "neutral", "minor", "general", "serious"] = "neutral"
    attributes: dict[str, Any] = Field(default_factory=dict)
    private_fields: list[str] = Field(default_factory=list)


class CanonicalRecord(BaseModel):
    """A validated department row, mapped onto the hub's vocabulary.

    Identifier fields hold the value as the department wrote it; entity resolution
    normalises and checks them. A record describes at most one company.
    """

    department: str
    dataset: str
    source_record_id: str
    name: str | None = None
    former_names: list[str] = Field(default_factory=list)
    uscc: str | None = None
    reg_no: str | None = None
    org_code: str | None = None
    tax_no: str | None = None
    address: str | None = None
    legal_rep: str | None = None
    established: dt.date | None = None
    status: str | None = None
    registered_capital: float | None = Field(None, description="In 10,000 CNY (万元), as registers publish it.")
    industry: str | None = None
    district: str | None = None
    business_scope: str | None = None
    is_register: bool = Field(False, description="True for the master business register (market regulation).")
    events: list[CreditEvent] = Field(default_factory=list)


class ProfileEvent(CreditEvent):
    provenance: Provenance


class ProfileIdentity(BaseModel):
    name: str
    former_names: list[str] = Field(default_factory=list)
    other_names: list[str] = Field(default_factory=list, description="Spellings seen in department records.")
    uscc: str | None = None
    org_code: str | None = None
    reg_nos: list[str] = Field(default_factory=list)
    tax_nos: list[str] = Field(default_factory=list)
    status: str | None = None
    registered_capital: float | None = None
    established: dt.date | None = None
    address: str | None = None
    legal_rep: str | None = None
    industry: str | None = None
    district: str | None = None


class FactConflict(BaseModel):
    """Two departments disagree on one identity field; both values are shown."""

    field: str
    values: list[dict[str, Any]] = Field(description="[{value, department, source_record_id}]")


class CreditSummary(BaseModel):
    tax_rating: str | None = None
    tax_rating_year: int | None = None
    customs_grade: str | None = None
    environment_rating: str | None = None
    transport_rating: str | None = None
    dishonest_debtor: bool = False
    abnormal_operations: bool = False
    serious_dishonest: bool = False
    red_list: bool = False
    penalties_3y: int = 0


class Profile(BaseModel):
    """The unified credit profile of one entity, as stored; public views filter it."""

    entity_id: str
    identity: ProfileIdentity
    summary: CreditSummary = Field(default_factory=CreditSummary)
    events: list[ProfileEvent] = Field(default_factory=list)
    conflicts: list[FactConflict] = Field(default_factory=list)
    departments: list[str] = Field(default_factory=list)
    sources: list[Provenance] = Field(default_factory=list)
    updated_at: dt.datetime | None = None
