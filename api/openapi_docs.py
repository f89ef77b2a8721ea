"""Descriptions and examples for schemas whose models live in shared modules (domain, search).

Those modules are contracts owned by others and carry no API examples; rather than edit them,
the OpenAPI document is completed here. Every schema reachable from a public path ends up
with a description and an example (tests/api/test_public_api.py checks it).
"""

from __future__ import annotations

from typing import Any

from api.public.models import EXAMPLE_EVENT, EXAMPLE_HIT, EXAMPLE_PROFILE, EXAMPLE_PROVENANCE

SCHEMA_DOCS: dict[str, tuple[str, Any]] = {
    "ProfileIdentity": ("Who the company is: names, identifiers (normalised, check digits verified) and register facts.", EXAMPLE_PROFILE["identity"]),
    "CreditSummary": ("Latest ratings and current list flags, computed from the publicly visible events only.", EXAMPLE_PROFILE["summary"]),
    "ProfileEvent": ("One credit event on the timeline with its provenance.", EXAMPLE_EVENT),
    "Provenance": ("Where a fact came from: department, dataset, batch and source record.", EXAMPLE_PROVENANCE),
    "FactConflict": ("Departments disagree on an identity field; every value is listed with its source.", EXAMPLE_PROFILE["conflicts"][0]),
    "SearchHit": ("One company in a search result.", EXAMPLE_HIT),
    "IdentifierReading": ("One reading of the looked-up code.", {"kind": "org_code", "value": "192203821", "valid": True, "reason": None}),
    "MatchCandidate": ("A candidate company for one match query.", {"entity_id": "E0001", "name": "华为技术有限公司", "uscc": "914403001922038216", "score": 0.98, "match": True, "matched": "name"}),
    "MatchResult": ("The answer to one match query.", {"key": "row-1", "query": {"key": "row-1", "name": "华为技术有限公司", "identifier": None, "limit": 3}, "candidates": [{"entity_id": "E0001", "name": "华为技术有限公司", "uscc": "914403001922038216", "score": 1.0, "match": True, "matched": "name"}]}),
    "Health": ("Liveness answer.", {"status": "ok"}),
    "DepartmentFreshness": ("How fresh one department's data is.", {"department": "tax", "last_success_at": "2026-11-28T07:55:00Z", "age_hours": 0.1, "last_status": "validated"}),
    "Readiness": ("Readiness, live index version and data freshness per department.", None),
    "ReconcileType": ("A reconciliation type.", {"id": "company", "name": "企业"}),
    "ReconcileView": ("Where OpenRefine shows a candidate.", {"url": "http://127.0.0.1:8000/companies/{{id}}"}),
    "ReconcileCandidate": ("One reconciliation candidate.", {"id": "E0001", "name": "华为技术有限公司", "score": 100.0, "match": True, "type": [{"id": "company", "name": "企业"}]}),
    "ReconcileResults": ("Candidates for one reconciliation query.", {"result": [{"id": "E0001", "name": "华为技术有限公司", "score": 100.0, "match": True, "type": [{"id": "company", "name": "企业"}]}]}),
    "Body_reconcile_post_api_v1_reconcile_post": ("Form body OpenRefine posts.", {"queries": '{"q0": {"query": "华为技术有限公司", "limit": 3}}'}),
}


def complete_schemas(schema: dict[str, Any]) -> None:
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        description, example = SCHEMA_DOCS.get(name, (None, None))
        if description and not component.get("description"):
            component["description"] = description
        if example is not None and not component.get("examples"):
            component["examples"] = [example]
