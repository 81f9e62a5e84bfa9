"""The `summarizer` command: a thin shell over the library.

Data goes to stdout, everything else to stderr. Exit codes: 0 ok, 1 failed, 2 usage (bad input or
settings), 3 some batch items failed, 130 interrupted.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from typer.core import TyperGroup

from summarizer import ingest, local, prompts, render, replay
from summarizer.errors import ConfigError, SummarizerError
from summarizer.llm import LLM
from summarizer.pipeline import summarize as run_summarize
from summarizer.result import SummaryResult
from summarizer.schemas import result_schema
from summarizer.settings import Mode, Settings

STARTED = time.monotonic()
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

app = typer.Typer(
    help="Summarize news articles into a short summary plus claims grounded in the text.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False)
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


class Format(StrEnum):
    json = "json"
    md = "md"


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
        except KeyboardInterrupt:
            raise fail("interrupted", EXIT_INTERRUPTED) from None
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


local_app = typer.Typer(help="The local model: status, and a server other commands reuse.")
app.add_typer(local_app, name="local")


def progress(message: str) -> None:
    """Set-up steps on stderr, with the time since the command started."""
    elapsed = time.monotonic() - STARTED
    err.print(f"[dim]{elapsed:6.1f}s[/] {escape(message)}", markup=True, soft_wrap=True)


@local_app.command("serve")
@friendly_errors
def local_serve(
    port: Annotated[
        int | None, typer.Option(help="Port on 127.0.0.1 (default: a free one).")
    ] = None,
    local_model: Annotated[Path | None, typer.Option(help="A GGUF file to serve.")] = None,
) -> None:
    """Run the local model server until Ctrl-C; `summarize` reuses it meanwhile."""
    settings = build_settings(local_port=port, local_model=local_model)
    with local.serving(settings, progress) as state:
        progress(
            f"serving {Path(state.model).name} at {state.base_url} (pid {state.pid}); Ctrl-C stops"
        )
        while True:
            time.sleep(3600)


@local_app.command("status")
@friendly_errors
def local_status(
    local_model: Annotated[Path | None, typer.Option(help="A GGUF file to report on.")] = None,
) -> None:
    """What is installed, where, how big, and whether a server is running."""
    info = local.status(build_settings(local_model=local_model))
    size = info["model_bytes"]
    lines = [
        f"model:   {info['model']}",
        f"         {'present, ' + format(size, ',') + ' bytes' if size else 'not downloaded yet'}",
        "runtime: " + ("installed" if info["runtime_installed"]
                       else f"not installed ({local.RUNTIME_INSTALL})"),
        "server:  " + (f"running at {info['server']['base_url']} (pid {info['server']['pid']})"
                       if info["server"] else "none running"),
    ]  # fmt: skip
    sys.stdout.write("\n".join(lines) + "\n")


class _DefaultRun(TyperGroup):
    """`summarizer batch FILES...` means `summarizer batch run FILES...`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


batch_app = typer.Typer(
    cls=_DefaultRun,
    help="Many articles into one JSONL file: `summarizer batch INPUTS... -o out.jsonl`"
    " (run is implied).",
    no_args_is_help=True,
)
app.add_typer(batch_app, name="batch")


@batch_app.command("run")
@friendly_errors
def batch_run(
    inputs: Annotated[
        list[str],
        typer.Argument(help="Files, directories, globs, URLs, or JSONL files of records."),
    ],
    output: OutputOpt,
    concurrency: ConcurrencyOpt = None,
    rpm: Annotated[int | None, typer.Option(help="Requests per minute, at most.")] = None,
    tpm: Annotated[int | None, typer.Option(help="Tokens per minute, at most.")] = None,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ask the model again even when cached.")
    ] = False,
    restart: RestartOpt = False,
    store_path: StoreOpt = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Estimate calls, tokens and cost; spend nothing.")
    ] = False,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    mode: ModeOpt = None,
    prompt: PromptOpt = None,
    max_tokens: MaxTokensOpt = None,
    max_chars: Annotated[
        int | None, typer.Option(help="Longer articles become error records.")
    ] = None,
    local_model: LocalModelOpt = None,
) -> None:
    """Summarize many articles: concurrent, cached, resumable; one output line per input.

    Run the same command again after a failure or Ctrl-C: it resumes where it stopped."""
    from summarizer import batch, display, plan
    from summarizer.store import Store

    settings = build_settings(
        model=model, base_url=base_url, api_key=api_key, mode=mode, prompt=prompt,
        max_tokens=max_tokens, local_model=local_model, concurrency=concurrency, rpm=rpm,
        tpm=tpm, max_chars=max_chars,
    )  # fmt: skip
    with Store(store_path) as store:
        if dry_run:
            Console().print(display.plan_table(
                plan.estimate(inputs, settings, store=store, refresh=refresh)))  # fmt: skip
            return
        with contextlib.ExitStack() as stack:
            llm = None
            if settings.uses_local_default:  # started at the first request the cache cannot answer
                llm = LLM(settings, connect=lambda: stack.enter_context(
                    local.endpoint(settings, progress)))  # fmt: skip
            bar = stack.enter_context(display.BatchProgress(err))
            try:
                report = batch.run_batch(
                    inputs, output, settings, store=store, llm=llm, refresh=refresh,
                    restart=restart, progress=bar.update,
                )  # fmt: skip
            except KeyboardInterrupt:
                held = sum(store.job_counts(output).values())
                raise fail(
                    f"interrupted: {held} lines safely in {output}; run the same command again "
                    "to resume", EXIT_INTERRUPTED,
                ) from None  # fmt: skip
    err.print(display.batch_table(report))
    if report.stopped:
        raise fail(f"stopped: {report.stopped}; run the same command again to resume", EXIT_FAILED)
    if report.any_failed:
        raise typer.Exit(EXIT_PARTIAL)


@batch_app.command("submit")
@friendly_errors
def batch_submit(
    inputs: Annotated[list[str], typer.Argument(help="Files, directories, globs, URLs, JSONL.")],
    write_only: Annotated[
        Path | None,
        typer.Option(help="Only write the request JSONL here (e.g. for vLLM's run-batch)."),
    ] = None,
    refresh: Annotated[bool, typer.Option("--refresh", help="Include cached articles.")] = False,
    store_path: StoreOpt = None,
    model: ModelOpt = None,
    base_url: BaseUrlOpt = None,
    api_key: ApiKeyOpt = None,
    prompt: PromptOpt = None,
    max_tokens: MaxTokensOpt = None,
) -> None:
    """Send the articles' first-round requests to the provider's Batch API (or write them)."""
    from summarizer import batchapi
    from summarizer.store import Store

    settings = build_settings(
        model=model, base_url=base_url, api_key=api_key, prompt=prompt, max_tokens=max_tokens
    )
    with Store(store_path) as store:
        sent = batchapi.submit(inputs, settings, store, write_only=write_only, refresh=refresh)
    err.print(
        f"{sent.items} items: {sent.requests} requests in {sent.requests_file}, "
        f"{sent.cached} cached, {sent.unreadable} unreadable",
        highlight=False,
    )
    sys.stdout.write(sent.batch_id + "\n")


@batch_app.command("status")
@friendly_errors
def batch_status(
    batch_id: Annotated[str, typer.Argument(help="The id `batch submit` printed.")],
    store_path: StoreOpt = None,
    api_key: ApiKeyOpt = None,
) -> None:
    """The provider's status of a submitted batch."""
    from summarizer import batchapi
    from summarizer.store import Store

    with Store(store_path) as store:
        info = batchapi.status(batch_id, build_settings(api_key=api_key), store)
    sys.stdout.write(json.dumps(info) + "\n")


@batch_app.command("collect")
@friendly_errors
def batch_collect(
    batch_id: Annotated[str, typer.Argument(help="The id `batch submit` printed.")],
    output: OutputOpt,
    results: Annotated[
        Path | None, typer.Option(help="The batch's output file, when you ran it yourself.")
    ] = None,
    restart: RestartOpt = False,
    store_path: StoreOpt = None,
    api_key: ApiKeyOpt = None,
    concurrency: Annotated[
        int | None, typer.Option(help="Requests in flight for the re-ask pass.")
    ] = None,
) -> None:
    """Ground a finished batch's answers into OUTPUT; failed lines are re-asked directly."""
    from summarizer import batchapi, display
    from summarizer.store import Store

    settings = build_settings(api_key=api_key, concurrency=concurrency)
    with Store(store_path) as store, display.BatchProgress(err) as bar:
        report = batchapi.collect(
            batch_id, output, settings, store, results=results, restart=restart,
            progress=bar.update,
        )  # fmt: skip
    err.print(display.batch_table(report))
    if report.stopped:
        raise fail(f"stopped: {report.stopped}; run the same command again to resume", EXIT_FAILED)
    if report.any_failed:
        raise typer.Exit(EXIT_PARTIAL)


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
    raise SystemExit(128 + signum)


def main() -> None:
    # instructor logs every failed attempt at ERROR; the CLI reports failures itself, once.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)
    signal.signal(signal.SIGTERM, _terminated)
    app()
