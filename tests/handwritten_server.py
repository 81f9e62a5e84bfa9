"""A stub OpenAI-compatible server with HAND-WRITTEN responses, for error paths only.

Nothing here is a recording of a model: each response is written by a test to exercise one path
(429 with Retry-After, 500, 401, truncation, invalid JSON, ungrounded quotes). Real model answers
live in cassettes/.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def tool_reply(
    name: str, arguments: Any, *, completion_tokens: int = 20, finish_reason: str = "tool_calls"
) -> Reply:
    """A chat completion whose tool call carries `arguments` (a dict, or raw text)."""
    raw = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return Reply(body={
        "id": "chatcmpl-handwritten", "object": "chat.completion", "created": 0,
        "model": "handwritten",
        "choices": [{
            "index": 0, "finish_reason": finish_reason,
            "message": {"role": "assistant", "content": None, "tool_calls": [{
                "id": "call_0", "type": "function",
                "function": {"name": name, "arguments": raw},
            }]},
        }],
        "usage": {"prompt_tokens": 100, "completion_tokens": completion_tokens,
                  "total_tokens": 100 + completion_tokens},
    })  # fmt: skip


def error_reply(
    status: int, message: str, *, code: str | None = None, headers: dict[str, str] | None = None
) -> Reply:
    return Reply(status=status, headers=headers or {},
                 body={"error": {"message": message, "type": "error", "code": code}})  # fmt: skip


class StubServer:
    """Replies per requested tool name (PassageClaims, ArticleSummary), in order; the last
    reply of a script repeats. Every request body is kept in `requests`."""

    def __init__(self, script: dict[str, list[Reply]]) -> None:
        self.script = {k: list(v) for k, v in script.items()}
        self.requests: list[dict[str, Any]] = []
        self.arrived: list[float] = []  # time.monotonic() of each request
        self.headers: list[dict[str, str]] = []
        self.served: dict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                payload = json.dumps({"object": "list", "data": [{"id": "handwritten"}]}).encode()
                self.send_response(200 if self.path.endswith("/models") else 404)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                reply = stub._next(body, dict(self.headers))
                if reply.delay:
                    threading.Event().wait(reply.delay)
                payload = json.dumps(reply.body).encode()
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _next(self, body: dict[str, Any], headers: dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append(body)
            self.arrived.append(time.monotonic())
            self.headers.append(headers)
            tools = body.get("tools") or [{"function": {"name": "json"}}]
            name = tools[0]["function"]["name"]
            replies = self.script[name]
            index = min(self.served[name], len(replies) - 1)
            self.served[name] += 1
            return replies[index]

    def count(self, name: str) -> int:
        return self.served[name]

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
