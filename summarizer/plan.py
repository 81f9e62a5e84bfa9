"""What a batch would cost before it runs (`batch --dry-run`): items, cache hits, calls, tokens
and price, from the very prompts, passages and schemas a run would send. Nothing is sent."""

from __future__ import annotations

import json
from dataclasses import dataclass

from summarizer import cost, sources
from summarizer.batch import cache_key
from summarizer.errors import SummarizerError
from summarizer.pipeline import CONTEXT_CHARS
from summarizer.prompts import load
from summarizer.result import Usage
from summarizer.settings import Settings
from summarizer.store import Store

# Calibrated on the seed recordings: the request text is ~4 characters a token (schema included)
# plus ~100 tokens of chat and tool-call template per call; answers average ~110 tokens for a
# summary and ~140 for claims; re-asks add 45% more calls (13 per 29 first calls), each resending
# its prompt and the answer being fixed.
ANSWER_TOKENS = {"summary": 110, "claims": 140}
TEMPLATE_TOKENS = 100
REASK_SHARE = 0.45
CHARS_PER_TOKEN = 4


@dataclass
class Plan:
    """What a batch would cost before it runs: nothing is sent anywhere to make it."""

    items: int = 0
    unreadable: int = 0
    cached: int = 0
    articles: int = 0
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = 0.0
    model: str = ""
    endpoint: str = ""


def estimate(
    inputs: list[str],
    settings: Settings,
    *,
    store: Store | None = None,
    refresh: bool = False,
) -> Plan:
    """Count items, cache hits, calls and tokens the batch would spend, and price them."""
    from summarizer import clean as cleaning
    from summarizer.extraction import ArticleSummary, PassageClaims

    prompt = load(settings.prompt)
    schema_chars = {
        "summary": len(json.dumps(ArticleSummary.model_json_schema())),
        "claims": len(json.dumps(PassageClaims.model_json_schema())),
    }
    plan = Plan(model=settings.resolved_model, endpoint=settings.endpoint_host)
    for item in sources.expand(inputs):
        plan.items += 1
        try:
            article, _ = sources.load(item)
        except SummarizerError:
            plan.unreadable += 1
            continue
        if len(article.text) > settings.max_chars:
            plan.unreadable += 1
            continue
        key = cache_key(article.id, settings, prompt.sha256)
        if store is not None and not refresh and store.get(key) is not None:
            plan.cached += 1
            continue
        cleaned = cleaning.clean(article.text, article.title)
        if not cleaned.body:
            plan.unreadable += 1
            continue
        plan.articles += 1
        chars = schema_chars["summary"] + sum(
            len(m["content"])
            for m in prompt.summary_messages(title=cleaned.title or "", article=cleaned.body_text)
        )
        calls, answer = 1, ANSWER_TOKENS["summary"]
        for part in cleaning.passages(cleaned, prompt.passage_chars):
            messages = prompt.claims_messages(title="", context="", passage=part.text)
            chars += (
                schema_chars["claims"] + CONTEXT_CHARS + sum(len(m["content"]) for m in messages)
            )
            calls, answer = calls + 1, answer + ANSWER_TOKENS["claims"]
        first = chars / CHARS_PER_TOKEN + calls * TEMPLATE_TOKENS
        plan.calls += round(calls * (1 + REASK_SHARE))
        plan.prompt_tokens += round(first * (1 + REASK_SHARE) + answer * REASK_SHARE)
        plan.completion_tokens += round(answer * (1 + REASK_SHARE))
    usage = Usage(prompt_tokens=plan.prompt_tokens, completion_tokens=plan.completion_tokens)
    plan.cost_usd = cost.price(usage, settings)
    return plan
