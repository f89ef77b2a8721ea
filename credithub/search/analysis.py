"""Text analysis shared by documents, both backends and re-scoring.

Index time and query time must fold text identically, so every fold lives here:
names go through entity_resolution's normaliser (traditional → simplified,
full-width → half-width, one bracket style), then search-specific steps strip the
administrative region (leading or in brackets), the organisational form and the
industry word to get the trade name (字号).
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pydantic import BaseModel, Field
from pypinyin import Style, lazy_pinyin

from entity_resolution.identifiers import normalize as normalize_identifier_text
from entity_resolution.names import normalize_name

# Regions a Shenzhen company name may start with or carry in brackets. Names outside
# the list are still caught by the generic province/city suffix pattern below.
_KNOWN_REGIONS = (
    "中国", "广东", "深圳", "福田", "罗湖", "南山", "盐田", "宝安", "龙岗", "龙华", "坪山", "光明",
    "大鹏", "前海", "广州", "东莞", "惠州", "珠海", "佛山", "中山", "江门", "汕头", "香港", "澳门",
    "北京", "上海", "天津", "重庆",
)
_REGION_SUFFIX = "(?:省|市|区|新区|县)?"
_REGION_ALT = "|".join(_KNOWN_REGIONS)
_REGION_WORD = rf"(?:(?:{_REGION_ALT}){_REGION_SUFFIX}|[\u4e00-\u9fff]{{2,3}}(?:省|市|自治区))"
_LEADING_REGION = re.compile(rf"^(?:{_REGION_WORD})+")
_BRACKETED_REGION = re.compile(rf"[(（\[【](?:{_REGION_WORD})+[)）\]】]")

# Longest first: 股份有限公司 must win over 有限公司.
_FORMS = (
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "合伙企业", "普通合伙", "有限合伙", "个体工商户",
    "专业合作社", "合作社", "事务所", "公司", "集团", "商行", "工作室", "经营部", "门市部", "中心", "厂", "店",
)
_INDUSTRY_WORDS = (
    "供应链管理", "信息技术", "网络科技", "电子商务", "新能源", "房地产", "供应链", "科技", "技术", "电子", "贸易",
    "实业", "投资", "发展", "信息", "网络", "软件", "通信", "通讯", "物流", "建筑", "工程", "建设", "地产", "置业",
    "餐饮", "服务", "管理", "咨询", "文化", "传媒", "教育", "医疗", "医药", "生物", "能源", "环保", "制造", "机械",
    "设备", "电器", "服装", "食品", "商贸", "金融", "智能", "精密", "光电", "材料", "化工", "印刷", "包装", "五金",
    "塑胶", "家具", "电气", "汽车", "运输", "旅游", "酒店", "物业", "装饰", "设计", "广告", "营销", "健康", "农业",
    "控股", "国际", "数码", "照明", "纺织", "珠宝", "电力", "半导体", "集成电路", "新材料", "贸易商行",
)
_FORM_RE = re.compile("(?:" + "|".join(_FORMS) + ")$")
_INDUSTRY_RE = re.compile("(?:" + "|".join(sorted(_INDUSTRY_WORDS, key=len, reverse=True)) + ")$")
_BRANCH_RE = re.compile(r"(?:分公司|分店|分厂|办事处)$")
_IDENTIFIER_SHAPE = re.compile(r"^[0-9A-Z]{8,18}$")
_ASCII_LETTERS = re.compile(r"^[a-z]{2,12}$")


def fold(text: str) -> str:
    """The canonical searchable form of a name (or free text): simplified, half-width, lower case."""
    return normalize_name(text).lower()


def strip_region(folded: str) -> str:
    """Drop a leading region and a bracketed region: 深圳市华信科技(南山)有限公司 → 华信科技有限公司."""
    stripped = _BRACKETED_REGION.sub("", folded)
    stripped = _LEADING_REGION.sub("", stripped)
    return stripped or folded


def strip_form(folded: str) -> str:
    """Drop the organisational form: 华信科技有限公司 → 华信科技."""
    return _FORM_RE.sub("", folded) or folded


def trade_name(folded: str) -> str | None:
    """The 字号: region, organisational form and industry words removed; None when nothing is left."""
    if _BRANCH_RE.search(folded):
        return None  # a branch's "trade name" would collide with its parent's
    core = strip_region(folded)
    core = _FORM_RE.sub("", core)
    previous = None
    while previous != core:
        previous = core
        core = _INDUSTRY_RE.sub("", core) if len(core) > 2 else core
    core = re.sub(r"[()（）\[\]【】\s]", "", core)
    return core if len(core) >= 2 and core != strip_region(folded) else None


def bigrams(text: str) -> list[str]:
    """Distinct character bigrams in order (the unit both engines index names with)."""
    chars = [c for c in text if not c.isspace()]
    seen: dict[str, None] = {}
    for i in range(len(chars) - 1):
        seen.setdefault(chars[i] + chars[i + 1], None)
    return list(seen)


@functools.lru_cache(maxsize=65536)
def _char_fold(ch: str) -> str:
    return fold(ch) if ch.strip() else ""


def fold_with_offsets(text: str) -> tuple[str, list[int]]:
    """Fold character by character, remembering which original character each folded one came from.

    Highlighting marks the display name while matching happens on folded text.
    """
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for f in _char_fold(ch):
            out.append(f)
            origin.append(i)
    return "".join(out), origin


def pinyin_initials(folded: str) -> str | None:
    letters = "".join(p[0] for p in lazy_pinyin(folded, style=Style.FIRST_LETTER) if p and p[0].isalpha())
    return letters.lower() if len(letters) >= 2 else None


def identifier_keys(kind: str, value: str | None) -> list[str]:
    """Every spelling a user may type for one identifier, as indexed keys (all upper case, no separators).

    An organisation code is indexed without its hyphen; a USCC also yields its embedded
    organisation code (chars 9–17) so a search by the old code finds the company.
    """
    if not value:
        return []
    key = normalize_identifier_text(value)
    if not key:
        return []
    keys = [key]
    if kind == "uscc" and len(key) == 18:
        keys.append(key[8:17])
    if kind == "tax_no" and len(key) == 15:
        keys.append(key[6:15])
    return keys


class NameVariants(BaseModel):
    """Folded spellings of one name category kept in the document for re-scoring."""

    full: list[str] = Field(default_factory=list)
    core: list[str] = Field(default_factory=list)


class QueryPlan(BaseModel):
    """The analysed query both backends translate into their own query language."""

    raw: str
    folded: str = ""
    core: str = ""
    trade: str | None = None
    bigrams: list[str] = Field(default_factory=list)
    identifier: str | None = Field(None, description="Normalised identifier key when the query looks like one.")
    pinyin: str | None = None

    @property
    def is_empty(self) -> bool:
        return not self.folded and not self.identifier

    @property
    def minimum_bigrams(self) -> int:
        """How many query bigrams a candidate must share (≈60%, like yente's 70% on trigrams)."""
        return max(1, -(-len(self.bigrams) * 6 // 10)) if self.bigrams else 0

    @property
    def fuzzy_distance(self) -> int:
        """One typo per short name, two for long ones (tantivy and ES both cap at 2)."""
        return 1 if len(self.folded) <= 8 else 2


def _identifier_candidate(text: str) -> str | None:
    squeezed = unicodedata.normalize("NFKC", text).upper()
    squeezed = re.sub(r"[\s\-‐－—_./]", "", squeezed)
    if not _IDENTIFIER_SHAPE.match(squeezed) or sum(c.isdigit() for c in squeezed) < 5:
        return None
    return normalize_identifier_text(squeezed) or squeezed


def analyse_query(q: str) -> QueryPlan:
    text = q.strip()
    if not text:
        return QueryPlan(raw=q)
    identifier = _identifier_candidate(text)
    folded = fold(text)
    core = strip_region(folded)
    grams = bigrams(core) or bigrams(folded)
    pinyin = folded if _ASCII_LETTERS.match(folded) else None
    return QueryPlan(
        raw=q,
        folded=folded,
        core=core,
        trade=trade_name(folded),
        bigrams=grams,
        identifier=identifier,
        pinyin=pinyin,
    )
