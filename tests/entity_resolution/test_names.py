"""Company-name normalisation and parsing: each variant that keeps or changes the company."""

from __future__ import annotations

import pytest

from entity_resolution.names import normalize_name, normalize_names, parse_name

CANONICAL = "深圳市华信科技有限公司"


@pytest.mark.parametrize(
    "variant",
    [
        "华信科技有限公司",  # region dropped
        "深圳华信科技有限公司",  # region shortened
        "华信科技（深圳）有限公司",  # region moved into brackets, full width
        "华信科技(深圳)有限公司",  # half-width brackets
        "华信科技【深圳】有限公司",
        "深圳市華信科技有限公司",  # traditional characters
        "深圳市华信科技有限责任公司",  # 有限责任公司 = 有限公司
        "深圳市 华信科技　有限公司",  # stray spaces, ideographic space
        "广东省深圳市华信科技有限公司",
    ],
)
def test_same_company_variants_share_the_core(variant: str) -> None:
    ref = parse_name(CANONICAL)
    parsed = parse_name(variant)
    assert (parsed.trade_name, parsed.industry, parsed.org_form, parsed.branch) == ("华信", "科技", "有限公司", "")
    assert parsed.core == ref.core
    assert parsed.region in ("", "深圳")


def test_parts_of_a_full_name() -> None:
    p = parse_name("深圳市华信网络科技股份有限公司")
    assert (p.region, p.trade_name, p.industry, p.org_form) == ("深圳", "华信", "网络科技", "股份有限公司")


def test_other_industry_word_is_another_core() -> None:
    assert parse_name("深圳市华信电子有限公司").core != parse_name(CANONICAL).core
    assert parse_name("深圳市华信电子有限公司").trade_name == parse_name(CANONICAL).trade_name


def test_branch_is_parsed_and_normalised() -> None:
    p = parse_name("深圳市华信科技有限公司南山区分公司")
    assert p.is_branch and p.branch == "南山分公司" and p.core == "华信科技"
    assert parse_name("深圳市华信科技有限公司南山分公司").branch == p.branch
    assert parse_name("华信科技南山分公司").branch == "南山分公司"
    assert not parse_name(CANONICAL).is_branch
    assert parse_name("平安银行股份有限公司深圳分行").branch == "深圳分行"


def test_partnership_and_place_named_trade() -> None:
    p = parse_name("深圳市华信投资合伙企业（有限合伙）")
    assert (p.trade_name, p.industry, p.org_form) == ("华信", "投资", "合伙企业")
    # A city name used as the trade name is not stripped as a region.
    q = parse_name("中山科技有限公司")
    assert q.trade_name == "中山" and q.region == ""


def test_normalize_name_forms() -> None:
    assert normalize_name("華為技術有限公司") == "华为技术有限公司"
    assert normalize_name("ＡＢＣ科技（深圳）有限公司") == "ABC科技(深圳)有限公司"
    assert normalize_name(" abc 科技 ") == "ABC科技"
    names = ["華信科技有限公司", "华信科技（深圳）有限公司", "x"]
    assert normalize_names(names) == [normalize_name(n) for n in names]
