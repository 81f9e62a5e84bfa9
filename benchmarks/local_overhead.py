"""Our overhead over the bare local server, prompt tokens that are not article text, re-asks.

    python benchmarks/local_overhead.py [--runs 5] [--seeds seeds/*.txt]

Starts one local server (the runtime must be installed; the model is fetched if needed). For each
seed and run: (a) summarize through the library, recording every request body sent and when it
was wanted and answered; (b) send the very same request bodies straight to the server, no
summarizer code in the path, on the same schedule: each body goes out (with the same bound on
requests in flight) once every request that had been answered before it was wanted in (a) has
been answered in (b). So (b) is what (a) costs when our code takes no time, and (a - b) / b is
our overhead. The wall time of (a) during which no request was in flight (our own code:
cleaning, rendering, parsing, grounding) is reported too.
Non-article prompt tokens = prompt tokens the server reports minus the tokens of the article text
in that request (the server's tokenizer).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

from summarizer import Settings, ingest, local
from summarizer import llm as llm_module
from summarizer.pipeline import asummarize
from summarizer.prompts import load

ROOT = Path(__file__).resolve().parent.parent


async def through_summarizer(
    article: ingest.Article, settings: Settings
) -> tuple[float, list[dict], Any]:
    sent: list[dict[str, Any]] = []
    original = llm_module.LLM._send

    async def recording_send(self: llm_module.LLM, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        response = await original(self, *args, **kwargs)
        sent.append(
            {
                "body": kwargs,
                "prompt_tokens": response.usage.prompt_tokens,
                "span": (began, time.perf_counter()),
            }
        )
        return response

    llm_module.LLM._send = recording_send  # type: ignore[method-assign]
    try:
        started = time.perf_counter()
        result = await asummarize(article, settings)
        return time.perf_counter() - started, sent, result
    finally:
        llm_module.LLM._send = original  # type: ignore[method-assign]


async def straight(base_url: str, calls: list[dict[str, Any]], concurrency: int) -> float:
    """The bodies of run (a), sent on (a)'s schedule with nothing of ours in between."""
    order = sorted(range(len(calls)), key=lambda i: calls[i]["span"][0])
    answered = {i: asyncio.Event() for i in order}
    gate = asyncio.Semaphore(concurrency)
    async with httpx2.AsyncClient(timeout=600) as client:

        async def post(i: int) -> None:
            wanted = calls[i]["span"][0]
            for j in order:
                if calls[j]["span"][1] <= wanted:
                    await answered[j].wait()
            async with gate:
                response = await client.post(f"{base_url}/chat/completions", json=calls[i]["body"])
                response.raise_for_status()
            answered[i].set()

        started = time.perf_counter()
        await asyncio.gather(*(post(i) for i in order))
        return time.perf_counter() - started


def in_flight(spans: list[tuple[float, float]]) -> float:
    """Seconds during which at least one request was waiting on the server."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(spans):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def article_tokens(base_url: str, text: str) -> int:
    root = base_url.removesuffix("/v1")
    response = httpx2.post(f"{root}/extras/tokenize", json={"input": text}, timeout=60)
    response.raise_for_status()
    return len(response.json()["tokens"])


def non_article_tokens(base_url: str, calls: list[dict[str, Any]], settings: Settings) -> dict:
    """Per first-attempt call: prompt tokens the server counted (system prompt, rendered tool
    schema, labels, chat template) minus the article text the user message carries."""
    prompt = load(settings.prompt)
    labels = {
        "summary": article_tokens(
            base_url, prompt.summary_messages(title="", article="")[1]["content"]
        ),
        "claims": article_tokens(
            base_url, prompt.claims_messages(title="", context="", passage="")[1]["content"]
        ),
    }
    found: dict[str, list[int]] = {"summary": [], "claims": []}
    for call in calls:
        messages = call["body"]["messages"]
        if len(messages) != 2:  # re-asks carry an earlier answer; counted as re-asks instead
            continue
        kind = (
            "summary"
            if call["body"]["tools"][0]["function"]["name"] == "ArticleSummary"
            else "claims"
        )
        user = article_tokens(base_url, messages[1]["content"])
        found[kind].append(call["prompt_tokens"] - (user - labels[kind]))
    return {k: max(v) for k, v in found.items() if v}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--seeds", nargs="*", type=Path, default=sorted((ROOT / "seeds").glob("*.txt"))
    )
    args = parser.parse_args()
    # a kill (SIGTERM) unwinds like Ctrl-C, so the server this script started is stopped
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    settings = Settings()
    with local.endpoint(settings, progress=lambda m: print(m, file=sys.stderr)) as base_url:
        run_settings = settings.model_copy(update={"base_url": base_url})
        for seed in args.seeds:
            article = ingest.read_path(seed)
            ours, bare, idle, reasks = [], [], [], []
            for run in range(1, args.runs + 1):
                took, bodies, result = asyncio.run(through_summarizer(article, run_settings))
                ours.append(took)
                idle.append(took - in_flight([b["span"] for b in bodies]))
                reasks.append(result.run.validation_reasks + result.run.review_reasks)
                bare.append(asyncio.run(straight(base_url, bodies, run_settings.concurrency)))
                print(
                    f"{seed.stem[:3]} run {run}: summarizer {ours[-1]:.1f}s (no request in "
                    f"flight {idle[-1]:.2f}s), straight {bare[-1]:.1f}s "
                    f"({100 * (ours[-1] - bare[-1]) / bare[-1]:+.1f}%), re-asks {reasks[-1]}",
                    flush=True,
                )
            a, b = statistics.median(ours), statistics.median(bare)
            overhead = non_article_tokens(base_url, bodies, run_settings)
            print(
                f"{seed.stem[:3]}: summarizer {a:.1f}s, of which no request in flight "
                f"{statistics.median(idle):.2f}s ({100 * statistics.median(idle) / a:.2f}%); "
                f"the same bodies sent straight {b:.1f}s ({100 * (a - b) / b:+.1f}%, median of "
                f"{args.runs}); re-asks per article "
                f"{statistics.mean(reasks):.1f}; non-article prompt tokens per call (max): "
                f"summary {overhead.get('summary')}, claims {overhead.get('claims')}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
