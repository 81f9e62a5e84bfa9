"""`summarizer batch` at the command line, including kill -9 at random points and resuming."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from tests.conftest import ctrl_c_reaches_it
from tests.synthetic_server import SyntheticServer
from tests.test_batch import read_lines, write_articles, write_records

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
runner = CliRunner()


def batch_args(server: SyntheticServer, tmp_path: Path, *inputs: str, out: str = "out.jsonl"):
    return ["batch", *inputs, "-o", str(tmp_path / out), "--base-url", server.base_url,
            "--model", "synthetic", "--store", str(tmp_path / "store.sqlite")]  # fmt: skip


def test_batch_exits_3_when_some_items_failed_and_prints_a_summary(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 2)
    records = write_records(tmp_path / "r.jsonl", [{"id": "x", "text": ""}, "{broken"])
    with SyntheticServer() as server:
        result = runner.invoke(
            app, batch_args(server, tmp_path, str(tmp_path / "in"), str(records))
        )
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    assert "batch 4/4  done 2  failed 2  cached 0" in result.stderr  # the progress line
    assert "2 done (0 from cache), 2 failed" in result.stderr
    assert "2 error, 2 ok" in result.stderr
    assert "2 item(s) failed" in result.stderr and "--restart" in result.stderr
    assert result.stdout == ""
    assert len(read_lines(tmp_path / "out.jsonl")) == 4


def test_batch_of_only_good_items_exits_0_and_reruns_from_cache(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 3)
    with SyntheticServer() as server:
        first = runner.invoke(app, batch_args(server, tmp_path, str(tmp_path / "in")))
        calls = server.stats.requests
        second = runner.invoke(
            app, batch_args(server, tmp_path, str(tmp_path / "in"), out="again.jsonl")
        )
        assert server.stats.requests == calls
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "3 done (3 from cache), 0 failed" in second.stderr


def test_batch_subcommand_name_is_optional(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 1)
    with SyntheticServer() as server:
        args = batch_args(server, tmp_path, str(tmp_path / "in"))
        result = runner.invoke(app, [args[0], "run", *args[1:]])
    assert result.exit_code == 0, result.output


def test_dry_run_estimates_and_sends_nothing(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 2)
    with SyntheticServer() as server:
        result = runner.invoke(
            app, [*batch_args(server, tmp_path, str(tmp_path / "in")), "--dry-run"]
        )
        assert server.stats.requests == 0
    assert result.exit_code == 0, result.output
    assert "dry run: nothing was sent" in result.stdout
    assert "2 articles" in result.stdout and not (tmp_path / "out.jsonl").exists()


def test_a_batch_that_cannot_reach_its_endpoint_says_so_in_one_line(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 6)
    result = runner.invoke(
        app,
        ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "o.jsonl"), "--base-url",
         "http://127.0.0.1:9/v1", "--store", str(tmp_path / "s.sqlite")],
        env={"SUMMARIZER_TRANSPORT_RETRIES": "0"},
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    errors = [x for x in result.stderr.splitlines() if x.startswith("error: ")]
    assert len(errors) == 1 and "run the same command again to resume" in errors[0]


def test_kill_9_at_random_points_then_resume_writes_each_item_exactly_once(
    tmp_path: Path,
) -> None:
    write_articles(tmp_path / "in", 60)
    expected = {str(p) for p in sorted((tmp_path / "in").iterdir())}
    rng = random.Random(20261123)
    kills = 0
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with SyntheticServer(latency=0.03) as server:
        command = [sys.executable, "-m", "summarizer", *batch_args(
            server, tmp_path, str(tmp_path / "in")), "--concurrency", "4"]  # fmt: skip
        for _ in range(6):
            proc = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            time.sleep(rng.uniform(0.8, 2.0))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=60)
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert final.returncode == 0, final.stderr
        calls = server.stats.requests
        check = [sys.executable, "-m", "summarizer", *batch_args(
            server, tmp_path, str(tmp_path / "in"), out="check.jsonl")]  # fmt: skip
        again = subprocess.run(check, env=env, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
        assert server.stats.requests == calls  # everything was cached: nothing paid twice
    assert kills >= 3  # the run was really interrupted, several times
    raw = (tmp_path / "out.jsonl").read_text("utf-8")
    assert raw.endswith("\n")
    ids = [json.loads(line)["id"] for line in raw.splitlines()]  # every line whole
    assert len(ids) == len(set(ids)) == 60 and set(ids) == expected


def test_ctrl_c_commits_what_is_written_and_says_how_to_resume(tmp_path: Path) -> None:
    write_articles(tmp_path / "in", 40)
    with SyntheticServer(latency=0.5) as server:  # ~20 s of work: Ctrl-C lands mid-batch
        command = [sys.executable, "-m", "summarizer", *batch_args(
            server, tmp_path, str(tmp_path / "in")), "--concurrency", "2"]  # fmt: skip
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True, preexec_fn=ctrl_c_reaches_it)  # fmt: skip
        out = tmp_path / "out.jsonl"
        deadline = time.monotonic() + 60
        while (not out.exists() or not out.read_text("utf-8")) and time.monotonic() < deadline:
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130 and "Traceback" not in err
        written = len(read_lines(out))
        assert f"interrupted: {written} lines safely in" in err and 0 < written < 40, err
        final = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert final.returncode == 0, final.stderr
    assert f"{written} already written" in final.stderr
    assert sorted(x["id"] for x in read_lines(out)) == sorted(
        str(p) for p in (tmp_path / "in").iterdir()
    )


def test_a_batch_of_bad_inputs_records_every_one_with_its_reason(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "binary.txt").write_bytes(b"\x00\x01\x02\x03 not text")
    (bad / "latin1.txt").write_bytes(b"caf\xe9 au lait")
    (bad / "empty.txt").write_text("  \n\t\n", "utf-8")
    (bad / "long.txt").write_text("A sentence of words. " * 100, "utf-8")
    (bad / "page.html").write_text("<html><body><nav>Home</nav></body></html>", "utf-8")
    records = write_records(bad / "records.jsonl", ["{not json", {"id": "t"}, [1, 2]])
    with SyntheticServer() as server:
        args = batch_args(server, tmp_path, str(bad), str(tmp_path / "nope.txt"))
        result = runner.invoke(app, [*args, "--max-chars", "500"])
        assert server.stats.requests == 0
    assert result.exit_code == 3, result.output
    assert "Traceback" not in result.output
    reasons = {
        Path(x["source"]).name: x["error"]["message"] for x in read_lines(tmp_path / "out.jsonl")
    }
    assert "binary" in reasons["binary.txt"]
    assert "not valid UTF-8" in reasons["latin1.txt"]
    assert "empty" in reasons["empty.txt"]
    assert "over the limit of 500" in reasons["long.txt"]
    assert "no article text" in reasons["page.html"]
    assert "no such file" in reasons["nope.txt"]
    assert "not a JSON line" in reasons[f"{records.name}:1"]
    assert "needs one of text, html or url" in reasons[f"{records.name}:2"]
    assert "must be a JSON object" in reasons[f"{records.name}:3"]
    assert len(reasons) == 9


def test_a_cached_batch_needs_no_local_server_and_an_uncached_one_says_what_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from summarizer import local
    from summarizer.settings import LOCAL_MODEL

    write_articles(tmp_path / "in", 3)
    store = ["--store", str(tmp_path / "s.sqlite")]
    with SyntheticServer() as server:  # on loopback, as the local server is: the same cache key
        endpoint = ["--base-url", server.base_url, "--model", LOCAL_MODEL]
        filled = runner.invoke(
            app, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "a.jsonl"), *endpoint, *store]
        )
    assert filled.exit_code == 0, filled.output
    monkeypatch.setattr(local, "missing_runtime", lambda: ["llama_cpp"])
    cached = runner.invoke(app, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "b.jsonl"),
                                 *store])  # fmt: skip
    assert cached.exit_code == 0, cached.output
    assert "3 done (3 from cache)" in cached.stderr

    write_articles(tmp_path / "more", 1, prefix="m")
    uncached = runner.invoke(app, ["batch", str(tmp_path / "more"), "-o",
                                   str(tmp_path / "c.jsonl"), *store])  # fmt: skip
    assert uncached.exit_code == 1, uncached.output
    errors = [x for x in uncached.stderr.splitlines() if x.startswith("error: ")]
    assert len(errors) == 1 and "pip install 'summarizer[local]'" in errors[0]
