"""Fixed-width code-point matrices: vectorised character tests without a Python call per value.

np.array(values, dtype="U<w+1>") copies every string into a fixed-width UCS-4 buffer in C;
viewed as uint32 it becomes an (n, w+1) matrix, so shape and check-digit tests are numpy
array operations. Column w is 0 exactly when the value is at most w characters long.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def code_matrix(values: pd.Series, width: int) -> np.ndarray:
    """(n, width + 1) uint32 code points; non-text values become their str() (judged elsewhere)."""
    arr = values.to_numpy(dtype=object)
    if len(arr) == 0:
        return np.zeros((0, width + 1), dtype=np.uint32)
    text = np.array(arr, dtype=f"U{width + 1}")
    return text.view(np.uint32).reshape(len(arr), width + 1)


def length_is(m: np.ndarray, n: int) -> np.ndarray:
    """Rows whose text has exactly n characters (n < matrix width)."""
    ok = m[:, n] == 0
    if n:
        ok &= m[:, n - 1] != 0
    return ok


def is_digit(m: np.ndarray) -> np.ndarray:
    return (m >= 48) & (m <= 57)


def ascii_lut(m: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """Look code points up in a 128-entry table; anything non-ASCII reads as entry 127 (DEL), which
    every table maps to -1."""
    return lut.take(np.minimum(m, 127).astype(np.intp))
