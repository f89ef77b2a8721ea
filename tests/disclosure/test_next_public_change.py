"""`next_public_change` is never late: between two of its days the public view does not change.

Walks every day of a six-year window for profiles that carry every event type of the default
policy at every severity, with dates before and after the start, end dates, and approved repairs.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from credithub.disclosure.policy import load_policy
from credithub.disclosure.view import next_public_change, public_view
from credithub.domain import Profile, ProfileEvent, ProfileIdentity, Provenance
from credithub.settings import Settings

START = dt.date(2026, 11, 30)
HORIZON = START + dt.timedelta(days=6 * 366)
SEVERITIES = ("positive", "neutral", "minor", "general", "serious")


def _profiles(seed: int, count: int) -> list[Profile]:
    rng = random.Random(seed)
    policy = load_policy(Settings())
    types = sorted(policy.event_types)
    out = []
    for n in range(count):
        events = []
        for i in range(rng.randint(3, 9)):
            kind = rng.choice(types)
            date = START + dt.timedelta(days=rng.randint(-5 * 365, 400))
            end = date + dt.timedelta(days=rng.randint(1, 4 * 365)) if rng.random() < 0.5 else None
            attrs: dict[str, object] = {"case_no": f"案{n}-{i}", "rating": rng.choice("ABMCD"), "year": date.year}
            events.append(ProfileEvent(
                event_type=kind, date=date, end_date=end, title=f"{kind} {i}", severity=rng.choice(SEVERITIES),
                attributes=attrs,
                provenance=Provenance(department="d", dataset="s", batch_id=1, source_record_id=f"r{n}-{i}")))
        for target in rng.sample(events, k=min(2, len(events))):  # approved repairs of some of them
            repaired_on = target.date + dt.timedelta(days=rng.randint(30, 900))
            events.append(ProfileEvent(
                event_type="credit_repair", date=repaired_on, title="信用修复", severity="positive",
                attributes={"result": "准予修复", "repaired_on": repaired_on.isoformat(),
                            "repaired_source_record_id": target.provenance.source_record_id},
                provenance=Provenance(department="d", dataset="repair", batch_id=1, source_record_id=f"fix{n}-{i}")))
        out.append(Profile(entity_id=f"ent_{n}", identity=ProfileIdentity(name=f"深圳市测试{n}有限公司"), events=events))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_public_view_only_changes_on_the_days_next_public_change_names(seed: int) -> None:
    policy = load_policy(Settings())
    changes = 0
    for profile in _profiles(seed, 8):
        day = START
        while day < HORIZON:
            view = public_view(profile, policy, day).model_dump(mode="json")
            nxt = next_public_change(profile, policy, day)
            assert nxt is None or nxt > day
            stop = min(nxt or HORIZON, HORIZON)
            probe = day + dt.timedelta(days=1)
            while probe < stop:
                assert public_view(profile, policy, probe).model_dump(mode="json") == view, (
                    f"{profile.entity_id}: the view changed on {probe}, but the next change was given as {nxt} "
                    f"(asked on {day})")
                probe += dt.timedelta(days=1)
            if nxt is None:
                break
            changes += public_view(profile, policy, nxt).model_dump(mode="json") != view
            day = nxt
    assert changes > 8  # the window really contains changes, so the walk proves something
