"""Find each evidence quote in the original text and check that it supports its claim.

Order of attempts: exact, then normalized (NFKC, quotes and dashes folded, whitespace incl. U+00A0
collapsed, casefold) mapped back to original offsets, then fuzzy (rapidfuzz) accepted only when
every number of the quote stands in the matched span, so a changed figure never passes. This
module never calls the model; it only reads text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from summarizer.result import AlignmentStatus, ClaimChecks

FUZZY_MIN_SCORE = 90.0
FUZZY_MIN_CHARS = 12
SUPPORT_MIN_OVERLAP = 0.5

_QUOTES = {ord(c): "'" for c in "\u2018\u2019\u201a\u201b\u2032\u0060\u00b4"}
_QUOTES |= {ord(c): '"' for c in "\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb"}
_QUOTES |= {ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"}
_STRIP = " \t\n\u00a0\"'\u201c\u201d\u2018\u2019.,;:\u2026"
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?")
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+[\"'\u201d\u2019)]*|$)")
_NUMBER_WORDS = {
    w: str(i)
    for i, w in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {
    w: str(10 * i)
    for i, w in enumerate(["thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 3)
}
_MAGNITUDES = {w: w for w in ("thousand", "million", "billion", "trillion")}
_SUFFIXES = {"k": "thousand", "m": "million", "bn": "billion", "tn": "trillion"}
_NUMBER_SUFFIX = re.compile(r"\d(?:\.\d+)?\s?(k|m|bn|tn)\b", re.IGNORECASE)
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "by",
        "with",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "has",
        "have",
        "had",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "which",
        "who",
        "whom",
        "whose",
        "what",
        "when",
        "where",
        "while",
        "than",
        "then",
        "there",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
        "him",
        "we",
        "our",
        "us",
        "you",
        "your",
        "i",
        "not",
        "no",
        "so",
        "such",
        "also",
        "into",
        "over",
        "after",
        "before",
        "about",
        "said",
        "says",
        "say",
        "will",
        "would",
        "can",
        "could",
        "may",
        "might",
        "more",
        "most",
        "some",
        "any",
        "all",
        "each",
        "other",
        "just",
        "only",
        "very",
        "since",
        "during",
        "between",
        "against",
        "up",
        "down",
        "out",
        "off",
        "again",
        "further",
        "once",
    ]
)


@dataclass(frozen=True)
class Location:
    start: int
    end: int
    status: AlignmentStatus
    score: float | None = None


def normalize_with_map(text: str) -> tuple[str, list[int]]:
    """Normalize text and keep, for every output char, the index of the input char it came from."""
    out: list[str] = []
    index: list[int] = []
    pending_space = False
    for i, ch in enumerate(text):
        if ch.isspace():
            pending_space = bool(out)
            continue
        folded = unicodedata.normalize("NFKC", ch).translate(_QUOTES).casefold()
        if folded.isspace() or not folded:
            pending_space = bool(out)
            continue
        if pending_space:
            out.append(" ")
            index.append(i)
            pending_space = False
        for piece in folded:
            out.append(piece)
            index.append(i)
    return "".join(out), index


def normalize(text: str) -> str:
    return normalize_with_map(text)[0]


def numbers(text: str) -> list[str]:
    """Numbers a text states, canonical (digits, no thousands commas); small number words too,
    and magnitudes ("billion", "£700m"), so "multi-billion" cannot pass for "multi-million"."""
    found = [m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)]
    words = re.findall(r"[a-z]+", text.lower())
    found += [_NUMBER_WORDS[w] for w in words if w in _NUMBER_WORDS]
    found += [_MAGNITUDES[w.removesuffix("s")] for w in words if w.removesuffix("s") in _MAGNITUDES]
    found += [_SUFFIXES[m.group(1).lower()] for m in _NUMBER_SUFFIX.finditer(text)]
    return list(dict.fromkeys(found))


def _stem(word: str) -> str:
    word = word.lower().replace("\u2019", "'").removesuffix("'s")
    return word[:6] if len(word) > 6 else word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text) if w.lower() not in _STOPWORDS and len(w) > 2}


def clean_quote(quote: str) -> str:
    """The quote without the wrapping quotation marks or trailing dots a model adds."""
    return quote.strip().strip(_STRIP).removesuffix("...").strip(_STRIP)


def _in_range(text: str, needle: str, lo: int, hi: int) -> int:
    return text.find(needle, lo, hi) if needle else -1


def _widen_to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """A fuzzy alignment may cut a word at either end; extend it to whole words."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    return start, end


def _locate_in(quote: str, text: str, lo: int, hi: int) -> Location | None:
    start = _in_range(text, quote, lo, hi)
    if start >= 0:
        return Location(start, start + len(quote), AlignmentStatus.exact)
    window = text[lo:hi]
    norm_window, index = normalize_with_map(window)
    norm_quote = normalize(quote)
    if not norm_quote:
        return None
    at = norm_window.find(norm_quote)
    if at >= 0:
        return Location(
            lo + index[at], lo + index[at + len(norm_quote) - 1] + 1, AlignmentStatus.normalized
        )
    if len(norm_quote) < FUZZY_MIN_CHARS:
        return None
    match = fuzz.partial_ratio_alignment(norm_quote, norm_window, score_cutoff=FUZZY_MIN_SCORE)
    if match is None or match.dest_end <= match.dest_start:
        return None
    start, end = _widen_to_words(
        text, lo + index[match.dest_start], lo + index[match.dest_end - 1] + 1
    )
    if not set(numbers(quote)) <= set(numbers(text[start:end])):
        return None
    return Location(start, end, AlignmentStatus.fuzzy, round(match.score, 1))


def locate(
    quote: str, text: str, ranges: Sequence[tuple[int, int]] | None = None
) -> Location | None:
    """Where `quote` stands in `text`, searching `ranges` in order (default: the whole text).

    Each range is tried exact, normalized then fuzzy before the next, so the passage a claim came
    from wins over an equal sentence elsewhere.
    """
    quote = clean_quote(quote)
    if not quote:
        return None
    for lo, hi in ranges or [(0, len(text))]:
        found = _locate_in(quote, text, lo, hi)
        if found:
            return found
    return None


def check(claim: str, evidence: str | None) -> ClaimChecks:
    """Does the evidence hold the claim's numbers and most of its content words?"""
    claim_numbers = numbers(claim)
    if evidence is None:
        return ClaimChecks(
            numbers=claim_numbers,
            missing_numbers=claim_numbers,
            content_overlap=0.0,
            supported=False,
        )
    evidence_numbers = set(numbers(evidence))
    missing = [n for n in claim_numbers if n not in evidence_numbers]
    words = content_words(claim)
    overlap = len(words & content_words(evidence)) / len(words) if words else 1.0
    return ClaimChecks(
        numbers=claim_numbers,
        missing_numbers=missing,
        content_overlap=round(overlap, 2),
        supported=not missing and overlap >= SUPPORT_MIN_OVERLAP,
    )


def speaker_named(speaker: str | None, text: str, spans: Sequence[tuple[int, int]]) -> bool | None:
    """Is the claim's speaker named in `spans` (where its evidence stands)? The whole name or its
    last capitalised word (a surname, an acronym) counts; None when there is no speaker or no
    located evidence to look around."""
    if not speaker or not speaker.strip() or not spans:
        return None
    where = normalize(" ".join(text[a:b] for a, b in spans))
    keys = {normalize(speaker)}
    capitalised = [w for w in re.findall(r"[\w\u2019'\u2013-]+", speaker) if w[:1].isupper()]
    if capitalised:
        keys.add(normalize(re.sub(r"[\u2019']s$", "", capitalised[-1])))
    return any(re.search(rf"(?<!\w){re.escape(k)}(?!\w)", where) for k in keys if k)


def sentences(text: str, lo: int, hi: int) -> list[tuple[int, int]]:
    """(start, end) of the sentences of text[lo:hi], in original offsets."""
    spans = []
    for m in _SENTENCE.finditer(text, lo, hi):
        chunk = m.group()
        stripped = chunk.strip()
        if len(stripped) > 1:
            start = m.start() + (len(chunk) - len(chunk.lstrip()))
            spans.append((start, start + len(stripped)))
    return spans


def best_sentence(
    claim: str, text: str, ranges: Sequence[tuple[int, int]]
) -> tuple[int, int] | None:
    """The sentence in `ranges` that best supports `claim`, if one supports it at all."""
    best: tuple[float, tuple[int, int]] | None = None
    for lo, hi in ranges:
        for start, end in sentences(text, lo, hi):
            checks = check(claim, text[start:end])
            if checks.supported and (best is None or checks.content_overlap > best[0]):
                best = (checks.content_overlap, (start, end))
    return best[1] if best else None


_NUMBER_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?|[^\W\d_]+")


def _as_number(token: str) -> str | None:
    if token[0].isdigit():
        return token.replace(",", "").rstrip(".")
    word = token.lower()
    return _NUMBER_WORDS[word] if word in _NUMBER_WORDS and word != "one" else None


def number_phrases(text: str) -> list[tuple[str, str | None, str]]:
    """(number, stem of the content word it counts, phrase) for every number in `text`:
    "52 criminal gang networks" gives ("52", "crimin", "52 criminal"). "one" is left out: it is
    a pronoun too often to be read as a count."""
    tokens = _NUMBER_TOKEN.findall(text)
    found = []
    for i, token in enumerate(tokens):
        number = _as_number(token)
        if number is None:
            continue
        counted = next(
            (t for t in tokens[i + 1 : i + 4]
             if _as_number(t) is None and len(t) > 2 and t.lower() not in _STOPWORDS),
            None,
        )  # fmt: skip
        phrase = f"{token} {counted}" if counted else token
        found.append((number, _stem(counted) if counted else None, phrase))
    return found


def summary_number_problems(summary: str, article: str) -> list[str]:
    """Numbers of a summary the article does not back: absent altogether, or put on something the
    article counts with another number ("five criminal gang networks" where it says 52, and
    "five" only of years)."""
    in_article = number_phrases(article)
    numbers_seen = {n for n, _, _ in in_article}
    pairs = {(n, w) for n, w, _ in in_article}
    problems = []
    for number, counted, phrase in number_phrases(summary):
        if number not in numbers_seen:
            problems.append(f"'{phrase}': the article never states {number}")
        elif counted and (number, counted) not in pairs:
            others = sorted({n for n, w, _ in in_article if w == counted and n != number})
            if others:
                problems.append(f"'{phrase}': the article gives {', '.join(others)} there")
    return problems
