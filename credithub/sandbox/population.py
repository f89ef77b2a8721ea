"""One synthetic population of Shenzhen companies: the truth every department source derives from."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

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


def build_population(rng: random.Random, companies: int) -> list[Company]:
    """`companies` companies, about 6 % of them branches of another one."""
    districts = list(DISTRICTS)
    industry_words = list(INDUSTRIES)
    used_names: set[tuple[str, str]] = set()
    used_codes: set[str] = set()
    out: list[Company] = []
    n_branches = max(1, companies * 6 // 100)
    for i in range(companies - n_branches):
        # Reusing a trade name with another industry word yields a distinct company (华信科技 vs 华信电子).
        trade, word = _new_name(rng, used_names, lambda: rng.choice(industry_words))
        out.append(_company(rng, f"C{i + 1:05d}", trade, word, districts, used_codes))
    for _ in range(n_branches):
        parent = out[rng.randrange(len(out))]
        out.append(_branch(rng, f"C{len(out) + 1:05d}", parent, districts, used_codes))
    # Renames: former names use a trade name/industry combination no current company holds.
    for c in out:
        if c.parent_id is None and rng.random() < 0.12:

            def renamed_word(own: str = c.industry_word) -> str:
                return rng.choice(industry_words) if rng.random() < 0.5 else own

            trade, word = _new_name(rng, used_names, renamed_word)
            c.former_names = [f"{REGION_PREFIX}{trade}{word}{c.org_form}"]
    return out


OUTSIDE_CITIES = (
    ("广州市", "440100", "天河区"),
    ("东莞市", "441900", "南城街道"),
    ("佛山市", "440600", "顺德区"),
    ("惠州市", "441300", "惠城区"),
)


def build_outsiders(rng: random.Random, population: list[Company], n: int) -> list[Company]:
    """Companies registered in other cities that Shenzhen departments still record (courts, customs).

    Some share a Shenzhen company's trade name and industry (广州市华信科技有限公司 is not 深圳市华信科技有限公司).
    """
    used: set[str] = set()
    out = []
    for i in range(n):
        city, region, area = OUTSIDE_CITIES[i % len(OUTSIDE_CITIES)]
        twin = rng.choice([c for c in population if c.parent_id is None])
        trade, word = (
            (twin.trade_name, twin.industry_word) if i % 2 == 0 else (rng.choice(TRADE_NAMES), twin.industry_word)
        )
        c = _company(rng, f"X{i + 1:04d}", trade, word, list(DISTRICTS), used)
        org = _unique_org(rng, True, used)
        out.append(
            c.model_copy(
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
        )
    return out


_TRADE_CHARS = tuple(sorted({ch for t in TRADE_NAMES for ch in t}))


def _new_name(rng: random.Random, used: set[tuple[str, str]], pick_word: Callable[[], str]) -> tuple[str, str]:
    """A (trade name, industry word) no company holds yet; common trade names first, then composed ones."""
    for attempt in range(10_000):
        # Once the common names are taken, compose one, as founders do.
        trade = rng.choice(TRADE_NAMES) if attempt < 30 else rng.choice(_TRADE_CHARS) + rng.choice(_TRADE_CHARS)
        word = pick_word()
        if (trade, word) not in used:
            used.add((trade, word))
            return trade, word
    raise ConfigError("population too large for the name space", field="companies", value=len(used))


def _unique_org(rng: random.Random, new_style: bool, used: set[str]) -> str:
    while True:
        code = ids.make_org_code(rng, new_style=new_style)
        if code not in used:
            used.add(code)
            return code


def _company(rng: random.Random, cid: str, trade: str, word: str, districts: list[str], used: set[str]) -> Company:
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


def _branch(rng: random.Random, cid: str, parent: Company, districts: list[str], used: set[str]) -> Company:
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
