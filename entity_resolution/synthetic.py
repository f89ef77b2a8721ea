"""A fast synthetic population of Shenzhen companies and the records departments write about them.

Used by the tests and the benchmarks (up to millions of records) independently of the sandbox:
realistic name variants (region dropped / bracketed / shortened, traditional characters,
有限责任公司 vs 有限公司, homophone and other typos, stray spaces), branches, the same trade
name with another industry word, renames, and identifiers that are missing or mistyped
(wrong digit, lower case, full width, spaces, hyphens, O for 0).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from functools import lru_cache

from stdnum.cn import uscc as stdnum_uscc
from stdnum.iso7064 import mod_11_10

from entity_resolution.identifiers import org_code_check_char

TRADE_CHARS = (
    "华信腾达鑫源宏图盛世恒泰佳禾瑞丰中科金桥海纳天翼博远凯旋锦程和永兴福嘉汇通力拓正万家美创新联星辰蓝东方南粤鹏城"
    "前深云帆致德同长青立安捷康宜明卓越晨光旭日宝利业诚顺百川九州圆鼎融启思拓普睿智优品乐弘毅精广富民鸿运祥昌众辉"
    "银河航亚太夏润泽铭合迅至虹然益佳骏乾坤朗澳荣汉唐宋元清风雅颂"
)
INDUSTRIES = (
    "科技", "电子", "信息技术", "贸易", "实业", "投资", "物流", "运输", "建筑工程", "装饰工程", "餐饮管理", "食品",
    "生物科技", "医疗器械", "环保科技", "新能源", "化工", "精密制造", "建材", "供应链管理", "房地产开发", "置业",
    "服装", "家具", "网络科技", "电子商务", "文化传播", "智能科技", "光电", "五金",
)
FORMS = ("有限公司", "有限公司", "有限公司", "有限责任公司", "股份有限公司")
DISTRICTS = (("南山", "440305"), ("福田", "440304"), ("罗湖", "440303"), ("宝安", "440306"), ("龙岗", "440307"),
             ("龙华", "440309"), ("光明", "440311"), ("坪山", "440310"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余叶杜苏魏程吕丁沈钟卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚文辉鹏华宇浩俊婷雪琳晨欣思嘉子家振国永庆"
# Input-method homophones and look-alikes clerks type instead of the right character.
TYPOS = {"华": "化", "信": "讯", "达": "大", "源": "原", "泰": "太", "盛": "胜", "丰": "峰", "科": "可", "恒": "衡",
         "鑫": "新", "宏": "弘", "瑞": "锐", "通": "同", "远": "原", "创": "闯", "金": "今", "海": "每", "德": "得",
         "明": "名", "安": "按", "嘉": "佳", "星": "兴", "城": "成", "辉": "晖", "鹏": "朋", "凯": "铠"}
_FULL = str.maketrans("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ")
_ORG_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"


@lru_cache(maxsize=1)
def _s2t():  # type: ignore[no-untyped-def]
    import opencc

    return opencc.OpenCC("s2t")


@dataclass(slots=True)
class Company:
    cid: str
    trade: str
    industry: str
    form: str
    uscc: str
    org_code: str
    reg_no: str | None
    tax_no: str | None
    legal_rep: str
    established: str
    address: str
    branch: str = ""
    former: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"深圳市{self.trade}{self.industry}{self.form}{self.branch}"


def _org(rng: random.Random, new: bool) -> str:
    body = ("MA5" + "".join(rng.choice("0123456789" + _ORG_LETTERS) for _ in range(5))) if new else \
        "".join(rng.choice("0123456789") for _ in range(8))
    return body + org_code_check_char(body)


def _uscc(region: str, org: str) -> str:
    body = "91" + region + org
    return body + stdnum_uscc.calc_check_digit(body)


def _reg_no(rng: random.Random, region: str, used: set[str]) -> str:
    while True:
        body = region + "10" + "".join(rng.choice("0123456789") for _ in range(6))
        if body not in used:
            used.add(body)
            return body + mod_11_10.calc_check_digit(body)


def population(n: int, seed: int = 7) -> list[Company]:
    """`n` companies: ~6 % branches, a third sharing a trade name with another industry, 10 % renamed."""
    rng = random.Random(seed)
    used_names: set[tuple[str, str]] = set()
    used_orgs: set[str] = set()
    used_regs: set[str] = set()
    out: list[Company] = []
    n_branch = n * 6 // 100
    trade_len = 2 if n < 2000 else 3

    def fresh_name() -> tuple[str, str]:
        while True:
            if out and rng.random() < 0.3:
                trade = rng.choice(out).trade  # same trade name, another industry word
            else:
                trade = "".join(rng.choice(TRADE_CHARS) for _ in range(rng.choice((2, trade_len))))
            ind = rng.choice(INDUSTRIES)
            if (trade, ind) not in used_names:
                used_names.add((trade, ind))
                return trade, ind

    def fresh_org(new: bool) -> str:
        while True:
            code = _org(rng, new)
            if code not in used_orgs:
                used_orgs.add(code)
                return code

    for i in range(n - n_branch):
        trade, ind = fresh_name()
        est = dt.date(1995, 1, 1) + dt.timedelta(days=rng.randrange(11000))
        old = est < dt.date(2015, 10, 1)
        district, code = rng.choice(DISTRICTS)
        org = fresh_org(not old)
        out.append(Company(
            cid=f"C{i:07d}", trade=trade, industry=ind, form=rng.choice(FORMS),
            uscc=_uscc("440300" if rng.random() < 0.7 else code, org), org_code=org,
            reg_no=_reg_no(rng, code, used_regs) if old else None, tax_no=code + org if old else None,
            legal_rep=rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.6 else ""),
            established=est.isoformat(),
            address=f"深圳市{district}区{rng.choice('深南大道滨河大道科技路')}{rng.randint(1, 999)}号{rng.randint(1, 30)}楼",
        ))
        if rng.random() < 0.1:
            ftrade, find = fresh_name()
            out[-1].former.append(f"深圳市{ftrade}{find}{out[-1].form}")
    heads = len(out)
    for j in range(n_branch):
        parent = out[rng.randrange(heads)]
        district, code = rng.choice(DISTRICTS)
        if f"{district}分公司" == parent.branch:
            continue
        est = dt.date(2000, 1, 1) + dt.timedelta(days=rng.randrange(9000))
        old = est < dt.date(2015, 10, 1)
        org = fresh_org(not old)
        branch = Company(
            cid=f"B{j:07d}", trade=parent.trade, industry=parent.industry, form=parent.form,
            uscc=_uscc(code, org), org_code=org, reg_no=_reg_no(rng, code, used_regs) if old else None,
            tax_no=code + org if old else None, legal_rep=rng.choice(SURNAMES) + rng.choice(GIVEN),
            established=est.isoformat(), address=f"深圳市{district}区工业路{rng.randint(1, 99)}号",
            branch=f"{district}分公司",
        )
        if (parent.trade, parent.industry, branch.branch) in used_names:  # type: ignore[comparison-overlap]
            continue
        used_names.add((parent.trade, parent.industry, branch.branch))  # type: ignore[arg-type]
        out.append(branch)
    return out


def name_variant(rng: random.Random, c: Company) -> str:
    base = c.name
    core = base.removeprefix("深圳市")
    k = rng.randrange(8)
    if k == 0:
        return core
    if k == 1 and not c.branch:
        stem = core.removesuffix(c.form)
        return f"{stem}（深圳）{c.form}" if rng.random() < 0.5 else f"{stem}(深圳){c.form}"
    if k == 2:
        return _s2t().convert(base)
    if k == 3:
        return base.replace("有限责任公司", "有限公司") if "有限责任公司" in base else base.replace("有限公司", "有限责任公司")
    if k == 4:
        return "深圳" + core
    if k in (5, 6):
        return typo(rng, base)
    return " ".join((base[:3], base[3:]))


def typo(rng: random.Random, name: str) -> str:
    positions = [i for i, ch in enumerate(name) if ch in TYPOS and i >= 3]
    if not positions:
        return name
    i = rng.choice(positions)
    return name[:i] + TYPOS[name[i]] + name[i + 1:]


def id_variant(rng: random.Random, value: str) -> str | None:
    k = rng.randrange(7)
    if k == 0:
        pos = [i for i, ch in enumerate(value[:-1]) if ch.isdigit() and i >= 2]
        i = rng.choice(pos)
        return value[:i] + str((int(value[i]) + rng.randint(1, 9)) % 10) + value[i + 1:]
    if k == 1:
        return value.lower()
    if k == 2:
        return value.translate(_FULL)
    if k == 3:
        return " ".join(value[i:i + 6] for i in range(0, len(value), 6))
    if k == 4:
        return value[:8] + "-" + value[8:]
    if k == 5:
        return value.replace("0", "O", 1)
    return None


def records(companies: list[Company], per_company: float = 4.0, seed: int = 11, fault: float = 0.06
            ) -> tuple[list[dict[str, object]], dict[tuple[str, str], str]]:
    """Contract-format records (see entity_resolution.jsonl) and the truth (source, record_id) -> company."""
    rng = random.Random(seed)
    out: list[dict[str, object]] = []
    truth: dict[tuple[str, str], str] = {}
    extra = max(per_company - 1.0, 0.0)

    def ident(v: str | None) -> str | None:
        if v is None:
            return None
        return id_variant(rng, v) if rng.random() < fault else v

    def name(c: Company, rate: float = 0.25) -> str:
        if rng.random() < rate:
            return name_variant(rng, c)
        if c.former and rng.random() < 0.15:
            return c.former[0]
        return c.name

    for c in companies:
        rid = f"R{len(out):08d}"
        out.append({"source": "register", "record_id": rid, "name": c.name, "uscc": ident(c.uscc), "reg_no": c.reg_no,
                    "org_code": None, "tax_no": None, "address": c.address, "legal_rep": c.legal_rep,
                    "established": c.established, "former_names": c.former, "is_register": True})
        truth[("register", rid)] = c.cid
        n = int(extra) + (1 if rng.random() < extra - int(extra) else 0)
        for _ in range(n):
            src = rng.choice(("tax", "quality", "court", "customs", "environment"))
            rid = f"{src[0].upper()}{len(out):08d}"
            rec: dict[str, object] = {"source": src, "record_id": rid, "name": name(c), "uscc": None, "reg_no": None,
                                      "org_code": None, "tax_no": None, "address": None, "legal_rep": None,
                                      "established": None}
            if src == "tax":
                if c.tax_no and rng.random() < 0.5:
                    rec["tax_no"] = ident(c.tax_no)
                else:
                    rec["uscc"] = ident(c.uscc)
                if rng.random() < 0.3:
                    rec["legal_rep"] = c.legal_rep
            elif src == "quality":
                rec["org_code"] = ident(f"{c.org_code[:8]}-{c.org_code[8]}" if rng.random() < 0.6 else c.org_code)
            elif src == "court":
                rec["uscc"] = ident(c.uscc) if rng.random() < 0.7 else None
                rec["legal_rep"] = c.legal_rep if rng.random() < 0.5 else None
            else:
                rec["uscc"] = ident(c.uscc)
            out.append(rec)
            truth[(src, rid)] = c.cid
    return out, truth


def pairwise_scores(truth: dict[tuple[str, str], str], predicted: dict[tuple[str, str], str]) -> dict[str, float]:
    """Pairwise precision / recall / F1 of a clustering against the truth (records in both)."""
    from collections import Counter

    keys = [k for k in truth if k in predicted]
    cells = Counter((predicted[k], truth[k]) for k in keys)
    pred_sizes = Counter(predicted[k] for k in keys)
    true_sizes = Counter(truth[k] for k in keys)

    def pairs(n: int) -> int:
        return n * (n - 1) // 2

    tp = sum(pairs(n) for n in cells.values())
    pp = sum(pairs(n) for n in pred_sizes.values())
    tt = sum(pairs(n) for n in true_sizes.values())
    precision = tp / pp if pp else 1.0
    recall = tp / tt if tt else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": tt, "predicted_pairs": pp,
            "correct_pairs": tp, "records": len(keys)}
