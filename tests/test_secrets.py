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
