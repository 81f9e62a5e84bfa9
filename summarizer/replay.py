"""Record and replay model traffic with vcrpy: the same settings for the tests and for users.

Requests match on what decides the model's answer (model, messages, tool names, response_format
type), never on headers, host or port, so a cassette recorded against a local server on one port
replays against any base URL. Keys, cookies and organisation ids are scrubbed before anything is
written.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import vcr
from vcr.request import Request

from summarizer.errors import InputError

REQUEST_HEADERS_TO_SCRUB = [
    "authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie",
]  # fmt: skip
RESPONSE_HEADERS_TO_SCRUB = {"set-cookie", "openai-organization", "openai-project"}
MATCH_ON = ("method", "path", "llm_body")


def llm_body_key(request: Request) -> dict[str, Any]:
    """What decides the model's answer, read from a chat completion request body."""
    raw = request.body or b""
    try:
        body = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except (ValueError, UnicodeDecodeError):
        return {"raw": raw}
    if not isinstance(body, dict):
        return {"raw": body}
    messages = [
        {
            "role": m.get("role"),
            "content": m.get("content"),
            "tool_calls": [
                (c.get("function", {}).get("name"), c.get("function", {}).get("arguments"))
                for c in m.get("tool_calls") or []
            ],
        }
        for m in body.get("messages", [])
    ]
    tools = [t.get("function", {}).get("name") for t in body.get("tools") or []]
    response_format = (body.get("response_format") or {}).get("type")
    return {
        "model": body.get("model"),
        "messages": messages,
        "tools": tools,
        "response_format": response_format,
    }


def match_llm_body(r1: Request, r2: Request) -> None:
    """vcrpy matcher: raises AssertionError naming the first difference."""
    a, b = llm_body_key(r1), llm_body_key(r2)
    if a == b:
        return
    for field in ("model", "tools", "response_format"):
        if a.get(field) != b.get(field):
            raise AssertionError(f"{field} differs: {a.get(field)!r} != {b.get(field)!r}")
    raise AssertionError("messages differ")


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in RESPONSE_HEADERS_TO_SCRUB:
            del headers[name]
    return response


def vcr_config() -> dict[str, Any]:
    """Keyword arguments for vcr.VCR / pytest-recording's vcr_config (no record_mode here:
    a record_mode in the config would override --record-mode on the command line)."""
    return {
        "match_on": MATCH_ON,
        "filter_headers": REQUEST_HEADERS_TO_SCRUB,
        "filter_query_parameters": ["api_key", "key"],
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }


def register(recorder: vcr.VCR) -> vcr.VCR:
    recorder.register_matcher("llm_body", match_llm_body)
    return recorder


@contextlib.contextmanager
def cassette(path: str | Path, *, record: bool) -> Iterator[None]:
    """Replay `path` offline (record=False) or record a fresh one (record=True)."""
    path = Path(path)
    if not record and not path.is_file():
        raise InputError(f"{path}: no such cassette")
    if record:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
    recorder = register(vcr.VCR(record_mode="all" if record else "none", **vcr_config()))
    with recorder.use_cassette(str(path)):
        yield
