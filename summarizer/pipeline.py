"""One article in, one SummaryResult out: clean, prompt, extract, ground, assemble.

The summary and the claims come from separate calls: one call for the summary over the whole
cleaned article, and one small call per passage for its claims. A small model copies whole
sentences when asked for every claim of an article at once, and breaks text into atomic facts
when asked about a few paragraphs; small calls also keep each answer short (output tokens dominate
latency). Quotes that cannot be located are re-asked per passage, bounded.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pydantic import BaseModel

from summarizer import clean as cleaning
from summarizer import cost, evidence, grounding, review
from summarizer.errors import InputError, ModelOutputError, SummarizerError, TruncatedOutputError
from summarizer.extraction import ArticleSummary, ExtractedClaim, PassageClaims, count_sentences
from summarizer.ingest import Article, from_text
from summarizer.llm import LLM, Extraction, Message
from summarizer.prompts import PromptTemplate, load
from summarizer.result import (
    AlignmentStatus,
    ArticleInfo,
    Claim,
    ClaimChecks,
    Evidence,
    RunInfo,
    SummaryResult,
    Usage,
)
from summarizer.settings import Settings

CONTEXT_CHARS = 300
PASSAGE_FAILURES = (TruncatedOutputError, ModelOutputError)


@dataclass
class _Ledger:
    """Bookkeeping across every call of one article."""

    calls: int = 0
    validation_reasks: int = 0
    review_reasks: int = 0
    usage: Usage = field(default_factory=Usage)
    warnings: list[str] = field(default_factory=list)

    def record(self, extraction: Extraction) -> None:
        self.calls += extraction.calls
        self.validation_reasks += extraction.calls - 1
        self.usage = self.usage + extraction.usage


@dataclass(frozen=True)
class _Located:
    claim: ExtractedClaim
    evidence: Evidence
    paragraph: int
    checks: ClaimChecks


def _context(paragraph: cleaning.Paragraph | None) -> str:
    if paragraph is None:
        return "(start of article)"
    text = cleaning.model_text(paragraph.text)
    return text if len(text) <= CONTEXT_CHARS else text[:CONTEXT_CHARS] + "..."


def _folded(messages: list[Message], reask: str) -> list[Message]:
    """The same request with what to fix appended to its last message (after the article, so a
    local server still reuses the cached prefix)."""
    return [*messages[:-1], {**messages[-1], "content": f"{messages[-1]['content']}\n\n{reask}"}]


def _with_reask(messages: list[Message], answer: BaseModel, reask: str) -> list[Message]:
    """The conversation so far, the model's answer, and what to fix in it."""
    return [
        *messages,
        {"role": "assistant", "content": answer.model_dump_json()},
        {"role": "user", "content": reask},
    ]


async def _summary(
    llm: LLM, prompt: PromptTemplate, cleaned: cleaning.CleanedArticle, ledger: _Ledger
) -> ArticleSummary:
    """The summary, re-asked (bounded) while its length or a number is wrong; the best attempt is
    kept, with a warning naming what is still wrong."""
    first: list[Message] = prompt.summary_messages(
        title=cleaned.title or "(none)", article=cleaned.body_text
    )
    messages = first
    article_sentences = count_sentences(cleaned.body_text)
    best: tuple[int, ArticleSummary, str | None] | None = None
    reasks = 0
    while True:
        extraction = await llm.extract(ArticleSummary, messages)
        ledger.record(extraction)
        problem = review.summary_problem(
            extraction.value.summary, article_sentences, cleaned.body_text
        )
        if best is None or (problem is None) >= (best[2] is None):
            best = (reasks, extraction.value, problem)
        if problem is None or reasks >= llm.settings.review_reasks:
            break
        reasks += 1
        ledger.review_reasks += 1
        # the problem folded into the first prompt, the earlier answer left out: shown its own
        # summary, the small local model gave it back word for word (2 of 2 re-asks on seed 000)
        messages = _folded(first, prompt.summary_reask(problem))
    if best[2] is not None:
        ledger.warnings.append(f"summary kept as is: {best[2]}")
    return best[1]


async def _passage_claims(
    llm: LLM,
    prompt: PromptTemplate,
    article: Article,
    cleaned: cleaning.CleanedArticle,
    passage: cleaning.Passage,
    ledger: _Ledger,
) -> list[_Located]:
    """Claims of one passage, re-asking (bounded) for quotes the article does not contain."""
    title = cleaned.title or "(none)"
    context = evidence.context_paragraph(cleaned, passage)
    messages: list[Message] = prompt.claims_messages(
        title=title, context=_context(context), passage=passage.text
    )
    body_ranges = [(p.start, p.end) for p in cleaned.body]
    passage_ranges = [(p.start, p.end) for p in passage.paragraphs]
    reasks = 0
    best: tuple[int, list[ExtractedClaim]] | None = None
    while True:
        extraction = await llm.extract(PassageClaims, messages)
        ledger.record(extraction)
        answer = extraction.value.claims
        problems = review.claims_review(answer, article.text, body_ranges)
        if best is None or len(problems) <= best[0]:
            best = (len(problems), answer)  # a re-ask never makes the result worse
        if not problems or reasks >= llm.settings.review_reasks:
            break
        reasks += 1
        ledger.review_reasks += 1
        messages = _with_reask(messages, extraction.value, prompt.claims_reask(problems))
    claims = [c.model_copy(update={"text": review.without_framing(c.text)}) for c in best[1]]
    located = []
    for claim in claims:
        found = evidence.find(claim, article, passage, context, body_ranges)
        at = found.start if found.start is not None else passage_ranges[0][0]
        checks = evidence.claim_checks(claim, found, article, cleaned)
        located.append(_Located(claim, found, evidence.paragraph_at(cleaned, at), checks))
    return located


def claim_id(article_id: str, text: str) -> str:
    """Stable across runs: the same claim text of the same article has the same id."""
    digest = hashlib.sha256(f"{article_id}\n{grounding.normalize(text)}".encode()).hexdigest()
    return f"c_{digest[:12]}"


def _assemble_claims(article: Article, found: list[_Located], ledger: _Ledger) -> list[Claim]:
    claims: list[Claim] = []
    seen: set[str] = set()
    for item in found:
        cid = claim_id(article.id, item.claim.text)
        if cid in seen:
            continue
        seen.add(cid)
        claims.append(
            Claim(
                id=cid,
                text=item.claim.text,
                kind=item.claim.kind,
                speaker=item.claim.speaker,
                certainty=item.claim.certainty,
                paragraph=item.paragraph,
                evidence=item.evidence,
                checks=item.checks,
            )
        )
    if dropped := len(found) - len(claims):
        ledger.warnings.append(f"{dropped} duplicate claim(s) merged")
    unaligned = sum(c.evidence.status is AlignmentStatus.unaligned for c in claims)
    if unaligned:
        ledger.warnings.append(f"{unaligned} claim(s) have evidence not found in the article")
    unsupported = sum(not c.checks.supported for c in claims)
    if unsupported:
        ledger.warnings.append(f"{unsupported} claim(s) are not fully supported by their evidence")
    return claims


def _collect(
    summary: object,
    per_passage: list[object],
    parts: list[cleaning.Passage],
    ledger: _Ledger,
) -> list[_Located]:
    """Fail on what would fail every call (endpoint, key, cassette, or the summary itself); a
    passage whose answer stays unusable costs only its claims, and says so in the warnings."""
    outcomes = [summary, *per_passage]
    for outcome in outcomes:
        if isinstance(outcome, BaseException) and not isinstance(outcome, PASSAGE_FAILURES):
            raise outcome
    if isinstance(summary, BaseException):
        raise summary
    found: list[_Located] = []
    for part, outcome in zip(parts, per_passage, strict=True):
        if isinstance(outcome, SummarizerError):
            ledger.calls += outcome.calls
            if isinstance(outcome.usage, Usage):
                ledger.usage = ledger.usage + outcome.usage
            where = f"paragraph {part.paragraphs[0].index}"
            ledger.warnings.append(f"no claims from {where}: {outcome}")
        else:
            found.extend(outcome)  # type: ignore[arg-type]
    return found


async def asummarize(
    article: Article | str,
    settings: Settings | None = None,
    *,
    llm: LLM | None = None,
    progress: Callable[[str], None] | None = None,
) -> SummaryResult:
    """Summarize one article into a grounded SummaryResult (async). `progress`, if given, hears
    a line as each part of the work is done."""
    settings = settings or Settings()
    if isinstance(article, str):
        article = from_text(article)
    if len(article.text) > settings.max_chars:
        raise InputError(
            f"{article.source or 'article'}: {len(article.text):,} characters, over the limit of "
            f"{settings.max_chars:,} (raise max_chars / --max-chars)"
        )
    prompt = load(settings.prompt)
    cleaned = cleaning.clean(article.text, article.title)
    if not cleaned.body:
        raise InputError(
            f"{article.source or 'article'}: no article text left after removing boilerplate"
        )
    owned = llm is None
    llm = llm or LLM(settings)
    ledger = _Ledger()
    started, clock = datetime.now(UTC), time.monotonic()
    done = 0

    async def gated(coro, what: str):  # type: ignore[no-untyped-def]
        """Counts finished calls; the LLM's shared pool bounds how many are in flight."""
        nonlocal done
        result = await coro
        done += 1
        if progress:
            progress(f"{done}/{total} done: {what}")
        return result

    try:
        parts = cleaning.passages(cleaned, prompt.passage_chars)
        total = len(parts) + 1
        if progress:
            progress(
                f"summarizing: 1 summary call and {len(parts)} passage"
                f"{'' if len(parts) == 1 else 's'} for claims"
            )
        summary_call = gated(_summary(llm, prompt, cleaned, ledger), "summary")
        claim_calls = [
            gated(
                _passage_claims(llm, prompt, article, cleaned, p, ledger),
                f"claims of paragraph {p.paragraphs[0].index}",
            )
            for p in parts
        ]
        summary, *per_passage = await asyncio.gather(
            summary_call, *claim_calls, return_exceptions=True
        )
    finally:
        if owned:
            await llm.aclose()
    found = _collect(summary, per_passage, parts, ledger)
    claims = _assemble_claims(article, found, ledger)
    return SummaryResult(
        article=ArticleInfo(
            id=article.id,
            title=cleaned.title,
            url=article.url,
            source=article.source,
            published=article.published,
            chars=len(article.text),
            paragraphs_kept=len(cleaned.body),
            paragraphs_dropped=len(cleaned.dropped),
        ),
        title=cleaned.title or summary.title,
        summary=summary.summary,
        claims=claims,
        run=RunInfo(
            model=settings.resolved_model,
            endpoint_host=settings.endpoint_host,
            mode=settings.mode.value,
            prompt=prompt.info,
            calls=ledger.calls,
            validation_reasks=ledger.validation_reasks,
            review_reasks=ledger.review_reasks,
            usage=ledger.usage,
            cost_usd=cost.price(ledger.usage, settings),
            started_at=started,
            duration_s=round(time.monotonic() - clock, 3),
        ),
        warnings=ledger.warnings,
    )


def summarize(
    article: Article | str,
    settings: Settings | None = None,
    *,
    llm: LLM | None = None,
    progress: Callable[[str], None] | None = None,
) -> SummaryResult:
    """Summarize one article (blocking). Safe to call where an event loop already runs."""
    coro = asummarize(article, settings, llm=llm, progress=progress)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()
