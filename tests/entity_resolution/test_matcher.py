"""The matcher: variants that merge, constraints that never bend, stable ids, redirects, judgments."""

from __future__ import annotations

import random

import pytest

from entity_resolution.matcher import (
    Judgments,
    Resolver,
    entity_id_for,
    resolve_records,
)
from tests.entity_resolution.conftest import rec, uscc

HUAXIN = "深圳市华信科技有限公司"


def same(resolver: Resolver, *keys: str) -> bool:
    return len({resolver.entity_of(k) for k in keys}) == 1


@pytest.mark.parametrize(
    "variant",
    [
        "华信科技有限公司",
        "华信科技（深圳）有限公司",
        "华信科技(深圳)有限公司",
        "深圳市華信科技有限公司",
        "深圳市华信科技有限责任公司",
        "深圳华信科技有限公司",
        " 深圳市华信科技 有限公司 ",
        "深圳市化信科技有限公司",  # input-method homophone 华→化
        "深圳市华信可技有限公司",  # 科→可
    ],
)
def test_name_variants_without_identifiers_join_the_company(variant: str, codes: dict[str, str]) -> None:
    r = resolve_records([
        rec("market_regulation/register/1", HUAXIN, uscc=codes["A"], is_register=True),
        rec("courts/judgments/9", variant),
    ])
    assert same(r, "market_regulation/register/1", "courts/judgments/9")


@pytest.mark.parametrize(
    "other",
    [
        "深圳市华信电子有限公司",  # same trade name, another industry word
        "深圳市华信科技有限公司南山分公司",  # a branch is its own entity
        "深圳市华瑞科技有限公司",  # another trade name one character away, no support
        "深圳市晨通科技有限公司",
    ],
)
def test_different_companies_stay_apart(other: str, codes: dict[str, str]) -> None:
    r = resolve_records([
        rec("market_regulation/register/1", HUAXIN, uscc=codes["A"], is_register=True),
        rec("courts/judgments/9", other),
    ])
    assert not same(r, "market_regulation/register/1", "courts/judgments/9")


def test_never_merge_two_valid_usccs_even_with_the_same_name(codes: dict[str, str]) -> None:
    r = resolve_records([
        rec("tax/ratings/1", HUAXIN, uscc=codes["A"]),
        rec("tax/ratings/2", HUAXIN, uscc=codes["B"]),
        # a bridge record naming both cannot pull them together either
        rec("customs/credit/3", HUAXIN, uscc=codes["A"], org_code=codes["B"][8:17]),
    ])
    assert not same(r, "tax/ratings/1", "tax/ratings/2")
    assert r.entities[r.entity_of("tax/ratings/1")].keys["uscc"] == codes["A"]
    assert [f.record_key for f in r.flags if f.kind == "identifier_conflict"] == ["customs/credit/3"]
    assert same(r, "customs/credit/3", "tax/ratings/1")


def test_never_merge_a_branch_into_its_parent(codes: dict[str, str]) -> None:
    parent, branch = HUAXIN, HUAXIN + "南山分公司"
    r = resolve_records([
        rec("market_regulation/register/1", parent, uscc=codes["A"], is_register=True),
        rec("market_regulation/register/2", branch, uscc=codes["C"], is_register=True),
        rec("courts/judgments/3", "华信科技有限公司南山区分公司"),
        rec("courts/judgments/4", "华信科技有限公司"),
        rec("courts/judgments/5", "深圳市华信科技有限公司南山分公司", legal_rep="王伟"),
    ])
    assert not same(r, "market_regulation/register/1", "market_regulation/register/2")
    assert same(r, "market_regulation/register/2", "courts/judgments/3", "courts/judgments/5")
    assert same(r, "market_regulation/register/1", "courts/judgments/4")


def test_identifier_crosswalk(codes: dict[str, str]) -> None:
    r = resolve_records([
        rec("market_regulation/register/1", "深圳市宏图贸易有限公司", uscc=codes["C"], reg_no=codes["C_reg"],
            is_register=True),
        rec("tax/ratings/2", "宏图贸易", tax_no="440305" + codes["C_org"]),  # old tax number
        rec("quality_supervision/spot_checks/3", None, org_code=codes["C_org"][:8] + "-" + codes["C_org"][8]),
        rec("public_security/fire/4", "另一个名字", reg_no=codes["C_reg"]),  # legacy registration number
        rec("tax/ratings/5", None, tax_no=codes["C"].lower()),  # a USCC in the tax-number column
    ])
    keys = ["market_regulation/register/1", "tax/ratings/2", "quality_supervision/spot_checks/3",
            "public_security/fire/4", "tax/ratings/5"]
    assert same(r, *keys)


def test_register_links_registration_number_to_uscc_whatever_the_order(codes: dict[str, str]) -> None:
    records = [
        rec("housing/permits/1", "深圳市宏图贸易有限公司", reg_no=codes["C_reg"]),
        rec("tax/ratings/2", "深圳市宏图商贸有限公司", uscc=codes["C"]),  # name differs: only the register links them
        rec("market_regulation/register/3", "深圳市宏图贸易有限公司", uscc=codes["C"], reg_no=codes["C_reg"],
            former_names=("深圳市宏图商贸有限公司",), is_register=True),
    ]
    r = Resolver()
    for x in records:  # incremental arrival: the register comes last and merges the two entities
        r.add(x)
    assert same(r, "housing/permits/1", "tax/ratings/2", "market_regulation/register/3")
    survivor = r.entity_of("tax/ratings/2")
    assert survivor == entity_id_for(f"uscc:{codes['C']}")
    assert r.merges and all(r.resolve(loser) == survivor for loser, _ in r.merges)


def test_invalid_identifier_is_evidence_never_a_key(codes: dict[str, str]) -> None:
    bad = codes["A"][:-1] + ("0" if codes["A"][-1] != "0" else "1")
    r = resolve_records([
        rec("tax/ratings/1", "深圳市华信科技有限公司", uscc=bad),
        rec("tax/ratings/2", "深圳市博远物流有限公司", uscc=bad),
    ])
    assert not same(r, "tax/ratings/1", "tax/ratings/2")
    flagged = [f for f in r.flags if f.kind == "invalid_identifier"]
    assert {f.record_key for f in flagged} == {"tax/ratings/1", "tax/ratings/2"}
    assert "校验" in str(flagged[0].evidence["reason_zh"])


def test_valid_identifier_with_another_companys_name_is_flagged(codes: dict[str, str]) -> None:
    r = resolve_records([
        rec("market_regulation/register/1", HUAXIN, uscc=codes["A"], is_register=True),
        rec("market_regulation/register/2", "深圳市博远物流有限公司", uscc=codes["B"], is_register=True),
        rec("courts/judgments/3", "深圳市博远物流有限公司", uscc=codes["A"]),  # A's code, B's name
    ])
    flags = [f for f in r.flags if f.kind == "identifier_name_conflict"]
    assert len(flags) == 1 and flags[0].record_key == "courts/judgments/3"
    assert flags[0].evidence["identifier"] == f"uscc:{codes['A']}"
    assert not same(r, "courts/judgments/3", "market_regulation/register/1")
    assert same(r, "courts/judgments/3", "market_regulation/register/2")


def test_former_names_from_the_register_count(codes: dict[str, str]) -> None:
    r = resolve_records([
        rec("market_regulation/register/1", HUAXIN, uscc=codes["A"], former_names=("深圳市博远物流有限公司",),
            is_register=True),
        rec("courts/judgments/2", "深圳市博远物流有限公司"),
    ])
    assert same(r, "market_regulation/register/1", "courts/judgments/2")


def test_stable_ids_whatever_the_input_order(codes: dict[str, str]) -> None:
    records = [
        rec("market_regulation/register/1", HUAXIN, uscc=codes["A"], is_register=True),
        rec("market_regulation/register/2", "深圳市博远物流有限公司", uscc=codes["B"], is_register=True),
        rec("courts/judgments/3", "华信科技有限公司"),
        rec("courts/judgments/4", "博远物流有限公司"),
        rec("courts/judgments/5", "深圳市不存在贸易有限公司"),
    ]
    first = resolve_records(records).clusters()
    shuffled = records[:]
    random.Random(3).shuffle(shuffled)
    assert resolve_records(shuffled).clusters() == first
    assert first["courts/judgments/3"] == entity_id_for(f"uscc:{codes['A']}")
    assert first["courts/judgments/5"] == entity_id_for("record:courts/judgments/5")


def test_incremental_adds_join_existing_entities(codes: dict[str, str]) -> None:
    r = resolve_records([rec("market_regulation/register/1", HUAXIN, uscc=codes["A"], is_register=True)])
    before = r.entity_of("market_regulation/register/1")
    d = r.add(rec("tax/ratings/7", "華信科技有限公司", uscc=codes["A"].lower()))
    assert d.entity_id == before and d.method == "identifier"
    d2 = r.add(rec("courts/judgments/8", "华信科技（深圳）有限公司"))
    assert d2.entity_id == before and d2.method == "name"


def test_judgments_override_the_matcher(codes: dict[str, str]) -> None:
    records = [
        rec("market_regulation/register/1", HUAXIN, uscc=codes["A"], is_register=True),
        rec("tax/ratings/2", HUAXIN, uscc=codes["A"]),
        rec("courts/judgments/3", "深圳市完全不同实业有限公司"),
        rec("courts/judgments/4", "华信科技有限公司"),
    ]
    judgments = Judgments(
        same=[("market_regulation/register/1", "courts/judgments/3")],
        not_same=[("market_regulation/register/1", "tax/ratings/2")],
        split={"courts/judgments/4"},
    )
    r = resolve_records(records, judgments=judgments)
    assert same(r, "market_regulation/register/1", "courts/judgments/3")
    assert not same(r, "market_regulation/register/1", "tax/ratings/2")
    assert not same(r, "market_regulation/register/1", "courts/judgments/4")
    # A split-out record attracts nothing afterwards.
    r.add(rec("courts/judgments/5", "华信科技有限公司"))
    assert not same(r, "courts/judgments/4", "courts/judgments/5")


def test_enforce_judgments_on_stored_state(codes: dict[str, str]) -> None:
    r = Resolver(judgments=Judgments(not_same=[("a/x/1", "a/x/2")]))
    eid = entity_id_for(f"uscc:{codes['A']}")
    r.attach(rec("a/x/1", HUAXIN, uscc=codes["A"]), eid)
    r.attach(rec("a/x/2", HUAXIN, uscc=codes["A"]), eid)
    moved = r.enforce_judgments()
    assert [m.record_key for m in moved] == ["a/x/2"]
    assert r.entity_of("a/x/1") == eid and r.entity_of("a/x/2") != eid


def test_bulk_and_incremental_agree_on_a_synthetic_city() -> None:
    from entity_resolution import synthetic as syn
    from entity_resolution.jsonl import record_key
    from entity_resolution.matcher import MatchRecord

    rows, truth = syn.records(syn.population(1200, seed=5), 4.0, seed=6)
    records = [
        MatchRecord(key=record_key(str(x["source"]), str(x["record_id"])), name=x["name"],  # type: ignore[arg-type]
                    former_names=tuple(x.get("former_names") or ()), uscc=x["uscc"], reg_no=x["reg_no"],  # type: ignore[arg-type]
                    org_code=x["org_code"], tax_no=x["tax_no"], address=x["address"],  # type: ignore[arg-type]
                    legal_rep=x["legal_rep"], established=x["established"],  # type: ignore[arg-type]
                    is_register=bool(x.get("is_register")))
        for x in rows
    ]
    incremental = resolve_records(records).clusters()
    bulk_ids = Resolver().resolve_bulk(records)
    bulk = {r.key: e for r, e in zip(records, bulk_ids, strict=True)}
    assert bulk == incremental
    predicted = {tuple(k.split("\x1f")): v for k, v in bulk.items()}
    scores = syn.pairwise_scores(truth, predicted)  # type: ignore[arg-type]
    assert scores["precision"] >= 0.998 and scores["recall"] >= 0.99, scores


def test_pair_scores() -> None:
    from entity_resolution.evaluate import pair_scores

    truth = {"d/s/1": "A", "d/s/2": "A", "d/s/3": "A", "e/s/4": "B"}
    predicted = {"d/s/1": "x", "d/s/2": "x", "d/s/3": "y", "e/s/4": "y"}
    s = pair_scores(truth, predicted)
    assert (s.true_pairs, s.predicted_pairs, s.correct_pairs) == (3, 2, 1)
    assert s.precision == 0.5 and s.recall == pytest.approx(1 / 3)
    e = pair_scores(truth, predicted, scope="e", member=lambda k: k.startswith("e/"))
    assert (e.true_pairs, e.predicted_pairs, e.correct_pairs) == (0, 1, 0)


def test_uscc_helper_is_valid() -> None:
    from stdnum.cn import uscc as std

    assert std.is_valid(uscc("MA5ABC12"))


def test_two_register_rows_sharing_a_code_with_unrelated_names_stay_apart(codes: dict[str, str]) -> None:
    r = resolve_records([
        rec("market_regulation/register/1", HUAXIN, reg_no=codes["C_reg"], is_register=True),
        rec("market_regulation/register/2", "深圳市博远物流有限公司", reg_no=codes["C_reg"], is_register=True),
    ])
    assert not same(r, "market_regulation/register/1", "market_regulation/register/2")
    assert [f.kind for f in r.flags] == ["identifier_name_conflict"]


def test_mistyped_code_supports_a_typo_name_match(codes: dict[str, str]) -> None:
    good = codes["A"]
    typed = good[:5] + str((int(good[5]) + 3) % 10) + good[6:]  # one wrong digit: fails the check
    register = rec("market_regulation/register/1", "深圳市海纳电子有限公司", uscc=good, is_register=True)
    # 海→每 is no homophone: a name one character away alone is not enough ...
    alone = resolve_records([register, rec("environment/ratings/2", "深圳市每纳电子有限公司")])
    assert not same(alone, "market_regulation/register/1", "environment/ratings/2")
    # ... but with the mistyped code one character from the company's USCC it is.
    helped = resolve_records([register, rec("environment/ratings/2", "深圳市每纳电子有限公司", uscc=typed)])
    assert same(helped, "market_regulation/register/1", "environment/ratings/2")
