"""The real thing: the local runtime and model, end to end. Skipped where either is missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from summarizer.local import missing_runtime
from tests.conftest import REAL_MODEL

pytestmark = [
    pytest.mark.local_llm,
    pytest.mark.block_network(allowed_hosts=["127.0.0.1"]),
    pytest.mark.skipif(bool(missing_runtime()), reason="llama.cpp runtime not installed"),
    pytest.mark.skipif(not REAL_MODEL.is_file(), reason=f"no local model at {REAL_MODEL}"),
]


def test_zero_config_summary_with_the_real_local_model(tmp_path: Path) -> None:
    article = tmp_path / "short.txt"
    article.write_text(
        "Harbour wall approved\n\n"
        "The council of Dover approved a new harbour wall on Tuesday. The wall will cost "
        "4 million pounds, the council said, and work starts in March.",
        "utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "summarizer", "summarize", str(article),
         "--local-model", str(REAL_MODEL), "--format", "json"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "server ready" in proc.stderr
    result = json.loads(proc.stdout)
    assert result["run"]["endpoint_host"].startswith("127.0.0.1:")
    assert result["claims"], "the real model found no claim at all"
    located = [c for c in result["claims"] if c["evidence"]["status"] != "unaligned"]
    assert located
