"""Synthetic Shenzhen company profiles and realistic query variants for the search benchmarks.

Names follow region + trade name (字号) + industry + form, unique per trade name +
industry like a real registration authority; identifiers carry real check digits.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

import opencc
from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_10

from credithub.domain import CreditSummary, Profile, ProfileIdentity

TRADE_CHARS = (
    "华信腾龙鹏程蓝海绿源金达智远博雅星辰远航通凯瑞丰恒泰嘉禾宏图新锐安捷卓越万象中天富康盛世永安宝利德隆"
    "兴旺鑫源广汇东方明亮光辉正大国际长城海洋宇宙天地人和美佳乐福祥云飞扬振兴伟业创新科达讯联网易迅捷锦绣"
    "前程似春秋夏冬日月山川湖泊松柏梅兰竹菊青红白黑紫橙黄银铜铁玉石晶彩虹霞雨雪风雷电声影像图文书画诗词歌"
    "赋琴棋盈利润泽惠民生态环境保护"
)
INDUSTRIES = (
    "科技", "电子", "贸易", "实业", "投资", "物流", "建筑工程", "房地产", "餐饮管理", "信息技术", "网络科技",
    "供应链管理", "医疗器械", "生物科技", "新能源", "环保科技", "精密制造", "服装", "食品", "文化传媒",
    "教育咨询", "智能科技", "光电", "五金制品", "塑胶制品", "家具", "汽车服务", "旅游", "物业管理", "装饰工程",
)
FORMS = ("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司")
DISTRICTS = ("福田区", "罗湖区", "南山区", "盐田区", "宝安区", "龙岗区", "龙华区", "坪山区", "光明区", "大鹏新区")
STATUSES = ("存续", "存续", "存续", "在业", "吊销", "注销", "迁出")
INDUSTRY_CATEGORIES = ("制造业", "批发和零售业", "软件和信息技术服务业", "建筑业", "交通运输、仓储和邮政业", "住宿和餐饮业")
RATINGS = ("A", "B", "M", "C", "D", None)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_T2S_REVERSE = opencc.OpenCC("s2t")


def _org_code(body: str) -> str:
    total = sum(w * int(c) for w, c in zip(_ORG_WEIGHTS, body, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


@dataclass(frozen=True)
class Company:
    index: int
    trade: str
    industry: str
    form: str
    org: str

    @property
    def uscc(self) -> str:
        body = "91440300" + self.org
        return body + stdnum_uscc.calc_check_digit(body)

    @property
    def reg_no(self) -> str:
        body = f"440301{self.index:08d}"
        return body + mod_11_10.calc_check_digit(body)

    @property
    def name(self) -> str:
        if self.index % 10 == 7:
            return f"{self.trade}{self.industry}(深圳){self.form}"
        return f"深圳市{self.trade}{self.industry}{self.form}"


def companies(n: int, seed: int = 7) -> Iterator[Company]:
    rng = random.Random(seed)
    seen: set[tuple[str, str]] = set()
    i = 0
    while i < n:
        length = 2 if rng.random() < 0.55 else 3
        trade = "".join(rng.choice(TRADE_CHARS) for _ in range(length))
        industry = rng.choice(INDUSTRIES)
        if (trade, industry) in seen:
            continue
        seen.add((trade, industry))
        yield Company(i, trade, industry, rng.choice(FORMS), _org_code(f"{10000000 + i * 89:08d}"[-8:]))
        i += 1


def profile(c: Company) -> Profile:
    rng = random.Random(c.index)
    return Profile(
        entity_id=f"E{c.index:08d}",
        identity=ProfileIdentity(
            name=c.name,
            former_names=[f"深圳市{c.trade}{rng.choice(INDUSTRIES)}有限公司"] if c.index % 8 == 0 else [],
            uscc=c.uscc,
            org_code=f"{c.org[:8]}-{c.org[8]}",
            reg_nos=[c.reg_no],
            tax_nos=["440300" + c.org],
            district=DISTRICTS[c.index % len(DISTRICTS)],
            status=rng.choice(STATUSES),
            industry=rng.choice(INDUSTRY_CATEGORIES),
            established=dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(11000)),
            registered_capital=float(rng.choice((10, 50, 100, 500, 1000, 5000))),
        ),
        summary=CreditSummary(
            tax_rating=rng.choice(RATINGS),
            dishonest_debtor=rng.random() < 0.02,
            abnormal_operations=rng.random() < 0.05,
            serious_dishonest=rng.random() < 0.005,
            red_list=rng.random() < 0.01,
        ),
    )


def variants(c: Company, rng: random.Random) -> dict[str, str]:
    """Query spellings of one company's name, keyed by the variant kind."""
    full = f"深圳市{c.trade}{c.industry}{c.form}"
    chars = list(full)
    # Typo inside trade name or industry (never in the region, which is stripped anyway).
    pos = rng.randrange(3, 3 + len(c.trade) + len(c.industry))
    chars[pos] = rng.choice([ch for ch in TRADE_CHARS if ch != chars[pos]])
    return {
        "exact": c.name,
        "typo": "".join(chars),
        "traditional": _T2S_REVERSE.convert(full),
        "region_dropped": f"{c.trade}{c.industry}{c.form}",
        "region_bracketed": f"{c.trade}{c.industry}（深圳）{c.form}",
    }
