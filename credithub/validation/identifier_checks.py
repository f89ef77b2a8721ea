"""Vectorised check-digit tests for Chinese enterprise identifiers (pandas Series -> bool Series).

Validation runs over million-row batches, so the check digits are computed with numpy over
whole columns instead of a Python call per value. Values are normalised first (full-width
characters, lower case, spaces, hyphens, 'O' typed for '0' in numeric positions); a value
that fails the fast check is judged again, one by one, by entity_resolution.identifiers (the
ER engine's parsers, python-stdnum based), so validation never rejects a spelling entity
resolution accepts; failing values are few, so this costs little.
Null values are not judged here (GX map expectations skip them; pair with not-null).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import numpy as np
import pandas as pd

from credithub.validation.textmatrix import ascii_lut, code_matrix, is_digit, length_is

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)

# Full-width ASCII (U+FF01..U+FF5E) and the ideographic space fold to ASCII; separators vanish.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD[0x3000] = None
for _sep in " -_.\u2014\u2013\u00b7\t\n\r":
    _FOLD[ord(_sep)] = None
_FOLD[0xFF0D] = None  # full-width hyphen

_USCC_LUT = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(USCC_ALPHABET):
    _USCC_LUT[ord(_c)] = _i
_ORG_LUT = np.full(256, -1, dtype=np.int64)
for _c in "0123456789":
    _ORG_LUT[ord(_c)] = int(_c)
for _i, _c in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ"):
    _ORG_LUT[ord(_c)] = 10 + _i


def normalize(values: pd.Series) -> pd.Series:
    """Upper-case ASCII spelling without separators (object dtype; nulls stay null)."""
    s = values.astype(object).where(values.notna(), None)
    text = s.map(lambda v: v if v is None or isinstance(v, str) else str(v))
    return text.str.translate(_FOLD).str.upper()


def _matrix(codes: pd.Series, width: int) -> np.ndarray:
    """Byte matrix (n, width) of ASCII strings already known to have that length."""
    if codes.empty:
        return np.zeros((0, width), dtype=np.uint8)
    raw = np.array(codes.tolist(), dtype=f"S{width}")
    return raw.view(np.uint8).reshape(len(codes), width)


def _uscc_ok(norm: pd.Series) -> pd.Series:
    # 'O' is not in the USCC alphabet, so a typed 'O' can only mean '0'.
    s = norm.str.replace("O", "0", regex=False)
    shape = s.str.fullmatch(r"\d{8}[0-9A-HJ-NPQRTUWXY]{10}").fillna(False).astype(bool)
    out = pd.Series(False, index=norm.index)
    good = s[shape]
    if not good.empty:
        m = _USCC_LUT[_matrix(good, 18)]
        total = m[:, :17] @ _USCC_WEIGHTS
        expected = (31 - total % 31) % 31
        out.loc[good.index] = expected == m[:, 17]
    return out


def _org_check(m: np.ndarray) -> np.ndarray:
    """Check value (0..10, 10 = 'X') for body matrix (n, 8) of org-code values."""
    total = m @ _ORG_WEIGHTS
    c = 11 - total % 11
    return np.where(c == 11, 0, c)


def _org_ok_matrix(m: np.ndarray) -> np.ndarray:
    body = _ORG_LUT[m[:, :8]]
    last = m[:, 8]
    actual = np.where(last == ord("X"), 10, _ORG_LUT[last])
    return (body >= 0).all(axis=1) & (actual >= 0) & (actual <= 10) & (_org_check(body) == actual)


def _org_code_ok(norm: pd.Series) -> pd.Series:
    shape = norm.str.fullmatch(r"[0-9A-Z]{8}[0-9X]").fillna(False).astype(bool)
    out = pd.Series(False, index=norm.index)
    good = norm[shape]
    if not good.empty:
        out.loc[good.index] = _org_ok_matrix(_matrix(good, 9))
    return out


def _reg_no_ok(norm: pd.Series) -> pd.Series:
    s = norm.str.replace("O", "0", regex=False)
    shape = s.str.fullmatch(r"\d{15}").fillna(False).astype(bool)
    out = pd.Series(False, index=norm.index)
    good = s[shape]
    if not good.empty:
        d = _matrix(good, 15).astype(np.int64) - ord("0")
        p = np.full(len(good), 10, dtype=np.int64)
        for i in range(14):  # ISO 7064 MOD 11,10
            t = (p + d[:, i]) % 10
            t = np.where(t == 0, 10, t)
            p = (2 * t) % 11
        out.loc[good.index] = (11 - p) % 10 == d[:, 14]
    return out


def _tax_no_ok(norm: pd.Series) -> pd.Series:
    # Legacy tax registration number: 6-digit region + the organisation code (own check char).
    s = norm.str.slice(0, 6).str.replace("O", "0", regex=False) + norm.str.slice(6)
    shape = s.str.fullmatch(r"\d{6}[0-9A-Z]{8}[0-9X]").fillna(False).astype(bool)
    out = pd.Series(False, index=norm.index)
    good = s[shape]
    if not good.empty:
        out.loc[good.index] = _org_ok_matrix(_matrix(good.str.slice(6), 9))
    return out


def _enterprise_id_ok(norm: pd.Series) -> pd.Series:
    return _uscc_ok(norm) | _tax_no_ok(norm) | _reg_no_ok(norm) | _org_code_ok(norm)


# ---- fast paths: canonical spellings only (upper case, no separators), judged in numpy ----


def _uscc_fast(values: pd.Series) -> np.ndarray:
    m = code_matrix(values, 18)
    v = ascii_lut(m[:, :18], _USCC_LUT[:128])
    ok = length_is(m, 18) & is_digit(m[:, :8]).all(axis=1) & (v[:, 8:] >= 0).all(axis=1)
    total = np.where(v[:, :17] >= 0, v[:, :17], 0) @ _USCC_WEIGHTS
    return ok & (((31 - total % 31) % 31) == v[:, 17])


def _org_fast_matrix(chars: np.ndarray) -> np.ndarray:
    """chars: (n, 9) code points of body + check."""
    body = ascii_lut(chars[:, :8], _ORG_LUT[:128])
    last = chars[:, 8]
    actual = np.where(last == ord("X"), 10, np.where(is_digit(last), last.astype(np.int64) - 48, -1))
    ok = (body >= 0).all(axis=1) & (actual >= 0)
    return ok & (_org_check(np.where(body >= 0, body, 0)) == actual)


def _org_code_fast(values: pd.Series) -> np.ndarray:
    m = code_matrix(values, 10)
    plain = length_is(m, 9)
    dashed = length_is(m, 10) & (m[:, 8] == ord("-"))
    chars = np.where(dashed[:, None], np.concatenate([m[:, :8], m[:, 9:10]], axis=1), m[:, :9])
    return (plain | dashed) & _org_fast_matrix(chars)


def _reg_no_fast(values: pd.Series) -> np.ndarray:
    m = code_matrix(values, 15)
    ok = length_is(m, 15) & is_digit(m[:, :15]).all(axis=1)
    d = np.where(ok[:, None], m[:, :15].astype(np.int64) - 48, 0)
    p = np.full(len(m), 10, dtype=np.int64)
    for i in range(14):  # ISO 7064 MOD 11,10
        t = (p + d[:, i]) % 10
        t = np.where(t == 0, 10, t)
        p = (2 * t) % 11
    return ok & ((11 - p) % 10 == d[:, 14])


def _tax_no_fast(values: pd.Series) -> np.ndarray:
    m = code_matrix(values, 15)
    return length_is(m, 15) & is_digit(m[:, :6]).all(axis=1) & _org_fast_matrix(m[:, 6:15])


def _enterprise_id_fast(values: pd.Series) -> np.ndarray:
    return _uscc_fast(values) | _tax_no_fast(values) | _reg_no_fast(values) | _org_code_fast(values)


_FAST = {"uscc": _uscc_fast, "org_code": _org_code_fast, "reg_no": _reg_no_fast, "tax_no": _tax_no_fast,
         "enterprise_id": _enterprise_id_fast}


def _er_check(kind: str) -> Callable[[str], bool] | None:
    """entity_resolution.identifiers' per-value judgement (authoritative for odd spellings)."""
    try:
        mod = importlib.import_module("entity_resolution.identifiers")
    except ImportError:
        return None
    if kind == "enterprise_id":
        classify = getattr(mod, "classify_identifier", None)
        if classify is None:
            return None
        return lambda raw: any(p.valid for p in classify(raw))
    parse = getattr(mod, "parse_identifier", None)
    if parse is None:
        return None

    def check(raw: str) -> bool:
        parsed = parse(raw, kind)
        return bool(parsed is not None and parsed.valid)

    return check


def _checked(kind: str, core: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    fast = _FAST[kind]

    def check(values: pd.Series) -> pd.Series:
        # Most values are written canonically: numpy judges those; only the rest are normalised.
        ok = pd.Series(fast(values), index=values.index)
        rest = values[~ok & values.notna()]
        if not rest.empty:
            ok.loc[rest.index] = core(normalize(rest)).to_numpy()
        retry = values[~ok & values.notna()]
        er = _er_check(kind) if not retry.empty else None
        if er is not None:
            def judged(v: object) -> bool:
                try:
                    return er(v if isinstance(v, str) else str(v))
                except Exception:  # noqa: BLE001 - a parser refusing a value means "invalid"
                    return False

            again = retry.map(judged).astype(bool)
            ok.loc[again.index[again.to_numpy()]] = True
        return ok.where(values.notna(), True).astype(bool)

    return check


uscc_valid = _checked("uscc", _uscc_ok)
org_code_valid = _checked("org_code", _org_code_ok)
reg_no_valid = _checked("reg_no", _reg_no_ok)
tax_no_valid = _checked("tax_no", _tax_no_ok)
enterprise_id_valid = _checked("enterprise_id", _enterprise_id_ok)


def is_valid(kind: str, value: str) -> bool:
    """Single-value form, e.g. is_valid('uscc', '914403001922038216')."""
    fn = {"uscc": uscc_valid, "org_code": org_code_valid, "reg_no": reg_no_valid, "tax_no": tax_no_valid,
          "enterprise_id": enterprise_id_valid}[kind]
    return bool(fn(pd.Series([value], dtype=object)).iloc[0])
