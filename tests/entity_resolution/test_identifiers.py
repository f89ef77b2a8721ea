"""Identifier algorithms against known-valid real codes and what people really type."""

from __future__ import annotations

import pytest
from stdnum.cn import uscc as stdnum_uscc

from entity_resolution.identifiers import (
    classify_identifier,
    identity_keys,
    normalize_identifier,
    org_code_check_char,
    parse_org_code,
    parse_reg_no,
    parse_tax_no,
    parse_uscc,
)

# Published codes of real companies (business licences / credit China):
HUAWEI_USCC = "914403001922038216"  # 华为技术有限公司
HUAWEI_ORG = "19220382-1"
TENCENT_USCC = "91440300708461136T"  # 深圳市腾讯计算机系统有限公司
TENCENT_REG_NO = "440301103448669"
STDNUM_EXAMPLE_USCC = "91110000600037341L"


@pytest.mark.parametrize("code", [HUAWEI_USCC, TENCENT_USCC, STDNUM_EXAMPLE_USCC])
def test_real_usccs_are_valid_and_embed_their_org_code(code: str) -> None:
    parsed = parse_uscc(code)
    assert parsed is not None and parsed.valid
    assert parsed.org_code == code[8:17]
    assert parsed.region == code[2:8]
    assert stdnum_uscc.is_valid(parsed.value)


def test_uscc_with_wrong_check_char_is_evidence_not_identity() -> None:
    bad = HUAWEI_USCC[:-1] + "7"
    parsed = parse_uscc(bad)
    assert parsed is not None and not parsed.valid
    assert parsed.reason and "校验" in parsed.reason
    assert identity_keys(parsed) == []


@pytest.mark.parametrize(
    "typed",
    [
        "９１４４０３００１９２２０３８２１６",  # full width
        "9144 0300 1922 0382 16",
        "914403-001922038216",
        "914403OO1922O38216",  # O typed for 0
        " 914403001922038216\t",
    ],
)
def test_uscc_as_people_type_it(typed: str) -> None:
    parsed = parse_uscc(typed)
    assert parsed is not None and parsed.valid and parsed.value == HUAWEI_USCC
    assert normalize_identifier(typed) == HUAWEI_USCC


def test_lower_case_uscc_letters() -> None:
    parsed = parse_uscc(TENCENT_USCC.lower())
    assert parsed is not None and parsed.valid and parsed.value == TENCENT_USCC


def test_org_code_check_character() -> None:
    assert org_code_check_char("19220382") == "1"
    assert org_code_check_char("70846113") == "6"
    # Check value 10 is written X, 11 is written 0 (GB 11714).
    bodies = {org_code_check_char(f"{n:08d}") for n in range(2000)}
    assert {"X", "0"} <= bodies
    for spelling in ("19220382-1", "192203821", "１９２２０３８２－１", "19220382 1", "l9220382-1".upper().replace("L", "1")):
        parsed = parse_org_code(spelling)
        assert parsed is not None and parsed.valid and parsed.value == "192203821"
    wrong = parse_org_code("19220382-2")
    assert wrong is not None and not wrong.valid


def test_org_code_letter_o_only_becomes_zero_when_that_checks() -> None:
    fixed = parse_org_code("7O846113-6")
    assert fixed is not None and fixed.valid and fixed.value == "708461136"
    # A letter body that is valid as written keeps its letters.
    body = "MA5D1234"
    code = body + org_code_check_char(body)
    parsed = parse_org_code(code.lower())
    assert parsed is not None and parsed.valid and parsed.value == code


def test_reg_no_iso7064_mod_11_10() -> None:
    parsed = parse_reg_no(TENCENT_REG_NO)
    assert parsed is not None and parsed.valid and parsed.region == "440301"
    assert parse_reg_no("4403Ol103448669".replace("l", "0")) is not None
    bad = parse_reg_no(TENCENT_REG_NO[:-1] + "0")
    assert bad is not None and not bad.valid
    assert parse_reg_no("12345") is None


def test_tax_number_is_region_plus_org_code() -> None:
    parsed = parse_tax_no("440300192203821")
    assert parsed is not None and parsed.valid and parsed.org_code == "192203821"
    # Crosswalk: the tax number and the USCC share the organization code key.
    uscc = parse_uscc(HUAWEI_USCC)
    assert uscc is not None
    assert parsed.key in identity_keys(uscc)
    assert parse_tax_no("440300192203822") is not None and not parse_tax_no("440300192203822").valid  # type: ignore[union-attr]
    lower = parse_tax_no("440305 70846113-6")
    assert lower is not None and lower.valid and lower.region == "440305"


def test_classify_unlabelled_codes() -> None:
    assert [p.kind for p in classify_identifier(HUAWEI_USCC)] == ["uscc"]
    assert [p.kind for p in classify_identifier(HUAWEI_ORG)] == ["org_code"]
    kinds = classify_identifier(TENCENT_REG_NO)
    assert kinds[0].kind == "reg_no" and kinds[0].valid
    tax = classify_identifier("440300192203821")
    assert tax[0].kind == "tax_no" and tax[0].valid
    assert classify_identifier("hello") == ()
    assert normalize_identifier("19220382-1") == "192203821"
