"""A SYNTHETIC OpenAI-compatible server for batch tests and benchmarks: no model behind it.

It answers any article mechanically (the summary is the article's first two sentences, each claim
quotes a sentence of the passage verbatim), so thousands of made-up articles can run through the
real client, retries, validation and grounding. It is not a recording and proves nothing about
answer quality; real model answers live in cassettes/.

Faults are injected at set rates from a seeded RNG: 429 with Retry-After, 500, a reply slower
than the client's timeout, an answer cut off at max_tokens, arguments that are not JSON.
`latency` holds every reply; `cap` answers 429 past that many requests in flight.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from tests.handwritten_server import tool_reply

_SENTENCE = re.compile(r"[^.!?]+[.!?]+[\"'”’)]*")


@dataclass
class Faults:
    """Share of requests (0..1) that get each fault."""

    rate_limit: float = 0.0
    server_error: float = 0.0
    slow: float = 0.0
    truncated: float = 0.0
    invalid_json: float = 0.0
    retry_after: float = 0.2
    slow_seconds: float = 3.0


@dataclass
class Stats:
    requests: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    over_cap: int = 0


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _after(label: str, content: str) -> str:
    return content.split(label, 1)[1] if label in content else content


def answer(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """(tool name, arguments) for a request, derived from its text alone."""
    name = body["tools"][0]["function"]["name"]
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    if name == "ArticleSummary":
        found = sentences(_after("Article:\n", user))
        return name, {"title": "Synthetic", "summary": " ".join(found[:2]) or "Nothing."}
    found = sentences(_after("PASSAGE:\n", user))[:3]
    claims = [
        {"quote": s, "speaker": None, "text": s, "kind": "statement", "certainty": "asserted"}
        for s in found
    ]
    return name, {"claims": claims}


def completion(name: str, arguments: str, *, finish: str = "tool_calls", out: int = 40) -> dict:
    """A chat completion carrying one tool call: the same shape the hand-written stub sends."""
    return tool_reply(name, arguments, completion_tokens=out, finish_reason=finish).body


class SyntheticServer:
    def __init__(
        self,
        *,
        latency: float = 0.0,
        cap: int | None = None,
        faults: Faults | None = None,
        seed: int = 0,
        keep_requests: bool = True,
        answerer: Callable[[dict[str, Any]], dict[str, Any] | None] | None = None,
        batch_line_failure: float = 0.0,
    ) -> None:
        self.latency, self.cap = latency, cap
        self.answerer = answerer
        self.batch_line_failure = batch_line_failure
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.faults = faults or Faults()
        self.stats = Stats()
        self.requests: list[dict[str, Any]] = []
        self._keep = keep_requests
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.base_url = ""
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    # -- HTTP/1.1 on asyncio streams: one thread, exact latencies, keep-alive ------------------

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        server = await asyncio.start_server(self._connection, "127.0.0.1", 0, backlog=512)
        self.base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/v1"
        self._ready.set()
        async with server:
            await self._stop.wait()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                method, target, _ = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = header.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                raw = await reader.readexactly(int(headers.get("content-length", 0)))
                status, payload, extra = await self._route(method, target, headers, raw)
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                head = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
                        "content-type: application/json", f"content-length: {len(data)}",
                        *(f"{k}: {v}" for k, v in extra.items())]  # fmt: skip
                writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def _route(
        self, method: str, target: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        parts = target.split("?")[0].strip("/").split("/")
        if method == "GET":
            if parts[-1] == "content" and parts[-3] == "files":
                return 200, self.files.get(parts[-2], b""), {}
            if len(parts) >= 2 and parts[-2] == "batches":
                found = self.batches.get(parts[-1])
                return (200, found, {}) if found else (404, {"error": {"message": "none"}}, {})
            return 200, {"object": "list", "data": [{"id": "synthetic"}]}, {}
        if parts[-1] == "files":
            return 200, self._upload(headers.get("content-type", ""), raw), {}
        body = json.loads(raw or b"{}")
        if parts[-1] == "batches":
            return 200, self._create_batch(body), {}
        return await self._serve(body)

    def _roll(self) -> str | None:
        f = self.faults
        draw = self._rng.random()
        for kind, share in (
            ("rate_limit", f.rate_limit),
            ("server_error", f.server_error),
            ("slow", f.slow),
            ("truncated", f.truncated),
            ("invalid_json", f.invalid_json),
        ):
            if draw < share:
                return kind
            draw -= share
        return None

    async def _serve(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.stats.requests += 1
            self.stats.in_flight += 1
            self.stats.peak_in_flight = max(self.stats.peak_in_flight, self.stats.in_flight)
            over = self.cap is not None and self.stats.in_flight > self.cap
            fault = "rate_limit" if over else self._roll()
            if over:
                self.stats.over_cap += 1
            if fault:
                self.stats.faults[fault] = self.stats.faults.get(fault, 0) + 1
            if self._keep:
                self.requests.append(body)
        try:
            await asyncio.sleep(self.latency + (self.faults.slow_seconds if fault == "slow" else 0))
            return self._reply(body, fault)
        finally:
            with self._lock:
                self.stats.in_flight -= 1

    def _reply(self, body: dict[str, Any], fault: str | None) -> tuple[int, Any, dict[str, str]]:
        if fault == "rate_limit":
            error = {"error": {"message": "Rate limit reached", "type": "requests", "code": None}}
            return 429, error, {"retry-after": str(self.faults.retry_after)}
        if fault == "server_error":
            return 500, {"error": {"message": "internal", "type": "server_error"}}, {}
        if self.answerer is not None and (answered := self.answerer(body)) is not None:
            return 200, answered, {}
        name, arguments = answer(body)
        raw = json.dumps(arguments)
        if fault == "truncated":
            limit = int(body.get("max_tokens") or 0)
            return 200, completion(name, raw[: len(raw) // 2], finish="length", out=limit), {}
        if fault == "invalid_json":
            return 200, completion(name, raw[:-1] + ",,}"), {}
        return 200, completion(name, raw), {}

    # -- the Files and Batches endpoints (a batch completes as soon as it is created) ----------

    def _upload(self, content_type: str, raw: bytes) -> dict[str, Any]:
        from email.parser import BytesParser
        from email.policy import HTTP

        head = f"content-type: {content_type}\r\n\r\n".encode()
        message = BytesParser(policy=HTTP).parsebytes(head + raw)
        data = b""
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                data = part.get_payload(decode=True) or b""
        file_id = f"file-{len(self.files) + 1}"
        self.files[file_id] = data
        return {
            "id": file_id, "object": "file", "bytes": len(data), "created_at": 0,
            "filename": "requests.jsonl", "purpose": "batch", "status": "processed",
        }  # fmt: skip

    def _create_batch(self, request: dict[str, Any]) -> dict[str, Any]:
        batch_id = f"batch_{len(self.batches) + 1}"
        good, bad = [], []
        for text in self.files[request["input_file_id"]].decode().splitlines():
            if not text.strip():
                continue
            line = json.loads(text)
            if self._rng.random() < self.batch_line_failure:
                error = {"message": "internal", "type": "server_error"}
                bad.append({"id": f"req_{len(bad)}", "custom_id": line["custom_id"],
                            "response": {"status_code": 500, "body": {"error": error}},
                            "error": None})  # fmt: skip
                continue
            status, body, _ = self._reply(line["body"], None)
            response = {"status_code": status, "body": body}
            good.append(
                {"id": f"req_{len(good)}", "custom_id": line["custom_id"], "response": response,
                 "error": None}
            )  # fmt: skip
        out_id, err_id = f"file-out-{batch_id}", f"file-err-{batch_id}"
        self.files[out_id] = "".join(json.dumps(x) + "\n" for x in good).encode()
        self.files[err_id] = "".join(json.dumps(x) + "\n" for x in bad).encode()
        self.batches[batch_id] = {
            "id": batch_id, "object": "batch", "endpoint": request["endpoint"],
            "input_file_id": request["input_file_id"], "completion_window": "24h",
            "status": "completed", "created_at": 0, "output_file_id": out_id,
            "error_file_id": err_id,
            "request_counts": {"total": len(good) + len(bad), "completed": len(good),
                               "failed": len(bad)},
        }  # fmt: skip
        return self.batches[batch_id]

    def __enter__(self) -> SyntheticServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def main() -> None:
    """Serve until killed: `python -m tests.synthetic_server --latency 0.5 --cap 16`."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("--latency", type=float, default=0.5)
    parser.add_argument("--cap", type=int, default=None)
    args = parser.parse_args()
    with SyntheticServer(latency=args.latency, cap=args.cap, keep_requests=False) as server:
        print(server.base_url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
