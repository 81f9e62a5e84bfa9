"""The embedded default: with no key and no base URL, summarize with a local model.

Obtains the model once (localmodel), checks the runtime and memory up front, and either reuses a
server started by `summarizer local serve` (found through a small state file) or starts one for
the duration of a command (localserver) and always stops it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx2
import platformdirs

from summarizer.errors import ConfigError, EndpointError, SummarizerError
from summarizer.localmodel import DEFAULT_MODEL, ensure_model, models_dir
from summarizer.localserver import serve
from summarizer.settings import Settings

Progress = Callable[[str], None]
RUNTIME_INSTALL = "pip install 'summarizer[local]'"
RUNTIME_MODULES = ("llama_cpp", "llama_cpp.server", "uvicorn", "fastapi")
MEMORY_HEADROOM = 1_500_000_000  # context, KV cache and the server beyond the weights


class ResourceError(SummarizerError):
    """Not enough memory or disk for the local model."""


@dataclass(frozen=True)
class ServerState:
    pid: int
    base_url: str
    model: str


def state_file() -> Path:
    return Path(platformdirs.user_cache_dir("summarizer")) / "server.json"


def missing_runtime() -> list[str]:
    """Runtime modules that cannot be imported here."""
    missing = []
    for name in RUNTIME_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except ImportError:
            found = False
        if not found:
            missing.append(name)
    return missing


def check_runtime() -> None:
    missing = missing_runtime()
    if missing:
        raise ConfigError(
            f"the local model runtime is not installed (missing {', '.join(missing)}): run "
            f"{RUNTIME_INSTALL}, or set --base-url / OPENAI_API_KEY to use another endpoint"
        )


def available_memory() -> int | None:
    """MemAvailable in bytes, where the platform says it."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check_memory(model: Path) -> None:
    needed = model.stat().st_size + MEMORY_HEADROOM
    free = available_memory()
    if free is not None and free < needed:
        raise ResourceError(
            f"not enough memory for the local model: {free / 1e9:.1f} GB available, "
            f"about {needed / 1e9:.1f} GB needed; close other programs or use --base-url"
        )


def model_path(settings: Settings, progress: Progress | None = None) -> Path:
    """The GGUF to serve: --local-model if given (must exist), else the default, fetched once."""
    if settings.local_model is not None:
        if not settings.local_model.is_file():
            raise ConfigError(f"{settings.local_model}: no such model file")
        return settings.local_model
    return ensure_model(DEFAULT_MODEL, progress=progress)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def running_server() -> ServerState | None:
    """A `summarizer local serve` server that is up and answering, if there is one."""
    try:
        state = ServerState(**json.loads(state_file().read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if not _alive(state.pid):
        return None
    with contextlib.suppress(httpx2.HTTPError):
        if httpx2.get(f"{state.base_url}/models", timeout=2).status_code == 200:
            return state
    return None


@contextlib.contextmanager
def endpoint(settings: Settings, progress: Progress | None = None) -> Iterator[str]:
    """A base URL serving the local model for the block: a running `local serve`, or a server
    started now and stopped afterwards."""
    if (state := running_server()) is not None:
        if progress:
            progress(f"using the local server at {state.base_url} (pid {state.pid})")
        yield state.base_url
        return
    check_runtime()
    model = model_path(settings, progress)
    check_memory(model)
    started = time.monotonic()
    if progress:
        progress(
            f"starting the local server with {model.name} ({model.stat().st_size / 1e9:.2f} GB)"
        )
    with serve(model, port=settings.local_port, progress=progress) as server:
        if progress:
            progress(f"server ready at {server.base_url} in {time.monotonic() - started:.1f}s")
        try:
            yield server.base_url
        except EndpointError as exc:
            raise (server.died() or exc) from None


@contextlib.contextmanager
def serving(settings: Settings, progress: Progress | None = None) -> Iterator[ServerState]:
    """Run a server and advertise it in the state file until the block ends."""
    check_runtime()
    model = model_path(settings, progress)
    check_memory(model)
    with serve(model, port=settings.local_port, progress=progress) as server:
        state = ServerState(pid=server.pid, base_url=server.base_url, model=str(model))
        path = state_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        # written whole, then renamed: a reader never sees a half-written file (and would
        # otherwise take it for no server at all and start a second one)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(json.dumps(asdict(state)))
        os.replace(partial, path)
        try:
            yield state
        finally:
            path.unlink(missing_ok=True)


def status(settings: Settings) -> dict[str, object]:
    """What is installed, where, how big, and whether a server is running."""
    model = settings.local_model or models_dir() / DEFAULT_MODEL.file_name
    present = model.is_file()
    missing = missing_runtime()
    server = running_server()
    return {
        "model": str(model),
        "model_present": present,
        "model_bytes": model.stat().st_size if present else None,
        "model_expected_bytes": None if settings.local_model else DEFAULT_MODEL.size,
        "runtime_installed": not missing,
        "runtime_missing": missing,
        "server": asdict(server) if server else None,
    }
