"""Shared fixtures: the same vcr settings as `summarizer --replay`, fast retries, seed paths."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from summarizer import replay

ROOT = Path(__file__).resolve().parent.parent
# Read before any test isolates the cache directory: where a developer's real model would be.
REAL_MODEL = (
    Path(platformdirs.user_cache_dir("summarizer")) / "models"
    / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
)  # fmt: skip
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
CASSETTES = ROOT / "cassettes" / "seeds"


def pytest_recording_configure(config: pytest.Config, vcr: object) -> None:
    replay.register(vcr)  # type: ignore[arg-type]


@pytest.fixture
def vcr_config() -> dict:
    return replay.vcr_config()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's keys, env or config file."""
    import os

    for name in list(os.environ):
        if name.startswith(("SUMMARIZER_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SUMMARIZER_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> None:
    """Show the real vcrpy message when a cassette miss hides behind 'Connection error.'."""
    if call.excinfo is None:
        return
    exc: BaseException | None = call.excinfo.value
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if type(exc).__name__ == "CannotOverwriteExistingCassetteException":
            item.add_report_section("call", "cassette miss", str(exc))
            return
        exc = exc.__cause__ or exc.__context__


def ctrl_c_reaches_it() -> None:
    """preexec_fn for a child a test will Ctrl-C: a runner started in the background (nohup, &)
    ignores SIGINT, children inherit that, and Python then never raises KeyboardInterrupt."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
