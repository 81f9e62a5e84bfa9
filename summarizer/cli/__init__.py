"""The `summarizer` command: a thin shell over the library.

Data goes to stdout, everything else to stderr. Exit codes: 0 ok, 1 failed, 2 usage (bad input or
settings), 3 some batch items failed, 130 interrupted, 143 terminated.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from summarizer import ingest, local, prompts, render, replay
from summarizer.cli.batch_commands import batch_app
from summarizer.cli.common import (
    ApiKeyOpt,
    BaseUrlOpt,
    LocalModelOpt,
    MaxTokensOpt,
    ModelOpt,
    ModeOpt,
    PromptOpt,
    Terminated,
    build_settings,
    friendly_errors,
    progress,
)
from summarizer.cli.local_commands import local_app
from summarizer.errors import ConfigError
from summarizer.pipeline import summarize as run_summarize
from summarizer.result import SummaryResult
from summarizer.schemas import result_schema

app = typer.Typer(
    help="Summarize news articles into a short summary plus claims grounded in the text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Format(StrEnum):
    json = "json"
    md = "md"


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
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    mode: ModeOpt = None,
    prompt: PromptOpt = None,
    max_tokens: MaxTokensOpt = None,
    replay_from: Annotated[
        Path | None, typer.Option("--replay", help="Replay a recorded cassette, offline.")
    ] = None,
    record_to: Annotated[
        Path | None, typer.Option("--record", help="Record the model traffic to a cassette.")
    ] = None,
    local_model: LocalModelOpt = None,
) -> None:
    """Summarize one article into a summary and grounded claims."""
    if replay_from and record_to:
        raise ConfigError("--replay and --record cannot be used together")
    settings = build_settings(
        model=model, base_url=base_url, api_key=api_key, mode=mode, prompt=prompt,
        max_tokens=max_tokens, local_model=local_model,
    )  # fmt: skip
    source = ingest.read(article)
    tape = replay_from or record_to
    with contextlib.ExitStack() as stack:
        if settings.uses_local_default and not replay_from:
            # before any recording starts: the server's readiness polls are not model traffic
            base_url = stack.enter_context(local.endpoint(settings, progress))
            settings = settings.model_copy(update={"base_url": base_url})
        if tape:
            stack.enter_context(replay.cassette(tape, record=record_to is not None))
        result = run_summarize(source, settings, progress=progress)
    write(result, fmt)


app.add_typer(local_app, name="local")
app.add_typer(batch_app, name="batch")


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


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM unwinds like Ctrl-C does: servers stop, batch lines are committed."""
    raise Terminated


def main() -> None:
    signal.signal(signal.SIGTERM, _terminated)
    app()
