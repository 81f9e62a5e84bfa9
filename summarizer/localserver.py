"""Start and stop a llama.cpp server (llama-cpp-python's OpenAI-compatible one) on loopback.

Used to record cassettes against the real local model, and by anything that needs a server for
the duration of a block. The server binds 127.0.0.1 on a free port and is always shut down.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2

from summarizer.errors import EndpointError
from summarizer.settings import LOCAL_MODEL


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


@dataclass(frozen=True)
class Server:
    base_url: str
    process: subprocess.Popen
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def died(self) -> EndpointError | None:
        """If the process has exited, an error carrying the tail of its log."""
        code = self.process.poll()
        if code is None:
            return None
        return EndpointError(f"the local server died (exit {code}): {tail(self.log)}")


def server_command(
    model_path: Path,
    port: int,
    *,
    python: str = sys.executable,
    alias: str = LOCAL_MODEL,
    n_ctx: int = 4096,
    threads: int | None = None,
) -> list[str]:
    """The command line; threads default to every core (the server's own default is half)."""
    threads = threads or os.cpu_count() or 1
    return [
        python, "-m", "llama_cpp.server",
        "--model", str(model_path), "--model_alias", alias,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx),
        "--n_threads", str(threads), "--n_threads_batch", str(threads),
    ]  # fmt: skip


# Linux only: the server is killed when the process that started it dies, even by kill -9 or the
# OOM killer, so a 1 GB server never outlives its parent. prctl(PR_SET_PDEATHSIG) survives exec;
# the ppid check covers a parent that died before prctl ran. The kernel ties it to the thread that
# started the server, so `serve` must be left on the thread that entered it (a `with` block is).
_TETHER = (
    "import ctypes, os, signal, sys; "
    "ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL); "
    "os.getppid() == int(sys.argv[1]) or sys.exit(1); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])"
)


def tethered(command: list[str]) -> list[str]:
    """`command` (a `python -m ...` line) run so that it dies with this process, where the OS
    allows it (Linux); unchanged elsewhere."""
    if not sys.platform.startswith("linux"):
        return command
    return [command[0], "-c", _TETHER, str(os.getpid()), *command[1:]]


def wait_ready(base_url: str, process: subprocess.Popen, log: Path, timeout: float) -> None:
    """Poll /models until it answers; a dead process or a timeout shows the log's tail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EndpointError(f"the local server exited ({process.returncode}): {tail(log)}")
        with contextlib.suppress(httpx2.HTTPError):
            if httpx2.get(f"{base_url}/models", timeout=2).status_code == 200:
                return
        time.sleep(0.25)
    raise EndpointError(f"the local server did not answer within {timeout:g}s: {tail(log)}")


def tail(log: Path, lines: int = 5) -> str:
    try:
        return " | ".join(log.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return "(no log)"


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Terminate, then kill after `grace`; a second Ctrl-C or SIGTERM while waiting kills at
    once instead of abandoning the server."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise


@contextlib.contextmanager
def serve(
    model_path: Path,
    *,
    python: str = sys.executable,
    port: int | None = None,
    ready_timeout: float = 180.0,
    progress: Callable[[str], None] | None = None,
) -> Iterator[Server]:
    """Run a server for the block on 127.0.0.1; a taken port is swapped for a free one."""
    if port is not None and not port_is_free(port):
        chosen = free_port()
        if progress:
            progress(f"port {port} is in use; using {chosen}")
        port = chosen
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    log = Path(tempfile.mkstemp(prefix="summarizer-server-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            tethered(server_command(model_path, port, python=python)),
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            wait_ready(base_url, process, log, ready_timeout)
            yield Server(base_url=base_url, process=process, log=log)
        finally:
            stop(process)
