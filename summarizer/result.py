"""The result schema: what the tool emits. Its JSON Schema is exported to schemas/."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from summarizer.extraction import Certainty, ClaimKind

SCHEMA_VERSION = "1.1"


class AlignmentStatus(StrEnum):
    """How an evidence quote was found in the article text."""

    exact = "exact"
    normalized = "normalized"
    fuzzy = "fuzzy"
    unaligned = "unaligned"


class EvidenceOrigin(StrEnum):
    """Who chose the evidence: the model's quote, or the code's search of the passage."""

    model = "model"
    search = "search"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Evidence(_Frozen):
    """Where a claim's support stands in `article.text`: text[start:end]."""

    quote: str = Field(description="The quote as the model gave it.")
    start: int | None = Field(description="Start offset in the original article text.")
    end: int | None = Field(description="End offset (exclusive) in the original article text.")
    text: str | None = Field(description="The article's own words at [start, end).")
    status: AlignmentStatus
    origin: EvidenceOrigin = EvidenceOrigin.model
    quote_status: AlignmentStatus = Field(
        description="How the model's own quote was found, even when search chose the span."
    )
    score: float | None = Field(default=None, description="Fuzzy similarity 0-100, fuzzy only.")


class ClaimChecks(_Frozen):
    """What the code checked about a claim against its evidence."""

    numbers: list[str] = Field(description="Numbers stated in the claim text.")
    missing_numbers: list[str] = Field(description="Claim numbers absent from the evidence.")
    content_overlap: float = Field(description="Share of the claim's content words in evidence.")
    speaker_named: bool | None = Field(
        default=None,
        description="The claim's speaker is named in the evidence's paragraph or in the one that "
        "opened the quotation it continues; null without a speaker or located evidence.",
    )
    supported: bool = Field(
        description="Evidence located, holds every number and most words, and names the speaker."
    )


class Claim(_Frozen):
    id: str = Field(description="Stable id: derived from the article id and the claim text.")
    text: str
    kind: ClaimKind
    speaker: str | None
    certainty: Certainty
    paragraph: int = Field(description="Index of the article paragraph the claim came from.")
    evidence: Evidence
    checks: ClaimChecks


class Usage(_Frozen):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class PromptInfo(_Frozen):
    id: str
    version: str
    sha256: str


class RunInfo(_Frozen):
    model: str
    endpoint_host: str
    mode: str
    prompt: PromptInfo
    schema_version: str = SCHEMA_VERSION
    calls: int = Field(description="Model calls made, re-asks included.")
    validation_reasks: int
    review_reasks: int = Field(description="Re-asks naming problems the code's review found.")
    usage: Usage = Field(description="Tokens summed over every attempt.")
    cost_usd: float | None = Field(default=None, description="Known only for priced models.")
    started_at: datetime
    duration_s: float


class ArticleInfo(_Frozen):
    id: str = Field(description="sha256 of the article text.")
    title: str | None
    url: str | None
    source: str | None = Field(description="File path, URL or '-' the article was read from.")
    published: str | None
    chars: int
    paragraphs_kept: int
    paragraphs_dropped: int


class SummaryResult(_Frozen):
    """A grounded summary of one article."""

    schema_version: str = SCHEMA_VERSION
    article: ArticleInfo
    title: str
    summary: str
    claims: list[Claim]
    run: RunInfo
    warnings: list[str] = Field(default_factory=list)
