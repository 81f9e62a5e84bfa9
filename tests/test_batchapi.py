"""The provider Batch API: submit | status | collect, against a local stub of Files and Batches."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
import pytest
import yaml
from typer.testing import CliRunner

from summarizer import Settings, ingest, replay
from summarizer.batchapi import canonical, collect, status, submit
from summarizer.cli import app
from summarizer.pipeline import summarize
from summarizer.store import Store
from tests.synthetic_server import SyntheticServer
from tests.test_batch import read_lines, write_articles

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "001_b7f1fa76c3008a42.txt"


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "store.sqlite") as opened:
        yield opened


def test_write_only_produces_the_batch_api_request_format(tmp_path: Path, store: Store) -> None:
    write_articles(tmp_path / "in", 2)
    settings = Settings(base_url="http://127.0.0.1:9/v1", model="m")
    sent = submit([str(tmp_path / "in")], settings, store, write_only=tmp_path / "req.jsonl")
    lines = [json.loads(x) for x in (tmp_path / "req.jsonl").read_text().splitlines()]
    assert sent.batch_id.startswith("file:") and sent.requests == len(lines) == 4
    for line in lines:
        assert set(line) == {"custom_id", "method", "url", "body"}
        assert line["method"] == "POST" and line["url"] == "/v1/chat/completions"
        assert line["body"]["model"] == "m" and line["body"]["tools"]
        key, index = line["custom_id"].rsplit(":", 1)
        assert len(key) == 64 and index.isdigit()
    tools = sorted(x["body"]["tools"][0]["function"]["name"] for x in lines)
    assert tools == ["ArticleSummary", "ArticleSummary", "PassageClaims", "PassageClaims"]


def test_submit_status_collect_makes_no_direct_call_when_every_line_succeeded(
    tmp_path: Path, store: Store
) -> None:
    write_articles(tmp_path / "in", 3)
    with SyntheticServer() as stub:
        settings = Settings(base_url=stub.base_url, model="synthetic")
        sent = submit([str(tmp_path / "in")], settings, store)
        assert sent.batch_id == "batch_1" and stub.stats.requests == 0
        assert status(sent.batch_id, settings, store)["status"] == "completed"
        report = collect(sent.batch_id, tmp_path / "out.jsonl", Settings(), store)
        assert stub.stats.requests == 0  # every answer came from the batch output
    lines = read_lines(tmp_path / "out.jsonl")
    assert [x["status"] for x in lines] == ["ok"] * 3 and report.stats.done == 3
    assert all(x["result"]["claims"] for x in lines)


def test_failed_lines_get_a_direct_pass_and_every_item_lands_once(
    tmp_path: Path, store: Store
) -> None:
    write_articles(tmp_path / "in", 10)
    with SyntheticServer(batch_line_failure=0.3, seed=3) as stub:
        settings = Settings(base_url=stub.base_url, model="synthetic")
        sent = submit([str(tmp_path / "in")], settings, store)
        failed = stub.batches[sent.batch_id]["request_counts"]["failed"]
        collect(sent.batch_id, tmp_path / "out.jsonl", Settings(), store)
        assert failed > 0 and stub.stats.requests == failed
    lines = read_lines(tmp_path / "out.jsonl")
    assert len(lines) == len({x["id"] for x in lines}) == 10
    assert all(x["status"] == "ok" for x in lines)


def test_a_batch_planned_for_the_local_default_connects_only_for_its_direct_pass(
    tmp_path: Path, store: Store
) -> None:
    """Written with no base URL (e.g. for vLLM's run-batch), collected from the run's output:
    lines that failed are asked directly, on the endpoint `connect` gives (the CLI starts the
    local server there), and only when there is something to ask."""
    write_articles(tmp_path / "in", 3)
    sent = submit([str(tmp_path / "in")], Settings(), store, write_only=tmp_path / "req.jsonl")
    requests = [json.loads(x) for x in (tmp_path / "req.jsonl").read_text().splitlines()]
    connected: list[str] = []
    with SyntheticServer() as stub, httpx2.Client() as client:
        lines = []
        for number, request in enumerate(requests):
            answer = client.post(f"{stub.base_url}/chat/completions", json=request["body"])
            status = 500 if number == 0 else answer.status_code  # the run lost its first line
            lines.append({"custom_id": request["custom_id"],
                          "response": {"status_code": status, "body": answer.json()}})  # fmt: skip
        (tmp_path / "run.jsonl").write_text("\n".join(json.dumps(x) for x in lines) + "\n")
        asked_in_the_run = stub.stats.requests

        def connect() -> str:
            connected.append(stub.base_url)
            return stub.base_url

        report = collect(sent.batch_id, tmp_path / "out.jsonl", Settings(), store,
                         results=tmp_path / "run.jsonl", connect=connect)  # fmt: skip
        assert stub.stats.requests == asked_in_the_run + 1  # the lost line, asked directly
    assert connected == [stub.base_url] and report.stats.done == 3
    assert [x["status"] for x in read_lines(tmp_path / "out.jsonl")] == ["ok"] * 3


def test_collecting_an_unfinished_batch_says_so(tmp_path: Path, store: Store) -> None:
    write_articles(tmp_path / "in", 1)
    with SyntheticServer() as stub:
        settings = Settings(base_url=stub.base_url, model="synthetic")
        sent = submit([str(tmp_path / "in")], settings, store)
        stub.batches[sent.batch_id]["status"] = "in_progress"
        with pytest.raises(Exception, match="is in_progress .*collect it once it is completed"):
            collect(sent.batch_id, tmp_path / "out.jsonl", Settings(), store)


def cassette_answers(path: Path) -> dict[str, dict]:
    """Request body -> recorded response body, from a cassette of the real local model."""
    data = yaml.safe_load(path.read_text("utf-8"))
    return {
        canonical(json.loads(i["request"]["body"])): json.loads(i["response"]["body"]["string"])
        for i in data["interactions"]
    }


def test_a_seed_through_the_batch_api_equals_the_direct_run(tmp_path: Path, store: Store) -> None:
    """The stub answers every request, batched or direct, with the real model's recorded answer
    for exactly that request: the batch path must ground them into the same result."""
    recorded = cassette_answers(ROOT / "cassettes" / "seeds" / f"{SEED.stem}.yaml")
    misses: list[dict] = []

    def from_cassette(body: dict) -> dict | None:
        found = recorded.get(canonical(body))
        if found is None:
            misses.append(body)
        return found

    with SyntheticServer(answerer=from_cassette) as stub:
        settings = Settings(base_url=stub.base_url)
        sent = submit([str(SEED)], settings, store)
        batched = stub.batches[sent.batch_id]["request_counts"]["completed"]
        collect(sent.batch_id, tmp_path / "out.jsonl", Settings(), store)
        direct = stub.stats.requests
    assert not misses and batched > 0
    (line,) = read_lines(tmp_path / "out.jsonl")
    with replay.cassette(ROOT / "cassettes" / "seeds" / f"{SEED.stem}.yaml", record=False):
        expected = summarize(ingest.read_path(SEED), Settings())
    got = line["result"]
    assert got["summary"] == expected.summary
    assert [(c["text"], c["evidence"]["start"]) for c in got["claims"]] == [
        (c.text, c.evidence.start) for c in expected.claims
    ]
    assert batched + direct == expected.run.calls  # re-asks went direct, nothing asked twice


def test_cli_submit_prints_the_batch_id_and_collect_writes_the_output(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 2)
    runner = CliRunner()
    store = ["--store", str(tmp_path / "s.sqlite")]
    with SyntheticServer() as stub:
        sent = runner.invoke(app, ["batch", "submit", str(tmp_path / "in"), "--base-url",
                                   stub.base_url, "--model", "synthetic", *store])  # fmt: skip
        assert sent.exit_code == 0, sent.output
        batch_id = sent.stdout.strip()
        shown = runner.invoke(app, ["batch", "status", batch_id, *store])
        got = runner.invoke(app, ["batch", "collect", batch_id, "-o", str(tmp_path / "o.jsonl"),
                                  *store])  # fmt: skip
    assert json.loads(shown.stdout)["status"] == "completed"
    assert got.exit_code == 0, got.output
    assert len(read_lines(tmp_path / "o.jsonl")) == 2
