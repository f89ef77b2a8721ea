"""Chinese company names: normalise spellings and parse into region + trade name + industry + form + branch.

A name like 深圳市华信科技有限公司南山分公司 parses to region 深圳, trade name 华信,
industry 科技, organisational form 有限公司 and branch 南山分公司. Differences that do
not change the company (region dropped or bracketed, traditional characters, full-width
brackets, 有限责任公司 vs 有限公司) disappear in `ParsedName.core`; differences that do
(trade name, industry word, branch) stay.

Word lists: place names come from python-stdnum's administrative-division table
(stdnum/cn/loc.dat); industry words from the companynameparser project's list (vendored
in data/industry_words.txt, see docs/decisions/entity_resolution.md); organisational forms
are the short closed list below.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import opencc

# Longest first: the first match wins. Value = canonical form (有限责任公司 and 有限公司 are one form).
ORG_FORMS: tuple[tuple[str, str], ...] = (
    ("股份有限责任公司", "股份有限公司"),
    ("股份有限公司", "股份有限公司"),
    ("有限责任公司", "有限公司"),
    ("有限公司", "有限公司"),
    ("(普通合伙)", "合伙企业"),
    ("(有限合伙)", "合伙企业"),
    ("普通合伙企业", "合伙企业"),
    ("有限合伙企业", "合伙企业"),
    ("合伙企业", "合伙企业"),
    ("个人独资企业", "个人独资企业"),
    ("专业合作社", "合作社"),
    ("合作社", "合作社"),
    ("股份公司", "股份有限公司"),
    ("集团公司", "公司"),
    ("总公司", "公司"),
    ("公司", "公司"),
    ("事务所", "事务所"),
    ("工作室", "工作室"),
    ("经营部", "经营部"),
    ("门市部", "经营部"),
    ("商行", "商行"),
    ("厂", "厂"),
    ("店", "店"),
)
_CORPORATE_FORMS = ("股份有限公司", "有限责任公司", "有限公司", "股份公司", "公司", "合伙企业", "合作社", ")")
BRANCH_SUFFIXES = ("分公司", "分店", "分厂", "分部", "营业部", "办事处", "分行", "支行", "分所", "分社", "经营部", "销售部", "门市部", "分中心")
_PLACE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "自治州", "自治县", "省", "市", "区", "县", "旗", "盟", "地区")
_BRACKETS = str.maketrans(
    {
        "（": "(", "）": ")", "【": "(", "】": ")", "〔": "(", "〕": ")", "［": "(", "］": ")",
        "[": "(", "]": ")", "｛": "(", "｝": ")", "{": "(", "}": ")", "〈": "(", "〉": ")",
        "《": "(", "》": ")", "「": "(", "」": ")", "『": "(", "』": ")", "﹙": "(", "﹚": ")",
    }
)
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b·•]+")
_BRACKETED = re.compile(r"\(([^()]*)\)")
_CJK_RANGE = re.compile(r"[^\x00-\x7f]")


@dataclass(frozen=True, slots=True)
class ParsedName:
    """A company name split into its parts. Empty string = part absent.

    A frozen dataclass, not a pydantic model: it is built once per distinct spelling in bulk
    resolution (hundreds of thousands of times) and never crosses a process or API boundary."""

    normalized: str
    region: str = ""
    trade_name: str = ""
    industry: str = ""
    org_form: str = ""
    """Canonical organisational form (有限责任公司 → 有限公司)."""
    branch: str = ""
    """Branch suffix with places in it shortened (南山区分公司 → 南山分公司); '' for the head office."""

    @property
    def core(self) -> str:
        """Trade name + industry: what identifies the company within one registration authority."""
        return self.trade_name + self.industry

    @property
    def is_branch(self) -> bool:
        return bool(self.branch)


# ---------------------------------------------------------------- resources (immutable, cached)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _stdnum_loc_path() -> Path:
    import stdnum.cn

    return Path(stdnum.cn.__file__).parent / "loc.dat"


def _short_place(name: str) -> str:
    for suffix in _PLACE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


@lru_cache(maxsize=1)
def place_names() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(full names with suffix, short forms of province/prefecture names, short forms of all names).

    From python-stdnum's administrative-division table, historic names included.
    """
    full: set[str] = set()
    major_short: set[str] = set()
    all_short: set[str] = set()
    name_re = re.compile(r'(province|county)="([^"]*)"')
    for line in _stdnum_loc_path().read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        m = name_re.search(line)
        if not m:
            continue
        code = line.split()[0] if line.strip() else ""
        major = m.group(1) == "province" or code.endswith("00")
        for part in m.group(2).split(","):
            name = re.sub(r"^\[[^\]]*\]", "", part).strip()
            if len(name) < 2 or name in {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}:
                continue
            if name.endswith("办事处"):
                continue
            full.add(name)
            short = _short_place(name)
            all_short.add(short)
            if major:
                major_short.add(short)
    full.update({"中国", "中华人民共和国"})
    return frozenset(full), frozenset(major_short), frozenset(all_short)


@lru_cache(maxsize=1)
def _place_prefixes() -> frozenset[str]:
    full, major_short, _ = place_names()
    return frozenset(n[:2] for n in full | major_short)


@lru_cache(maxsize=1)
def industry_words() -> tuple[str, ...]:
    """Industry words, longest first."""
    text = (Path(__file__).parent / "data" / "industry_words.txt").read_text(encoding="utf-8")
    words = {w.strip() for w in text.splitlines() if w.strip() and not w.startswith("#")}
    return tuple(sorted(words, key=lambda w: (-len(w), w)))


@lru_cache(maxsize=1)
def _industry_set() -> tuple[frozenset[str], int]:
    words = industry_words()
    return frozenset(words), max(len(w) for w in words)


# ---------------------------------------------------------------- normalisation


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_BRACKETS)
    return _SPACES.sub("", text).upper()


def normalize_name(name: str) -> str:
    """Traditional → simplified, full-width → half-width, one bracket form '()', no spaces, Latin upper case."""
    folded = _fold(name)
    if _CJK_RANGE.search(folded):
        folded = _t2s().convert(folded)
    # OpenCC may map a few punctuation marks back to full width.
    return _fold(folded) if "（" in folded or "）" in folded else folded


def normalize_names(names: list[str]) -> list[str]:
    """Batch `normalize_name`: one OpenCC call for many names (much faster for bulk resolution)."""
    folded = [_fold(n).replace("\n", "") for n in names]
    if not folded:
        return []
    converted = _t2s().convert("\n".join(folded)).split("\n")
    if len(converted) != len(folded):  # defensive: never misalign names
        return [normalize_name(n) for n in names]
    return [_fold(c) if "（" in c or "）" in c else c for c in converted]


# ---------------------------------------------------------------- parsing


def _strip_region_prefix(text: str) -> tuple[str, str]:
    """Peel administrative places off the front (广东省深圳市南山区…); returns (region, rest).

    A place is kept as the trade name when only an industry word would remain
    (深圳市锦州家具有限公司: 锦州 is the trade name here, not the city).
    """
    full, major_short, _ = place_names()
    industries = _industry_set()[0]
    prefixes = _place_prefixes()
    regions: list[str] = []
    for _ in range(3):
        if text[:2] not in prefixes:  # cheap exit: no place name starts like this
            break
        found = ""
        for length in range(min(9, len(text) - 2), 1, -1):
            head = text[:length]
            if (head in full or head in major_short) and text[length:] not in industries:
                found = head
                break
        if not found:
            break
        regions.append(_short_place(found))
        text = text[len(found) :]
    # The most specific level the name carried is kept, e.g. 深圳 from 广东省深圳市.
    return (regions[-1] if regions else ""), text


def _bracket_region(text: str) -> tuple[str, str]:
    """华信科技(深圳)有限公司 → ('深圳', '华信科技有限公司')."""
    full, _, all_short = place_names()
    for m in _BRACKETED.finditer(text):
        inner = m.group(1)
        if inner in full or inner in all_short:
            return _short_place(inner), text[: m.start()] + text[m.end() :]
    return "", text


def _split_org_form(text: str) -> tuple[str, str, str]:
    """(before, org_form canonical, after) at the corporate form; branch text may follow it."""
    if not text.endswith(BRANCH_SUFFIXES):
        # Fast path (most names): the form is the ending.
        for form, canonical in ORG_FORMS:
            if text.endswith(form) and len(text) > len(form):
                return _strip_second_form(text[: -len(form)]), canonical, ""
        return text, "", ""
    best: tuple[int, int, str] | None = None  # (end, -start, canonical)
    for form, canonical in ORG_FORMS:
        start = 0
        while (idx := text.find(form, start)) >= 0:
            start = idx + 1
            end = idx + len(form)
            after = text[end:]
            if idx < 1:
                continue
            # 公司 in 分公司/支公司/子公司 belongs to the branch suffix, not to the company's form.
            if form in ("公司", "总公司") and text[idx - 1] in "分支子":
                continue
            if after and not (after.endswith(BRANCH_SUFFIXES) and len(after) > 2):
                continue
            cand = (end, -idx, canonical)
            if best is None or cand > best:
                best = cand
    if best is None:
        return text, "", ""
    end, neg_start, canonical = best
    return _strip_second_form(text[:-neg_start]), canonical, text[end:]


_FORM_LAST_CHARS = frozenset(form[-1] for form, _ in ORG_FORMS if len(form) >= 2)


def _strip_second_form(before: str) -> str:
    """华信投资合伙企业(有限合伙): a second form word in front of the form belongs to the form too."""
    if not before or before[-1] not in _FORM_LAST_CHARS:
        return before
    for form, _ in ORG_FORMS:
        if len(form) >= 2 and before.endswith(form) and len(before) > len(form) + 1:
            return before[: -len(form)]
    return before


def _normalize_branch(branch: str) -> str:
    if not branch:
        return ""
    full, _, _ = place_names()
    # 南山区分公司 and 南山分公司, 深圳市分公司 and 深圳分公司 are the same branch.
    for suffix in BRANCH_SUFFIXES:
        if branch.endswith(suffix):
            head = branch[: -len(suffix)]
            if head in full:
                head = _short_place(head)
            return head + suffix
    return branch


def _split_industry(text: str) -> tuple[str, str]:
    """Peel industry words off the end, keeping at least two characters of trade name."""
    words, longest = _industry_set()
    industry = ""
    while True:
        for length in range(min(longest, len(text) - 2), 1, -1):
            tail = text[-length:]
            if tail in words:
                industry = tail + industry
                text = text[:-length]
                break
        else:
            return text, industry


def _split_bare_branch(body: str) -> tuple[str, str]:
    full, _, all_short = place_names()
    for suffix in ("分公司", "分店", "分厂", "分行", "支行"):
        if body.endswith(suffix) and len(body) > len(suffix) + 2:
            head = body[: -len(suffix)]
            for length in range(min(6, len(head) - 2), 1, -1):
                place = head[-length:]
                if place in full or place in all_short:
                    return head[:-length], place + suffix
            return body, ""
    return body, ""


@lru_cache(maxsize=8192)
def parse_normalized(normalized: str) -> ParsedName:
    """Parse an already normalised name (cached: the same spelling recurs across departments)."""
    text = normalized
    bracket_region, text = _bracket_region(text)
    body, org_form, branch = _split_org_form(text)
    if not org_form:
        # No corporate form: a bare branch name (华信科技南山分公司) still has a branch.
        body, branch = _split_bare_branch(body)
    prefix_region, body = _strip_region_prefix(body)
    # Leftover bracketed notes (e.g. an English name) are not part of the trade name.
    body = _BRACKETED.sub("", body) or body
    trade, industry = _split_industry(body)
    if len(trade) < 1:
        trade, industry = body, ""
    return ParsedName(
        normalized=normalized,
        region=bracket_region or prefix_region,
        trade_name=trade,
        industry=industry,
        org_form=org_form,
        branch=_normalize_branch(branch),
    )


def parse_name(name: str) -> ParsedName:
    """Normalise and parse a company name."""
    return parse_normalized(normalize_name(name))
