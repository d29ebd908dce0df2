"""Store calls from the event loop: off the loop, with a deadline, behind a circuit breaker.

A database that refuses connections fails fast by itself; one that hangs does not. Every store
call the gateway makes on a request's path goes through a ``StoreGuard``: it runs in the guard's
own threads (a hung call can never starve the default executor that other work shares), gives up
after ``timeout_s``, and after a failure answers "unavailable" at once for ``retry_s`` before
letting one probe through. Callers then serve from what they know (cached keys, local counters)
or answer 503 ``store_unavailable``; nothing waits for the full timeout twice in a row.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from shoal.gateway.http import ApiError
from shoal.store.backend import StoreUnavailableError

log = logging.getLogger("shoal.gateway")
T = TypeVar("T")


def unavailable(what: str = "the request store") -> ApiError:
    """The client-facing 503 when the store is truly required and does not answer."""
    return ApiError(503, f"{what} is temporarily unavailable; retry in a few seconds", type="api_error",
                    code="store_unavailable", headers=[(b"retry-after", b"2")])


_REPORT_EVERY_S = 15.0  # how often a continuing outage is logged again, with its latest error


class StoreGuard:
    """Deadline + breaker for one backing service (the database, or Redis)."""

    def __init__(self, name: str, *, timeout_s: float, is_transient: Callable[[BaseException], bool],
                 retry_s: float = 1.0, threads: int = 8) -> None:
        self.name = name
        self.timeout_s = timeout_s
        self.retry_s = retry_s
        self._is_transient = is_transient
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix=f"shoal-{name}")
        self.down_since: float | None = None
        self._next_probe = 0.0
        self._next_report = 0.0

    @property
    def up(self) -> bool:
        return self.down_since is None

    async def call(self, fn: Callable[..., T], *args: Any, timeout: float | None = None) -> T:
        """``fn(*args)`` in a guard thread. Raises ``StoreUnavailableError`` when the service is
        down (fast while the breaker is open); other exceptions (not found, bad data) pass through."""
        now = time.monotonic()
        if self.down_since is not None:
            if now < self._next_probe:
                raise StoreUnavailableError(f"{self.name} is unavailable")
            self._next_probe = now + self.retry_s  # this call is the probe; the others fail fast
        loop = asyncio.get_running_loop()
        try:
            result = await asyncio.wait_for(loop.run_in_executor(self._pool, fn, *args),
                                            self.timeout_s if timeout is None else timeout)
        except Exception as exc:
            if isinstance(exc, TimeoutError) or self._is_transient(exc):
                self._failed(exc)
                raise StoreUnavailableError(f"{self.name} is unavailable") from None
            # Any other error (not found, bad data) is an answer: the service is reachable.
            self._answered()
            raise
        self._answered()
        return result

    def _answered(self) -> None:
        if self.down_since is not None:
            log.warning("%s is reachable again after %.1f s", self.name, time.monotonic() - self.down_since)
            self.down_since = None

    def _failed(self, exc: BaseException) -> None:
        now = time.monotonic()
        reason = type(exc).__name__ if isinstance(exc, TimeoutError) else exc
        if self.down_since is None:
            self.down_since = now
            self._next_report = now + _REPORT_EVERY_S
            log.error("%s is unavailable (%s); serving from caches and local counters", self.name, reason)
        elif now >= self._next_report:
            # A long outage says why it lasts: the first error alone may not be the one that persists.
            self._next_report = now + _REPORT_EVERY_S
            log.error("%s is still unavailable after %.0f s (last probe: %s: %s)", self.name,
                      now - self.down_since, type(exc).__name__, reason)
        self._next_probe = now + self.retry_s

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
