"""The search document built from a profile's public view.

The caller (publish) has already applied the disclosure policy: everything in the
profile it hands over may be shown. One flat JSON document serves both backends:
display fields for hits, normalised search fields, and filter/sort fields.
"""

from __future__ import annotations

from typing import Any

from credithub.domain import Profile
from credithub.search.analysis import fold, identifier_keys, pinyin_initials, strip_form, strip_region, trade_name, typo_keys
from credithub.search.base import FLAGS

# Bumped whenever the document shape changes, so a rebuild is known to be needed.
DOCUMENT_VERSION = 2


def _unique(values: list[str | None]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _variants(names: list[str]) -> dict[str, list[str]]:
    full = _unique([fold(n) for n in names])
    core = _unique([strip_region(f) for f in full])
    # Parsed once here rather than for every candidate of every search (ranking compares them).
    return {"full": full, "core": core, "bare": _unique([strip_form(c) for c in core])}


def profile_document(profile: Profile) -> dict[str, Any]:
    """Build the indexed document for one (already publicly filtered) profile."""
    ident = profile.identity
    summary = profile.summary
    former = _unique(list(ident.former_names))
    other = [n for n in _unique(list(ident.other_names)) if n != ident.name and n not in former]

    variants = {
        "name": _variants([ident.name]),
        "former_name": _variants(former),
        "other_name": _variants(other),
    }
    all_full = _unique([v for cat in variants.values() for v in cat["full"]])
    trades = _unique([trade_name(f) for f in all_full])
    variants["trade_name"] = {"full": trades, "core": trades, "bare": _unique([strip_form(t) for t in trades])}

    ids = _unique(
        identifier_keys("uscc", ident.uscc)
        + identifier_keys("org_code", ident.org_code)
        + [k for r in ident.reg_nos for k in identifier_keys("reg_no", r)]
        + [k for t in ident.tax_nos for k in identifier_keys("tax_no", t)]
    )
    all_core = _unique([v for cat in variants.values() for v in cat["core"]])
    distinctive = _unique([strip_form(c) for c in all_core if c not in trades])
    flags = [f for f in FLAGS if getattr(summary, f)]

    return {
        "entity_id": profile.entity_id,
        # display
        "name": ident.name,
        "former_names": former,
        "other_names": other,
        "uscc": ident.uscc,
        "org_code": ident.org_code,
        "reg_nos": list(ident.reg_nos),
        "tax_nos": list(ident.tax_nos),
        "legal_rep": ident.legal_rep,
        "address": ident.address,
        # search
        "ids": ids,
        "names": _unique(all_full + all_core + trades),
        "name_keys": _unique(all_full + all_core),
        "trade_names": trades,
        "typo_keys": _unique([k for d in distinctive for k in typo_keys(d)]),
        "pinyin": _unique([pinyin_initials(t) for t in trades] + [pinyin_initials(strip_form(c)) for c in variants["name"]["core"]]),
        "variants": variants,
        # filters and sorting
        "district": ident.district,
        "status": ident.status,
        "industry": ident.industry,
        "tax_rating": summary.tax_rating,
        "customs_grade": summary.customs_grade,
        "environment_rating": summary.environment_rating,
        "flags": flags,
        "established": ident.established.isoformat() if ident.established else None,
        "registered_capital": ident.registered_capital,
        "name_sort": fold(ident.name),
        "doc_version": DOCUMENT_VERSION,
    }
