"""The local default: server command, readiness, shutdown, crashes, ports, resources, reuse.

A FAKE runtime (tests/fake_runtime) stands in for llama.cpp's server: it answers /v1/models only.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarizer import local
from summarizer.cli import app
from summarizer.errors import ConfigError, EndpointError
from summarizer.localserver import serve, server_command
from summarizer.settings import Settings
from tests.conftest import ctrl_c_reaches_it
from tests.handwritten_server import StubServer, tool_reply

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
FAKE_RUNTIME = Path(__file__).parent / "fake_runtime"


@pytest.fixture
def fake_runtime(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """The fake runtime first on PYTHONPATH (for the server process) and sys.path; a model file."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(FAKE_RUNTIME), *sys.path]))
    monkeypatch.syspath_prepend(str(FAKE_RUNTIME))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 64)
    yield model
    for name in [
        n for n, m in sys.modules.items() if str(FAKE_RUNTIME) in str(getattr(m, "__file__", ""))
    ]:
        del sys.modules[name]


def alive(pid: int) -> bool:
    """Running, not gone and not a zombie waiting for an adoptive parent to reap it."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


@pytest.fixture
def local_serve(fake_runtime: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """`summarizer local serve` in a child, and the pid of the server it advertises. Killed at
    teardown if a test leaves it running, so a failing test leaves no process behind."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "summarizer", "local", "serve", "--local-model", str(fake_runtime)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=ctrl_c_reaches_it,
    )  # fmt: skip
    try:
        state_path = Path(os.environ["XDG_CACHE_HOME"]) / "summarizer" / "server.json"
        deadline = time.monotonic() + 90  # generous: a cold venv under load imports slowly
        while not state_path.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        assert state_path.exists(), proc.communicate(timeout=5)
        yield proc, json.loads(state_path.read_text())["pid"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def test_server_command_binds_loopback_with_every_core(tmp_path: Path) -> None:
    command = server_command(tmp_path / "m.gguf", 8123, python="py")
    assert command[:3] == ["py", "-m", "llama_cpp.server"]
    flags = dict(zip(command[3::2], command[4::2], strict=True))
    assert flags["--host"] == "127.0.0.1" and flags["--port"] == "8123"
    assert flags["--n_threads"] == flags["--n_threads_batch"] == str(os.cpu_count())
    assert flags["--model"] == str(tmp_path / "m.gguf")


def test_serve_waits_until_ready_and_stops_the_process(fake_runtime: Path) -> None:
    import httpx2

    with serve(fake_runtime) as server:
        assert httpx2.get(f"{server.base_url}/models").status_code == 200
        pid = server.pid
        assert alive(pid)
    time.sleep(0.2)
    assert not alive(pid)


def test_a_server_that_dies_shows_the_tail_of_its_log(
    fake_runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAKE_LLAMA_DIE", "1")
    with (
        pytest.raises(EndpointError, match=r"exited \(1\).*failed to load model"),
        serve(fake_runtime),
    ):
        pass


def test_a_taken_port_is_swapped_for_a_free_one(fake_runtime: Path) -> None:
    import socket

    messages: list[str] = []
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with serve(fake_runtime, port=port, progress=messages.append) as server:
            assert not server.base_url.endswith(f":{port}/v1")
    assert messages == [f"port {port} is in use; using {server.base_url.split(':')[2][:-3]}"]


def test_missing_runtime_names_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "RUNTIME_MODULES", ("surely_not_installed_xyz",))
    with pytest.raises(ConfigError, match=r"pip install 'summarizer\[local\]'"):
        local.check_runtime()


def test_too_little_memory_is_said_with_numbers(
    fake_runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local, "available_memory", lambda: 500_000_000)
    with pytest.raises(local.ResourceError, match=r"0.5 GB available, about 1.5 GB needed"):
        local.check_memory(fake_runtime)


def test_endpoint_reuses_a_running_local_serve(
    fake_runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(local_model=fake_runtime)
    with local.serving(settings) as state:
        assert json.loads(local.state_file().read_text())["base_url"] == state.base_url

        def must_not_start(*a: object, **k: object) -> None:
            raise AssertionError("started a second server")

        monkeypatch.setattr(local, "serve", must_not_start)
        with local.endpoint(settings) as url:
            assert url == state.base_url
    assert not local.state_file().exists()


@pytest.mark.parametrize(
    ("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_local_serve_leaves_no_orphan_when_stopped(
    local_serve: tuple[subprocess.Popen, int], signum: int, code: int
) -> None:
    proc, server_pid = local_serve
    state_path = local.state_file()
    assert alive(server_pid)
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=90)
    assert proc.returncode == code and "Traceback" not in err, (proc.returncode, err)
    assert gone_within(server_pid, 10) and not state_path.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the tether is Linux-only")
def test_a_server_dies_with_its_parent_even_on_kill_9(
    local_serve: tuple[subprocess.Popen, int],
) -> None:
    proc, server_pid = local_serve
    assert alive(server_pid)
    proc.kill()  # no cleanup code runs: the kernel has to take the server down
    proc.communicate(timeout=30)
    assert gone_within(server_pid, 10)


def test_a_second_signal_while_stopping_kills_the_server_at_once(fake_runtime: Path) -> None:
    """The user presses Ctrl-C again while the server is given its grace period to exit."""
    with pytest.raises(KeyboardInterrupt), serve(fake_runtime) as server:
        pid = server.pid
        os.kill(pid, signal.SIGSTOP)  # a stopped server cannot act on SIGTERM: it lingers
        real_wait, waits = server.process.wait, []

        def ctrl_c_during_grace(timeout: float | None = None) -> int:
            waits.append(timeout)
            if len(waits) == 1:
                raise KeyboardInterrupt
            return real_wait(timeout)

        server.process.wait = ctrl_c_during_grace  # type: ignore[method-assign]
    assert waits[0] is not None and gone_within(pid, 5)


@pytest.fixture
def advertised_stub(fake_runtime: Path) -> Iterator[StubServer]:
    """A hand-written stub advertised as a running `local serve`, so zero-config reuses it."""
    summary = {"title": "T", "summary": "The council met on Monday. It approved a wall."}
    script = {
        "ArticleSummary": [tool_reply("ArticleSummary", summary)],
        "PassageClaims": [tool_reply("PassageClaims", {"claims": []})],
    }
    with StubServer(script) as stub:
        state = {"pid": os.getpid(), "base_url": stub.base_url, "model": "m"}
        local.state_file().parent.mkdir(parents=True, exist_ok=True)
        local.state_file().write_text(json.dumps(state))
        yield stub


@pytest.fixture
def short_article(tmp_path: Path) -> Path:
    article = tmp_path / "a.txt"
    article.write_text("Headline\n\nThe council met on Monday and approved a harbour wall.")
    return article


def test_zero_config_summarize_uses_the_local_server(
    advertised_stub: StubServer, short_article: Path
) -> None:
    result = CliRunner().invoke(app, ["summarize", str(short_article), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert "using the local server" in result.stderr
    assert json.loads(result.stdout)["summary"].startswith("The council met")
    assert advertised_stub.count("ArticleSummary") == 1


def test_a_server_that_dies_mid_run_shows_its_log(
    fake_runtime: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib

    started = []
    real_serve = local.serve

    @contextlib.contextmanager
    def capturing_serve(*args, **kwargs):  # type: ignore[no-untyped-def]
        with real_serve(*args, **kwargs) as server:
            started.append(server)
            yield server

    monkeypatch.setattr(local, "serve", capturing_serve)
    died = r"the local server died \(exit -9\): .*fake server"
    with (
        pytest.raises(EndpointError, match=died),
        local.endpoint(Settings(local_model=fake_runtime)),
    ):
        os.kill(started[0].pid, signal.SIGKILL)
        started[0].process.wait(5)
        raise EndpointError("cannot reach the server (connection refused)")


def test_recording_with_the_local_default_keeps_only_model_traffic(
    advertised_stub: StubServer, short_article: Path, tmp_path: Path
) -> None:
    cassette = tmp_path / "rec.yaml"
    result = CliRunner().invoke(app, ["summarize", str(short_article), "--record", str(cassette)])
    assert result.exit_code == 0, result.stderr
    recorded = cassette.read_text()
    assert recorded.count("uri:") == 2 and "/models" not in recorded
