"""Each department connector reads its sandbox source end to end and maps every row to canonical form."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_10

from connectors.departments import BUILTIN
from connectors.sdk.base import SchemaDrift, SourceFault, SourceRow, StateCheckpoint
from credithub.sandbox import SandboxManifest
from credithub.sandbox.identifiers import org_code_is_valid
from credithub.sandbox.population import Company

EVENT_TYPES = {
    "tax_rating",
    "tax_arrears",
    "tax_violation",
    "spot_check",
    "production_licence",
    "customs_grade",
    "customs_penalty",
    "dishonest_debtor",
    "social_insurance_arrears",
    "wage_arrears_blacklist",
    "labour_penalty",
    "environment_rating",
    "environment_penalty",
    "construction_qualification",
    "construction_bad_conduct",
    "land_violation",
    "idle_land",
    "transport_rating",
    "work_safety_penalty",
    "safety_licence",
    "food_licence",
    "food_safety_penalty",
    "fire_safety_inspection",
    "fire_safety_penalty",
    "statistical_dishonesty",
    "enterprise_size",
    "provident_fund_arrears",
    "credit_commitment",
    "red_list",
    "credit_repair",
    "register_status",
    "abnormal_operations",
    "serious_dishonest",
    "administrative_penalty",
    "high_tech_enterprise",
}


def _compact(value: str) -> str:
    s = unicodedata.normalize("NFKC", value).upper()
    return "".join(ch for ch in s if ch.isalnum())


def _valid(kind: str, value: str) -> bool:
    v = _compact(value)
    return {
        "uscc": lambda: stdnum_uscc.is_valid(v),
        "org_code": lambda: org_code_is_valid(v),
        "reg_no": lambda: len(v) == 15 and v.isdigit() and mod_11_10.is_valid(v),
        "tax_no": lambda: len(v) == 15 and org_code_is_valid(v[6:]),
    }[kind]()


@pytest.fixture(scope="module")
def truth(dept_sandbox: SandboxManifest) -> dict[tuple[str, str, str], Company]:
    out_dir = Path(dept_sandbox.out_dir)
    companies = {
        c.company_id: c
        for c in (
            Company.model_validate_json(line) for line in (out_dir / "companies.jsonl").read_text("utf-8").splitlines()
        )
    }
    lines = (out_dir / "ground_truth.jsonl").read_text("utf-8").splitlines()
    return {
        (t["department"], t["stream"], t["source_record_id"]): companies[t["company_id"]]
        for t in map(json.loads, lines)
    }


# Columns a department added without notice: reported as drift, never read.
EXPECTED_DRIFT = {("social_security", "labour_penalties"): ["备注"]}


def _read(stream: Any, state: Any) -> tuple[list[SourceRow], list[SourceFault], list[dict[str, Any]]]:
    rows, faults, states = [], [], []
    for msg in stream.read(state):
        if isinstance(msg, SourceRow):
            rows.append(msg)
        elif isinstance(msg, SourceFault):
            faults.append(msg)
        elif isinstance(msg, StateCheckpoint):
            states.append(msg.state)
        else:
            assert isinstance(msg, SchemaDrift)
            key = (stream.connector.name, stream.name)
            assert not msg.missing and msg.added == EXPECTED_DRIFT.get(key), f"unexpected schema drift: {msg}"
    return rows, faults, states


@pytest.mark.parametrize("cls", BUILTIN, ids=lambda c: c.name)
def test_connector_reads_its_sandbox_source(cls, dept_configs, dept_sandbox, truth) -> None:  # type: ignore[no-untyped-def]
    connector = cls(dept_configs[cls.name])
    check = connector.check()
    assert check.ok, check.message
    for stream in connector.stream_instances():
        rows, faults, states = _read(stream, None)
        expected = dept_sandbox.counts[cls.name][stream.name]
        assert len(rows) + len(faults) == expected, stream.name
        assert rows and states, stream.name
        ids = [r.record_id for r in rows]
        assert len(ids) == len(set(ids))
        known = {k[2] for k in truth if k[:2] == (cls.name, stream.name)}
        assert set(ids) <= known, stream.name

        # Reading again from the final state finds nothing new (an API re-sends only the boundary rows).
        again, again_faults, _ = _read(stream, states[-1])
        assert {r.record_id for r in again} <= set(ids) and len(again) <= 2, stream.name
        assert not again_faults

        checked = 0
        for row in rows:
            staged = stream.stage(row.data)
            rec = stream.to_canonical(staged)
            assert (rec.department, rec.dataset, rec.source_record_id) == (cls.name, stream.name, row.record_id)
            assert rec.name
            assert rec.events or rec.is_register
            assert all(e.event_type in EVENT_TYPES for e in rec.events), rec.events
            for e in rec.events:
                assert set(e.private_fields) <= set(e.attributes)
            company = truth[(cls.name, stream.name, row.record_id)]
            for kind in ("uscc", "org_code", "reg_no", "tax_no"):
                value = getattr(rec, kind)
                if value and _valid(kind, value):
                    assert _compact(value) == _compact(getattr(company, kind)), (stream.name, kind, value)
                    checked += 1
        if cls.name != "planning_land":  # planning_land names parties only
            assert checked >= len(rows) // 2, stream.name


def test_gbk_exports_quarantine_their_broken_lines(dept_configs) -> None:  # type: ignore[no-untyped-def]
    qs = next(c for c in BUILTIN if c.name == "quality_supervision")(dept_configs["quality_supervision"])
    rows, faults, _ = _read(qs.stream("spot_checks"), None)
    reasons = " ".join(f.reason for f in faults)
    assert "无法按 gbk 解码" in reasons and "列数不符" in reasons
    assert all(f.location.startswith("spot_checks_2026.csv row") for f in faults)


def test_register_maps_identity_fields(dept_configs, truth) -> None:  # type: ignore[no-untyped-def]
    mr = next(c for c in BUILTIN if c.name == "market_regulation")(dept_configs["market_regulation"])
    stream = mr.stream("register")
    rows, _, _ = _read(stream, None)
    recs = [stream.to_canonical(stream.stage(r.data)) for r in rows]
    assert all(r.is_register for r in recs)
    renamed = [r for r in recs if r.former_names]
    assert renamed and all(n.endswith("公司") for r in renamed for n in r.former_names)
    for rec in recs:
        company = truth[("market_regulation", "register", rec.source_record_id)]
        assert rec.name == company.name and rec.legal_rep == company.legal_rep
        assert rec.district == company.district and rec.industry == company.industry
        if rec.established is not None:
            assert rec.established == company.established


def test_private_fields_hide_personal_ids_and_confidential_amounts(dept_configs) -> None:  # type: ignore[no-untyped-def]
    tax = next(c for c in BUILTIN if c.name == "tax")(dept_configs["tax"])
    stream = tax.stream("arrears")
    rows, _, _ = _read(stream, None)
    ev = stream.to_canonical(stream.stage(rows[0].data)).events[0]
    assert ev.event_type == "tax_arrears" and "legal_rep_id_no" in ev.private_fields and ev.attributes["amount"] > 0
    hpf = next(c for c in BUILTIN if c.name == "housing_provident_fund")(dept_configs["housing_provident_fund"])
    stream = hpf.stream("arrears")
    rows, _, _ = _read(stream, None)
    ev = stream.to_canonical(stream.stage(rows[0].data)).events[0]
    assert {"amount", "unit_account"} <= set(ev.private_fields)


def test_tax_api_refuses_a_wrong_key(dept_configs) -> None:  # type: ignore[no-untyped-def]
    tax_cls = next(c for c in BUILTIN if c.name == "tax")
    cfg = {**dept_configs["tax"], "api_key": "not-the-key"}
    result = tax_cls(cfg).check()
    assert not result.ok and "not-the-key" not in (result.message or "")


def test_credit_repairs_name_penalties_of_the_same_company(dept_configs, truth) -> None:  # type: ignore[no-untyped-def]
    case_nos: dict[str, set[str]] = {}
    repairs = []
    for cls in BUILTIN:
        connector = cls(dept_configs[cls.name])
        for stream in connector.stream_instances():
            rows, _, _ = _read(stream, None)
            for row in rows:
                rec = stream.to_canonical(stream.stage(row.data))
                company = truth[(cls.name, stream.name, row.record_id)].company_id
                for ev in rec.events:
                    if ev.event_type == "credit_repair":
                        repairs.append((company, ev))
                    elif ev.attributes.get("case_no"):
                        case_nos.setdefault(company, set()).add(ev.attributes["case_no"])
    assert repairs
    for company, ev in repairs:
        assert ev.attributes["original_record"] in case_nos.get(company, set()), ev


def test_added_column_is_reported_as_drift_and_not_staged(dept_configs) -> None:  # type: ignore[no-untyped-def]
    ss = next(c for c in BUILTIN if c.name == "social_security")(dept_configs["social_security"])
    stream = ss.stream("labour_penalties")
    msgs = list(stream.read(None))
    drift = [m for m in msgs if isinstance(m, SchemaDrift)]
    assert drift and drift[0].added == ["备注"] and not drift[0].missing
    row = next(m for m in msgs if isinstance(m, SourceRow))
    assert "备注" in row.data and "备注" not in stream.stage(row.data)
