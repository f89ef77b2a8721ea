"""Each disclosure rule, proven on a hand-built profile with a fixed `today`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from credithub.disclosure import default_policy, load_policy, public_view
from credithub.domain import Profile, ProfileEvent, ProfileIdentity, Provenance
from credithub.errors import ConfigError
from credithub.settings import Settings

TODAY = dt.date(2026, 11, 28)
POLICY = default_policy()


def _prov(dept: str, rid: str) -> Provenance:
    return Provenance(department=dept, dataset="d", batch_id=1, source_record_id=rid)


def _ev(
    event_type: str, days_ago: int, *, rid: str = "X", dept: str = "market_regulation", title: str | None = None, **kw: object
) -> ProfileEvent:
    return ProfileEvent(
        event_type=event_type,
        date=TODAY - dt.timedelta(days=days_ago),
        title=title or f"{event_type} {rid}",
        provenance=_prov(dept, rid),
        **kw,  # type: ignore[arg-type]
    )


def _profile(*events: ProfileEvent) -> Profile:
    return Profile(
        entity_id="E",
        identity=ProfileIdentity(name="甲公司", legal_rep="张三"),
        events=list(events),
        sources=[e.provenance for e in events],
    )


def _visible(profile: Profile, today: dt.date = TODAY) -> list[str]:
    return [e.provenance.source_record_id for e in public_view(profile, POLICY, today).events]


def test_general_penalty_public_until_max_period() -> None:
    young = _ev("penalty", 100, rid="young", severity="general")
    old = _ev("penalty", 366, rid="old", severity="general")
    view = public_view(_profile(young, old), POLICY, TODAY)
    assert [e.provenance.source_record_id for e in view.events] == ["young"]
    assert view.summary.penalties_3y == 1
    assert "old" not in {s.source_record_id for s in view.sources}  # its source id would reveal it
    # the same event, seen the day before it expires and on the day it does
    edge = _ev("penalty", 364, rid="edge", severity="general")
    assert _visible(_profile(edge)) == ["edge"]
    assert _visible(_profile(edge), TODAY + dt.timedelta(days=1)) == []


def test_serious_and_minor_periods() -> None:
    serious = _ev("penalty", 800, rid="s", severity="serious")
    minor = _ev("penalty", 1, rid="m", severity="minor")
    assert _visible(_profile(serious, minor)) == ["s"]  # serious: up to 3 years; minor: not published
    assert _visible(_profile(_ev("penalty", 1100, rid="s", severity="serious"))) == []


def test_work_safety_minimum_one_year_blocks_early_repair() -> None:
    event = _ev("work_safety_penalty", 200, rid="ws", severity="general", attributes={"decision_no": "安监罚1号"})
    repair = _ev("credit_repair", 10, rid="cr", dept="development_reform", attributes={"repaired_decision_no": "安监罚1号"})
    assert _visible(_profile(event, repair)) == ["ws"]  # min 365 days not yet over
    # a year after the penalty the repair takes effect
    assert _visible(_profile(event, repair), TODAY + dt.timedelta(days=166)) == []


def test_credit_repair_after_minimum_period_removes_event() -> None:
    penalty = _ev("penalty", 120, rid="P-1", severity="general")
    repair = _ev("credit_repair", 5, rid="CR-1", dept="development_reform", attributes={"repairs": "market_regulation/d/P-1"})
    view = public_view(_profile(penalty, repair), POLICY, TODAY)
    assert view.events == []  # repaired penalty gone; the repair decision itself is not published
    assert view.summary.penalties_3y == 0
    assert view.departments == []


def test_credit_repair_before_minimum_period_does_not_remove() -> None:
    penalty = _ev("penalty", 60, rid="P-1", severity="general")  # min period 90 days
    repair = _ev("credit_repair", 5, rid="CR-1", dept="development_reform", attributes={"repairs": "P-1"})
    assert _visible(_profile(penalty, repair)) == ["P-1"]
    # once the minimum period has passed the earlier repair decision applies
    assert _visible(_profile(penalty, repair), TODAY + dt.timedelta(days=30)) == []


def test_repair_by_own_attribute_and_not_for_unrepairable() -> None:
    repaired = _ev("penalty", 200, rid="P", severity="general", attributes={"repaired_on": "2026-10-01"})
    assert _visible(_profile(repaired)) == []
    debtor = _ev("dishonest_debtor", 200, rid="D", attributes={"repaired_on": "2026-10-01"})
    assert _visible(_profile(debtor)) == ["D"]  # courts' list is not repairable through credit repair


def test_removal_from_list_ends_flag() -> None:
    listed = _ev("abnormal_operations", 50, rid="A")
    view = public_view(_profile(listed), POLICY, TODAY)
    assert view.summary.abnormal_operations is True
    removed = _ev("abnormal_operations", 50, rid="A", end_date=TODAY - dt.timedelta(days=1))
    view = public_view(_profile(removed), POLICY, TODAY)
    assert view.summary.abnormal_operations is False
    assert [e.end_date for e in view.events] == [TODAY - dt.timedelta(days=1)]  # history stays on the timeline
    debtor = _ev("dishonest_debtor", 10, rid="D", end_date=TODAY + dt.timedelta(days=3))
    assert public_view(_profile(debtor), POLICY, TODAY).summary.dishonest_debtor is True


def test_expired_serious_list_entry_ends_flag() -> None:
    entry = _ev("serious_dishonest", 1096, rid="S")
    assert public_view(_profile(entry), POLICY, TODAY).summary.serious_dishonest is False
    assert public_view(_profile(entry), POLICY, TODAY - dt.timedelta(days=2)).summary.serious_dishonest is True


def test_only_a_tax_rating_is_published() -> None:
    a = _ev("tax_rating", 400, rid="T1", dept="tax", attributes={"rating": "A", "year": 2024})
    b = _ev("tax_rating", 30, rid="T2", dept="tax", attributes={"rating": "B", "year": 2025})
    view = public_view(_profile(a, b), POLICY, TODAY)
    assert view.summary.tax_rating == "A" and view.summary.tax_rating_year == 2024
    assert [e.provenance.source_record_id for e in view.events] == ["T1"]


def test_private_fields_never_public() -> None:
    event = _ev(
        "penalty",
        10,
        rid="P",
        severity="general",
        title="处罚 联系电话13812345678 法定代表人身份证11010519491231002X",
        attributes={
            "amount": 5000,
            "id_number": "11010519491231002X",
            "Phone": "0755-12345678",
            "note": "经办人 13912345678",
            "nested": {"person_id_no": "11010519491231002X", "uscc": "914403001922038216"},
        },
        private_fields=["amount"],
    )
    view = public_view(_profile(event), POLICY, TODAY)
    text = view.model_dump_json()
    for secret in ("11010519491231002X", "13812345678", "13912345678", "0755-12345678", "5000", "private_fields\":[\"amount"):
        assert secret not in text
    attrs = view.events[0].attributes
    assert set(attrs) == {"note", "nested"}
    assert attrs["nested"] == {"uscc": "914403001922038216"}  # a USCC is not a personal id
    assert view.identity.legal_rep == "张三"  # the legal representative's name is public


def test_policy_override_from_settings(tmp_path: Path) -> None:
    data = json.loads(Path("credithub/disclosure/default_policy.json").read_text(encoding="utf-8"))
    data["version"] = "local"
    data["severity_defaults"]["general"]["max_days"] = 30
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    policy = load_policy(Settings(var_dir=tmp_path, disclosure_policy_path=path))
    assert policy.version == "local"
    assert public_view(_profile(_ev("penalty", 40, severity="general")), policy, TODAY).events == []
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_policy(Settings(var_dir=tmp_path, disclosure_policy_path=path))


def test_rejected_repair_decision_does_not_remove() -> None:
    penalty = _ev("administrative_penalty", 120, rid="P-9", severity="general", attributes={"case_no": "深市监罚〔2026〕7号"})
    rejected = _ev("credit_repair", 5, rid="XYXF1", dept="development_reform",
                   attributes={"original_record": "深市监罚〔2026〕7号", "result": "不予修复"})
    assert _visible(_profile(penalty, rejected)) == ["P-9"]
    approved = rejected.model_copy(update={"attributes": {**rejected.attributes, "result": "准予修复"}})
    assert _visible(_profile(penalty, approved)) == []


def test_blacklist_leaves_public_view_after_removal() -> None:
    listed = _ev("wage_arrears_blacklist", 400, rid="W", severity="serious", end_date=TODAY - dt.timedelta(days=1))
    assert _visible(_profile(listed)) == []
    assert _visible(_profile(listed), TODAY - dt.timedelta(days=2)) == ["W"]
