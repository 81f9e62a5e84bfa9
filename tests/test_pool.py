"""The shared request pool: one bound on requests in flight, and one pause after a 429."""

from __future__ import annotations

import asyncio

import pytest

from summarizer.extraction import ArticleSummary
from summarizer.llm import LLM, estimate_tokens
from summarizer.pool import RequestPool
from summarizer.settings import Settings
from tests.handwritten_server import StubServer, error_reply, tool_reply

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])


def test_never_more_requests_in_flight_than_the_bound() -> None:
    async def run() -> RequestPool:
        pool = RequestPool(3)

        async def one() -> None:
            async with pool.request():
                await asyncio.sleep(0.01)

        await asyncio.gather(*(one() for _ in range(20)))
        return pool

    assert asyncio.run(run()).peak_in_flight == 3


def test_a_pause_holds_back_every_request_until_it_ends() -> None:
    now = [0.0]
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    async def run() -> list[float]:
        pool = RequestPool(4, sleep=fake_sleep, clock=lambda: now[0])
        pool.pause(2.0)
        pool.pause(0.5)  # a shorter pause never shortens a longer one
        started: list[float] = []

        async def one() -> None:
            async with pool.request():
                started.append(now[0])

        await asyncio.gather(one(), one(), one())
        return started

    started = asyncio.run(run())
    assert started and all(t >= 2.0 for t in started)


def test_a_429_pauses_the_whole_pool_for_its_retry_after() -> None:
    """Request A meets a 429 asking for 0.6 s; request B, started after that, waits it out
    too instead of hitting the limit on its own."""
    ok = tool_reply("ArticleSummary", {"title": "T", "summary": "One. Two."})
    limited = error_reply(429, "Rate limit reached", headers={"retry-after": "0.6"})
    with StubServer({"ArticleSummary": [limited, ok]}) as stub:
        settings = Settings(base_url=stub.base_url, model="m", concurrency=4)
        messages = [{"role": "user", "content": "x"}]

        async def run() -> None:
            llm = LLM(settings)
            try:
                first = asyncio.create_task(llm.extract(ArticleSummary, messages))
                while llm.pool.pauses == 0:  # until the 429 has come back
                    await asyncio.sleep(0.005)
                await asyncio.gather(first, llm.extract(ArticleSummary, messages))
                assert llm.pool.pauses == 1
            finally:
                await llm.aclose()

        asyncio.run(run())
    first_429, *later = stub.arrived
    assert len(later) == 2
    assert all(t - first_429 >= 0.55 for t in later)  # A's retry and B both waited


def test_token_estimate_counts_text_and_the_answer_cap() -> None:
    request = {"messages": [{"role": "user", "content": "x" * 400}], "max_tokens": 50}
    assert estimate_tokens(request) == 150


def test_per_minute_limits_come_from_the_settings() -> None:
    from summarizer.settings import Settings as S

    pool = LLM(S(base_url="http://127.0.0.1:9/v1", concurrency=7, rpm=30, tpm=9000)).pool
    assert pool.concurrency == 7
    assert pool._rpm is not None and pool._rpm.max_rate == 30
    assert pool._tpm is not None and pool._tpm.max_rate == 9000
