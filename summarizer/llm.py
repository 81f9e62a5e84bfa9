"""Talk to the model: one openai client, instructor for schemas, tenacity for transport.

Exactly one retry layer each. Transport failures (429 with Retry-After, 5xx, timeouts, connection
errors) are retried by tenacity around each single HTTP request, below instructor, so a re-ask is
never repeated because of a network error and instructor never sees one it could feed back into the
prompt. instructor re-asks only when the answer fails validation. The openai client's own retries
are off. Output cut by max_tokens is reported as truncation, not as a parse error.
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from openai.types.chat import ChatCompletion
from pydantic import BaseModel
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from summarizer.errors import (
    AuthError,
    CassetteMissError,
    EndpointError,
    ModelOutputError,
    SummarizerError,
    TruncatedOutputError,
)
from summarizer.pool import RequestPool
from summarizer.result import Usage
from summarizer.settings import Mode, Settings

T = TypeVar("T", bound=BaseModel)
Message = dict[str, Any]

# instructor logs every failed attempt at ERROR; each failure reaches the caller here as one typed
# error, so with no logging configured those lines would only print the same thing twice. An
# application that configures logging still gets them.
logging.getLogger("instructor").addHandler(logging.NullHandler())

_MODES = {Mode.tools: instructor.Mode.TOOLS, Mode.json: instructor.Mode.JSON}
_RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


@functools.cache
def _prepared(model: type[T]) -> type[T]:
    """instructor's wrapper class for `model`, made once: instructor would otherwise build a new
    class (and its schema) on every call, most of the client's CPU time in a large batch."""
    from instructor.v2.core.function_calls import response_schema

    return response_schema(model)


@dataclass
class Tally:
    """Model calls and tokens for one extraction, every attempt counted."""

    calls: int = 0
    usage: Usage = field(default_factory=Usage)

    def add(self, response: Any) -> None:
        self.calls += 1
        u = getattr(response, "usage", None)
        if u is not None:
            self.usage = self.usage + Usage(
                prompt_tokens=u.prompt_tokens or 0,
                completion_tokens=u.completion_tokens or 0,
                total_tokens=u.total_tokens or 0,
            )


@dataclass(frozen=True)
class Extraction(Generic[T]):
    value: T
    calls: int
    usage: Usage


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def cassette_miss(exc: BaseException) -> CassetteMissError | None:
    """A vcrpy 'no recording' error hidden under openai's 'Connection error.'."""
    for err in _chain(exc):
        if type(err).__name__ == "CannotOverwriteExistingCassetteException":
            detail = " ".join(str(err).split())
            return CassetteMissError(f"no recording matches this request: {detail[:400]}")
    return None


def is_quota_error(exc: BaseException) -> bool:
    body = getattr(exc, "body", None)
    code = body.get("code") if isinstance(body, dict) else getattr(exc, "code", None)
    return code == "insufficient_quota"


def is_transient(exc: BaseException) -> bool:
    """Worth another try: connection trouble, timeouts, 429 (not quota), 5xx."""
    if cassette_miss(exc) is not None:
        return False
    if isinstance(exc, openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _RETRY_STATUS and not is_quota_error(exc)
    return False


def retry_after(exc: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After or retry-after-ms), if it said."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    if ms := headers.get("retry-after-ms"):
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def _jitter(settings: Settings, attempt: int) -> float:
    import random

    return random.uniform(0, min(settings.retry_max_wait, 2**attempt))


def rate_limit_wait(exc: BaseException, settings: Settings, attempt: int) -> float:
    """How long the whole pool pauses after a 429: what the server asked, else backoff."""
    asked = retry_after(exc)
    return min(asked, settings.retry_max_wait) if asked is not None else _jitter(settings, attempt)


def is_rate_limit(exc: BaseException | None) -> bool:
    return isinstance(exc, openai.APIStatusError) and exc.status_code == 429


def backoff(settings: Settings) -> Callable[[Any], float]:
    """Exponential backoff with full jitter, overridden by a Retry-After the server sent. A 429
    waits no further here: it has paused the whole pool, and the retry queues behind that."""

    def wait(state: Any) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if is_rate_limit(exc):
            return 0.0
        asked = retry_after(exc) if exc else None
        if asked is not None:
            return min(asked, settings.retry_max_wait)
        return _jitter(settings, state.attempt_number)

    return wait


def estimate_tokens(request: dict[str, Any]) -> int:
    """A request's size for a tokens-per-minute budget: ~4 characters a token, plus the answer's
    cap, which providers count against the budget up front."""
    chars = sum(len(str(m.get("content") or "")) for m in request.get("messages", []))
    chars += len(str(request.get("tools") or ""))
    return chars // 4 + int(request.get("max_tokens") or 0)


def explain(exc: BaseException, settings: Settings) -> SummarizerError:
    """Turn a final transport or API failure into one line for the user."""
    if miss := cassette_miss(exc):
        return miss
    where = settings.endpoint
    attempts = settings.transport_retries + 1
    if isinstance(exc, openai.APITimeoutError):
        return EndpointError(f"{where}: no answer within {settings.timeout:g}s ({attempts} tries)")
    if isinstance(exc, openai.APIConnectionError):
        reason = _root_reason(exc)
        if settings.uses_local_default:  # the library: the CLI starts a server before calling
            return EndpointError(
                f"cannot reach {where} ({reason}): no endpoint is configured. From Python, run "
                "inside `with summarizer.local.endpoint(settings) as url:` with base_url=url "
                "(it starts the local model, or reuses `summarizer local serve`), or set "
                "base_url or an API key"
            )
        return EndpointError(
            f"cannot reach {where} ({reason}); is the server running? set --base-url to change it"
        )
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return AuthError(f"{where} refused the API key (HTTP {exc.status_code}): check the key")
    if isinstance(exc, openai.RateLimitError) and is_quota_error(exc):
        return AuthError(f"{where}: the account has no quota left (HTTP 429 insufficient_quota)")
    if isinstance(exc, openai.NotFoundError):
        return EndpointError(
            f"{where}: HTTP 404 for model {settings.resolved_model!r}: check --model and --base-url"
        )
    if isinstance(exc, openai.APIStatusError):
        message = _api_message(exc)
        if exc.status_code in _RETRY_STATUS:
            return EndpointError(
                f"{where}: HTTP {exc.status_code} after {attempts} tries: {message}"
            )
        return EndpointError(f"{where}: HTTP {exc.status_code}: {message}")
    if isinstance(exc, SummarizerError):
        return exc
    return EndpointError(f"{where}: {type(exc).__name__}: {exc}")


def _api_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return " ".join(str(inner["message"]).split())[:200]
    return " ".join(str(exc.message).split())[:200]


def _root_reason(exc: BaseException) -> str:
    """The operating system's word for it (refused, unreachable, timed out) where there is one."""
    chain = _chain(exc)
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    os_errors = [e for e in chain if isinstance(e, OSError)]
    root = os_errors[-1] if os_errors else (exc.__cause__ or exc)
    text = str(root) or type(root).__name__
    return " ".join(text.split())[:160]


def check_truncation(response: Any, max_tokens: int | None) -> None:
    """Cut by max_tokens? llama.cpp's server still says finish_reason=tool_calls then, so the
    token count is checked too."""
    choice = response.choices[0] if response.choices else None
    completion = response.usage.completion_tokens if response.usage else 0
    if (choice is not None and choice.finish_reason == "length") or (
        max_tokens and completion and completion >= max_tokens
    ):
        raise TruncatedOutputError(
            f"the model's answer was cut off at max_tokens={max_tokens} "
            f"({completion} tokens); raise --max-tokens or use a shorter prompt"
        )


class LLM:
    """The model behind an OpenAI-compatible endpoint, asked for pydantic objects."""

    def __init__(
        self,
        settings: Settings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        http_client: Any | None = None,
        pool: RequestPool | None = None,
        connect: Callable[[], str] | None = None,
    ) -> None:
        """`connect`, if given, is called before the first request that is really sent and
        returns the base URL to use: a batch served entirely from the cache never starts the
        local server."""
        self.settings = settings
        self._sleep = sleep
        self._connect = connect
        self._connect_error: SummarizerError | None = None
        self._connect_lock = asyncio.Lock()
        self._http_client = http_client
        self.pool = pool or RequestPool(
            settings.concurrency, rpm=settings.rpm, tpm=settings.tpm, sleep=sleep
        )
        # Answers obtained elsewhere (a provider batch), looked up by request body before any
        # HTTP request is made; a request with no answer there goes to the endpoint as usual.
        self.prefilled: Callable[[dict[str, Any]], Any | None] | None = None
        self._client = self._make_client(settings.endpoint)

    def _make_client(self, base_url: str) -> openai.AsyncOpenAI:
        return openai.AsyncOpenAI(
            base_url=base_url,
            api_key=self.settings.key_for_endpoint() or "not-needed",
            max_retries=0,
            timeout=self.settings.timeout,
            http_client=self._http_client,
        )

    async def _connected(self) -> None:
        if self._connect is None and self._connect_error is None:
            return
        async with self._connect_lock:
            if self._connect_error is not None:  # every later request fails the same way
                raise self._connect_error
            if self._connect is not None:
                connect, self._connect = self._connect, None
                try:
                    base_url = connect()  # blocks while a local server starts: nothing to send
                except SummarizerError as exc:
                    self._connect_error = exc
                    raise
                await self._client.close()
                self._client = self._make_client(base_url)

    async def aclose(self) -> None:
        await self._client.close()

    async def _send(self, **kwargs: Any) -> Any:
        """One chat completion through the shared pool, transport-retried."""
        if self.prefilled is not None and (answer := self.prefilled(kwargs)) is not None:
            return answer
        await self._connected()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.transport_retries + 1),
            wait=backoff(self.settings),
            retry=retry_if_exception(is_transient),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    async with self.pool.request(estimate_tokens(kwargs)):
                        try:
                            # post() sends the very JSON create() would, without create()'s
                            # recursive re-typing of every message and tool (CPU a batch needs)
                            response = await self._client.post(
                                "/chat/completions", body=kwargs, cast_to=ChatCompletion
                            )
                        except openai.APIStatusError as exc:
                            if is_rate_limit(exc) and is_transient(exc):
                                number = attempt.retry_state.attempt_number
                                self.pool.pause(rate_limit_wait(exc, self.settings, number))
                            raise
        except openai.OpenAIError as exc:
            raise explain(exc, self.settings) from None
        return response

    async def extract(self, response_model: type[T], messages: list[Message]) -> Extraction[T]:
        """Ask for `response_model`; instructor re-asks on invalid answers, bounded."""
        tally = Tally()

        async def create(*args: Any, **kwargs: Any) -> Any:
            response = await self._send(*args, **kwargs)
            tally.add(response)
            check_truncation(response, kwargs.get("max_tokens"))
            return response

        patched = instructor.patch(create=create, mode=_MODES[self.settings.mode])
        try:
            value = await self._call(patched, response_model, messages, tally)
        except SummarizerError as err:
            err.calls, err.usage = tally.calls, tally.usage
            raise
        return Extraction(value=value, calls=tally.calls, usage=tally.usage)

    async def _call(
        self, patched: Any, response_model: type[T], messages: list[Message], tally: Tally
    ) -> T:
        """One instructor call, its failures turned into SummarizerErrors."""
        try:
            value = await patched(
                response_model=_prepared(response_model),
                messages=messages,
                max_retries=self.settings.validation_retries,
                model=self.settings.resolved_model,
                temperature=self.settings.temperature,
                max_tokens=self.settings.max_tokens,
            )
        except IncompleteOutputException:
            raise TruncatedOutputError(
                f"the model's answer was cut off at max_tokens={self.settings.max_tokens}; "
                "raise --max-tokens"
            ) from None
        except InstructorRetryException as exc:
            for err in _chain(exc):
                if isinstance(err, SummarizerError):
                    raise err from None
            first = " ".join(str(exc).split())[:300]
            raise ModelOutputError(
                f"the model's answer for {response_model.__name__} stayed invalid after "
                f"{tally.calls} attempt(s): {first}"
            ) from None
        return value
