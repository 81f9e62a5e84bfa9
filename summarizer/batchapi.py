"""The provider Batch API (OpenAI's /v1/batches, vLLM's run-batch): cheaper, answered later.

submit: a planning pass runs every article through the ordinary pipeline with a model that
answers nothing, so the request bodies are exactly what `batch run` would send; the first request
of every call (one summary, one per passage) goes into the request JSONL
({custom_id, method, url, body}) that OpenAI's Batch API and vLLM's run-batch both take. The file
is uploaded with the Files API and a batch is created, or, with `--write-only`, just written. The
store keeps the items (their article text included), the settings and the request file, so
`collect` needs neither the inputs nor the same flags.

collect: every article runs through the ordinary pipeline again with the batch's answers
pre-filled by request body. Validation, review and grounding are the same code; whatever the
batch did not answer well (a failed line, an answer that fails validation, each review re-ask)
goes to the endpoint synchronously. Results land in the cache and in the output JSONL exactly as
`batch run` writes them: one line per input, resumable.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from summarizer import sources
from summarizer.batch import BatchReport, BatchStats, arun_items, cache_key
from summarizer.errors import InputError, SummarizerError
from summarizer.ingest import Article
from summarizer.llm import LLM
from summarizer.pipeline import asummarize
from summarizer.prompts import load
from summarizer.settings import Settings
from summarizer.store import Store

ENDPOINT = "/v1/chat/completions"
# Settings that shape request bodies: kept with the batch so `collect` asks the same way.
CARRIED = (
    "model", "base_url", "mode", "prompt", "temperature", "max_tokens", "validation_retries",
    "review_reasks", "max_chars", "local_model",
)  # fmt: skip


def canonical(body: dict[str, Any]) -> str:
    """A request body as a lookup key: the same request, the same text."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _Planned(SummarizerError):
    """Raised in place of an answer: planning sends nothing."""


class _Planner(LLM):
    """Records the request body of each call instead of sending it."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.bodies: list[dict[str, Any]] = []

    async def _send(self, **kwargs: Any) -> Any:
        self.bodies.append(kwargs)
        raise _Planned("planned, not sent")


async def plan_requests(article: Article, settings: Settings) -> list[dict[str, Any]]:
    """The first request of every call the pipeline makes for `article`, in order."""
    planner = _Planner(settings)
    try:
        await asummarize(article, settings, llm=planner)
    except _Planned:
        pass
    except SummarizerError:  # unusable article (too long, no text): collect records why
        return []
    finally:
        await planner.aclose()
    return planner.bodies


@dataclass(frozen=True)
class Submitted:
    batch_id: str
    requests_file: Path
    items: int
    requests: int
    cached: int
    unreadable: int


def _settings_json(settings: Settings) -> str:
    carried = settings.model_dump(mode="json", include=set(CARRIED))
    return json.dumps(carried, sort_keys=True)


def _client(settings: Settings) -> Any:
    import openai

    return openai.OpenAI(
        base_url=settings.endpoint,
        api_key=settings.key_for_endpoint() or "not-needed",
        timeout=settings.timeout,
    )


def submit(
    inputs: list[str],
    settings: Settings,
    store: Store,
    *,
    write_only: Path | None = None,
    refresh: bool = False,
) -> Submitted:
    """Plan, write the request JSONL, and (unless `write_only`) upload it and create a batch."""
    prompt_sha = load(settings.prompt).sha256
    rows: list[tuple[str, str, str, str | None, str | None, str | None]] = []
    lines: list[str] = []
    cached = unreadable = 0
    for item in sources.expand(inputs):
        try:
            article, given = sources.load(item)
        except SummarizerError as exc:
            rows.append((item.id, item.origin, "", None, None, exc.message))
            unreadable += 1
            continue
        key = cache_key(article.id, settings, prompt_sha).value
        rows.append((item.id, item.origin, key, article.model_dump_json(), json.dumps(given), None))
        if not refresh and store.get_by_value(key) is not None:
            cached += 1
            continue
        for index, body in enumerate(asyncio.run(plan_requests(article, settings))):
            line = {"custom_id": f"{key}:{index}", "method": "POST", "url": ENDPOINT, "body": body}
            lines.append(json.dumps(line, ensure_ascii=False))
    if not rows:
        raise InputError("nothing to submit: the inputs name no articles")
    content = ("\n".join(lines) + "\n").encode("utf-8") if lines else b""
    digest = hashlib.sha256(content).hexdigest()[:16]
    requests_file = write_only or store.path.parent / "batches" / f"requests-{digest}.jsonl"
    requests_file.parent.mkdir(parents=True, exist_ok=True)
    requests_file.write_bytes(content)
    if not lines:  # every article cached or unreadable: collect writes them, nothing is sent
        batch_id = f"none:{hashlib.sha256(_now().encode() + content).hexdigest()[:16]}"
    elif write_only:
        batch_id = f"file:{requests_file.resolve()}"
    else:
        client = _client(settings)
        with requests_file.open("rb") as handle:
            uploaded = client.files.create(file=handle, purpose="batch")
        batch = client.batches.create(
            input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h"
        )
        batch_id = batch.id
    store.save_remote_batch(
        batch_id, _settings_json(settings), str(requests_file.resolve()), rows, _now()
    )
    return Submitted(batch_id, requests_file, len(rows), len(lines), cached, unreadable)


def status(batch_id: str, settings: Settings, store: Store) -> dict[str, Any]:
    """The provider's view of a batch: status and request counts."""
    if batch_id.startswith("file:"):
        return {"id": batch_id, "status": "written (run it yourself, then collect --results)"}
    if batch_id.startswith("none:"):
        return {"id": batch_id, "status": "nothing to send (all cached or unreadable): collect"}
    carried = _carried_settings(batch_id, settings, store)
    batch = _client(carried).batches.retrieve(batch_id)
    counts = batch.request_counts
    return {
        "id": batch.id,
        "status": batch.status,
        "total": counts.total if counts else None,
        "completed": counts.completed if counts else None,
        "failed": counts.failed if counts else None,
    }


def _carried_settings(batch_id: str, settings: Settings, store: Store) -> Settings:
    saved = store.remote_batch(batch_id)
    if saved is None:
        raise InputError(f"{batch_id}: no batch of that id was submitted from this store")
    carried = json.loads(saved["settings"])
    keys = {k: v for k, v in settings.model_dump().items() if k in ("api_key", "openai_api_key")}
    base = {k: v for k, v in carried.items() if v is not None}
    return Settings(**{**base, **{k: v for k, v in keys.items() if v is not None},
                       "concurrency": settings.concurrency})  # fmt: skip


def _output_lines(batch_id: str, settings: Settings, results: Path | None) -> list[dict]:
    if results is not None:
        try:
            raw = results.read_text("utf-8")
        except OSError as exc:
            raise InputError(f"{results}: cannot read ({exc.strerror})") from None
    else:
        client = _client(settings)
        batch = client.batches.retrieve(batch_id)
        if batch.status != "completed":
            counts = batch.request_counts
            done = f" ({counts.completed}/{counts.total} done)" if counts else ""
            raise SummarizerError(
                f"batch {batch_id} is {batch.status}{done}; collect it once it is completed"
            )
        raw = ""
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                raw += client.files.content(file_id).text.rstrip("\n") + "\n"
    lines = []
    for number, text in enumerate(raw.splitlines(), start=1):
        if text.strip():
            try:
                lines.append(json.loads(text))
            except json.JSONDecodeError:
                raise InputError(f"batch output line {number} is not JSON") from None
    return lines


def answers(requests_file: Path, output: list[dict]) -> dict[str, dict]:
    """Request body (canonical) -> the answer the batch gave it, for lines that succeeded."""
    by_id: dict[str, dict] = {}
    for line in output:
        response = line.get("response") or {}
        if response.get("status_code") == 200 and isinstance(response.get("body"), dict):
            by_id[line.get("custom_id", "")] = response["body"]
    found: dict[str, dict] = {}
    for text in requests_file.read_text("utf-8").splitlines():
        if text.strip():
            request = json.loads(text)
            if request["custom_id"] in by_id:
                found[canonical(request["body"])] = by_id[request["custom_id"]]
    return found


def prefill(found: dict[str, dict]) -> Callable[[dict[str, Any]], Any | None]:
    from openai.types.chat import ChatCompletion

    def lookup(request: dict[str, Any]) -> Any | None:
        body = found.get(canonical(request))
        return ChatCompletion.model_validate(body) if body is not None else None

    return lookup


async def acollect(
    batch_id: str,
    output: Path,
    settings: Settings,
    store: Store,
    *,
    results: Path | None = None,
    restart: bool = False,
    progress: Callable[[BatchStats], None] | None = None,
    connect: Callable[[], str] | None = None,
) -> BatchReport:
    """Ground the batch's answers into `output` (re-asking synchronously where needed).

    `connect` gives the endpoint for those direct requests when the batch was planned for the
    local default (no base URL): called only if one is needed, e.g. to start the local server."""
    carried = _carried_settings(batch_id, settings, store)
    saved = store.remote_batch(batch_id)
    assert saved is not None
    if results is None and batch_id.startswith("file:"):
        raise InputError(f"{batch_id} was only written: pass --results with the run's output")
    found = (
        {}
        if batch_id.startswith("none:")
        else answers(Path(saved["requests_file"]), _output_lines(batch_id, carried, results))
    )
    items = []
    for item_id, origin, article_json, given_json, problem in store.remote_items(batch_id):
        article = Article.model_validate_json(article_json) if article_json else None
        given = json.loads(given_json) if given_json else None
        items.append(sources.Item(id=item_id, origin=origin, problem=problem, article=article,
                                  given=given))  # fmt: skip
    llm = LLM(carried, connect=connect if carried.uses_local_default else None)
    llm.prefilled = prefill(found)
    try:
        return await arun_items(
            items, output, carried, store=store, llm=llm, restart=restart, progress=progress
        )
    finally:
        await llm.aclose()


def collect(batch_id: str, output: Path, settings: Settings, store: Store, **options: Any):
    return asyncio.run(acollect(batch_id, output, settings, store, **options))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
