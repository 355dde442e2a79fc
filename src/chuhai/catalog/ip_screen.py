"""Screen a product's text for protected brands and trademarks, so that counterfeits and
look-alikes reach the IP reviewer together with the reason they were flagged.

How a field is read:

- it is folded: NFKD, accents and case dropped, apostrophes removed ("Levi's" reads "levis"),
  trademark signs (™ ® © ℠) set aside;
- Latin (and other spaced) text is cut into words; runs of one to four words are glued and
  compared with each brand term glued the same way, so "Louis Vuiton" meets "Louis Vuitton";
- a brand word joined to other words by '-', '_', '/', '+', '.' or '&' ("NIKE-style"), or glued
  in front of one ("nikestyle"), is a *compound* match;
- CJK names and aliases ("耐克", "阿迪达斯") are searched as substrings of the folded field.

Invariants:

- similarity is rapidfuzz's ``fuzz.ratio`` on the glued words; it is only tried when both the
  words and the brand term have at least four letters, so short names and aliases ("LV", "3M")
  match whole words exactly and never inside longer ones ("LVDS");
- a similar word keeps the brand's first letter ("Adidaas", never "watch" for Swatch), and
  everyday words a letter from a famous brand ("channel", "carrier") only match exactly;
- a run of n words only matches brand terms of at least n words ("on it" never meets "Onit");
- ``matched_text`` is always a substring of the field as given (a trailing ™ or ® included);
- at most one match per (brand, field), the best; results are sorted best first.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process


@dataclass(frozen=True)
class BrandEntry:
    brand_id: str
    name: str  # e.g. "Nike", "Louis Vuitton"
    aliases: tuple[str, ...] = ()  # e.g. ("耐克",) or ("LV",)


@dataclass(frozen=True)
class BrandMatch:
    brand_id: str
    brand_name: str
    field: str  # which field matched, e.g. "title_en"
    matched_text: str  # the exact substring of the field that matched
    term: str  # the brand name or alias it matched
    score: int  # 0-100
    kind: str  # "exact" | "fuzzy" | "compound"
    reason: str  # one sentence for the reviewer


EXACT = "exact"
FUZZY = "fuzzy"
COMPOUND = "compound"

MIN_FUZZY_LENGTH = 4  # shorter names and words only match exactly, as whole words
MAX_WORDS = 4  # longest brand name, in words, that is compared as a run of words
MIN_GLUED_REST = 2  # "nikes" is a plural to judge by similarity; "nikestyle" is a compound
EXCERPT_LENGTH = 80

# Everyday product words within a letter or two of a well-known brand ("channel" and Chanel,
# "carrier" and Cartier): they still match a brand of the same spelling, but never by similarity.
EVERYDAY_WORDS = frozenset(
    {"beat", "bossy", "cannon", "carrier", "casino", "channel", "channels", "phillips", "role"}
)

_CJK = (
    "\u2e80-\u2fff\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002ffff"
)
_HAS_CJK = re.compile(f"[{_CJK}]")
_WORD = re.compile(f"[^\\W_{_CJK}]+")
_CONNECTORS = frozenset("-_/+.&")
_TRADEMARK_SIGNS = frozenset("™®©℠")
_APOSTROPHES = frozenset("'’`´")


# --- folding ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Text:
    """A field folded for comparison, remembering where each folded character came from."""

    original: str
    folded: str
    origin: tuple[int, ...]  # folded index -> original index

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original slice behind folded[start:end], with trailing accents and ™/® signs."""
        first, last = self.origin[start], self.origin[end - 1] + 1
        while last < len(self.original) and (
            unicodedata.combining(self.original[last]) or self.original[last] in _TRADEMARK_SIGNS
        ):
            last += 1
        return first, last


def _fold_char(char: str) -> str:
    if char in _APOSTROPHES:
        return ""
    if char in _TRADEMARK_SIGNS:
        return " "
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _fold(text: str) -> _Text:
    folded: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        piece = _fold_char(char)
        folded.append(piece)
        origin.extend([index] * len(piece))
    return _Text(text, "".join(folded), tuple(origin))


def _words(folded: str) -> list[str]:
    return _WORD.findall(folded)


# --- the registry, indexed -------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    brand: BrandEntry
    text: str  # as written in the registry
    key: str  # folded words glued together: "louisvuitton"; the folded text for CJK terms
    words: int
    is_alias: bool


@dataclass(frozen=True)
class _Index:
    by_key: dict[str, tuple[_Term, ...]]  # Latin terms by glued key
    by_start: dict[str, dict[int, tuple[str, ...]]]  # fuzzy-sized keys by first letter, length
    cjk: tuple[_Term, ...]
    max_words: int


def _terms(brand: BrandEntry) -> Iterator[_Term]:
    seen: set[str] = set()
    for text, is_alias in [(brand.name, False), *((alias, True) for alias in brand.aliases)]:
        folded = _fold(text).folded
        if _HAS_CJK.search(folded):
            key, words = "".join(folded.split()), 1
        else:
            parts = _words(folded)
            key, words = "".join(parts), len(parts)
        if key and key not in seen:
            seen.add(key)
            yield _Term(brand, text.strip(), key, words, is_alias)


@lru_cache(maxsize=8)
def _index(brands: tuple[BrandEntry, ...]) -> _Index:
    by_key: dict[str, list[_Term]] = {}
    cjk: list[_Term] = []
    for brand in brands:
        for term in _terms(brand):
            if _HAS_CJK.search(term.key):
                cjk.append(term)
            else:
                by_key.setdefault(term.key, []).append(term)
    by_start: dict[str, dict[int, list[str]]] = {}
    for key in by_key:
        if len(key) >= MIN_FUZZY_LENGTH:
            by_start.setdefault(key[0], {}).setdefault(len(key), []).append(key)
    max_words = max((t.words for ts in by_key.values() for t in ts), default=1)
    return _Index(
        by_key={key: tuple(terms) for key, terms in by_key.items()},
        by_start={
            start: {length: tuple(keys) for length, keys in by_length.items()}
            for start, by_length in by_start.items()
        },
        cjk=tuple(cjk),
        max_words=min(max_words, MAX_WORDS),
    )


# --- comparing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Hit:
    term: _Term
    score: float
    start: int  # folded span of the brand part
    end: int
    compound_of: tuple[int, int] | None  # folded span of the whole joined word, if any


class _Scorer:
    """Similar brand keys for a glued run of words, remembered across the fields of one call."""

    def __init__(self, index: _Index, threshold: int) -> None:
        self.index = index
        self.threshold = threshold
        self.seen: dict[str, list[tuple[str, float]]] = {}

    def similar(self, key: str) -> list[tuple[str, float]]:
        if key not in self.seen:
            self.seen[key] = self._similar(key)
        return self.seen[key]

    def _similar(self, key: str) -> list[tuple[str, float]]:
        found = [(key, 100.0)] if key in self.index.by_key else []
        if len(key) < MIN_FUZZY_LENGTH or key in EVERYDAY_WORDS:
            return found
        for length, keys in self.index.by_start.get(key[0], {}).items():
            if 200 * min(length, len(key)) / (length + len(key)) < self.threshold:
                continue  # ratio can never reach the threshold across such a length gap
            for choice, score, _ in process.extract(
                key, keys, scorer=fuzz.ratio, score_cutoff=self.threshold, limit=None
            ):
                if choice != key:
                    found.append((choice, score))
        return found


def _word_spans(text: _Text) -> list[tuple[int, int]]:
    return [match.span() for match in _WORD.finditer(text.folded)]


def _chunks(text: _Text, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """For each word, the first and last word of the joined word it belongs to."""
    firsts: list[int] = []
    for i, (start, _) in enumerate(spans):
        gap = text.folded[spans[i - 1][1] : start] if i else ""
        joined = bool(gap) and all(c in _CONNECTORS for c in gap)
        firsts.append(firsts[-1] if joined else i)
    lasts = [0] * len(spans)
    for i in reversed(range(len(spans))):
        lasts[i] = lasts[i + 1] if i + 1 < len(spans) and firsts[i + 1] == firsts[i] else i
    return list(zip(firsts, lasts, strict=True))


def _word_hits(text: _Text, scorer: _Scorer) -> Iterator[_Hit]:
    spans = _word_spans(text)
    chunks = _chunks(text, spans)
    folded = text.folded
    for i in range(len(spans)):
        for n in range(1, scorer.index.max_words + 1):
            j = i + n - 1
            if j >= len(spans):
                break
            key = "".join(folded[s:e] for s, e in spans[i : j + 1])
            first, last = chunks[i][0], chunks[j][1]
            whole = None if (first, last) == (i, j) else (spans[first][0], spans[last][1])
            for choice, score in scorer.similar(key):
                for term in scorer.index.by_key[choice]:
                    if term.words >= n:
                        yield _Hit(term, score, spans[i][0], spans[j][1], whole)
        yield from _glued_hits(spans[i], folded, scorer.index)


def _glued_hits(span: tuple[int, int], folded: str, index: _Index) -> Iterator[_Hit]:
    """A brand glued in front of another word: "nikestyle", "louisvuittonbag"."""
    start, end = span
    word = folded[start:end]
    for length in range(MIN_FUZZY_LENGTH, len(word) - MIN_GLUED_REST + 1):
        for term in index.by_key.get(word[:length], ()):
            yield _Hit(term, 100.0, start, start + length, span)


def _cjk_hits(text: _Text, index: _Index) -> Iterator[_Hit]:
    for term in index.cjk:
        at = text.folded.find(term.key)
        if at >= 0:
            yield _Hit(term, 100.0, at, at + len(term.key), None)


# --- reporting -------------------------------------------------------------------------------


def _excerpt(text: str, start: int, end: int) -> str:
    if len(text) <= EXCERPT_LENGTH:
        return " ".join(text.split())
    room = (EXCERPT_LENGTH - (end - start)) // 2
    first, last = max(0, start - room), min(len(text), end + room)
    head = "…" if first > 0 else ""
    tail = "…" if last < len(text) else ""
    return head + " ".join(text[first:last].split()) + tail


def _match(field: str, text: _Text, hit: _Hit) -> BrandMatch:
    start, end = text.original_span(hit.start, hit.end)
    matched = text.original[start:end]
    score = int(hit.score) if hit.score == 100 else min(99, round(hit.score))
    kind = COMPOUND if hit.compound_of else EXACT if score == 100 else FUZZY
    what = f'"{matched}"'
    if hit.compound_of:
        whole_start, whole_end = text.original_span(*hit.compound_of)
        what += f' in "{text.original[whole_start:whole_end]}"'
    brand = f'the brand "{hit.term.brand.name}"'
    if score == 100:
        claim = f"is an alias of {brand}" if hit.term.is_alias else f"is {brand}"
    elif hit.term.is_alias:
        claim = f'is {score}% similar to "{hit.term.text}", an alias of {brand}'
    else:
        claim = f"is {score}% similar to {brand}"
    if hit.compound_of:
        claim += ", joined to other words"
    return BrandMatch(
        brand_id=hit.term.brand.brand_id,
        brand_name=hit.term.brand.name,
        field=field,
        matched_text=matched,
        term=hit.term.text,
        score=score,
        kind=kind,
        reason=f'{field} "{_excerpt(text.original, start, end)}": {what} {claim}',
    )


def _rank(hit: _Hit) -> tuple[float, bool, bool, int]:
    """Higher is better: similarity, then standing alone, then the name over an alias, then
    the earliest place in the field."""
    return (hit.score, hit.compound_of is None, not hit.term.is_alias, -hit.start)


def screen_brands(
    fields: dict[str, str], brands: Iterable[BrandEntry], threshold: int = 85
) -> list[BrandMatch]:
    """The protected brands each field names or imitates: one best match per brand and field,
    best first."""
    if not 0 < threshold <= 100:
        raise ValueError(f"threshold must be between 1 and 100, not {threshold}")
    index = _index(tuple(brands))
    scorer = _Scorer(index, threshold)
    matches: list[tuple[int, BrandMatch]] = []
    for order, (field, value) in enumerate(fields.items()):
        if not value or not value.strip():
            continue
        text = _fold(value)
        best: dict[str, _Hit] = {}
        for hit in (*_word_hits(text, scorer), *_cjk_hits(text, index)):
            current = best.get(hit.term.brand.brand_id)
            if current is None or _rank(hit) > _rank(current):
                best[hit.term.brand.brand_id] = hit
        matches.extend((order, _match(field, text, hit)) for hit in best.values())
    matches.sort(key=lambda m: (-m[1].score, m[1].brand_name.casefold(), m[1].brand_id, m[0]))
    return [match for _, match in matches]
