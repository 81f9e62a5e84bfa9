"""Quality of the recorded seed runs, measured offline by replaying cassettes/seeds/.

    python benchmarks/seed_quality.py

Prints, per seed: claims, distinct claims, share of model quotes located exact or normalized,
share of claims whose evidence supports them (numbers and most content words), evidence found by
search, claims with a speaker, summary sentences, model calls, re-asks, tokens, recorded duration.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from summarizer import Settings, ingest, replay
from summarizer.extraction import count_sentences
from summarizer.pipeline import summarize
from summarizer.result import AlignmentStatus, EvidenceOrigin, SummaryResult

ROOT = Path(__file__).resolve().parent.parent


def replayed(seed: Path) -> SummaryResult:
    with replay.cassette(ROOT / "cassettes" / "seeds" / f"{seed.stem}.yaml", record=False):
        return summarize(ingest.read_path(seed), Settings())


def row(seed: Path, result: SummaryResult) -> dict[str, object]:
    claims = result.claims
    n = len(claims) or 1
    quote = Counter(c.evidence.quote_status for c in claims)
    located = quote[AlignmentStatus.exact] + quote[AlignmentStatus.normalized]
    return {
        "seed": seed.stem[:3],
        "claims": len(claims),
        "distinct": len({c.text for c in claims}),
        "quotes exact/norm": f"{located}/{len(claims)} ({100 * located / n:.0f}%)",
        "fuzzy": quote[AlignmentStatus.fuzzy],
        "unaligned": quote[AlignmentStatus.unaligned],
        "supported": f"{sum(c.checks.supported for c in claims)}/{len(claims)}",
        "by search": sum(c.evidence.origin is EvidenceOrigin.search for c in claims),
        "with speaker": sum(c.speaker is not None for c in claims),
        "summary sentences": count_sentences(result.summary),
        "calls": result.run.calls,
        "re-asks (valid/review)": f"{result.run.validation_reasks}/{result.run.review_reasks}",
        "tokens in/out": f"{result.run.usage.prompt_tokens}/{result.run.usage.completion_tokens}",
    }


def main() -> int:
    rows = [row(seed, replayed(seed)) for seed in sorted((ROOT / "seeds").glob("*.txt"))]
    keys = list(rows[0])
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        print("| " + " | ".join(str(r[k]) for k in keys) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
