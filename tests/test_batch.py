"""Batches through the library API, against the synthetic server (no model behind it)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from summarizer import SummaryResult
from summarizer.batch import arun_batch, run_batch
from summarizer.plan import estimate
from summarizer.settings import Settings
from summarizer.store import Store
from tests.synthetic_server import Faults, SyntheticServer

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])

ARTICLE = (
    "Officials in {place} opened a new bridge on Monday. The bridge cost {n} million euros. "
    "Mayor Ann Lee said traffic would ease.\n\n"
    "Work began in 2021 and employed 40 people. The crossing replaces a ferry.\n"
)


def write_articles(folder: Path, count: int, prefix: str = "a") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"{prefix}{i:03d}.txt"
        path.write_text(ARTICLE.format(place=f"{prefix.upper()}town{i}", n=i + 3), "utf-8")
        paths.append(path)
    return paths


def write_records(path: Path, records: list[object]) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def settings_for(server: SyntheticServer, **extra: object) -> Settings:
    return Settings(base_url=server.base_url, model="synthetic", concurrency=4, **extra)


@pytest.fixture
def server():
    with SyntheticServer() as stub:
        yield stub


@pytest.fixture
def store(tmp_path: Path):
    with Store(tmp_path / "store.sqlite") as opened:
        yield opened


def test_every_input_gets_exactly_one_line_result_or_reason(tmp_path, server, store):
    files = write_articles(tmp_path / "dir", 3)
    write_articles(tmp_path / "glob", 2, prefix="g")
    records = write_records(
        tmp_path / "records.jsonl",
        [
            {"id": "r1", "text": "The council approved a budget of 12 million. Voting ended.",
             "published": "2026-01-02", "desk": "metro"},
            "not json at all",
            {"id": "r1", "text": "A second record reusing the id r1. It is refused."},
            {"id": 7, "text": "   "},
            {"title": "no body"},
            {"text": "A record without an id. It gets one from its line."},
        ],
    )  # fmt: skip
    inputs = [str(tmp_path / "dir"), str(tmp_path / "glob" / "*.txt"), str(records),
              str(tmp_path / "missing.txt")]  # fmt: skip
    report = run_batch(inputs, tmp_path / "out.jsonl", settings_for(server), store=store)

    lines = read_lines(tmp_path / "out.jsonl")
    assert len(lines) == 3 + 2 + 6 + 1 == report.stats.total
    by_source = {line["source"]: line for line in lines}
    assert by_source[str(files[0])]["status"] == "ok"
    errors = {
        line["source"]: line["error"]["message"] for line in lines if line["status"] == "error"
    }
    assert "not a JSON line" in errors[f"{records}:2"]
    assert "repeats the one at" in errors[f"{records}:3"]
    assert "empty" in errors[f"{records}:4"]
    assert "needs one of text, html or url" in errors[f"{records}:5"]
    assert "no such file" in errors[str(tmp_path / "missing.txt")]
    assert report.written == {"ok": 7, "error": 5} and report.any_failed
    kept = by_source[f"{records}:1"]
    assert kept["id"] == "r1" and kept["input"] == {"id": "r1", "published": "2026-01-02",
                                                     "desk": "metro"}  # fmt: skip
    assert by_source[f"{records}:6"]["id"] == f"{records}:6"
    for line in lines:
        if line["status"] == "ok":
            result = SummaryResult.model_validate(line["result"])
            assert result.claims and all(c.evidence.status == "exact" for c in result.claims)


def test_a_glob_may_name_directories_too(tmp_path, server, store):
    write_articles(tmp_path / "feeds" / "a", 2)
    write_articles(tmp_path / "feeds" / "b", 1, prefix="b")
    report = run_batch([str(tmp_path / "feeds" / "*")], tmp_path / "o.jsonl",
                       settings_for(server), store=store)  # fmt: skip
    assert report.stats.done == 3


def test_a_finished_batch_reruns_from_the_cache_with_zero_model_calls(tmp_path, server, store):
    write_articles(tmp_path / "in", 4)
    settings = settings_for(server)
    first = run_batch([str(tmp_path / "in")], tmp_path / "one.jsonl", settings, store=store)
    calls = server.stats.requests
    assert first.stats.done == 4 and first.stats.cached == 0 and calls == 8

    again = run_batch([str(tmp_path / "in")], tmp_path / "two.jsonl", settings, store=store)
    assert server.stats.requests == calls
    assert again.stats.cached == 4 and again.stats.usage.total_tokens == 0
    one, two = read_lines(tmp_path / "one.jsonl"), read_lines(tmp_path / "two.jsonl")
    assert sorted(json.dumps(x["result"]) for x in one) == sorted(
        json.dumps(x["result"]) for x in two
    )
    assert all(line["cached"] for line in two)

    refreshed = run_batch(
        [str(tmp_path / "in")], tmp_path / "three.jsonl", settings, store=store, refresh=True
    )
    assert refreshed.stats.cached == 0 and server.stats.requests == calls + 8


def test_restart_asks_again_only_for_the_failed_items(tmp_path, store):
    """To retry what failed: the same command with --restart; finished articles come back from
    the cache at no cost."""
    write_articles(tmp_path / "in", 10)
    out = tmp_path / "o.jsonl"
    with SyntheticServer(faults=Faults(server_error=0.3), seed=3) as flaky:
        run_batch(
            [str(tmp_path / "in")], out, settings_for(flaky, transport_retries=0), store=store
        )
    failed = {x["id"] for x in read_lines(out) if x["status"] == "error"}
    assert 0 < len(failed) < 10

    with SyntheticServer() as healthy:
        settings = settings_for(healthy, transport_retries=0)
        report = run_batch([str(tmp_path / "in")], out, settings, store=store, restart=True)
        asked = healthy.stats.requests
    lines = read_lines(out)
    assert len(lines) == 10 and all(x["status"] == "ok" for x in lines)
    assert {x["id"] for x in lines if not x["cached"]} == failed
    assert asked == 2 * len(failed) and report.stats.cached == 10 - len(failed)


def test_the_cache_key_changes_with_model_and_prompt(tmp_path, server, store):
    write_articles(tmp_path / "in", 1)
    run_batch([str(tmp_path / "in")], tmp_path / "a.jsonl", settings_for(server), store=store)
    other = settings_for(server).model_copy(update={"model": "another-model"})
    report = run_batch([str(tmp_path / "in")], tmp_path / "b.jsonl", other, store=store)
    assert report.stats.cached == 0 and server.stats.requests == 4


def test_rerunning_the_same_output_resumes_and_adds_nothing(tmp_path, server, store):
    write_articles(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    run_batch([str(tmp_path / "in")], out, settings_for(server), store=store)
    before = out.read_bytes()
    report = run_batch([str(tmp_path / "in")], out, settings_for(server), store=store)
    assert out.read_bytes() == before
    assert report.stats.skipped == 3 and report.stats.finished == 0


def test_a_torn_last_line_is_cut_and_its_item_written_again(tmp_path, server, store):
    write_articles(tmp_path / "in", 3)
    out = tmp_path / "out.jsonl"
    run_batch([str(tmp_path / "in")], out, settings_for(server), store=store)
    lines = out.read_text("utf-8").splitlines(keepends=True)
    # as if killed after the last commit: one line unrecorded, then half a line
    with Store(store.path) as other:
        job = other.open_job(out)
        size = sum(len(x.encode()) for x in lines[:2])
        last = json.loads(lines[2])["id"]
        other._db.execute("DELETE FROM job_items WHERE item_id = ?", (last,))
        other._db.execute("UPDATE jobs SET committed_bytes = ? WHERE id = ?", (size, job.id))
    with out.open("a", encoding="utf-8") as handle:
        handle.write('{"id": "torn", "sta')

    report = run_batch([str(tmp_path / "in")], out, settings_for(server), store=store)
    lines_after = read_lines(out)
    assert [x["id"] for x in lines_after].count(last) == 1 and len(lines_after) == 3
    assert report.stats.skipped == 2 and report.stats.cached == 1


def test_an_existing_file_is_not_overwritten_without_restart(tmp_path, server, store):
    out = tmp_path / "mine.jsonl"
    out.write_text("precious\n", "utf-8")
    write_articles(tmp_path / "in", 1)
    with pytest.raises(Exception, match="pass --restart"):
        run_batch([str(tmp_path / "in")], out, settings_for(server), store=store)
    assert out.read_text("utf-8") == "precious\n"
    run_batch([str(tmp_path / "in")], out, settings_for(server), store=store, restart=True)
    assert read_lines(out)[0]["status"] == "ok"


def test_an_article_over_max_chars_is_an_error_record(tmp_path, server, store):
    write_articles(tmp_path / "in", 2)
    (tmp_path / "in" / "long.txt").write_text("Long words here. " * 200, "utf-8")
    report = run_batch(
        [str(tmp_path / "in")], tmp_path / "o.jsonl", settings_for(server, max_chars=1000),
        store=store,
    )  # fmt: skip
    errors = [x for x in read_lines(tmp_path / "o.jsonl") if x["status"] == "error"]
    assert len(errors) == 1 and "over the limit of 1,000" in errors[0]["error"]["message"]
    assert report.stats.done == 2


def test_faults_at_a_set_rate_end_every_item_done_or_failed_with_a_reason(tmp_path, store):
    write_articles(tmp_path / "in", 40)
    faults = Faults(rate_limit=0.1, server_error=0.1, slow=0.03, truncated=0.05,
                    invalid_json=0.05, retry_after=0.05, slow_seconds=2.0)  # fmt: skip
    with SyntheticServer(faults=faults, seed=7) as stub:
        settings = settings_for(stub, timeout=0.5, retry_max_wait=0.1, review_reasks=0)
        report = run_batch([str(tmp_path / "in")], tmp_path / "o.jsonl", settings, store=store)
    lines = read_lines(tmp_path / "o.jsonl")
    assert len(lines) == 40 and len({x["id"] for x in lines}) == 40
    assert set(stub.stats.faults) == {"rate_limit", "server_error", "slow", "truncated",
                                      "invalid_json"}  # fmt: skip
    for line in lines:
        assert line["status"] in ("ok", "error")
        if line["status"] == "error":
            assert line["error"]["message"]
    assert report.stats.done >= 30  # retries and re-asks absorb most faults
    assert report.stats.finished == 40


def test_the_endpoint_going_down_stops_the_batch_without_writing_its_items(tmp_path, store):
    write_articles(tmp_path / "in", 12)
    settings = Settings(
        base_url="http://127.0.0.1:9/v1", model="synthetic", concurrency=2,
        transport_retries=0, timeout=2,
    )  # fmt: skip
    report = run_batch([str(tmp_path / "in")], tmp_path / "o.jsonl", settings, store=store)
    assert report.stopped and "in a row" in report.stopped
    assert (tmp_path / "o.jsonl").read_text("utf-8") == ""  # nothing claimed done or failed


def test_a_wrong_key_stops_the_batch_at_once(tmp_path, store):
    from tests.handwritten_server import StubServer, error_reply

    write_articles(tmp_path / "in", 5)
    bad_key = error_reply(401, "Incorrect API key provided", code="invalid_api_key")
    with StubServer({"ArticleSummary": [bad_key], "PassageClaims": [bad_key]}) as stub:
        settings = Settings(base_url=stub.base_url, model="x", api_key="sk-wrong-0000")
        report = run_batch([str(tmp_path / "in")], tmp_path / "o.jsonl", settings, store=store)
    assert report.stopped and "refused the API key (HTTP 401)" in report.stopped
    assert (tmp_path / "o.jsonl").read_text("utf-8") == ""


def test_the_library_runs_batches_in_an_event_loop(tmp_path, server, store):
    write_articles(tmp_path / "in", 2)
    seen = []
    report = asyncio.run(arun_batch(
        [str(tmp_path / "in")], tmp_path / "o.jsonl", settings_for(server), store=store,
        progress=lambda stats: seen.append(stats.finished),
    ))  # fmt: skip
    assert report.stats.done == 2 and seen[-1] == 2


def test_dry_run_counts_calls_tokens_and_cache_without_sending(tmp_path, server, store):
    write_articles(tmp_path / "in", 3)
    settings = settings_for(server)
    plan = estimate([str(tmp_path / "in"), str(tmp_path / "nope.txt")], settings, store=store)
    assert server.stats.requests == 0
    assert plan.items == 4 and plan.unreadable == 1 and plan.articles == 3 and plan.cached == 0
    assert plan.calls >= 6 and plan.prompt_tokens > 3 * 300
    run_batch([str(tmp_path / "in")], tmp_path / "o.jsonl", settings, store=store)
    assert estimate([str(tmp_path / "in")], settings, store=store).cached == 3


def test_a_full_disk_stops_the_batch_and_leaves_only_whole_lines(
    tmp_path, server, store, monkeypatch
):
    import errno
    import os

    from summarizer import batch as batch_module

    write_articles(tmp_path / "in", 6)
    out = tmp_path / "o.jsonl"
    real_write, calls = os.write, []

    def filling_write(fd: int, data) -> int:  # type: ignore[no-untyped-def]
        calls.append(fd)
        if len(calls) == 3:  # half the third line, then the disk is full
            real_write(fd, bytes(data[: len(data) // 2]))
        if len(calls) >= 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_write(fd, data)

    monkeypatch.setattr(batch_module.os, "write", filling_write)
    report = run_batch([str(tmp_path / "in")], out, settings_for(server), store=store)
    assert report.stopped and "No space left on device" in report.stopped
    assert len(read_lines(out)) == 2  # whole lines only: the half line was cut

    monkeypatch.setattr(batch_module.os, "write", real_write)
    again = run_batch([str(tmp_path / "in")], out, settings_for(server), store=store)
    assert again.stats.skipped == 2 and len(read_lines(out)) == 6
