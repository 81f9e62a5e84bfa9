"""The `summarizer` command: a thin shell over the library.

Data goes to stdout, everything else to stderr. Exit codes: 0 ok, 1 failed, 2 usage (bad input or
settings), 3 some batch items failed, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console

from summarizer import ingest, prompts, render, replay
from summarizer.errors import ConfigError, SummarizerError
from summarizer.pipeline import summarize as run_summarize
from summarizer.result import SummaryResult
from summarizer.schemas import result_schema
from summarizer.settings import Mode, Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    help="Summarize news articles into a short summary plus claims grounded in the text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
F = TypeVar("F", bound=Callable[..., Any])


class Format(StrEnum):
    json = "json"
    md = "md"


def fail(message: str, code: int) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    return typer.Exit(code)


def friendly_errors(func: F) -> F:
    """One line and an exit code for every expected failure; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except SummarizerError as exc:
            raise fail(exc.message, exc.exit_code) from None
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "settings"
            raise fail(f"invalid setting {where}: {first['msg']}", EXIT_USAGE) from None
        except KeyboardInterrupt:
            raise fail("interrupted", EXIT_INTERRUPTED) from None

    return wrapper  # type: ignore[return-value]


def build_settings(**flags: Any) -> Settings:
    """Flags that were given override env and config file; the rest fall through."""
    return Settings(**{k: v for k, v in flags.items() if v is not None})


def write(result: SummaryResult, fmt: Format | None) -> None:
    chosen = fmt or (Format.md if sys.stdout.isatty() else Format.json)
    if chosen is Format.json:
        sys.stdout.write(render.to_json(result) + "\n")
    elif sys.stdout.isatty():
        from rich.markdown import Markdown

        Console().print(Markdown(render.to_markdown(result)))
    else:
        sys.stdout.write(render.to_markdown(result))


@app.command()
@friendly_errors
def summarize(
    article: Annotated[str, typer.Argument(help="A file, an http(s) URL, or - for stdin.")],
    fmt: Annotated[
        Format | None,
        typer.Option("--format", "-f", help="json or md. Default: md on a terminal, else json."),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name.")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1.")
    ] = None,
    api_key: Annotated[
        str | None, typer.Option(help="Key for the endpoint (prefer SUMMARIZER_API_KEY).")
    ] = None,
    mode: Annotated[Mode | None, typer.Option(help="Structured output: tools or json.")] = None,
    prompt: Annotated[
        str | None, typer.Option(help="Prompt id (see `prompts`) or .toml path.")
    ] = None,
    max_tokens: Annotated[int | None, typer.Option(help="Cap on each answer's tokens.")] = None,
    replay_from: Annotated[
        Path | None, typer.Option("--replay", help="Replay a recorded cassette, offline.")
    ] = None,
    record_to: Annotated[
        Path | None, typer.Option("--record", help="Record the model traffic to a cassette.")
    ] = None,
) -> None:
    """Summarize one article into a summary and grounded claims."""
    if replay_from and record_to:
        raise ConfigError("--replay and --record cannot be used together")
    settings = build_settings(
        model=model, base_url=base_url, api_key=api_key, mode=mode, prompt=prompt,
        max_tokens=max_tokens,
    )  # fmt: skip
    source = ingest.read(article)
    tape = replay_from or record_to
    context = (
        replay.cassette(tape, record=record_to is not None) if tape else contextlib.nullcontext()
    )
    with context:
        result = run_summarize(source, settings)
    write(result, fmt)


@app.command()
@friendly_errors
def schema(
    llm: Annotated[
        bool, typer.Option("--llm", help="Print the LLM-facing schemas instead of the result's.")
    ] = False,
) -> None:
    """Print the JSON Schema of the result (or of what the model is asked for)."""
    from summarizer.schemas import llm_schemas

    data = llm_schemas() if llm else result_schema()
    sys.stdout.write(json.dumps(data, indent=2) + "\n")


@app.command("prompts")
@friendly_errors
def list_prompts() -> None:
    """List the prompt templates shipped with summarizer."""
    for template in prompts.available().values():
        sys.stdout.write(
            f"{template.id}\tv{template.version}\t{template.sha256[:12]}\t{template.description}\n"
        )


def main() -> None:
    # instructor logs every failed attempt at ERROR; the CLI reports failures itself, once.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    app()
