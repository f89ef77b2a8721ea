"""The disclosure policy: per event type, whether and for how long a credit event is public.

The rules live in data (default_policy.json in this package, or Settings.disclosure_policy_path),
not in code, because publicity periods differ between regulations and cities (domain.md).
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError

from credithub.errors import ConfigError
from credithub.settings import Settings

Severity = Literal["positive", "neutral", "minor", "general", "serious"]
FlagName = Literal["dishonest_debtor", "abnormal_operations", "serious_dishonest", "red_list"]
SummaryField = Literal["tax_rating", "customs_grade", "environment_rating", "transport_rating"]


class PublicityRule(BaseModel):
    """How long one kind of event stays public, counted in days from the event's date."""

    label_zh: str = Field(description="Chinese name of the rule, shown on the disclosure page.")
    published: bool = Field(True, description="False: never shown publicly (e.g. minor dishonest conduct).")
    min_days: int = Field(0, ge=0, description="Minimum publicity period; credit repair cannot end it earlier.")
    max_days: int | None = Field(None, ge=0, description="Maximum publicity period; None = while it applies.")
    repairable: bool = Field(False, description="Credit repair (信用修复) may end publicity after min_days.")
    visible_values: dict[str, list[str]] = Field(
        default_factory=dict, description="Only events whose attribute takes one of these values are public."
    )
    hide_after_end: bool = Field(False, description="Leave public view once end_date has passed (e.g. removal from a blacklist).")
    note_zh: str = ""

    def visible_until(self, start: dt.date) -> dt.date | None:
        """First day the event is no longer public by expiry (None: no expiry)."""
        return None if self.max_days is None else start + dt.timedelta(days=self.max_days)

    def repair_allowed_from(self, start: dt.date) -> dt.date:
        return start + dt.timedelta(days=self.min_days)


class EventTypePolicy(BaseModel):
    label_zh: str
    rule: PublicityRule | None = Field(None, description="Applies to every severity unless by_severity overrides.")
    by_severity: dict[Severity, PublicityRule] = Field(default_factory=dict)
    flag: FlagName | None = Field(None, description="A current (not ended) visible event sets this summary flag.")
    summary: SummaryField | None = Field(None, description="The latest visible event fills this summary rating.")
    counts_as_penalty: bool = False


class RepairConfig(BaseModel):
    """How a credit-repair decision names the event it repairs."""

    event_types: list[str] = Field(default_factory=lambda: ["credit_repair"])
    reference_keys: list[str] = Field(default_factory=list)
    date_attribute: str = Field("repaired_on", description="An event may also carry its own repair date.")
    approved_values: dict[str, list[str]] = Field(
        default_factory=dict, description="A repair decision counts only when these attributes take these values (准予修复)."
    )


class DisclosurePolicy(BaseModel):
    version: str
    title_zh: str = "企业信用信息公示规则"
    basis_zh: str = ""
    always_private: list[str] = Field(default_factory=list, description="Attribute keys never shown publicly.")
    private_key_substrings: list[str] = Field(
        default_factory=list, description="Attribute keys containing any of these (e.g. inspector_phone) are never shown."
    )
    repair: RepairConfig = Field(default_factory=RepairConfig)
    severity_defaults: dict[Severity, PublicityRule]
    event_types: dict[str, EventTypePolicy] = Field(default_factory=dict)

    def rule_for(self, event_type: str, severity: str) -> PublicityRule:
        """Most specific rule: event type + severity, event type, severity default, neutral default."""
        typed = self.event_types.get(event_type)
        if typed is not None:
            if severity in typed.by_severity:
                return typed.by_severity[severity]  # type: ignore[index]
            if typed.rule is not None:
                return typed.rule
        fallback = self.severity_defaults.get(severity)  # type: ignore[call-overload]
        if fallback is not None:
            return fallback
        return self.severity_defaults.get("neutral") or PublicityRule(label_zh="一般信息")

    def label_for(self, event_type: str) -> str:
        typed = self.event_types.get(event_type)
        return typed.label_zh if typed else event_type

    def types_with(self, attr: str, value: object) -> set[str]:
        return {name for name, t in self.event_types.items() if getattr(t, attr) == value}

    def is_private_key(self, key: str, extra: set[str] | frozenset[str] = frozenset()) -> bool:
        lowered = key.lower()
        if lowered in extra or lowered in {k.lower() for k in self.always_private}:
            return True
        return any(sub in lowered for sub in self.private_key_substrings)

    @property
    def penalty_types(self) -> set[str]:
        return self.types_with("counts_as_penalty", True)


def _parse(text: str, source: str) -> DisclosurePolicy:
    try:
        return DisclosurePolicy.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        raise ConfigError(f"invalid disclosure policy: {exc}", file=source) from exc


def default_policy() -> DisclosurePolicy:
    text = resources.files("credithub.disclosure").joinpath("default_policy.json").read_text(encoding="utf-8")
    return _parse(text, "credithub/disclosure/default_policy.json")


def load_policy(settings: Settings) -> DisclosurePolicy:
    """The configured policy: Settings.disclosure_policy_path when set, else the packaged default."""
    path: Path | None = settings.disclosure_policy_path
    if path is None:
        return default_policy()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read disclosure policy: {exc}", file=str(path)) from exc
    return _parse(text, str(path))


def local_today(settings: Settings) -> dt.date:
    """Today's date in the city's calendar: publicity periods end at local midnight, not UTC."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(settings.timezone)).date()
