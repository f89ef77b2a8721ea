"""One synthetic population of Shenzhen companies: the truth every department source derives from."""

from __future__ import annotations

import datetime as dt
import random
from array import array
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from credithub.errors import ConfigError
from credithub.sandbox import identifiers as ids
from credithub.sandbox.words import (
    BUILDINGS,
    DISTRICT_WEIGHTS,
    DISTRICTS,
    GIVEN_CHARS,
    INDUSTRIES,
    ORG_FORMS,
    RARE_GIVEN_CHARS,
    REGION_PREFIX,
    ROADS,
    SURNAMES,
    TRADE_NAMES,
)

if TYPE_CHECKING:
    from credithub.sandbox.store import CompanyFile, Population

AS_OF = dt.date(2026, 11, 1)
"""The sandbox's "today": fixed so a seed always yields the same files (and no date lies in the future)."""
USCC_ERA = dt.date(2015, 10, 1)


class Company(BaseModel):
    company_id: str
    name: str
    trade_name: str
    industry_word: str
    org_form: str
    former_names: list[str] = Field(default_factory=list)
    uscc: str
    org_code: str
    reg_no: str | None = None
    tax_no: str | None = None
    legal_rep: str
    legal_rep_id: str
    phone: str
    registered_capital: float
    established: dt.date
    address: str
    district: str
    status: str
    industry: str
    business_scope: str
    tags: tuple[str, ...] = ()
    parent_id: str | None = None
    city: str = REGION_PREFIX
    """深圳市 for the population; another city for the few outside companies departments also mention."""

    @property
    def org_code_dashed(self) -> str:
        return f"{self.org_code[:8]}-{self.org_code[8]}"


def person_name(rng: random.Random) -> str:
    given = rng.choice(GIVEN_CHARS)
    if len(given) == 1 and rng.random() < 0.6:
        given += rng.choice([g for g in GIVEN_CHARS if len(g) == 1])
    if rng.random() < 0.03:
        given = rng.choice(RARE_GIVEN_CHARS) + given[1:]
    return rng.choice(SURNAMES) + given


def person_id(rng: random.Random, district_code: str, born: dt.date) -> str:
    """18-digit resident ID number (GB 11643 check) — only ever shown as a private field."""
    body = district_code + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _date_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _address(rng: random.Random, district: str) -> str:
    street = rng.choice(DISTRICTS[district][1])
    return (
        f"{REGION_PREFIX}{district}{street}{rng.choice(ROADS)}{rng.randint(1, 399)}号"
        f"{rng.choice(BUILDINGS)}{rng.randint(1, 30)}{rng.choice('ABCD')}{rng.randint(1, 20):02d}室"
    )


def build_population(rng: random.Random, companies: int, path: Path) -> CompanyFile:
    """Write `companies` companies, about 6 % of them branches of another one, to `path` (JSON Lines).

    The companies are streamed to disk as they are made (a city of 2.5 million would not fit in
    memory as models); the returned CompanyFile indexes them for random access.
    """
    from credithub.sandbox.store import CompanyFile

    districts = list(DISTRICTS)
    industry_words = list(INDUSTRIES)
    used_names = _UsedNames()
    used_codes = _CodeSet()
    n_main = main_count(companies)
    n_branches = companies - n_main
    # What the rename pass needs of each company, kept compact instead of as models.
    words = array("B")
    forms = array("B")
    part = path.with_name(path.name + ".part")
    draft = CompanyFile(part)
    with part.open("wb") as f:
        for i in range(n_main):
            # Reusing a trade name with another industry word yields a distinct company (华信科技 vs 华信电子).
            trade, word = _new_name(rng, used_names, lambda: rng.choice(industry_words))
            c = _company(rng, f"C{i + 1:05d}", trade, word, districts, used_codes)
            words.append(industry_words.index(c.industry_word))
            forms.append(ORG_FORMS.index(c.org_form))
            draft.append_line(f, c)
        for _ in range(n_branches):
            parent_at = rng.randrange(len(draft))
            f.flush()  # the parent may be a branch written a moment ago
            parent = draft.get(parent_at)
            draft.append_line(f, _branch(rng, f"C{len(draft) + 1:05d}", parent, districts, used_codes))
    # Renames: former names use a trade name/industry combination no current company holds.
    renames: dict[int, str] = {}
    for i in range(companies):
        if i < n_main and rng.random() < 0.12:

            def renamed_word(own: str = industry_words[words[i]]) -> str:
                return rng.choice(industry_words) if rng.random() < 0.5 else own

            trade, word = _new_name(rng, used_names, renamed_word)
            renames[i] = f"{REGION_PREFIX}{trade}{word}{ORG_FORMS[forms[i]]}"
    out = CompanyFile(path)
    with part.open("rb") as src, path.open("wb") as dst:
        for i, line in enumerate(src):
            if i in renames:
                c = Company.model_validate_json(line)
                c.former_names = [renames[i]]
                out.append_line(dst, c)
            else:
                out.append_raw(dst, line, draft.index.status[i], draft.index.tags[i])
    draft.close()
    part.unlink()
    return out


class _UsedNames:
    """(trade name, industry word) pairs already taken, as small ints (a set of 2.8 million tuples is 0.5 GB)."""

    def __init__(self) -> None:
        self._keys: set[int] = set()

    @staticmethod
    def _key(trade: str, word: str) -> int:
        code = 0
        for ch in trade:
            code = code * (len(_TRADE_CHARS) + 1) + _CHAR_CODE.get(ch, len(_TRADE_CHARS))
        return (code * (len(_TRADE_CHARS) + 1) + len(trade)) * 64 + _WORD_CODE[word]

    def __contains__(self, pair: tuple[str, str]) -> bool:
        return self._key(*pair) in self._keys

    def add(self, pair: tuple[str, str]) -> None:
        self._keys.add(self._key(*pair))

    def __len__(self) -> int:
        return len(self._keys)


class _CodeSet:
    """Organization codes already issued, as ints (codes are base-36 strings)."""

    def __init__(self) -> None:
        self._codes: set[int] = set()

    def __contains__(self, code: str) -> bool:
        return int(code, 36) in self._codes

    def add(self, code: str) -> None:
        self._codes.add(int(code, 36))


OUTSIDE_CITIES = (
    ("广州市", "440100", "天河区"),
    ("东莞市", "441900", "南城街道"),
    ("佛山市", "440600", "顺德区"),
    ("惠州市", "441300", "惠城区"),
)


def build_outsiders(rng: random.Random, population: Population, n: int) -> Population:
    """Companies registered in other cities that Shenzhen departments still record (courts, customs).

    Some share a Shenzhen company's trade name and industry (广州市华信科技有限公司 is not 深圳市华信科技有限公司).
    They are appended to the population's file after it; the returned view holds just them.
    """
    from credithub.sandbox.store import Population

    used = _CodeSet()
    # Branches come last in the population: the companies that are no branch are its head.
    mains = population.view(0, main_count(len(population)))
    file = population.file
    start = len(file)
    with file.path.open("ab") as f:
        for i in range(n):
            city, region, area = OUTSIDE_CITIES[i % len(OUTSIDE_CITIES)]
            twin = rng.choice(mains)
            trade, word = (
                (twin.trade_name, twin.industry_word) if i % 2 == 0 else (rng.choice(TRADE_NAMES), twin.industry_word)
            )
            c = _company(rng, f"X{i + 1:04d}", trade, word, list(DISTRICTS), used)
            org = _unique_org(rng, True, used)
            outsider = c.model_copy(
                update={
                    "name": f"{city}{trade}{word}{c.org_form}",
                    "city": city,
                    "district": area,
                    "former_names": [],
                    "uscc": ids.make_uscc(region, org),
                    "org_code": org,
                    "reg_no": None,
                    "tax_no": None,
                    "address": f"{city}{area}{rng.choice(ROADS)}{rng.randint(1, 399)}号",
                    "status": "存续",
                }
            )
            file.append_line(f, outsider)
    return Population(file, start, len(file))


def main_count(companies: int) -> int:
    """How many of `companies` are no branch (they come first; about 6 % branches follow)."""
    return companies - max(1, companies * 6 // 100)


_TRADE_CHARS = tuple(sorted({ch for t in TRADE_NAMES for ch in t}))


_CHAR_CODE = {ch: i for i, ch in enumerate(_TRADE_CHARS)}
_WORD_CODE = {w: i for i, w in enumerate(INDUSTRIES)}
_COMPOSED_FULL = len(_TRADE_CHARS) ** 2 * len(INDUSTRIES) // 2
"""Taken names past which two-character trade names are too crowded to find a free one quickly."""


def _new_name(rng: random.Random, used: _UsedNames, pick_word: Callable[[], str]) -> tuple[str, str]:
    """A (trade name, industry word) no company holds yet; common trade names first, then composed ones."""
    if len(used) >= _COMPOSED_FULL:
        # A city-sized population (beyond about 220,000 companies) has used up half of the two-character
        # names (145² × 24): founders then pick three characters. Smaller populations never get here,
        # so their files stay as they were.
        for _ in range(10_000):
            trade = rng.choice(_TRADE_CHARS) + rng.choice(_TRADE_CHARS) + rng.choice(_TRADE_CHARS)
            word = pick_word()
            if (trade, word) not in used:
                used.add((trade, word))
                return trade, word
        raise ConfigError("population too large for the name space", field="companies", value=len(used))
    for attempt in range(10_000):
        # Once the common names are taken, compose one, as founders do.
        trade = rng.choice(TRADE_NAMES) if attempt < 30 else rng.choice(_TRADE_CHARS) + rng.choice(_TRADE_CHARS)
        word = pick_word()
        if (trade, word) not in used:
            used.add((trade, word))
            return trade, word
    raise ConfigError("population too large for the name space", field="companies", value=len(used))


def _unique_org(rng: random.Random, new_style: bool, used: _CodeSet) -> str:
    while True:
        code = ids.make_org_code(rng, new_style=new_style)
        if code not in used:
            used.add(code)
            return code


def _company(rng: random.Random, cid: str, trade: str, word: str, districts: list[str], used: _CodeSet) -> Company:
    district = rng.choices(districts, weights=DISTRICT_WEIGHTS)[0]
    code = DISTRICTS[district][0]
    established = _date_between(rng, dt.date(1993, 1, 1), dt.date(2025, 12, 31))
    old = established < USCC_ERA
    org = _unique_org(rng, not old, used)
    region = "440300" if rng.random() < 0.7 else code
    form = rng.choice(ORG_FORMS)
    category, scope, tags = INDUSTRIES[word]
    status = rng.choices(["存续", "在业", "吊销", "注销"], weights=[78, 10, 6, 6])[0]
    return Company(
        company_id=cid,
        name=f"{REGION_PREFIX}{trade}{word}{form}",
        trade_name=trade,
        industry_word=word,
        org_form=form,
        uscc=ids.make_uscc(region, org),
        org_code=org,
        reg_no=ids.make_reg_no(rng, code if rng.random() < 0.6 else "440301") if old else None,
        tax_no=ids.make_tax_no(code, org) if old else None,
        legal_rep=person_name(rng),
        legal_rep_id=person_id(rng, code, _date_between(rng, dt.date(1955, 1, 1), dt.date(1998, 12, 31))),
        phone=f"1{rng.choice('3589')}{rng.randrange(10**9):09d}",
        registered_capital=float(
            rng.choice([10, 50, 100, 200, 300, 500, 1000, 2000, 5000, 10000]) * rng.choice([1, 1, 1, 1.5, 2])
        ),
        established=established,
        address=_address(rng, district),
        district=district,
        status=status,
        industry=category,
        business_scope=scope,
        tags=tags,
    )


def _branch(rng: random.Random, cid: str, parent: Company, districts: list[str], used: _CodeSet) -> Company:
    district = rng.choice([d for d in districts if d != "大鹏新区"])
    code = DISTRICTS[district][0]
    established = _date_between(rng, max(parent.established, dt.date(2000, 1, 1)), dt.date(2025, 12, 31))
    old = established < USCC_ERA
    org = _unique_org(rng, not old, used)
    label = district.removesuffix("区").removesuffix("新")
    return parent.model_copy(
        update={
            "company_id": cid,
            "name": f"{parent.name}{label}分公司",
            "former_names": [],
            "uscc": ids.make_uscc(code, org),
            "org_code": org,
            "reg_no": ids.make_reg_no(rng, code) if old else None,
            "tax_no": ids.make_tax_no(code, org) if old else None,
            "legal_rep": person_name(rng),
            "legal_rep_id": person_id(rng, code, _date_between(rng, dt.date(1960, 1, 1), dt.date(1998, 12, 31))),
            "registered_capital": 0.0,
            "established": established,
            "address": _address(rng, district),
            "district": district,
            "status": "存续" if parent.status in {"存续", "在业"} else parent.status,
            "parent_id": parent.company_id,
        }
    )
