"""Build valid Chinese enterprise identifiers for the synthetic population.

Check characters come from python-stdnum where it implements the standard (USCC,
ISO 7064 MOD 11,10); the organization-code check (GB 11714) is not in stdnum.
"""

from __future__ import annotations

import random

from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_10

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Body characters valid in both the org code and the USCC alphabet (no I O Z S V).
_ORG_BODY_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"


def org_code_check(body: str) -> str:
    """GB 11714-1997 check character for an 8-character organization-code body."""
    total = sum(
        (int(c) if c.isdigit() else ord(c) - ord("A") + 10) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)
    )
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make_org_code(rng: random.Random, *, new_style: bool) -> str:
    """9-char organization code; new-style (post-2015) Shenzhen codes start with MA5."""
    if new_style:
        body = "MA5" + "".join(rng.choice("0123456789" + _ORG_BODY_LETTERS) for _ in range(5))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    return body + org_code_check(body)


def make_uscc(region: str, org_code: str, *, entity_type: str = "1") -> str:
    """18-char USCC: authority 9 (market regulation) + entity type + region + org code + check."""
    body = "9" + entity_type + region + org_code
    return body + stdnum_uscc.calc_check_digit(body)


def make_reg_no(rng: random.Random, region: str) -> str:
    """Legacy 15-digit business registration number with its ISO 7064 MOD 11,10 check digit."""
    body = region + "10" + "".join(rng.choice("0123456789") for _ in range(6))
    return body + mod_11_10.calc_check_digit(body)


def make_tax_no(region: str, org_code: str) -> str:
    """Legacy 15-char tax registration number: region + organization code."""
    return region + org_code


def uscc_is_valid(value: str) -> bool:
    return stdnum_uscc.is_valid(value)


def org_code_is_valid(value: str) -> bool:
    v = value.replace("-", "").upper()
    return len(v) == 9 and v[:8].isalnum() and org_code_check(v[:8]) == v[8]


def reg_no_is_valid(value: str) -> bool:
    return len(value) == 15 and value.isdigit() and mod_11_10.is_valid(value)
