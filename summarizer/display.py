"""What a person sees of a batch on stderr: a live progress bar, then a summary table.

On a terminal the bar redraws in place (rich); elsewhere (CI logs, `2> file`) a plain line is
printed at most every 30 seconds, so a log stays readable.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from summarizer.batch import BatchReport, BatchStats
from summarizer.plan import Plan

PLAIN_EVERY_S = 30.0


def money(value: float | None) -> str:
    if value is None:
        return "unknown (model not in the price table)"
    if value == 0:
        return "$0"
    return f"${value:,.4f}" if value < 1 else f"${value:,.2f}"


def counts(stats: BatchStats) -> str:
    return (
        f"done {stats.done}  failed {stats.failed}  cached {stats.cached}"
        + (f"  earlier {stats.skipped}" if stats.skipped else "")
        + f"  tokens {stats.usage.total_tokens:,}  cost {money(stats.cost_usd)}"
    )


class BatchProgress:
    """A context manager whose `update(stats)` is the batch's progress callback."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._bar: Progress | None = None
        self._task = None
        self._last_plain = 0.0

    def __enter__(self) -> BatchProgress:
        if self.console.is_terminal:
            self._bar = Progress(
                TextColumn("[bold]batch"),
                BarColumn(),
                TextColumn("{task.completed}/{task.total}"),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                TextColumn("eta"),
                TimeRemainingColumn(),
                console=self.console,
                transient=False,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("batch", total=None, counts="")
        return self

    def update(self, stats: BatchStats) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(
                self._task,
                total=stats.total,
                completed=stats.skipped + stats.finished,
                counts=counts(stats),
            )
            return
        now = time.monotonic()
        if now - self._last_plain >= PLAIN_EVERY_S or stats.remaining == 0:
            self._last_plain = now
            self.console.print(
                f"batch {stats.skipped + stats.finished}/{stats.total}  {counts(stats)}",
                highlight=False,
            )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(exc_type, exc, tb)


def batch_table(report: BatchReport) -> Table:
    stats = report.stats
    rate = stats.finished / stats.elapsed if stats.elapsed > 0 else 0.0
    table = Table(title="batch", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("output", str(report.output))
    table.add_row(
        "this run", f"{stats.done} done ({stats.cached} from cache), {stats.failed} failed"
    )
    if stats.skipped:
        table.add_row("earlier runs", f"{stats.skipped} already written")
    table.add_row(
        "output holds",
        ", ".join(f"{n} {status}" for status, n in sorted(report.written.items())) or "nothing",
    )
    table.add_row(
        "tokens",
        f"{stats.usage.prompt_tokens:,} in, {stats.usage.completion_tokens:,} out",
    )
    table.add_row("cost", money(stats.cost_usd))
    table.add_row("time", f"{stats.elapsed:.1f}s ({rate:.1f} articles/s)")
    if report.any_failed:
        table.add_row("failed items", f'status "error" lines in {report.output.name}')
    return table


def plan_table(plan: Plan) -> Table:
    table = Table(title="dry run: nothing was sent", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("inputs", f"{plan.items} ({plan.unreadable} unreadable or too long)")
    table.add_row("cached", f"{plan.cached} (no model call)")
    table.add_row("to summarize", f"{plan.articles} articles, ~{plan.calls} model calls")
    table.add_row("tokens (est.)", f"~{plan.prompt_tokens:,} in, ~{plan.completion_tokens:,} out")
    table.add_row("cost (est.)", f"{money(plan.cost_usd)} on {plan.model} @ {plan.endpoint}")
    return table
