"""How people mistype company names and identifiers: the noise departments add to the truth."""

from __future__ import annotations

import datetime as dt
import random
from functools import lru_cache

from credithub.sandbox import identifiers as ids
from credithub.sandbox.population import Company
from credithub.sandbox.words import REGION_PREFIX

_FULL = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
)
_TYPO = {
    "华": "化",
    "信": "讯",
    "达": "大",
    "源": "原",
    "泰": "太",
    "盛": "胜",
    "丰": "峰",
    "科": "可",
    "恒": "衡",
    "鑫": "新",
    "宏": "弘",
    "瑞": "锐",
    "通": "同",
    "远": "原",
    "创": "闯",
    "金": "今",
    "海": "每",
    "德": "得",
}


@lru_cache(maxsize=1)
def _s2t():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("s2t")


def traditional(text: str) -> str:
    return _s2t().convert(text)


def name_variant(rng: random.Random, c: Company) -> str:
    """Another spelling of the same company's name, as a department clerk might write it."""
    base = c.name
    core = base.removeprefix(REGION_PREFIX)
    choice = rng.randrange(7)
    if choice == 0:
        return core  # region dropped
    if choice == 1 and c.parent_id is None:
        form = c.org_form
        stem = core.removesuffix(form)
        return f"{stem}（深圳）{form}" if rng.random() < 0.6 else f"{stem}(深圳){form}"
    if choice == 2:
        return traditional(base)
    if choice == 3:
        if "有限责任公司" in base:
            return base.replace("有限责任公司", "有限公司")
        return base.replace("有限公司", "有限责任公司", 1) if "股份" not in base else base
    if choice == 4:
        return "深圳" + core  # shortened region
    if choice == 5:
        return typo(rng, base)
    return base + " " if rng.random() < 0.5 else " " + base


def typo(rng: random.Random, name: str) -> str:
    positions = [i for i, ch in enumerate(name) if ch in _TYPO and i >= 3]
    if not positions:
        return name
    i = rng.choice(positions)
    return name[:i] + _TYPO[name[i]] + name[i + 1 :]


def id_variant(rng: random.Random, value: str) -> str | None:
    """The identifier typed wrongly: a wrong digit, case, width, separators, O for 0, or missing."""
    choice = rng.randrange(7)
    if choice == 0:
        # A wrong digit the check character catches (a typo that still checks out is another company's code).
        digits = [i for i, ch in enumerate(value[:-1]) if ch.isdigit() and i >= 2]
        for _ in range(20):
            i = rng.choice(digits)
            typo = value[:i] + str((int(value[i]) + rng.randint(1, 9)) % 10) + value[i + 1 :]
            if not _checks_out(typo):
                return typo
        return None
    if choice == 1:
        return value.lower() if any(ch.isalpha() for ch in value) else value.translate(_FULL)
    if choice == 2:
        return value.translate(_FULL)
    if choice == 3:
        return " ".join(value[i : i + 6] for i in range(0, len(value), 6))
    if choice == 4:
        return value[:6] + "-" + value[6:] if len(value) > 9 else value[:8] + "-" + value[8:]
    if choice == 5:
        return value.replace("0", "O", 1)
    return None


def _checks_out(value: str) -> bool:
    compact = value.replace("-", "")
    if len(compact) == 18:
        return ids.uscc_is_valid(compact)
    if len(compact) == 9:
        return ids.org_code_is_valid(compact)
    if len(compact) == 15:
        return ids.reg_no_is_valid(compact) or ids.org_code_is_valid(compact[6:])
    return False


def bad_date(rng: random.Random, date: dt.date) -> str:
    """A date validation must reject: impossible, in the future, or in another format."""
    choice = rng.randrange(4)
    if choice == 0:
        return f"{date.year}-02-30"
    if choice == 1:
        return (dt.date(2027, 1, 1) + dt.timedelta(days=rng.randrange(600))).isoformat()
    if choice == 2:
        return date.strftime("%Y/%m/%d")
    return date.strftime("%Y年%m月%d日")
