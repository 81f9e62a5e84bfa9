"""The LLM-facing schemas: what instructor asks the model for and validates.

Kept lean on purpose: every schema token is prompt overhead on every call, and small local models
degrade with deep nesting. Offsets, ids, numbers checks and dates are computed by the code, never
asked of the model.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

MAX_CLAIMS_PER_PASSAGE = 8
MAX_FIELD_CHARS = 400

ClaimKind = Literal["event", "statistic", "quote", "statement", "background"]
Certainty = Literal["asserted", "reported", "alleged", "projected"]

_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*(?:\s+|$)")


def count_sentences(text: str) -> int:
    """Sentences in a short text: terminal punctuation followed by space or the end."""
    stripped = text.strip()
    if not stripped:
        return 0
    ends = len(_SENTENCE_END.findall(stripped))
    return ends if stripped[-1] in ".!?\"'”’)" else ends + 1


# Docstrings and field descriptions of these models are sent to the model as the tool's
# description: keep them short and addressed to the model. Design notes go in comments.


class ArticleSummary(BaseModel):
    """The article's headline and a summary."""

    title: str = Field(description="The headline, or a short neutral one.")
    summary: str = Field(description="2 to 4 sentences: what happened, who, key numbers.")


# Field order is generation order: the model copies the quote first, names who says it while the
# words are in view, and only then restates them as one fact.
class ExtractedClaim(BaseModel):
    """One fact of the PASSAGE."""

    quote: str = Field(description="Exact words of the PASSAGE.", max_length=MAX_FIELD_CHARS)
    speaker: str | None = Field(description="Who says these words, or null.")
    text: str = Field(description="The fact as one sentence.", max_length=MAX_FIELD_CHARS)
    kind: ClaimKind
    certainty: Certainty

    @field_validator("text", "quote")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("speaker")
    @classmethod
    def _blank_speaker_is_none(cls, value: str | None) -> str | None:
        if value is None or value.strip().lower() in ("", "none", "null", "n/a", "unknown"):
            return None
        return value.strip()


# The bounds are part of the schema on purpose: a grammar-constrained server (llama.cpp) cannot
# loop past them, which stops a small model's greedy repetition at the source.
class PassageClaims(BaseModel):
    """The atomic facts of the PASSAGE."""

    claims: list[ExtractedClaim] = Field(max_length=MAX_CLAIMS_PER_PASSAGE)
