"""Where a claim's evidence is and what it is checked against, in the cleaned article.

grounding works on plain text; this module knows the article's structure: the passage a claim
came from, the context paragraph the model was shown with it, and where a quotation that runs over
several paragraphs was opened (where its speaker is named).
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer import clean as cleaning
from summarizer import grounding
from summarizer.extraction import ExtractedClaim
from summarizer.ingest import Article
from summarizer.result import AlignmentStatus, ClaimChecks, Evidence, EvidenceOrigin

OPENING_QUOTES = ('"', "\u201c", "\u2018", "'")


def context_paragraph(
    cleaned: cleaning.CleanedArticle, passage: cleaning.Passage
) -> cleaning.Paragraph | None:
    """The paragraph just before a passage, so claims can name who 'he' is. A passage that
    continues a quotation (it opens with a quote mark, as does the paragraph before it) gets the
    paragraph that opened the quotation instead: that is where the speaker is named."""
    before = [p for p in cleaned.body if p.index < passage.paragraphs[0].index]
    if not before:
        return None
    chosen = before[-1]
    if passage.text.startswith(OPENING_QUOTES):
        for para in reversed(before):
            chosen = para
            if not para.text.startswith(OPENING_QUOTES):
                break
    return chosen


def attribution_spans(
    cleaned: cleaning.CleanedArticle, offset: int | None
) -> list[tuple[int, int]]:
    """Where a speaker should be named for evidence at `offset`: its paragraph, and back through
    quotation continuations to the paragraph that opened the quotation."""
    body = cleaned.body
    at = next(
        (i for i, p in enumerate(body) if offset is not None and p.start <= offset < p.end), None
    )
    if at is None:
        return []
    spans = [(body[at].start, body[at].end)]
    while at > 0 and body[at].text.startswith(OPENING_QUOTES):
        at -= 1
        spans.append((body[at].start, body[at].end))
    return spans


def claim_checks(
    claim: ExtractedClaim, evidence: Evidence, article: Article, cleaned: cleaning.CleanedArticle
) -> ClaimChecks:
    """Numbers and words (grounding.check), then the speaker: a claim attributed to someone the
    evidence's surroundings never name is not supported, however well its words match."""
    checks = grounding.check(claim.text, evidence.text)
    spans = attribution_spans(cleaned, evidence.start)
    named = grounding.speaker_named(claim.speaker, article.text, spans)
    return checks.model_copy(
        update={"speaker_named": named, "supported": checks.supported and named is not False}
    )


def paragraph_at(cleaned: cleaning.CleanedArticle, offset: int) -> int:
    for p in cleaned.paragraphs:
        if p.start <= offset < p.end:
            return p.index
    return -1


def find(
    claim: ExtractedClaim,
    article: Article,
    passage: cleaning.Passage,
    context: cleaning.Paragraph | None,
    body_ranges: Sequence[tuple[int, int]],
) -> Evidence:
    """Locate the model's quote; where it does not support the claim, search the passage, then
    the context paragraph the model was shown, for the sentence that does."""
    passage_ranges = [(p.start, p.end) for p in passage.paragraphs]
    ranges = passage_ranges + [r for r in body_ranges if r not in passage_ranges]
    found = grounding.locate(claim.quote, article.text, ranges)
    quote_status = found.status if found else AlignmentStatus.unaligned
    located = None
    if found is not None:
        located = Evidence(
            quote=claim.quote,
            start=found.start,
            end=found.end,
            text=article.text[found.start : found.end],
            status=found.status,
            score=found.score,
            quote_status=quote_status,
        )
        if grounding.check(claim.text, located.text).supported:
            return located
    better = grounding.best_sentence(claim.text, article.text, passage_ranges)
    if better is None and context is not None:
        better = grounding.best_sentence(claim.text, article.text, [(context.start, context.end)])
    if better is not None:
        start, end = better
        return Evidence(
            quote=claim.quote,
            start=start,
            end=end,
            text=article.text[start:end],
            status=AlignmentStatus.exact,
            origin=EvidenceOrigin.search,
            quote_status=quote_status,
        )
    return located or Evidence(
        quote=claim.quote,
        start=None,
        end=None,
        text=None,
        status=AlignmentStatus.unaligned,
        quote_status=quote_status,
    )
