"""The code's review of the model's answers: what is worth naming back to it in a re-ask.

Pure checks on text, no model calls: a quote the article does not contain, a claim that is not
one self-contained sentence, a speaker the article never names, a summary of the wrong length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from summarizer import grounding
from summarizer.extraction import ExtractedClaim, count_sentences

META = re.compile(r"(?i)^(according to )?(the|this) (passage|article|text|context)\b")
# The framing itself, when what follows it is the claim: "The passage states that X", "According
# to the article, X".
FRAMING = re.compile(
    r"(?i)^(?:according to (?:the|this) (?:passage|article|text|context),?"
    r"|(?:the|this) (?:passage|article|text|context) (?:states|says|reports|notes|mentions"
    r"|explains|indicates|claims)(?: that)?,?)\s+"
)


def summary_problem(summary: str, article_sentences: int, article: str) -> str | None:
    """A summary says what happened in 2 to 4 sentences (1 is enough for a 1-2 sentence article),
    with the article's own numbers. Every problem found, in one line."""
    problems = []
    low = 1 if article_sentences < 3 else 2
    n = count_sentences(summary)
    if not low <= n <= 4:
        problems.append(
            f"the summary has {n} sentence(s); write {low} to 4 full sentences about what happened"
        )
    if numbers := grounding.summary_number_problems(summary, article):
        problems.append(
            f"a number does not match the article: {'; '.join(numbers)}; use the article's number"
        )
    return "; ".join(problems) or None


PRONOUNS = frozenset("he she they it his her their its this these we our i".split())


def claim_problems(claim: ExtractedClaim) -> list[str]:
    """What makes a claim not atomic or not self-contained, in words the model can act on."""
    problems = []
    if count_sentences(claim.text) > 1:
        problems.append(f'more than one sentence, split it into separate claims: "{claim.text}"')
    first = claim.text.split()[0].lower().strip(",.;:") if claim.text.split() else ""
    if first in PRONOUNS:
        problems.append(f'starts with "{first}", write the name instead: "{claim.text}"')
    if META.match(claim.text):
        problems.append(f'state the fact itself, not what the text says: "{claim.text}"')
    return problems


def without_framing(text: str) -> str:
    """Cuts "The passage states that" from "The passage states that X.": framing still there once
    the re-asks are spent is cut by the code rather than shown, when X reads as a sentence."""
    found = FRAMING.match(text)
    rest = text[found.end() :] if found else ""
    if len(rest.split()) < 3:
        return text
    return rest[0].upper() + rest[1:]


def claims_review(
    claims: list[ExtractedClaim], text: str, body_ranges: Sequence[tuple[int, int]]
) -> list[str]:
    """Problems worth a re-ask: quotes the article does not contain, non-atomic claims, speakers
    the article never names."""
    problems = []
    normalized_text = grounding.normalize(text)
    for claim in claims:
        if grounding.locate(claim.quote, text, body_ranges) is None:
            problems.append(f'quote not found word for word in the PASSAGE: "{claim.quote}"')
        problems.extend(claim_problems(claim))
        if claim.speaker and grounding.normalize(claim.speaker) not in normalized_text:
            problems.append(
                f'speaker "{claim.speaker}" is not named in the article; write the name as '
                "the article does, or null"
            )
    return problems
