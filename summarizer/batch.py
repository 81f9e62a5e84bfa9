"""Many articles into one JSONL file: concurrent, cached, resumable, exactly one line per input.

Workers take items in input order; every model request of every article goes through the one
LLM and its shared `RequestPool` (the bound on requests in flight, rpm/tpm and the pool-wide pause
on 429). A finished result is put in the store's cache before its line is written, and a line
counts as written only once the store has recorded it (see `store`), so a batch killed at any
point resumes with the same command: lines cut off are rewritten, finished articles come from the
cache, and nothing is paid for twice or written twice.

An item that cannot be done (unreadable, empty, too long, a model answer that stays invalid, an
endpoint failure after the transport retries) becomes an error record and the batch goes on. When
the endpoint fails for many items in a row it is down, not the items: the batch stops, those
items stay unwritten, and the next run picks them up.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from summarizer import cost, sources
from summarizer.errors import (
    AuthError,
    CassetteMissError,
    ConfigError,
    EndpointError,
    SummarizerError,
)
from summarizer.llm import LLM
from summarizer.pipeline import asummarize
from summarizer.prompts import load
from summarizer.result import SCHEMA_VERSION, SummaryResult, Usage
from summarizer.settings import Settings
from summarizer.store import CacheKey, Job, Store

FATAL = (AuthError, ConfigError, CassetteMissError)
COMMIT_EVERY_S = 0.5
COMMIT_EVERY_ITEMS = 256


@dataclass
class BatchStats:
    """Where a batch stands; handed to the progress callback after every item."""

    total: int = 0
    done: int = 0
    failed: int = 0
    cached: int = 0
    skipped: int = 0  # written by an earlier run of the same job
    usage: Usage = field(default_factory=Usage)
    cost_usd: float | None = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> int:
        return self.done + self.failed

    @property
    def remaining(self) -> int:
        return self.total - self.skipped - self.finished

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def add_cost(self, value: float | None) -> None:
        if self.cost_usd is not None:
            self.cost_usd = None if value is None else self.cost_usd + value


@dataclass
class BatchReport:
    """The outcome of one run, plus what the whole job's output holds."""

    output: Path
    stats: BatchStats
    written: dict[str, int]
    stopped: str | None = None

    @property
    def any_failed(self) -> bool:
        return self.written.get("error", 0) > 0


def cache_key(article_id: str, settings: Settings, prompt_sha: str) -> CacheKey:
    """The same article, asked the same way of the same model, has the same key. A local server's
    port changes from run to run and is not part of it."""
    endpoint = "local" if cost.is_loopback(settings.endpoint) else settings.endpoint
    local = str(settings.local_model.name) if settings.local_model else ""
    params = (
        f"temperature={settings.temperature};max_tokens={settings.max_tokens};"
        f"validation_retries={settings.validation_retries};review_reasks={settings.review_reasks};"
        f"local_model={local}"
    )
    return CacheKey(
        article_id=article_id,
        model=settings.resolved_model,
        endpoint=endpoint,
        prompt_sha=prompt_sha,
        schema_version=SCHEMA_VERSION,
        mode=settings.mode.value,
        params=params,
    )


def ok_line(item: sources.Item, given: dict[str, Any], result_json: str, cached: bool) -> str:
    """An output line around a result's JSON, spliced in as is (a cached re-run parses nothing)."""
    head = json.dumps(
        {"id": item.id, "source": item.origin, "status": "ok", "cached": cached, "input": given},
        ensure_ascii=False,
    )
    return f'{head[:-1]}, "result": {result_json}}}\n'


def error_line(item: sources.Item, error: BaseException) -> str:
    if isinstance(error, SummarizerError):
        kind, message = type(error).__name__, str(error)
    else:
        kind, message = "InternalError", f"{type(error).__name__}: {error}"
    record = {
        "id": item.id,
        "source": item.origin,
        "status": "error",
        "error": {"kind": kind, "message": " ".join(message.split())},
    }
    return json.dumps(record, ensure_ascii=False) + "\n"


class _Stop(Exception):
    """The batch cannot go on (bad key, endpoint down); unwritten items wait for the next run."""


class Writer:
    """The only writer of the output file. Lines go out whole (one write each, from one task),
    and are committed in groups: fsync the file, then record ids and length in the store."""

    def __init__(self, store: Store, job: Job) -> None:
        self._store, self._job = store, job
        self._fd = os.open(job.output, os.O_WRONLY | os.O_CREAT, 0o644)
        os.ftruncate(self._fd, job.committed_bytes)
        self.size = os.lseek(self._fd, job.committed_bytes, os.SEEK_SET)
        self._pending: list[tuple[str, str]] = []
        self._last_commit = time.monotonic()

    def write(self, key: str, status: str, line: str) -> None:
        encoded = line.encode("utf-8")
        data = memoryview(encoded)
        try:
            while data:
                data = data[os.write(self._fd, data) :]
        except OSError as exc:  # disk full, quota: the batch stops, the item waits for a rerun
            os.ftruncate(self._fd, self.size)
            os.lseek(self._fd, self.size, os.SEEK_SET)
            raise _Stop(f"cannot write {self._job.output} ({exc.strerror})") from None
        self.size += len(encoded)
        self._pending.append((key, status))
        due = time.monotonic() - self._last_commit >= COMMIT_EVERY_S
        if due or len(self._pending) >= COMMIT_EVERY_ITEMS:
            self.commit()

    def commit(self) -> None:
        if self._pending:
            os.fsync(self._fd)
            self._store.commit_written(self._job, self._pending, self.size)
            self._pending = []
        self._last_commit = time.monotonic()

    def close(self) -> None:
        try:
            self.commit()
        finally:
            os.close(self._fd)


class _Runner:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        writer: Writer,
        llm: LLM,
        *,
        refresh: bool,
        stats: BatchStats,
        progress: Callable[[BatchStats], None] | None,
    ) -> None:
        self.settings, self.store, self.writer, self.llm = settings, store, writer, llm
        self.refresh, self.stats, self.progress = refresh, stats, progress
        self.prompt_sha = load(settings.prompt).sha256
        self.breaker = max(5, settings.concurrency)
        self.held: list[tuple[str, sources.Item, BaseException]] = []

    def _report(self) -> None:
        if self.progress:
            self.progress(self.stats)

    def _write_error(self, key: str, item: sources.Item, error: BaseException) -> None:
        self.writer.write(key, "error", error_line(item, error))
        self.stats.failed += 1
        self._report()

    def _flush_held(self) -> None:
        held, self.held = self.held, []
        for key, item, error in held:
            self._write_error(key, item, error)

    async def process(self, key: str, item: sources.Item) -> None:
        try:
            article, given = await asyncio.to_thread(sources.load, item)
            ckey = cache_key(article.id, self.settings, self.prompt_sha)
            found = None if self.refresh else self.store.get(ckey)
            if found is not None:
                self.writer.write(key, "ok", ok_line(item, given, found, cached=True))
                self.stats.cached += 1
            else:
                result = await asummarize(article, self.settings, llm=self.llm)
                result_json = result.model_dump_json()
                self.store.put(ckey, result_json)
                self._account(result)
                self.writer.write(key, "ok", ok_line(item, given, result_json, cached=False))
            self.stats.done += 1
            self._flush_held()
            self._report()
        except _Stop:
            raise
        except FATAL as exc:
            raise _Stop(exc.message) from exc
        except EndpointError as exc:
            self._account_error(exc)
            self.held.append((key, item, exc))
            if len(self.held) >= self.breaker:
                raise _Stop(
                    f"the endpoint failed for {len(self.held)} articles in a row ({exc.message})"
                ) from exc
        except SummarizerError as exc:
            self._account_error(exc)
            self._write_error(key, item, exc)
        except Exception as exc:  # an item must never take the batch down
            self._write_error(key, item, exc)

    def _account(self, result: SummaryResult) -> None:
        self.stats.usage = self.stats.usage + result.run.usage
        self.stats.add_cost(result.run.cost_usd)

    def _account_error(self, exc: SummarizerError) -> None:
        if isinstance(exc.usage, Usage):
            self.stats.usage = self.stats.usage + exc.usage
            self.stats.add_cost(cost.price(exc.usage, self.settings))


def _work(items: list[sources.Item], written: frozenset[str]) -> tuple[list, int]:
    """(job key, item) still to do, in order, and how many were written before. A repeated id
    is done once under its own id; the repeats are errors keyed by where they came from."""
    todo: list[tuple[str, sources.Item]] = []
    seen: dict[str, str] = {}
    skipped = 0
    for item in items:
        key = item.id
        if item.id in seen:
            key = f"{item.id}@{item.origin}"
            item = sources.Item(
                id=item.id,
                origin=item.origin,
                problem=f"{item.origin}: id {item.id!r} repeats the one at {seen[item.id]}",
            )
        else:
            seen[item.id] = item.origin
        if key in written:
            skipped += 1
        else:
            todo.append((key, item))
    return todo, skipped


async def arun_batch(
    inputs: list[str],
    output: Path | str,
    settings: Settings | None = None,
    **options: Any,
) -> BatchReport:
    """Run (or resume) the batch of `inputs` (files, directories, globs, URLs, JSONL) writing
    `output`. Options: store, llm, refresh, restart, progress (see `arun_items`)."""
    return await arun_items(sources.expand(inputs), output, settings, **options)


async def arun_items(
    items: Iterable[sources.Item],
    output: Path | str,
    settings: Settings | None = None,
    *,
    store: Store | None = None,
    llm: LLM | None = None,
    refresh: bool = False,
    restart: bool = False,
    progress: Callable[[BatchStats], None] | None = None,
) -> BatchReport:
    """Run (or resume) a batch over `items` writing `output`; see the module docstring."""
    settings = settings or Settings()
    owned_store = store is None
    store = store or Store()
    owned_llm = llm is None
    llm = llm or LLM(settings)
    try:
        job = store.open_job(Path(output), restart=restart)
        todo, skipped = _work(list(items), job.written)
        stats = BatchStats(total=len(todo) + skipped, skipped=skipped)
        writer = Writer(store, job)
        runner = _Runner(
            settings, store, writer, llm, refresh=refresh, stats=stats, progress=progress
        )
        stopped = None
        try:
            if progress:
                progress(stats)
            await _drain(runner, todo, workers=max(2, 2 * settings.concurrency))
            runner._flush_held()
        except _Stop as exc:
            stopped = str(exc)
        finally:
            writer.close()
        return BatchReport(
            output=job.output, stats=stats, written=store.job_counts(job.output), stopped=stopped
        )
    finally:
        if owned_llm:
            await llm.aclose()
        if owned_store:
            store.close()


async def _drain(runner: _Runner, todo: list, workers: int) -> None:
    """A fixed set of workers over the items in order; the first _Stop cancels the others."""
    queue = iter(todo)

    async def worker() -> None:
        for key, item in queue:
            await runner.process(key, item)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(workers, len(todo))):
                group.create_task(worker())
    except* _Stop as stops:
        raise stops.exceptions[0] from None


def run_batch(
    inputs: list[str], output: Path | str, settings: Settings | None = None, **kwargs: Any
) -> BatchReport:
    """Blocking `arun_batch`."""
    return asyncio.run(arun_batch(inputs, output, settings, **kwargs))
