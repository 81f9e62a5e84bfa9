"""The command line: one clear line and a documented exit code for every bad input."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer.cli import app
from summarizer.localserver import free_port
from tests.conftest import ctrl_c_reaches_it
from tests.synthetic_server import SyntheticServer

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args))


def assert_one_line_error(result, code: int, fragment: str) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], lines  # progress lines may come first
    assert fragment in errors[0]
    assert result.stdout == ""


def test_missing_file(tmp_path: Path) -> None:
    assert_one_line_error(invoke("summarize", str(tmp_path / "none.txt")), 2, "no such file")


def test_directory(tmp_path: Path) -> None:
    assert_one_line_error(invoke("summarize", str(tmp_path)), 2, "is a directory")


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"", "empty"), (" \n\u00a0\n\t".encode(), "empty"),
     (b"\x00\x01\x02binary", "binary"), (b"caf\xe9", "not valid UTF-8")],
    ids=["empty", "whitespace", "binary", "non-utf8"],
)  # fmt: skip
def test_unreadable_content(tmp_path: Path, content: bytes, fragment: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(content)
    assert_one_line_error(invoke("summarize", str(path)), 2, fragment)


def test_empty_stdin() -> None:
    result = runner.invoke(app, ["summarize", "-"], input="   \n")
    assert_one_line_error(result, 2, "stdin: the article is empty")


def test_unreachable_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUMMARIZER_TRANSPORT_RETRIES", "0")
    path = tmp_path / "a.txt"
    path.write_text("Headline\n\nThe council approved the new harbour wall on Tuesday.")
    url = f"http://127.0.0.1:{free_port()}/v1"
    result = invoke("summarize", str(path), "--base-url", url)
    assert_one_line_error(result, 1, f"cannot reach {url} (connection refused)")


def test_missing_key_for_openai(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Headline\n\nThe council approved the new harbour wall on Tuesday.")
    result = invoke("summarize", str(path), "--base-url", "https://api.openai.com/v1")
    assert_one_line_error(result, 2, "no API key for api.openai.com")


def test_bad_setting_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Some text here.")
    assert_one_line_error(
        invoke("summarize", str(path), "--base-url", "localhost:8080"), 2, "base_url"
    )


def test_replay_of_a_missing_cassette(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Some text here.")
    result = invoke("summarize", str(path), "--replay", str(tmp_path / "none.yaml"))
    assert_one_line_error(result, 2, "no such cassette")


def test_replay_and_record_together_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Some text here.")
    result = invoke("summarize", str(path), "--replay", "x.yaml", "--record", "y.yaml")
    assert_one_line_error(result, 2, "cannot be used together")


def test_zero_config_without_the_runtime_names_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from summarizer import local

    monkeypatch.setattr(local, "RUNTIME_MODULES", ("surely_not_installed_xyz",))
    path = tmp_path / "a.txt"
    path.write_text("Headline\n\nThe council approved the new harbour wall on Tuesday.")
    result = invoke("summarize", str(path))
    assert_one_line_error(result, 2, "pip install 'summarizer[local]'")


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_stopping_a_summary_while_a_request_is_in_flight(
    tmp_path: Path, signum: int, code: int
) -> None:
    """`timeout 60 summarizer ...` or Ctrl-C mid-request: a prompt exit, one line, no traceback."""
    article = tmp_path / "a.txt"
    article.write_text("Headline\n\nThe council met on Monday and approved a harbour wall.")
    with SyntheticServer(latency=60) as server:  # every reply takes a minute
        proc = subprocess.Popen(
            [sys.executable, "-m", "summarizer", "summarize", str(article),
             "--base-url", server.base_url, "--model", "synthetic"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            preexec_fn=ctrl_c_reaches_it,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while server.stats.requests == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.stats.requests > 0, proc.communicate(timeout=5)
        sent = time.monotonic()
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == code and time.monotonic() - sent < 10
    assert out == "" and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "error: interrupted" if code == 130 else "error: terminated"
    )
