"""What every command shares: exit codes, one-line errors, the options several commands take."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from summarizer.errors import SummarizerError
from summarizer.settings import Mode, Settings

STARTED = time.monotonic()
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_TERMINATED = 143

err = Console(stderr=True, highlight=False)


class Terminated(KeyboardInterrupt):
    """SIGTERM, unwound exactly like Ctrl-C (servers stopped, batch lines committed, one line
    said), but exiting 143."""


def interruption(exc: KeyboardInterrupt) -> tuple[str, int]:
    """What to call a stop, and its exit code."""
    if isinstance(exc, Terminated):
        return "terminated", EXIT_TERMINATED
    return "interrupted", EXIT_INTERRUPTED


F = TypeVar("F", bound=Callable[..., Any])

# Options several commands share, declared once so their names and help never drift apart.
ModelOpt = Annotated[str | None, typer.Option(help="Model name.")]
BaseUrlOpt = Annotated[
    str | None, typer.Option(help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1.")
]
ApiKeyOpt = Annotated[
    str | None, typer.Option(help="Key for the endpoint (prefer SUMMARIZER_API_KEY).")
]
ModeOpt = Annotated[Mode | None, typer.Option(help="Structured output: tools or json.")]
PromptOpt = Annotated[str | None, typer.Option(help="Prompt id (see `prompts`) or .toml path.")]
MaxTokensOpt = Annotated[int | None, typer.Option(help="Cap on each answer's tokens.")]
LocalModelOpt = Annotated[Path | None, typer.Option(help="A GGUF file for the local default.")]
StoreOpt = Annotated[Path | None, typer.Option("--store", help="The cache and job database.")]
OutputOpt = Annotated[Path, typer.Option("--output", "-o", help="The JSONL file to write.")]
RestartOpt = Annotated[
    bool, typer.Option("--restart", help="Write the output afresh instead of resuming.")
]
ConcurrencyOpt = Annotated[
    int | None, typer.Option(help="Requests in flight at once, across the batch.")
]


def fail(message: str, code: int) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def friendly_errors(func: F) -> F:
    """One line and an exit code for every expected failure; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, click.exceptions.Exit):
            raise
        except SummarizerError as exc:
            raise fail(exc.message, exc.exit_code) from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "settings"
            raise fail(f"invalid setting {where}: {first['msg']}", EXIT_USAGE) from None
        except KeyboardInterrupt as exc:
            raise fail(*interruption(exc)) from None
        except Exception as exc:
            if os.environ.get("SUMMARIZER_DEBUG"):
                raise
            detail = " ".join(str(exc).split())[:300]
            raise fail(
                f"internal error: {type(exc).__name__}: {detail} "
                "(set SUMMARIZER_DEBUG=1 for the traceback, and please report it)",
                EXIT_FAILED,
            ) from None

    return wrapper  # type: ignore[return-value]


def build_settings(**flags: Any) -> Settings:
    """Flags that were given override env and config file; the rest fall through."""
    return Settings(**{k: v for k, v in flags.items() if v is not None})


def progress(message: str) -> None:
    """Set-up steps on stderr, with the time since the command started."""
    elapsed = time.monotonic() - STARTED
    err.print(f"[dim]{elapsed:6.1f}s[/] {escape(message)}", markup=True, soft_wrap=True)
