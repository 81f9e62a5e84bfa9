"""`summarizer batch`: many articles into one JSONL file, directly or through a Batch API."""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import click
import typer
from rich.console import Console
from typer.core import TyperGroup

from summarizer import local
from summarizer.cli.common import (
    EXIT_FAILED,
    EXIT_PARTIAL,
    ApiKeyOpt,
    BaseUrlOpt,
    ConcurrencyOpt,
    LocalModelOpt,
    MaxTokensOpt,
    ModelOpt,
    ModeOpt,
    OutputOpt,
    PromptOpt,
    RestartOpt,
    StoreOpt,
    build_settings,
    err,
    fail,
    friendly_errors,
    interruption,
    progress,
)
from summarizer.llm import LLM

if TYPE_CHECKING:  # batch pulls in the store: imported when a batch command runs
    from summarizer.batch import BatchReport


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


def _finish(report: BatchReport) -> None:
    """The summary table, then the exit code, and what to do next when something is left."""
    from summarizer import display

    err.print(display.batch_table(report))
    if report.stopped:
        raise fail(f"stopped: {report.stopped}; run the same command again to resume", EXIT_FAILED)
    if report.any_failed:
        err.print(
            f"{report.written['error']} item(s) failed; their error records are in "
            f"{report.output}. To retry them, run the same command with --restart (finished "
            "articles come from the cache)."
        )
        raise typer.Exit(EXIT_PARTIAL)


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
            except KeyboardInterrupt as exc:
                held = sum(store.job_counts(output).values())
                what, code = interruption(exc)
                raise fail(
                    f"{what}: {held} lines safely in {output}; run the same command again "
                    "to resume", code,
                ) from None  # fmt: skip
    _finish(report)


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
    with (
        Store(store_path) as store,
        contextlib.ExitStack() as stack,
        display.BatchProgress(err) as bar,
    ):
        report = batchapi.collect(
            batch_id, output, settings, store, results=results, restart=restart,
            progress=bar.update,
            connect=lambda: stack.enter_context(local.endpoint(settings, progress)),
        )  # fmt: skip
    _finish(report)
