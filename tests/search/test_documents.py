"""profile_document and query analysis: the folding both engines rely on."""

from __future__ import annotations

import pytest

from credithub.search.analysis import analyse_query, typo_keys
from credithub.search.documents import profile_document
from credithub.search.ranking import highlight
from tests.search.conftest import fixture_profiles, make_profile


def test_document_carries_every_identifier_key() -> None:
    p = next(p for p in fixture_profiles() if p.entity_id == "E-HUAXIN-TECH")
    doc = profile_document(p)
    org = p.identity.org_code.replace("-", "")
    assert doc["uscc"] == p.identity.uscc and doc["org_code"] == p.identity.org_code
    assert set(doc["ids"]) == {p.identity.uscc, org, p.identity.reg_nos[0], p.identity.tax_nos[0]}
    assert p.identity.uscc[8:17] == org  # the embedded org code is the same key, indexed once


def test_document_names_are_folded_and_split() -> None:
    p = make_profile("E1", "腾龙精密制造（深圳）有限責任公司", "35812046", former=["深圳市騰龍五金有限公司"],
                     other=["深圳腾龙精密制造有限公司"])
    doc = profile_document(p)
    assert doc["name"] == "腾龙精密制造（深圳）有限責任公司"  # display keeps the registered spelling
    assert doc["variants"]["name"] == {"full": ["腾龙精密制造(深圳)有限公司"], "core": ["腾龙精密制造有限公司"],
                                       "bare": ["腾龙精密制造"]}
    assert doc["variants"]["former_name"]["full"] == ["深圳市腾龙五金有限公司"]
    assert doc["variants"]["other_name"]["core"] == ["腾龙精密制造有限公司"]
    assert doc["trade_names"] == ["腾龙"]
    assert "腾龙精密制造有限公司" in doc["name_keys"] and "腾龙五金有限公司" in doc["name_keys"]
    assert {"腾龙精密制造", "腾龙五金", "龙精密制造", "腾龙五"} <= set(doc["typo_keys"])
    assert "tl" in doc["pinyin"] and "tljmzz" in doc["pinyin"]


def test_document_filters_and_flags() -> None:
    p = next(p for p in fixture_profiles() if p.entity_id == "E-PENGCHENG")
    doc = profile_document(p)
    assert (doc["district"], doc["status"], doc["tax_rating"]) == ("龙岗区", "吊销", "C")
    assert doc["flags"] == ["dishonest_debtor", "serious_dishonest"]
    assert doc["established"] == "2010-01-20" and doc["registered_capital"] == 200.0


def test_branch_gets_no_trade_name_of_its_own() -> None:
    doc = profile_document(make_profile("E2", "深圳市华信科技有限公司南山分公司", "79341267"))
    assert doc["trade_names"] == []


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("914403001922038216", "914403001922038216"),
        ("９１４４０３００１９２２０３８２１６", "914403001922038216"),
        ("9144 0300 1922 0382 16", "914403001922038216"),
        ("91440300I922O38216", "914403001922038216"),  # look-alike letters
        ("19220382-1", "192203821"),
        ("192203821", "192203821"),
    ],
)
def test_identifier_spellings_fold_to_one_key(typed: str, key: str) -> None:
    plan = analyse_query(typed)
    assert plan.identifiers == [key] and plan.code_only


def test_name_query_plan() -> None:
    plan = analyse_query("華信科技（深圳）有限責任公司")
    assert (plan.folded, plan.core, plan.trade, plan.match_text) == (
        "华信科技(深圳)有限公司", "华信科技有限公司", "华信", "华信科技")
    assert plan.bigrams == ["华信", "信科", "科技"] and plan.minimum_bigrams == 2
    assert not plan.identifiers and not plan.code_only
    assert analyse_query("hxkj").pinyin == "hxkj"
    assert analyse_query("   ").is_empty


def test_typo_keys_share_a_key_within_one_edit() -> None:
    assert typo_keys("鹏程") == ["鹏程"]
    right, wrong = set(typo_keys("鹏程物流")), set(typo_keys("鹏成物流"))
    assert right & wrong
    assert not set(typo_keys("鹏程物流")) & set(typo_keys("鹏达电子"))


def test_highlight_escapes_and_maps_folded_characters() -> None:
    assert highlight("深圳市華信科技有限公司", analyse_query("华信")) == "深圳市<em>華信</em>科技有限公司"
    assert highlight("A&B<华信>", analyse_query("华信")) == "A&amp;B&lt;<em>华信</em>&gt;"
    assert highlight("深圳市华信科技有限公司", analyse_query("914403001922038216")) is None


def test_very_long_query_is_bounded() -> None:
    plan = analyse_query("华信科技" * 500)
    assert len(plan.folded) <= 100 and len(plan.bigrams) <= 100 and len(plan.typo_terms) <= 101
