"""Fixture profiles and backend factories for the search tests.

Identifiers carry real check digits (USCC via python-stdnum, organisation code and
registration number computed per GB 11714 / ISO 7064 MOD 11,10) so the identifier
normalisers treat them as the genuine article.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_10

from credithub.domain import CreditSummary, Profile, ProfileIdentity
from credithub.search.base import SearchBackend
from credithub.search.documents import profile_document
from credithub.settings import Settings

ES_URL = os.environ.get("CREDITHUB_ES_URL")
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def org_code(body: str) -> str:
    total = sum(w * (int(c) if c.isdigit() else ord(c) - 55) for w, c in zip(_ORG_WEIGHTS, body, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def uscc_for(org: str, region: str = "440300") -> str:
    body = "91" + region + org
    return body + stdnum_uscc.calc_check_digit(body)


def reg_no(region: str, seq: int) -> str:
    body = f"{region}{seq:08d}"
    return body + mod_11_10.calc_check_digit(body)


def make_profile(
    entity_id: str,
    name: str,
    org_body: str,
    *,
    former: list[str] | None = None,
    other: list[str] | None = None,
    district: str = "南山区",
    status: str = "存续",
    industry: str = "软件和信息技术服务业",
    established: dt.date = dt.date(2015, 1, 1),
    capital: float = 100.0,
    with_org_code: bool = True,
    **summary: Any,
) -> Profile:
    org = org_code(org_body)
    seq = int("".join(c for c in org_body if c.isdigit()) or "1")
    return Profile(
        entity_id=entity_id,
        identity=ProfileIdentity(
            name=name,
            former_names=former or [],
            other_names=other or [],
            uscc=uscc_for(org),
            org_code=f"{org[:8]}-{org[8]}" if with_org_code else None,
            reg_nos=[reg_no("440301", seq)],
            tax_nos=["440300" + org],
            district=district,
            status=status,
            industry=industry,
            established=established,
            registered_capital=capital,
        ),
        summary=CreditSummary(**summary),
    )


def fixture_profiles() -> list[Profile]:
    named = [
        make_profile("E-HUAXIN-TECH", "深圳市华信科技有限公司", "19220382", former=["深圳市华信网络有限公司"],
                     district="南山区", industry="软件和信息技术服务业", established=dt.date(2012, 3, 15), capital=1000,
                     tax_rating="A", red_list=True),
        make_profile("E-HUAXIN-ELEC", "深圳市华信电子有限公司", "27934511", district="福田区", industry="制造业",
                     established=dt.date(2008, 6, 1), capital=500, tax_rating="B", abnormal_operations=True),
        make_profile("E-TENGLONG", "腾龙精密制造（深圳）有限公司", "35812046", district="宝安区", industry="制造业",
                     established=dt.date(2005, 9, 9), capital=3000, tax_rating="M", customs_grade="高级认证企业"),
        make_profile("E-PENGCHENG", "深圳市鹏程物流有限公司", "45518723", district="龙岗区", status="吊销",
                     industry="交通运输、仓储和邮政业", established=dt.date(2010, 1, 20), capital=200, tax_rating="C",
                     dishonest_debtor=True, serious_dishonest=True),
        make_profile("E-LANHAI", "深圳市蓝海贸易有限公司", "56129834", district="罗湖区", status="注销",
                     industry="批发和零售业", established=dt.date(2001, 11, 11), capital=50, tax_rating="D"),
        make_profile("E-LVYUAN", "深圳市绿源环保科技有限公司", "68234190", district="龙岗区", industry="生态保护和环境治理业",
                     established=dt.date(2018, 4, 2), capital=800, environment_rating="绿", tax_rating="A"),
        make_profile("E-HUAXIN-BRANCH", "深圳市华信科技有限公司南山分公司", "79341267", district="南山区",
                     established=dt.date(2016, 7, 7), capital=0, with_org_code=False),
        make_profile("E-JINPENGDA", "深圳市金鹏达实业有限公司", "81456329", other=["深圳市金鹏达实业发展有限公司"],
                     district="宝安区", industry="制造业", established=dt.date(2003, 2, 28), capital=2000),
        make_profile("E-ZHIYUAN", "深圳市智远云计算有限公司", "92567431", former=["深圳市博雅软件开发有限公司"],
                     district="福田区", established=dt.date(2020, 8, 8), capital=300, tax_rating="B"),
    ]
    trades = ["星辰", "远航", "博通", "凯达", "瑞丰", "恒泰", "嘉禾", "宏图", "新锐", "安捷", "卓越", "万象"]
    fillers = [
        make_profile(f"E-FILL-{i:02d}", f"深圳市{t}科技有限公司", f"{60000000 + i * 7919:08d}",
                     district=["南山区", "福田区", "宝安区"][i % 3], established=dt.date(2000 + i, 1 + i % 12, 1),
                     capital=float(10 * (i + 1)), tax_rating="A" if i % 2 else "B")
        for i, t in enumerate(trades)
    ]
    return named + fillers


@pytest.fixture
def profiles() -> list[Profile]:
    return fixture_profiles()


@pytest.fixture
def documents(profiles: list[Profile]) -> list[dict[str, Any]]:
    return [profile_document(p) for p in profiles]


BackendFactory = Callable[[], SearchBackend]


def _embedded_factory(tmp_path: Path) -> BackendFactory:
    from credithub.search.embedded import EmbeddedBackend

    return lambda: EmbeddedBackend(tmp_path / "index")


def _es_factory(tmp_path: Path) -> BackendFactory:
    from credithub.search.elastic import ElasticBackend

    settings = Settings(var_dir=tmp_path / "var", search_backend="elasticsearch", es_url=ES_URL,
                        es_index_prefix=f"chtest-{uuid.uuid4().hex[:8]}")
    return lambda: ElasticBackend.from_settings(settings)


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend_factory(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BackendFactory]:
    """Opens backends on one shared store (several objects = several readers/processes)."""
    if request.param == "elasticsearch":
        if not ES_URL:
            pytest.skip("CREDITHUB_ES_URL is not set: the contract suite runs against a real cluster only when given one")
        factory = _es_factory(tmp_path)
    else:
        factory = _embedded_factory(tmp_path)
    opened: list[SearchBackend] = []

    def open_one() -> SearchBackend:
        backend = factory()
        opened.append(backend)
        return backend

    yield open_one
    if request.param == "elasticsearch" and opened:
        opened[0].drop_all()  # type: ignore[attr-defined]
    for backend in opened:
        backend.close()


@pytest.fixture
def backend(backend_factory: BackendFactory, documents: list[dict[str, Any]]) -> SearchBackend:
    b = backend_factory()
    b.rebuild(documents)
    return b
