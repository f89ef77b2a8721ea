"""Mask personal data that departments leave in free text (addresses, reasons, titles, notes).

Departments type phone numbers and identity numbers into any text field, in every spelling:
spaces or hyphens between digit groups, full-width digits, a +86 / 0086 prefix, an area code
in brackets, an identity number with a wrong check digit or a lower-case x. All of them are
masked before publication; company identifiers that look alike (all-digit unified social
credit codes, legacy registration numbers labelled as such, organization codes, document
numbers, amounts, dates) are left alone.

Matching runs on a copy where full-width digits and punctuation are mapped one-to-one to
ASCII, so spans found there are cut from the original text and everything that is not
personal data keeps its original characters.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from stdnum.cn import ric, uscc

ID_MASK = "[身份证号已隐藏]"

# One-to-one (same length) so offsets in the folded text are offsets in the original.
_FOLD = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "＋": "+", "－": "-", "‐": "-", "‑": "-", "–": "-", "—": "-",
        "（": "(", "）": ")", "Ｘ": "X", "ｘ": "x", "\u3000": " ",
    }
)

_SEP = r"[ \-]?"
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"
_ID18 = re.compile(_NOT_ALNUM_BEFORE + rf"(\d{{6}}){_SEP}(\d{{8}}){_SEP}(\d{{3}}[0-9Xx])" + _NOT_ALNUM_AFTER)
_ID15 = re.compile(_NOT_ALNUM_BEFORE + rf"(\d{{6}}){_SEP}(\d{{6}}){_SEP}(\d{{3}})" + _NOT_ALNUM_AFTER)
# Mobile numbers: 1[3-9]x xxxx xxxx, optionally +86 / 0086 / 86 / (+86) in front.
_MOBILE = re.compile(
    r"(?<![0-9])(?:(?:\+|00)?86[ \-]?|\(\+?86\)[ \-]?)?" + rf"(1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?![0-9])"
)
# Landlines: area code 010, 02x or 0xxx (bracketed, or after +86 without its 0), then 7-8 digits.
_LANDLINE = re.compile(
    r"(?<![0-9])(?:(?:\+|00)86[ \-]?\(?0?|\(?0)(10|2\d|[3-9]\d\d)\)?"
    + rf"[ \-]?([2-9]\d{{2,3}}){_SEP}(\d{{4}})(?![0-9])"
)
# Labels right before a number that say it is a company identifier, not a person's.
_REGISTRATION_LABEL = re.compile(r"(?:注册号|注册编号|登记号|注册号码)\s*[:：]?\s*$")
_USCC_LABEL = re.compile(r"信用代码\s*[:：]?\s*$")
_LABEL_WINDOW = 12

# Province-level codes that open a resident identity number (GB/T 2260 first two digits).
_PROVINCES = frozenset(
    {11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62,
     63, 64, 65, 71, 81, 82, 83}
)


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _shaped_like_id(region: str, birth: str) -> bool:
    """Region code of a province and a real birth date (YYYYMMDD, or YYMMDD in 19YY for 15 digits)."""
    if int(region[:2]) not in _PROVINCES:
        return False
    if len(birth) == 8:
        return 1850 <= int(birth[:4]) <= 2100 and _is_date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    return _is_date(1900 + int(birth[:2]), int(birth[2:4]), int(birth[4:]))


def _labelled(folded: str, start: int, label: re.Pattern[str]) -> bool:
    return bool(label.search(folded[max(0, start - _LABEL_WINDOW): start]))


def _id18(m: re.Match[str], folded: str) -> str | None:
    number = "".join(m.groups()).upper()
    if uscc.is_valid(number) and _labelled(folded, m.start(), _USCC_LABEL):
        return None
    if ric.is_valid(number):
        return ID_MASK
    if uscc.is_valid(number):
        return None  # an all-digit unified social credit code (e.g. 914403001922038216)
    # A wrong check digit is still somebody's identity number when region and birth date fit.
    return ID_MASK if _shaped_like_id(m.group(1), m.group(2)) else None


def _id15(m: re.Match[str], folded: str) -> str | None:
    if _labelled(folded, m.start(), _REGISTRATION_LABEL):
        return None  # a legacy business registration number, public by design
    return ID_MASK if _shaped_like_id(m.group(1), m.group(2)) else None


def _mobile(m: re.Match[str], _folded: str) -> str | None:
    return f"{m.group(1)}****{m.group(3)}"


def _landline(m: re.Match[str], _folded: str) -> str | None:
    return f"0{m.group(1)}-****{m.group(3)}"


_PASSES: tuple[tuple[re.Pattern[str], Callable[[re.Match[str], str], str | None]], ...] = (
    (_ID18, _id18),  # identity numbers first: their digit runs must not be read as phone numbers
    (_ID15, _id15),
    (_MOBILE, _mobile),
    (_LANDLINE, _landline),
)


def _apply(text: str, pattern: re.Pattern[str], mask: Callable[[re.Match[str], str], str | None]) -> str:
    folded = text.translate(_FOLD)
    out: list[str] = []
    last = 0
    for m in pattern.finditer(folded):
        replacement = mask(m, folded)
        if replacement is None:
            continue
        out.append(text[last: m.start()])
        out.append(replacement)
        last = m.end()
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def scrub_text(text: str) -> str:
    """`text` with every phone number and identity number masked (138****5678, 0755-****1234, ID_MASK)."""
    if not any(ch.isdigit() for ch in text):
        return text  # most titles and names: nothing to look at
    for pattern, mask in _PASSES:
        text = _apply(text, pattern, mask)
    return text
