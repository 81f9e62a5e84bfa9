"""One shared budget for every request to an endpoint: in flight, per minute, and after a 429.

Every model call of every article goes through the same `RequestPool`, so `--concurrency` bounds
the requests in flight across a whole batch, not per article. Optional requests-per-minute and
tokens-per-minute limits use aiolimiter's leaky buckets. When the endpoint answers 429, the pool
pauses: no worker sends anything until the wait the server asked for (Retry-After) has passed,
instead of every worker hitting the limit on its own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter


class RequestPool:
    """Shared by all the requests of a run; safe to use from many tasks of one event loop."""

    def __init__(
        self,
        concurrency: int,
        *,
        rpm: int | None = None,
        tpm: int | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._rpm = AsyncLimiter(rpm, 60) if rpm else None
        self._tpm = AsyncLimiter(tpm, 60) if tpm else None
        self._tpm_max = tpm or 0
        self._sleep = sleep
        self._clock = clock
        self._resume_at = 0.0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.pauses = 0

    def pause(self, seconds: float) -> None:
        """Hold every request back for `seconds` from now (a 429 told us to)."""
        resume_at = self._clock() + max(0.0, seconds)
        if resume_at > self._resume_at:
            self._resume_at = resume_at
            self.pauses += 1

    @property
    def paused_for(self) -> float:
        return max(0.0, self._resume_at - self._clock())

    async def _wait_until_resumed(self) -> None:
        """Sleep out the pause; again only if a later 429 extended it meanwhile."""
        waited_for = None
        while (left := self.paused_for) > 0 and self._resume_at != waited_for:
            waited_for = self._resume_at
            await self._sleep(left)

    @asynccontextmanager
    async def request(self, tokens: int = 0) -> AsyncIterator[None]:
        """A slot for one HTTP request; `tokens` is its estimated size for the tpm limit."""
        async with self._slots:
            await self._wait_until_resumed()
            if self._rpm is not None:
                await self._rpm.acquire()
            if self._tpm is not None and tokens:
                await self._tpm.acquire(min(tokens, self._tpm_max))
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                yield
            finally:
                self.in_flight -= 1
