"""The search backend interface. Both backends pass tests/search/contract suite.

Backends index public profile views (never the raw stored profile: the disclosure
policy has already been applied by the caller) and answer typed queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

FLAGS = ("dishonest_debtor", "abnormal_operations", "serious_dishonest", "red_list")


class SearchFilters(BaseModel):
    district: str | None = None
    status: str | None = None
    industry: str | None = None
    tax_rating: str | None = None
    customs_grade: str | None = None
    environment_rating: str | None = None
    flags: list[Literal["dishonest_debtor", "abnormal_operations", "serious_dishonest", "red_list"]] = Field(
        default_factory=list, description="Only companies carrying every listed flag."
    )


class SearchQuery(BaseModel):
    q: str = Field("", description="A name (any spelling) or any identifier.")
    filters: SearchFilters = Field(default_factory=SearchFilters)
    sort: Literal["relevance", "name", "established", "-established", "capital", "-capital"] = "relevance"
    page: int = Field(1, ge=1)
    size: int = Field(10, ge=1, le=100)


class SearchHit(BaseModel):
    entity_id: str
    name: str
    score: float
    highlight: str | None = Field(None, description="Name with matched parts in <em>…</em>.")
    matched: str | None = Field(None, description="What matched: name, former_name, identifier…")
    uscc: str | None = None
    status: str | None = None
    district: str | None = None
    industry: str | None = None
    established: str | None = None
    tax_rating: str | None = None
    flags: list[str] = Field(default_factory=list)


class SearchResult(BaseModel):
    total: int
    page: int
    size: int
    hits: list[SearchHit]


@runtime_checkable
class SearchBackend(Protocol):
    """What the pipeline and the API need from a search engine."""

    def rebuild(self, documents: Iterable[dict[str, Any]]) -> str:
        """Build a fresh versioned index from all documents and swap it live; returns the new version."""

    def upsert(self, documents: Iterable[dict[str, Any]]) -> int:
        """Insert or replace documents by entity_id in the live index; returns how many."""

    def delete(self, entity_ids: Sequence[str]) -> int:
        """Remove documents by entity_id from the live index."""

    def search(self, query: SearchQuery) -> SearchResult: ...

    def live_version(self) -> str | None:
        """Version of the index currently served (None before the first build)."""

    def needs_rebuild(self) -> bool:
        """True when the live index was written in a layout this release cannot search or update
        (an index built by an older CreditHub); publishing then rebuilds it in full."""

    def count(self) -> int: ...

    def close(self) -> None: ...
