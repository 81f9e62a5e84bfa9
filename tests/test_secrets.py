"""No secret ever lands in a cassette: recordings scrub keys, and the shipped ones hold none."""

from __future__ import annotations

import re

import pytest

from summarizer import Settings, replay, summarize
from tests.conftest import ROOT
from tests.handwritten_server import StubServer, tool_reply

KEY_LIKE = re.compile(r"sk-[A-Za-z0-9_-]{16,}|sk-proj-|Bearer\s+\S{12,}|api[-_]key:\s*\S", re.I)
FAKE_KEY = "sk-test-0123456789abcdefghijklmnop"


@pytest.mark.parametrize("path", sorted((ROOT / "cassettes").rglob("*.yaml")), ids=str)
def test_shipped_cassettes_hold_no_key(path) -> None:  # type: ignore[no-untyped-def]
    text = path.read_text("utf-8")
    assert not KEY_LIKE.search(text)
    assert "set-cookie" not in text.lower() and "authorization" not in text.lower()


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_recording_scrubs_the_key_sent(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SUMMARIZER_API_KEY", FAKE_KEY)
    summary = {"title": "T", "summary": "The council met. It approved a wall."}
    claims = {"claims": []}
    script = {
        "ArticleSummary": [tool_reply("ArticleSummary", summary)],
        "PassageClaims": [tool_reply("PassageClaims", claims)],
    }
    cassette = tmp_path / "rec.yaml"
    with StubServer(script) as stub, replay.cassette(cassette, record=True):
        summarize("Title\n\nThe council met on Monday.", Settings(base_url=stub.base_url))
    assert any(FAKE_KEY in str(h) for h in stub.headers)  # it was really sent...
    text = cassette.read_text("utf-8")
    assert "ArticleSummary" in text  # ...and really recorded...
    assert FAKE_KEY not in text and not KEY_LIKE.search(text)  # ...but never written


@pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
def test_a_batch_keeps_the_key_out_of_its_output_store_log_and_requests(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from summarizer.cli import app
    from tests.synthetic_server import SyntheticServer
    from tests.test_batch import write_articles

    write_articles(tmp_path / "in", 2)
    store = ["--store", str(tmp_path / "s.sqlite")]
    endpoint = ["--model", "synthetic", "--api-key", FAKE_KEY]
    runner = CliRunner()
    with SyntheticServer() as stub:
        ran = runner.invoke(app, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "o.jsonl"),
                                  "--base-url", stub.base_url, *endpoint, *store])  # fmt: skip
        sent = runner.invoke(app, ["batch", "submit", str(tmp_path / "in"), "--base-url",
                                   stub.base_url, *endpoint, *store])  # fmt: skip
        collect = ["batch", "collect", sent.stdout.strip(), "-o", str(tmp_path / "c.jsonl")]
        got = runner.invoke(app, [*collect, "--api-key", FAKE_KEY, *store])
    assert ran.exit_code == sent.exit_code == got.exit_code == 0, (ran.output, got.output)
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.parent != tmp_path / "in"]
    assert {p.name for p in written} >= {"o.jsonl", "c.jsonl", "s.sqlite"}
    assert any(p.name.startswith("requests-") for p in written)
    for path in written:
        assert FAKE_KEY.encode() not in path.read_bytes(), path
    for output in (ran.output, sent.output, got.output):
        assert FAKE_KEY not in output
