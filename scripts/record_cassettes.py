"""Re-record the seed cassettes against the real local model (`make record`).

Starts llama-cpp-python's server on a free loopback port with the local GGUF model, summarizes
every seed through the library with recording on, and stops the server. Needs the runtime
(llama-cpp-python[server]) importable by LLAMA_PYTHON and the model at SUMMARIZER_LOCAL_MODEL
(default: the user cache path used by `summarizer`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import platformdirs

from summarizer import ingest, replay
from summarizer.localserver import serve
from summarizer.pipeline import summarize
from summarizer.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = (
    Path(platformdirs.user_cache_dir("summarizer")) / "models"
    / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seeds", nargs="*", type=Path, help="default: every seeds/*.txt")
    args = parser.parse_args()
    model = Path(os.environ.get("SUMMARIZER_LOCAL_MODEL", DEFAULT_MODEL))
    python = os.environ.get("LLAMA_PYTHON", sys.executable)
    if not model.is_file():
        print(f"error: no model at {model}; set SUMMARIZER_LOCAL_MODEL", file=sys.stderr)
        return 2
    seeds = args.seeds or sorted((ROOT / "seeds").glob("*.txt"))
    with serve(model, python=python) as server:
        for seed in seeds:
            cassette = ROOT / "cassettes" / "seeds" / f"{seed.stem}.yaml"
            started = time.monotonic()
            with replay.cassette(cassette, record=True):
                result = summarize(ingest.read_path(seed), Settings(base_url=server.base_url))
            print(
                f"{seed.name}: {len(result.claims)} claims, {result.run.calls} calls, "
                f"{result.run.usage.total_tokens} tokens, {time.monotonic() - started:.0f}s "
                f"-> {cassette.relative_to(ROOT)}",
                file=sys.stderr,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
