"""Personal data in free text never reaches public views: every common spelling (issue 11).

Table-driven: POSITIVE lists spellings that must be masked (the personal digits must be gone
and the mask shown), NEGATIVE lists look-alikes that are legitimate public facts and must
survive unchanged.
"""

from __future__ import annotations

import datetime as dt

import pytest

from credithub.disclosure.policy import load_policy
from credithub.disclosure.scrub import ID_MASK, scrub_text
from credithub.disclosure.view import public_view
from credithub.domain import Profile, ProfileEvent, ProfileIdentity, Provenance
from credithub.settings import Settings

# (text as a department wrote it, digits that must disappear, what must appear instead)
POSITIVE: list[tuple[str, str, str]] = [
    ("联系电话13812345678", "13812345678", "138****5678"),
    ("联系电话 138 1234 5678。", "1234", "138****5678"),
    ("电话：138-1234-5678", "1234", "138****5678"),
    ("手机１３８１２３４５６７８", "１２３４", "138****5678"),
    ("手机 １３８－１２３４－５６７８", "１２３４", "138****5678"),
    ("+86 138 1234 5678", "1234", "138****5678"),
    ("+86-13812345678", "13812345678", "138****5678"),
    ("+8613812345678", "13812345678", "138****5678"),
    ("（+86）13812345678", "13812345678", "138****5678"),
    ("0086 13812345678", "13812345678", "138****5678"),
    ("Tel13812345678", "13812345678", "138****5678"),
    ("座机 0755 86001234", "86001234", "0755-****1234"),
    ("座机0755-86001234", "86001234", "0755-****1234"),
    ("座机（0755）86001234", "86001234", "0755-****1234"),
    ("座机(0755)8600-1234", "8600-1234", "0755-****1234"),
    ("座机 010-62345678", "62345678", "010-****5678"),
    ("座机 +86 755 86001234", "86001234", "0755-****1234"),
    ("座机０７５５－８６００１２３４", "８６００１２３４", "0755-****1234"),
    # 18-digit identity numbers: valid, wrong check digit, trailing X / x, full-width, grouped
    ("法定代表人身份证11010519491231002X", "11010519491231002", ID_MASK),
    ("身份证号11010519491231002x，", "11010519491231002", ID_MASK),
    ("住深圳市南山区 440301199001011231 号", "440301199001011231", ID_MASK),  # wrong check digit
    ("经办人440301199001011234", "440301199001011234", ID_MASK),  # wrong check digit
    ("证件号码：４４０３０１１９９００１０１１２３０", "１９９００１０１", ID_MASK),
    ("身份证 440301 19900101 1230", "19900101", ID_MASK),
    # 15-digit (first generation) identity numbers
    ("身份证号码440301900101123", "440301900101123", ID_MASK),
    ("经办人 110105491231002 签收", "110105491231002", ID_MASK),
]

# Legitimate public identifiers, references, amounts and dates that look like personal data.
NEGATIVE: list[str] = [
    "统一社会信用代码 914403001922038216",  # all-digit USCC (Huawei), valid check character
    "统一社会信用代码 91440300MA5G7UXQ2N",
    "统一社会信用代码91440300MA5G7UXQ2N，组织机构代码 19220382-1",
    "组织机构代码19220382-1",
    "注册号 440301103456781",  # legacy business registration number (MOD 11,10 check)
    "工商注册号：440301900101122",  # shaped like a 15-digit identity number, but labelled as a registration number
    "深应急罚〔2024〕0008号",
    "（2024）粤03执1234号",
    "深市监罚字〔2025〕第13812345号",
    "罚款 50000 元，没收违法所得 1380000.00 元",
    "罚款金额￥13,812,345.00",
    "2024-01-15 起列入经营异常名录",
    "处罚日期20240115",
    "2024年1月15日 至 2027年1月14日",
    "案件编号 12345678901",  # 11 digits but not a mobile number (second digit 2)
    "执行标的 138123456789012 元",  # too long for any phone number or identity number
    "地址：深圳市南山区科技园南区高新南一道 009 号",
    "邮编 518057",
]


@pytest.mark.parametrize(("text", "gone", "mask"), POSITIVE)
def test_every_spelling_of_personal_data_is_masked(text: str, gone: str, mask: str) -> None:
    scrubbed = scrub_text(text)
    assert gone not in scrubbed
    assert mask in scrubbed


@pytest.mark.parametrize("text", NEGATIVE)
def test_look_alikes_survive(text: str) -> None:
    assert scrub_text(text) == text


def test_scrubbing_leaves_the_surrounding_text_alone() -> None:
    assert scrub_text("请联系 138 1234 5678（张先生）或 0755-86001234。") == "请联系 138****5678（张先生）或 0755-****1234。"
    assert scrub_text("全角数字１２３与身份证11010519491231002X并存") == f"全角数字１２３与身份证{ID_MASK}并存"


def test_public_view_masks_address_and_reason_text() -> None:
    prov = Provenance(department="market_regulation", dataset="penalties", batch_id=1, source_record_id="P1")
    event = ProfileEvent(
        event_type="penalty",
        date=dt.date(2026, 10, 1),
        title="行政处罚 深应急罚〔2024〕0008号",
        severity="general",
        provenance=prov,
        attributes={"reason": "当事人（身份证440301199001011234，电话 138-1234-5678）未按规定…", "amount": 50000},
    )
    profile = Profile(
        entity_id="E1",
        identity=ProfileIdentity(
            name="深圳市华信科技有限公司", uscc="914403001922038216", address="深圳市南山区1号 联系人 +86 139 1234 5678"
        ),
        events=[event],
        sources=[prov],
    )
    policy = load_policy(Settings())
    view = public_view(profile, policy, dt.date(2026, 11, 1))
    text = view.model_dump_json()
    for secret in ("440301199001011234", "1234 5678", "138-1234"):
        assert secret not in text
    assert view.identity.address == "深圳市南山区1号 联系人 139****5678"
    assert "深应急罚〔2024〕0008号" in view.events[0].title
    assert view.identity.uscc == "914403001922038216"
