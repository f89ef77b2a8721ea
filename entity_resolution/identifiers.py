"""Chinese enterprise identifiers: normalise what people type, check, classify, crosswalk.

Kinds (see /work/shared/domain.md):
- uscc: unified social credit code, GB 32100 (python-stdnum `stdnum.cn.uscc`).
- org_code: organization code, GB 11714 (not in python-stdnum: implemented here).
- reg_no: legacy 15-digit business registration number, ISO 7064 MOD 11,10 (`stdnum.iso7064.mod_11_10`).
- tax_no: legacy 15-character tax registration number = 6-digit region + organization code.

A code that fails its check is never an identity key; it is returned with valid=False
so callers keep it as evidence and report it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from functools import lru_cache
from operator import mul
from typing import Literal

from stdnum.iso7064 import mod_11_10 as _mod_11_10

IdentifierKind = Literal["uscc", "org_code", "reg_no", "tax_no"]

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_SET = frozenset(USCC_ALPHABET)
_USCC_VALUE = {c: i for i, c in enumerate(USCC_ALPHABET)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORG_BODY = re.compile(r"^[0-9A-Z]{8}$")
# Separators people put inside codes; NFKC has already folded full-width forms.
_SEPARATORS = re.compile(r"[\s\-_.·•/\\,，。、—–－]+")


@dataclass(frozen=True, slots=True)
class ParsedId:
    """One identifier after normalisation: its kind, the normalised value and whether its check passed.

    A frozen dataclass rather than a pydantic model: bulk resolution builds millions of these.
    """

    kind: IdentifierKind
    raw: str
    value: str
    valid: bool
    reason: str | None = None
    """Why it is invalid (Chinese, steward-facing), None when valid."""
    org_code: str | None = None
    """The organization code embedded in (uscc, tax_no) or equal to (org_code) this value, when it checks."""
    region: str | None = None
    """6-digit administrative region code carried by the value (uscc chars 3-8, tax_no/reg_no chars 1-6)."""

    def model_dump(self) -> dict[str, object]:
        """The fields as a dict (same name as pydantic's, for callers that serialise it)."""
        return asdict(self)

    @property
    def key(self) -> str:
        """Identity key used by the matcher ('uscc:…', 'org:…', 'reg:…'); tax numbers key by their org code."""
        if self.kind == "uscc":
            return f"uscc:{self.value}"
        if self.kind == "reg_no":
            return f"reg:{self.value}"
        return f"org:{self.org_code or self.value[-9:]}"


def clean_identifier(raw: str) -> str:
    """Full-width to half-width, upper case, strip spaces, hyphens, dots and similar separators."""
    if raw.isascii() and raw.isalnum():  # the common case, 20x cheaper
        return raw.upper()
    text = unicodedata.normalize("NFKC", raw).upper()
    return _SEPARATORS.sub("", text)


# ---------------------------------------------------------------- check algorithms


_ORG_VALUE = {**{str(d): d for d in range(10)}, **{chr(ord("A") + i): 10 + i for i in range(26)}}


def org_code_check_char(body: str) -> str:
    """GB 11714 check character for an 8-character body (digits, capital letters: A=10 … Z=35)."""
    if len(body) != 8:
        raise ValueError("an organization code body has 8 characters")
    total = sum(map(mul, map(_ORG_VALUE.__getitem__, body), _ORG_WEIGHTS))
    c = 11 - total % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def is_valid_org_code(value: str) -> bool:
    """`value` is a cleaned 9-character organization code."""
    if len(value) != 9 or not _ORG_BODY.match(value[:8]):
        return False
    return org_code_check_char(value[:8]) == value[8]


def uscc_check_char(body: str) -> str:
    """GB 32100 check character for the first 17 characters (same result as stdnum.cn.uscc, ~10x faster)."""
    total = sum(map(mul, map(_USCC_VALUE.__getitem__, body[:17]), _USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(value: str) -> bool:
    """`value` is a cleaned 18-character code; bulk resolution calls this millions of times."""
    if len(value) != 18 or not value[:8].isdigit() or not _USCC_SET.issuperset(value[8:]):
        return False
    return uscc_check_char(value[:17]) == value[17]


def is_valid_reg_no(value: str) -> bool:
    return len(value) == 15 and value.isascii() and value.isdigit() and _mod_11_10.is_valid(value)


def is_valid_tax_no(value: str) -> bool:
    return len(value) == 15 and value[:6].isascii() and value[:6].isdigit() and is_valid_org_code(value[6:])


# ---------------------------------------------------------------- O-for-0 repair


def _o_fixed(value: str, digit_positions: range | None = None) -> str:
    """Replace letter O with zero, everywhere or only at positions that must be digits."""
    if "O" not in value:
        return value
    if digit_positions is None:
        return value.replace("O", "0")
    chars = list(value)
    for i in digit_positions:
        if i < len(chars) and chars[i] == "O":
            chars[i] = "0"
    return "".join(chars)


def _o_variants(value: str) -> list[str]:
    """Candidate spellings with O read as 0: all of them, then none (the letter O is legal in org codes)."""
    if "O" not in value:
        return [value]
    return [value.replace("O", "0"), value]


# ---------------------------------------------------------------- per-kind parsers


def parse_uscc(raw: str) -> ParsedId | None:
    """Parse an 18-character USCC; None if it does not even have the shape of one."""
    value = clean_identifier(raw)
    if len(value) != 18:
        return None
    # The USCC alphabet has no letter O, so an O is always a mistyped zero.
    value = value.replace("O", "0")
    if not value.isascii() or not value.isalnum():
        return None
    if not value[:8].isdigit() or not _USCC_SET.issuperset(value[8:]):
        return ParsedId(kind="uscc", raw=raw, value=value, valid=False, reason="统一社会信用代码含非法字符")
    if uscc_check_char(value[:17]) != value[17]:
        return ParsedId(kind="uscc", raw=raw, value=value, valid=False, reason="统一社会信用代码校验位错误")
    embedded = value[8:17]
    return ParsedId(
        kind="uscc",
        raw=raw,
        value=value,
        valid=True,
        org_code=embedded if is_valid_org_code(embedded) else None,
        region=value[2:8],
    )


def parse_org_code(raw: str) -> ParsedId | None:
    """Parse a 9-character organization code (often written XXXXXXXX-X)."""
    value = clean_identifier(raw)
    if len(value) != 9 or not value.isascii() or not value.isalnum():
        return None
    for candidate in _o_variants(value):
        if is_valid_org_code(candidate):
            return ParsedId(kind="org_code", raw=raw, value=candidate, valid=True, org_code=candidate)
    return ParsedId(kind="org_code", raw=raw, value=value, valid=False, reason="组织机构代码校验位错误")


def parse_reg_no(raw: str) -> ParsedId | None:
    """Parse a legacy 15-digit business registration number."""
    value = _o_fixed(clean_identifier(raw))
    if len(value) != 15 or not value.isascii() or not value.isdigit():
        return None
    if not _mod_11_10.is_valid(value):
        return ParsedId(kind="reg_no", raw=raw, value=value, valid=False, reason="工商注册号校验位错误")
    return ParsedId(kind="reg_no", raw=raw, value=value, valid=True, region=value[:6])


def parse_tax_no(raw: str) -> ParsedId | None:
    """Parse a legacy 15-character tax registration number (region + organization code)."""
    value = clean_identifier(raw)
    if len(value) != 15 or not value.isascii() or not value.isalnum():
        return None
    region = _o_fixed(value[:6])
    if not region.isdigit():
        return None
    org = parse_org_code(value[6:])
    assert org is not None  # 9 alphanumeric characters always parse
    fixed = region + org.value
    if not org.valid:
        return ParsedId(kind="tax_no", raw=raw, value=fixed, valid=False, reason="税务登记号所含组织机构代码校验位错误")
    return ParsedId(kind="tax_no", raw=raw, value=fixed, valid=True, org_code=org.value, region=region)


PARSERS = {"uscc": parse_uscc, "org_code": parse_org_code, "reg_no": parse_reg_no, "tax_no": parse_tax_no}


def parse_identifier(raw: str, kind: IdentifierKind) -> ParsedId | None:
    """Parse `raw` as the given kind; None when it has not the shape of that kind at all."""
    return PARSERS[kind](raw)


@lru_cache(maxsize=4096)
def classify_identifier(raw: str) -> tuple[ParsedId, ...]:
    """Every kind an unlabelled code could be, valid readings first.

    A 15-digit code may read both as a registration number and as a tax number;
    both are returned and the caller decides (search tries all valid ones).
    """
    value = clean_identifier(raw)
    found: list[ParsedId] = []
    n = len(value)
    if n == 18:
        found.append(parse_uscc(raw))  # type: ignore[arg-type]
    elif n == 9:
        found.append(parse_org_code(raw))  # type: ignore[arg-type]
    elif n == 15:
        found.extend(p for p in (parse_reg_no(raw), parse_tax_no(raw)) if p is not None)
    found = [p for p in found if p is not None]
    return tuple(sorted(found, key=lambda p: not p.valid))


def normalize_identifier(raw: str) -> str:
    """The canonical spelling of a code: the valid reading if there is one, else the cleaned text."""
    for parsed in classify_identifier(raw):
        if parsed.valid:
            return parsed.value
    return clean_identifier(raw)


def identity_keys(parsed: ParsedId) -> list[str]:
    """All identity keys a valid identifier carries (crosswalk: a USCC also keys its organization code)."""
    if not parsed.valid:
        return []
    keys = [parsed.key]
    if parsed.kind == "uscc" and parsed.org_code:
        keys.append(f"org:{parsed.org_code}")
    return keys


def format_org_code(value: str) -> str:
    """XXXXXXXX-X, the way certificates print it."""
    return f"{value[:8]}-{value[8:]}" if len(value) == 9 else value
