"""Every department connector is fully declared and agrees with its expectation suites."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from connectors.departments import BUILTIN
from connectors.registry import load_registry
from connectors.sdk.streams import DeclarativeStream
from credithub.domain import CanonicalRecord
from credithub.sandbox.departments import DEPARTMENTS
from credithub.settings import Settings

SKELETON_FIELDS = {
    ("market_regulation", "register"): [
        "record_id",
        "uscc",
        "reg_no",
        "name",
        "former_names",
        "legal_rep",
        "registered_capital",
        "established",
        "address",
        "status",
        "business_scope",
        "industry",
        "district",
        "updated_at",
    ],
    ("tax", "tax_ratings"): ["record_id", "taxpayer_id", "name", "year", "rating", "updated_at"],
    ("quality_supervision", "spot_checks"): [
        "record_id",
        "org_code",
        "name",
        "product",
        "check_date",
        "result",
        "issue",
        "updated_at",
    ],
}
STREAMS = [(c, s) for c in BUILTIN for s in c.streams]


def test_all_seventeen_departments_are_built_in_and_registered() -> None:
    names = [c.name for c in BUILTIN]
    assert sorted(names) == sorted(DEPARTMENTS) and len(set(names)) == 17
    registry = load_registry()
    assert set(names) <= set(registry)


@pytest.mark.parametrize("cls", BUILTIN, ids=lambda c: c.name)
def test_connector_declares_title_schedule_sla_and_config(cls) -> None:  # type: ignore[no-untyped-def]
    assert cls.title and any("\u4e00" <= ch <= "\u9fff" for ch in cls.title)
    assert cls.schedule.startswith("@")
    assert dt.timedelta(hours=1) <= cls.freshness_sla <= dt.timedelta(days=400)
    assert cls.spec()["properties"]
    assert cls.streams and len({s.name for s in cls.streams}) == len(cls.streams)


def test_skeleton_streams_stage_exactly_the_shared_field_names() -> None:
    by_key = {(c.name, s.name): s for c, s in STREAMS}
    for key, names in SKELETON_FIELDS.items():
        assert sorted(by_key[key].fields.values()) == sorted(names), key
    assert by_key[("market_regulation", "register")].to_canonical.__qualname__.startswith("Register")


@pytest.mark.parametrize(("cls", "stream"), STREAMS, ids=lambda x: getattr(x, "name", ""))
def test_stream_is_declared_and_its_suite_names_only_staged_fields(cls, stream) -> None:  # type: ignore[no-untyped-def]
    assert issubclass(stream, DeclarativeStream)
    staged = set(stream.fields.values())
    assert stream.primary_key == "record_id" and "record_id" in staged
    assert stream.cursor_field in staged
    assert set(stream.required_columns) <= set(stream.fields)
    assert set(stream.identifier_fields) <= staged
    path = Settings().expectations_dir / f"{cls.name}.{stream.name}.json"
    assert path.exists(), f"missing suite {path.name}"
    suite = json.loads(path.read_text("utf-8"))
    assert suite["name"] == f"{cls.name}.{stream.name}"
    for exp in suite["expectations"]:
        kw = exp["kwargs"]
        cols = [kw.get("column"), kw.get("column_A"), kw.get("column_B"), *kw.get("column_list", [])]
        for col in filter(None, cols):
            assert col in staged, (path.name, exp["type"], col)
        assert exp["meta"].get("reason_zh"), (path.name, exp["type"])


@pytest.mark.parametrize(("cls", "stream"), STREAMS, ids=lambda x: getattr(x, "name", ""))
def test_to_canonical_survives_empty_optional_fields(cls, stream) -> None:  # type: ignore[no-untyped-def]
    # Promotion builds streams without a connector (credithub.validation.streams.stream_for).
    staged = {f: None for f in stream.fields.values()}
    staged.update(record_id="R1", name="深圳市华信科技有限公司")
    rec = stream(None).to_canonical(staged)
    assert isinstance(rec, CanonicalRecord)
    assert (rec.department, rec.dataset, rec.source_record_id) == (cls.name, stream.name, "R1")
