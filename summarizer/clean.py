"""Split an article into paragraphs and set aside what is not the article itself.

Paragraphs are exact slices of the original text, so anything found in a kept paragraph already
has original offsets: there is no second text to map back from. Boilerplate rules are data
(data/boilerplate.toml); headings and repeated lines are recognised by shape.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")
_TERMINAL = (".", "!", "?", ":", '"', "”", "’", "'", "…", ")", ";")
MAX_HEADING_WORDS = 14


class Role(StrEnum):
    body = "body"
    title = "title"
    heading = "heading"
    duplicate = "duplicate"
    boilerplate = "boilerplate"


@dataclass(frozen=True)
class Rule:
    name: str
    why: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Paragraph:
    index: int
    start: int
    end: int
    text: str
    role: Role
    rule: str | None = None


@dataclass(frozen=True)
class Passage:
    """Consecutive body paragraphs sent to the model together."""

    paragraphs: tuple[Paragraph, ...]

    @property
    def start(self) -> int:
        return self.paragraphs[0].start

    @property
    def end(self) -> int:
        return self.paragraphs[-1].end

    @property
    def text(self) -> str:
        return "\n\n".join(model_text(p.text) for p in self.paragraphs)


@dataclass(frozen=True)
class CleanedArticle:
    text: str
    paragraphs: tuple[Paragraph, ...]
    title: str | None

    @property
    def body(self) -> tuple[Paragraph, ...]:
        return tuple(p for p in self.paragraphs if p.role is Role.body)

    @property
    def dropped(self) -> tuple[Paragraph, ...]:
        return tuple(p for p in self.paragraphs if p.role is not Role.body)

    @property
    def body_text(self) -> str:
        """The text the model sees: kept paragraphs, blank-line separated."""
        return "\n\n".join(model_text(p.text) for p in self.body)


@cache
def rules() -> tuple[Rule, ...]:
    raw = resources.files("summarizer").joinpath("data/boilerplate.toml").read_text("utf-8")
    data = tomllib.loads(raw)
    return tuple(Rule(r["name"], r["why"], re.compile(r["pattern"])) for r in data["rule"])


def model_text(text: str) -> str:
    """Text as shown to the model: no-break and other odd spaces made plain, lines joined."""
    return re.sub(r"[^\S\n]+", " ", text).strip()


def _fold(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    folded = re.sub(r"[\u2010-\u2015\u2212-]", "-", folded)
    return re.sub(r"\s+", " ", folded).strip()


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) of each paragraph, whitespace trimmed; blank lines separate paragraphs.

    Text with no blank lines at all is split on single newlines instead.
    """
    separator = _BLANK_LINE if _BLANK_LINE.search(text) else re.compile(r"\n")
    spans: list[tuple[int, int]] = []
    pos = 0
    for match in [*separator.finditer(text), None]:
        end = match.start() if match else len(text)
        chunk = text[pos:end]
        stripped = chunk.strip()
        if stripped:
            lead = len(chunk) - len(chunk.lstrip())
            spans.append((pos + lead, pos + lead + len(stripped)))
        if match:
            pos = match.end()
    return spans


def _boilerplate_rule(text: str) -> str | None:
    for rule in rules():
        if rule.pattern.search(text):
            return rule.name
    return None


def _is_heading(text: str) -> bool:
    return (
        "\n" not in text and len(text.split()) <= MAX_HEADING_WORDS and not text.endswith(_TERMINAL)
    )


def clean(text: str, title: str | None = None) -> CleanedArticle:
    """Classify every paragraph; the first heading before any body text is the title."""
    paragraphs: list[Paragraph] = []
    seen: set[str] = set()
    found_title = title
    seen_body = False
    for index, (start, end) in enumerate(split_paragraphs(text)):
        para = text[start:end].strip()
        folded = _fold(para)
        rule = _boilerplate_rule(para)
        if rule:
            role = Role.boilerplate
        elif folded in seen:
            role = Role.duplicate
        elif _is_heading(para):
            if found_title is None and not seen_body:
                found_title = model_text(para)
                role = Role.title
            elif found_title is not None and folded == _fold(found_title):
                role = Role.duplicate
            else:
                role = Role.heading
        else:
            role = Role.body
            seen_body = True
        seen.add(folded)
        paragraphs.append(Paragraph(index, start, end, para, role, rule))
    return CleanedArticle(text=text, paragraphs=tuple(paragraphs), title=found_title)


def passages(article: CleanedArticle, max_chars: int = 700) -> list[Passage]:
    """Group consecutive body paragraphs into passages of at most max_chars (one paragraph may
    exceed it alone). Small calls are what let a small model break text into atomic facts."""
    groups: list[list[Paragraph]] = []
    size = 0
    previous_index = -2
    for para in article.body:
        contiguous = para.index == previous_index + 1 or all(
            p.role is not Role.body for p in article.paragraphs[previous_index + 1 : para.index]
        )
        if groups and contiguous and size + len(para.text) <= max_chars:
            groups[-1].append(para)
            size += len(para.text)
        else:
            groups.append([para])
            size = len(para.text)
        previous_index = para.index
    return [Passage(tuple(g)) for g in groups]
