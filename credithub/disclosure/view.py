"""The public view of a profile: what the disclosure policy allows anyone to see today.

Applied at publish time (search documents) and at request time (API, pages), so a
publicity period that ends today is honoured even before the nightly republish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from credithub.disclosure.policy import DisclosurePolicy, PublicityRule
from credithub.disclosure.scrub import scrub_text
from credithub.domain import CreditSummary, Profile, ProfileEvent, Provenance

_RATING_KEYS = ("rating", "grade", "level", "value")
_REFERENCE_ATTRS = ("case_no", "decision_no", "document_no")


def _scrub(value: Any, is_private: Callable[[str], bool]) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        return {k: _scrub(v, is_private) for k, v in value.items() if not is_private(str(k))}
    if isinstance(value, list):
        return [_scrub(v, is_private) for v in value]
    return value


def provenance_key(p: Provenance) -> str:
    return f"{p.department}/{p.dataset}/{p.source_record_id}"


def _references(event: ProfileEvent, keys: Iterable[str]) -> set[str]:
    refs: set[str] = set()
    for key in keys:
        value = event.attributes.get(key)
        values = value if isinstance(value, list) else [value]
        refs.update(str(v).strip() for v in values if v not in (None, ""))
    return refs


def _approved(repair: ProfileEvent, policy: DisclosurePolicy) -> bool:
    for key, values in policy.repair.approved_values.items():
        if key in repair.attributes and str(repair.attributes[key]) not in values:
            return False
    return True


def repair_dates(events: list[ProfileEvent], policy: DisclosurePolicy) -> dict[int, dt.date]:
    """Index of event -> date of the credit-repair decision naming it (earliest wins)."""
    repairs = [e for e in events if e.event_type in policy.repair.event_types and _approved(e, policy)]
    found: dict[int, dt.date] = {}
    for i, event in enumerate(events):
        own = event.attributes.get(policy.repair.date_attribute)
        if own:
            try:
                found[i] = dt.date.fromisoformat(str(own)[:10])
            except ValueError:
                pass
        if event.event_type in policy.repair.event_types:
            continue
        names = {provenance_key(event.provenance), event.provenance.source_record_id}
        names.update(str(event.attributes[a]) for a in _REFERENCE_ATTRS if event.attributes.get(a))
        for repair in repairs:
            if names & _references(repair, policy.repair.reference_keys):
                found[i] = min(found.get(i, repair.date), repair.date)
    return found


def hidden_reason(
    event: ProfileEvent, rule: PublicityRule, today: dt.date, repaired_on: dt.date | None
) -> str | None:
    """Why the event is not public today (unpublished, value_not_published, expired, repaired), or None."""
    if not rule.published:
        return "unpublished"
    for key, allowed in rule.visible_values.items():
        if str(event.attributes.get(key, "")) not in allowed:
            return "value_not_published"
    if rule.hide_after_end and event.end_date is not None and event.end_date <= today:
        return "ended"
    until = rule.visible_until(event.date)
    if until is not None and today >= until:
        return "expired"
    if rule.repairable and repaired_on is not None:
        # A repair cannot end publicity before the minimum period has run.
        effective = max(repaired_on, rule.repair_allowed_from(event.date))
        if today >= effective:
            return "repaired"
    return None


def _rating_value(event: ProfileEvent) -> str | None:
    for key in _RATING_KEYS:
        value = event.attributes.get(key)
        if value not in (None, ""):
            return str(value)
    return None


def _three_years_before(today: dt.date) -> dt.date:
    try:
        return today.replace(year=today.year - 3)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 3, day=28)


def compute_summary(events: list[ProfileEvent], policy: DisclosurePolicy, today: dt.date) -> CreditSummary:
    """Ratings from the latest event of their kind, flags from current list entries, penalty count."""
    summary = CreditSummary()
    latest: dict[str, ProfileEvent] = {}
    flags: dict[str, bool] = {}
    since = _three_years_before(today)
    penalty_types = policy.penalty_types
    for event in sorted(events, key=lambda e: (e.date, provenance_key(e.provenance), e.title)):
        typed = policy.event_types.get(event.event_type)
        if typed is None:
            continue
        if typed.summary and _rating_value(event) is not None:
            latest[typed.summary] = event
        if typed.flag:
            active = event.end_date is None or event.end_date > today
            flags[typed.flag] = flags.get(typed.flag, False) or active
        if event.event_type in penalty_types and since < event.date <= today:
            summary.penalties_3y += 1
    for field, event in latest.items():
        setattr(summary, field, _rating_value(event))
        if field == "tax_rating":
            year = event.attributes.get("year")
            summary.tax_rating_year = int(year) if str(year or "").isdigit() else event.date.year
    for flag, active in flags.items():
        setattr(summary, flag, active)
    return summary


def public_event(event: ProfileEvent, policy: DisclosurePolicy) -> ProfileEvent:
    marked = frozenset(f.lower() for f in event.private_fields)
    return event.model_copy(
        update={
            "title": scrub_text(event.title),
            "attributes": _scrub(event.attributes, lambda key: policy.is_private_key(key, marked)),
            "private_fields": [],
        }
    )


def public_view(profile: Profile, policy: DisclosurePolicy, today: dt.date) -> Profile:
    """The profile as the public may see it on `today`: visible events only, private fields stripped."""
    repaired = repair_dates(profile.events, policy)
    visible: list[ProfileEvent] = []
    hidden_sources: set[str] = set()
    for i, event in enumerate(profile.events):
        rule = policy.rule_for(event.event_type, event.severity)
        if hidden_reason(event, rule, today, repaired.get(i)) is None:
            visible.append(public_event(event, policy))
        else:
            hidden_sources.add(provenance_key(event.provenance))
    hidden_sources -= {provenance_key(e.provenance) for e in visible}
    # A source record that only carried hidden events would reveal them by its id alone.
    sources = [s for s in profile.sources if provenance_key(s) not in hidden_sources]
    identity = profile.identity.model_copy(
        update={
            "address": scrub_text(profile.identity.address) if profile.identity.address else None,
            "legal_rep": scrub_text(profile.identity.legal_rep) if profile.identity.legal_rep else None,
        }
    )
    conflicts = [
        c.model_copy(update={"values": [_scrub(v, policy.is_private_key) for v in c.values]}) for c in profile.conflicts
    ]
    return profile.model_copy(
        update={
            "identity": identity,
            "events": visible,
            "summary": compute_summary(visible, policy, today),
            "sources": sources,
            "departments": sorted({s.department for s in sources} | {e.provenance.department for e in visible}),
            "conflicts": conflicts,
        }
    )


def _three_years_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 3)
    except ValueError:  # 29 February: a day early is safe (one extra re-evaluation, never a missed one)
        return day.replace(year=day.year + 3, day=28)


def next_public_change(profile: Profile, policy: DisclosurePolicy, today: dt.date) -> dt.date | None:
    """The first day after `today` on which the public view may differ from today's (None: never,
    under this policy). Publishing on a new day re-evaluates only profiles whose day has come.

    Every way `today` enters the public view is listed here: an end date (hide_after_end, current
    list flags), the publicity period's expiry, a repair taking effect, and the three-year penalty
    window (an event counts from its date and stops counting three years later). A date returned
    too early only costs a re-evaluation; tests/disclosure pin that none is ever late.
    """
    repaired = repair_dates(profile.events, policy)
    penalty_types = policy.penalty_types
    days: list[dt.date] = []
    for i, event in enumerate(profile.events):
        rule = policy.rule_for(event.event_type, event.severity)
        if event.end_date is not None:
            days.append(event.end_date)
        until = rule.visible_until(event.date)
        if until is not None:
            days.append(until)
        if rule.repairable and i in repaired:
            days.append(max(repaired[i], rule.repair_allowed_from(event.date)))
        if event.event_type in penalty_types:
            days.extend((event.date, _three_years_after(event.date)))
    future = [d for d in days if d > today]
    return min(future) if future else None
