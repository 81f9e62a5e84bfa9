"""Batch throughput, memory and cache speed against a synthetic OpenAI-compatible server.

    python benchmarks/batch_throughput.py [--articles 2000] [--rss 1000 10000]

The server (tests/synthetic_server.py, a separate process, no model) answers every request after
a fixed latency (500 ms) and refuses (429) past a cap of requests in flight (16). Each synthetic
article takes 2 requests (a summary and one passage of claims), so the most any client can do is
cap / latency / 2 = 16 articles/s. Measured:

1. `summarizer batch` on N articles with --concurrency = cap: articles/s against that limit;
2. a naive sequential instructor loop (the same two calls per article, one after another);
3. peak RSS of `summarizer batch` at each size in --rss (a fresh process and store each);
4. a cached re-run of the largest size: articles/s with zero model calls.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ARTICLE = (
    "Officials in {place} opened a new bridge on Monday. The bridge cost {n} million euros. "
    "Work began in {year} and employed {staff} people."
)


def write_inputs(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(count):
            text = ARTICLE.format(place=f"Town {i}", n=i % 90 + 3, year=1990 + i % 35,
                                  staff=i % 400 + 10)  # fmt: skip
            handle.write(json.dumps({"id": f"a{i}", "text": text}) + "\n")
    return path


def start_server(latency: float, cap: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.synthetic_server", "--latency", str(latency),
         "--cap", str(cap)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def run_batch(inputs: Path, out: Path, store: Path, base_url: str, cap: int) -> tuple[float, int]:
    """Wall seconds and peak RSS (bytes) of one `summarizer batch` process."""
    command = [sys.executable, "-m", "summarizer", "batch", str(inputs), "-o", str(out),
               "--store", str(store), "--base-url", base_url, "--model", "synthetic",
               "--concurrency", str(cap)]  # fmt: skip
    began = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"batch failed ({status}); run it by hand: {' '.join(command)}")
    lines = out.read_text("utf-8").count("\n")
    expected = inputs.read_text("utf-8").count("\n")
    if lines != expected:
        raise SystemExit(f"{out}: {lines} lines for {expected} inputs")
    return took, usage.ru_maxrss * 1024


def naive_loop(inputs: Path, base_url: str, count: int) -> float:
    """Articles/s of the obvious loop: instructor, one call after the other, no concurrency."""
    import instructor
    import openai

    from summarizer.extraction import ArticleSummary, PassageClaims

    client = instructor.from_openai(openai.OpenAI(base_url=base_url, api_key="none"))
    records = [json.loads(line) for line in inputs.read_text("utf-8").splitlines()[:count]]
    began = time.perf_counter()
    for record in records:
        article = f"Headline: (none)\n\nArticle:\n{record['text']}"
        client.chat.completions.create(
            model="synthetic", response_model=ArticleSummary,
            messages=[{"role": "user", "content": article}],
        )  # fmt: skip
        client.chat.completions.create(
            model="synthetic", response_model=PassageClaims,
            messages=[{"role": "user", "content": f"PASSAGE:\n{record['text']}"}],
        )  # fmt: skip
    return count / (time.perf_counter() - began)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--rss", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--cap", type=int, default=16)
    parser.add_argument("--naive", type=int, default=30, help="articles for the naive loop")
    args = parser.parse_args()
    limit = args.cap / args.latency / 2
    server, base_url = start_server(args.latency, args.cap)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            inputs = write_inputs(work / "in.jsonl", args.articles)
            took, rss = run_batch(inputs, work / "out.jsonl", work / "s.sqlite", base_url, args.cap)
            rate = args.articles / took
            print(f"throughput: {args.articles} articles in {took:.1f}s = {rate:.2f} articles/s; "
                  f"limit {limit:.1f}/s ({100 * rate / limit:.1f}%); peak RSS {rss / 2**20:.0f} MB",
                  flush=True)  # fmt: skip
            naive = naive_loop(inputs, base_url, args.naive)
            print(f"naive sequential instructor loop: {naive:.2f} articles/s "
                  f"(summarizer batch is {rate / naive:.1f}x)", flush=True)  # fmt: skip
            for size in args.rss:
                sized = write_inputs(work / f"in{size}.jsonl", size)
                store = work / f"s{size}.sqlite"
                took, rss = run_batch(sized, work / f"o{size}.jsonl", store, base_url, args.cap)
                print(f"{size} articles: {took:.1f}s ({size / took:.2f}/s), peak RSS "
                      f"{rss / 2**20:.0f} MB", flush=True)  # fmt: skip
                again, rss = run_batch(sized, work / f"c{size}.jsonl", store, base_url, args.cap)
                print(f"{size} articles cached re-run: {again:.2f}s = {size / again:.0f} "
                      f"articles/s (process start included), peak RSS {rss / 2**20:.0f} MB",
                      flush=True)  # fmt: skip
    finally:
        server.terminate()
        server.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
