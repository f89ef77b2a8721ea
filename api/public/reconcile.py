"""OpenRefine reconciliation service (Reconciliation Service API v0.2) over /api/v1/reconcile.

No `queries` parameter: the service manifest. With `queries` (GET parameter or POST form
field, a JSON object {key: {query, type?, limit?, properties?: [{pid, v}]}}): one result
list per key. Identifier properties (pid uscc / org_code / reg_no / tax_no / identifier)
are matched exactly; names fuzzily.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from api.deps import Service, get_settings
from api.errors import problem_responses
from api.public.models import MatchQuery
from credithub.errors import ValidationFailedError

router = APIRouter()
PATH = "/api/v1/reconcile"
MAX_QUERIES = 100
COMPANY_TYPE = {"id": "company", "name": "企业"}
IDENTIFIER_PIDS = ("uscc", "org_code", "reg_no", "tax_no", "identifier")


class ReconcileType(BaseModel):
    id: str = Field(description="Type id.", examples=["company"])
    name: str = Field(description="Type name.", examples=["企业"])


class ReconcileProperty(BaseModel):
    pid: str = Field(description="Property id: uscc, org_code, reg_no, tax_no or identifier.", examples=["uscc"])
    v: Any = Field(description="Property value.", examples=["914403001922038216"])


class ReconcileQuery(BaseModel):
    query: str = Field("", max_length=200, description="The name to reconcile.", examples=["华为技术有限公司"])
    type: str | None = Field(None, description="Only 'company' is served.", examples=["company"])
    limit: int = Field(3, ge=1, le=10, description="Candidates to return.", examples=[3])
    properties: list[ReconcileProperty] = Field(default_factory=list, description="Extra columns, e.g. an identifier.")
    type_strict: str | None = None


class ReconcileCandidate(BaseModel):
    id: str = Field(description="Entity id.", examples=["E0001"])
    name: str = Field(description="Current name.", examples=["华为技术有限公司"])
    score: float = Field(description="0–100.", examples=[100.0])
    match: bool = Field(description="Safe to accept automatically.", examples=[True])
    type: list[ReconcileType] = Field(description="Always the company type.")


class ReconcileResults(BaseModel):
    result: list[ReconcileCandidate]


class ReconcileView(BaseModel):
    url: str = Field(description="Where a candidate is shown; {{id}} is replaced.")


class ReconcileManifest(BaseModel):
    """The service manifest OpenRefine reads when the service is added."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "versions": ["0.2"],
                    "name": "CreditHub 企业信用信息对账服务",
                    "identifierSpace": "http://127.0.0.1:8000/companies/",
                    "schemaSpace": "http://127.0.0.1:8000/api/v1/reconcile/schema",
                    "defaultTypes": [COMPANY_TYPE],
                    "view": {"url": "http://127.0.0.1:8000/companies/{{id}}"},
                }
            ]
        }
    )

    versions: list[str]
    name: str
    identifierSpace: str  # noqa: N815 - names fixed by the reconciliation spec
    schemaSpace: str  # noqa: N815
    defaultTypes: list[ReconcileType]  # noqa: N815
    view: ReconcileView


ReconcileAnswer = ReconcileManifest | dict[str, ReconcileResults]
QueriesDescription = "JSON object of queries: {\"q0\": {\"query\": \"华为技术有限公司\", \"limit\": 3}}; omit for the manifest."
QUERIES_EXAMPLE = '{"q0": {"query": "华为技术有限公司", "limit": 3}}'


def _manifest(request: Request) -> ReconcileManifest:
    # The configured public address, never the Host header (anyone can forge that).
    base = get_settings(request).public_base_url
    return ReconcileManifest(
        versions=["0.2"],
        name="CreditHub 企业信用信息对账服务",
        identifierSpace=f"{base}/companies/",
        schemaSpace=f"{base}{PATH}/schema",
        defaultTypes=[ReconcileType(**COMPANY_TYPE)],
        view=ReconcileView(url=f"{base}/companies/{{{{id}}}}"),
    )


def _parse(raw: str) -> dict[str, ReconcileQuery]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ValidationFailedError(f"queries 不是合法的 JSON：{exc}", field="queries") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationFailedError("queries 必须是 JSON 对象 {键: 查询}", field="queries")
    if len(data) > MAX_QUERIES:
        raise ValidationFailedError(f"一次最多 {MAX_QUERIES} 个查询", field="queries", count=len(data))
    try:
        return {str(k): ReconcileQuery.model_validate(v if isinstance(v, dict) else {"query": v}) for k, v in data.items()}
    except ValidationError as exc:
        raise ValidationFailedError(f"查询格式无效：{exc.errors()[0]['msg']}", field="queries") from exc


def _answer(service: Any, queries: dict[str, ReconcileQuery]) -> dict[str, ReconcileResults]:
    out: dict[str, ReconcileResults] = {}
    for key, rq in queries.items():
        identifier = next((str(p.v) for p in rq.properties if p.pid in IDENTIFIER_PIDS and str(p.v).strip()), None)
        name = rq.query.strip() or None
        if name is None and identifier is None:
            out[key] = ReconcileResults(result=[])
            continue
        result = service.match_one(MatchQuery(name=name, identifier=identifier, limit=rq.limit))
        out[key] = ReconcileResults(
            result=[
                ReconcileCandidate(
                    id=c.entity_id, name=c.name, score=round(c.score * 100, 2), match=c.match, type=[ReconcileType(**COMPANY_TYPE)]
                )
                for c in result.candidates
            ]
        )
    return out


@router.get(
    PATH,
    tags=["identifiers"],
    response_model=ReconcileAnswer,
    summary="OpenRefine reconciliation (manifest or queries)",
    description="Reconciliation Service API v0.2. Without `queries`: the service manifest. With `queries`: results per key.",
    responses=problem_responses(422, 429),
)
def reconcile_get(
    request: Request,
    service: Service,
    queries: Annotated[str | None, Query(max_length=100_000, description=QueriesDescription, examples=[QUERIES_EXAMPLE])] = None,
) -> ReconcileAnswer:
    parsed = _parse(queries) if queries else None
    return _manifest(request) if parsed is None else _answer(service, parsed)


@router.post(
    PATH,
    tags=["identifiers"],
    response_model=ReconcileAnswer,
    summary="OpenRefine reconciliation (form-encoded queries)",
    description="As GET, with `queries` as a form field (how OpenRefine sends batches).",
    responses=problem_responses(400, 422, 429),
)
def reconcile_post(
    request: Request,
    service: Service,
    queries: Annotated[str | None, Form(max_length=100_000, description=QueriesDescription, examples=[QUERIES_EXAMPLE])] = None,
) -> ReconcileAnswer:
    parsed = _parse(queries) if queries else None
    return _manifest(request) if parsed is None else _answer(service, parsed)
