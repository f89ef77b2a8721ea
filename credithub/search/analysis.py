"""Text analysis shared by documents, both backends and re-scoring.

Index time and query time must fold text identically, so every fold lives here.
Names go through entity_resolution's normaliser (traditional → simplified,
full-width → half-width, one bracket style, 有限责任公司 = 有限公司) and parser
(region, trade name 字号, industry, form, branch); identifiers through its
parsers, so search and entity resolution agree on what a spelling means.
"""

from __future__ import annotations

import functools
import re

from pydantic import BaseModel, Field
from pypinyin import Style, lazy_pinyin

from credithub.domain import IdentifierKind
from entity_resolution.identifiers import classify_identifier, clean_identifier, parse_identifier
from entity_resolution.names import ParsedName, normalize_name, parse_normalized

_IDENTIFIER_SHAPE = re.compile(r"^[0-9A-Z]{8,18}$")
_HAN = re.compile(r"[\u3400-\u9fff]")
_ASCII_LETTERS = re.compile(r"^[A-Za-z]{2,12}$")
# Levenshtein distance for typo matching: one typo; two would match whole other 2-character trade names.
FUZZY_DISTANCE = 1
# Shortest name part that gets one-deletion typo keys: below this one edit turns a 2-character
# trade name into its neighbours'.
TYPO_MIN_CHARS = 4
# Longest query analysed: company names stay well under this (the longest registered ones ~50
# characters); it bounds the number of term clauses a single request can make.
MAX_QUERY_CHARS = 100
# Letters people type for look-alike digits in codes (domain primer: "O for 0").
_LOOKALIKE_DIGITS = str.maketrans({"O": "0", "I": "1"})


def fold(text: str) -> str:
    """The canonical searchable form of a name: simplified, half-width, '()' brackets, no spaces,
    and one spelling of the limited-liability form (有限责任公司 and 有限公司 are the same form)."""
    return normalize_name(text).replace("有限责任公司", "有限公司")


def _parse(folded: str) -> ParsedName:
    return parse_normalized(folded)


def strip_region(folded: str) -> str:
    """Drop a leading or bracketed region: 华信科技(深圳)有限责任公司 → 华信科技有限公司."""
    p = _parse(folded)
    if not p.region or not p.trade_name:
        return folded
    return p.trade_name + p.industry + p.org_form + p.branch


def strip_form(folded: str) -> str:
    """Trade name + industry (+ branch): 深圳市华信科技有限公司 → 华信科技."""
    p = _parse(folded)
    return (p.trade_name + p.industry + p.branch) or folded


def trade_name(folded: str) -> str | None:
    """The 字号, or None for branches (their trade name is their parent's) and bare trade names."""
    p = _parse(folded)
    if p.is_branch or len(p.trade_name) < 2 or p.trade_name == folded:
        return None
    return p.trade_name


def typo_keys(key: str) -> list[str]:
    """The key and every spelling of it with one character deleted (SymSpell's deletion neighbourhood).

    Two spellings within one edit (substitution, insertion, deletion, adjacent swap) share
    at least one of these keys, so typo matching becomes a handful of exact term lookups
    instead of a Levenshtein automaton over the whole term dictionary (10–19 ms at 1M names).
    """
    if len(key) < TYPO_MIN_CHARS:
        return [key] if key else []
    return list(dict.fromkeys([key, *(key[:i] + key[i + 1 :] for i in range(len(key)))]))


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


@functools.lru_cache(maxsize=32768)
def _initial(ch: str) -> str:
    letters = lazy_pinyin(ch, style=Style.FIRST_LETTER)
    return letters[0][:1].lower() if letters and letters[0][:1].isalpha() else ""


def pinyin_initials(folded: str) -> str | None:
    """First letters of each character's pinyin (华信 → hx); per character, so heteronyms take
    their most common reading — good enough for typing initials, and ~20× faster than segmenting."""
    letters = "".join(_initial(ch) for ch in folded)
    return letters if len(letters) >= 2 else None


def identifier_keys(kind: IdentifierKind, value: str | None) -> list[str]:
    """Indexed keys for one identifier: its canonical spelling, plus the organisation code a
    USCC or tax number embeds (so a search by the old code finds the company)."""
    if not value:
        return []
    parsed = parse_identifier(value, kind)
    if parsed is None:
        cleaned = clean_identifier(value)
        return [cleaned] if cleaned else []
    keys = [parsed.value]
    if parsed.org_code and parsed.org_code != parsed.value:
        keys.append(parsed.org_code)
    return keys


def identifier_readings(text: str) -> list[str]:
    """Keys a typed code may stand for: every valid reading (a 15-digit code may be a
    registration or a tax number), else the cleaned text; look-alike letters are retried."""
    cleaned = clean_identifier(text)
    if not _IDENTIFIER_SHAPE.match(cleaned) or sum(c.isdigit() for c in cleaned) < 5:
        return []
    for attempt in dict.fromkeys([cleaned, cleaned.translate(_LOOKALIKE_DIGITS)]):
        valid = [p.value for p in classify_identifier(attempt) if p.valid]
        if valid:
            return list(dict.fromkeys(valid))
    return [cleaned]


class QueryPlan(BaseModel):
    """The analysed query both backends translate into their own query language."""

    raw: str
    folded: str = ""
    core: str = ""
    trade: str | None = None
    match_text: str = Field("", description="The distinctive part of the name that bigram matching uses.")
    bigrams: list[str] = Field(default_factory=list)
    identifiers: list[str] = Field(default_factory=list, description="Identifier keys when the query looks like a code.")
    pinyin: str | None = None
    code_only: bool = Field(False, description="The query is an identifier and nothing else: skip name matching.")

    @property
    def wants_names(self) -> bool:
        return bool(self.folded) and not self.code_only

    @property
    def trade_keys(self) -> list[str]:
        """Trade-name terms: the query itself (a bare 字号) and the 字号 parsed out of a full name."""
        return list(dict.fromkeys(k for k in (self.core, self.trade) if k))

    @property
    def is_empty(self) -> bool:
        return not self.folded and not self.identifiers

    @property
    def minimum_bigrams(self) -> int:
        """How many query bigrams a candidate must share (≈60%, like yente's 70% on trigrams)."""
        return max(1, -(-len(self.bigrams) * 6 // 10)) if self.bigrams else 0

    @property
    def fuzzy_key(self) -> str | None:
        """The region-stripped name to match with one edit (a typo), when long enough that one
        edit still says something: on a 2-character trade name it would match every neighbour."""
        return self.core if len(self.core) >= TYPO_MIN_CHARS else None

    @property
    def typo_terms(self) -> list[str]:
        """Deletion-neighbourhood terms of the distinctive name part (see `typo_keys`)."""
        return typo_keys(self.match_text) if self.wants_names and len(self.match_text) >= TYPO_MIN_CHARS else []


def analyse_query(q: str) -> QueryPlan:
    text = q.strip()[:MAX_QUERY_CHARS]
    if not text:
        return QueryPlan(raw=q)
    folded = fold(text)
    identifiers = identifier_readings(text)
    if identifiers and not _HAN.search(folded):
        return QueryPlan(raw=q, folded=folded, identifiers=identifiers, code_only=True)
    core = strip_region(folded)
    # The organisational form (有限公司…) is in nearly every name: its bigrams would make every
    # document a candidate and cost a full posting-list scan, so only the distinctive part counts.
    match_text = next((t for t in (strip_form(core), core, folded) if len(t) >= 2), folded)
    pinyin = folded.lower() if _ASCII_LETTERS.match(folded) else None
    return QueryPlan(
        raw=q,
        folded=folded,
        core=core,
        trade=trade_name(folded),
        match_text=match_text,
        bigrams=bigrams(match_text),
        identifiers=identifiers,
        pinyin=pinyin,
    )
