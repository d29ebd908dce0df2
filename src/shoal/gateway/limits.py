"""Budgets and rate limits, enforced before the upstream call, consistent across processes.

Consistency model
-----------------
Counters live per *scope* (``key:<id>``, ``team:<name>``) and *window* (the current minute for
rate limits, the UTC day and month for budgets) in the shared store (``shoal.store.counters``:
PostgreSQL / SQLite table or Redis). Each process keeps, per cell, the last known global total
(``base``), deltas being sent (``flight``) and deltas not yet sent (``pending``). A check is pure
memory: ``base + flight + pending`` against the limit. Every ``sync_interval_s`` the process sends
its deltas and receives the new global totals in one round trip. The first time a process meets a
cell (a new key, a new minute/day) it reads the global total before admitting the request.

So a process sees its own usage immediately and other processes' usage at most one sync interval
late. Budgets may be overshot by what other processes admit within that interval, plus the cost
of requests already in flight when the limit is reached (their cost is only known at the end).
With one process (the benchmark case) enforcement is exact and the check costs ~1 µs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence

from shoal.gateway.http import ApiError
from shoal.store.counters import CounterKey, Counters, Delta
from shoal.store.records import Limits

log = logging.getLogger("shoal.gateway")

MINUTE, DAY, MONTH = "minute", "day", "month"


class _Cell:
    __slots__ = ("base", "expires", "flight", "loading", "pending", "touched")

    def __init__(self, expires: float) -> None:
        self.loading: asyncio.Future[None] | None = None
        self.base = [0, 0, 0.0]  # requests, tokens, usd (global, as of the last sync)
        self.flight = [0, 0, 0.0]
        self.pending = [0, 0, 0.0]
        self.expires = expires
        self.touched = 0.0

    def total(self, i: int) -> float:
        return self.base[i] + self.flight[i] + self.pending[i]


class Windows:
    """Window ids for a moment in time, recomputed at most once per second."""

    __slots__ = ("ends", "ids", "second")

    def __init__(self) -> None:
        self.second = -1
        self.ids: dict[str, str] = {}
        self.ends: dict[str, float] = {}

    def at(self, now: float) -> dict[str, str]:
        second = int(now)
        if second != self.second:
            self.second = second
            day = second // 86400
            date = dt.datetime.fromtimestamp(second, dt.UTC)
            next_month = (date.replace(day=1) + dt.timedelta(days=32)).replace(day=1, hour=0, minute=0, second=0,
                                                                                microsecond=0)
            self.ids = {MINUTE: f"m{second // 60}", DAY: f"d{day}", MONTH: f"M{date.year * 12 + date.month}"}
            self.ends = {MINUTE: (second // 60 + 1) * 60.0, DAY: (day + 1) * 86400.0,
                         MONTH: next_month.timestamp()}
        return self.ids


class Limiter:
    """In-memory view of the shared counters; ``check``/``charge`` never wait on I/O."""

    def __init__(self, counters: Counters, *, sync_interval_s: float = 0.2) -> None:
        self.counters = counters
        self.sync_interval_s = sync_interval_s
        self.cells: dict[CounterKey, _Cell] = {}
        self.windows = Windows()
        self._task: asyncio.Task[None] | None = None

    @staticmethod
    def _needs(limits: Limits) -> tuple[str, ...]:
        out = []
        if limits.requests_per_minute is not None or limits.tokens_per_minute is not None:
            out.append(MINUTE)
        if limits.usd_per_day is not None:
            out.append(DAY)
        if limits.usd_per_month is not None:
            out.append(MONTH)
        return tuple(out)

    def _cell(self, scope: str, window: str, now: float) -> tuple[_Cell, bool]:
        ids = self.windows.at(now)
        key = (scope, ids[window])
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = _Cell(self.windows.ends[window] + 60.0)
            return cell, True
        return cell, False

    async def admit(self, scopes: Sequence[tuple[str, Limits]]) -> None:
        """Raise ``ApiError(429)`` naming the limit if any scope is over; else count the request."""
        now = time.time()
        fresh: list[tuple[CounterKey, _Cell]] = []
        waits: list[asyncio.Future[None]] = []
        for scope, limits in scopes:
            for window in self._needs(limits):
                cell, new = self._cell(scope, window, now)
                if new:
                    fresh.append(((scope, self.windows.ids[window]), cell))
                elif cell.loading is not None:
                    waits.append(cell.loading)  # another request is reading this cell's total
        if fresh:
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            for _, cell in fresh:
                cell.loading = done
            try:
                await self._load(fresh)
            finally:
                for _, cell in fresh:
                    cell.loading = None
                done.set_result(None)
        for waiting in waits:
            await asyncio.shield(waiting)
        for scope, limits in scopes:
            self._check(scope, limits, now)
        for scope, limits in scopes:
            if limits.requests_per_minute is not None or limits.tokens_per_minute is not None:
                cell, _ = self._cell(scope, MINUTE, now)
                cell.pending[0] += 1
                cell.touched = now

    async def _load(self, fresh: list[tuple[CounterKey, _Cell]]) -> None:
        try:
            totals = await asyncio.to_thread(self.counters.read, [k for k, _ in fresh])
        except Exception as exc:  # noqa: BLE001 - shared store down: enforce what this process knows
            log.error("could not read shared usage counters (%s); enforcing local counts only", exc)
            return
        for key, cell in fresh:
            r, t, u = totals.get(key, (0, 0, 0.0))
            cell.base = [r, t, u]

    def _check(self, scope: str, limits: Limits, now: float) -> None:
        who = scope.replace(":", " ", 1)
        ends = self.windows.ends
        if limits.requests_per_minute is not None:
            cell, _ = self._cell(scope, MINUTE, now)
            if cell.total(0) >= limits.requests_per_minute:
                raise _limit_error(f"rate limit reached: {who} allows {limits.requests_per_minute} requests per "
                                   "minute", "rate_limit_requests", ends[MINUTE] - now)
        if limits.tokens_per_minute is not None:
            cell, _ = self._cell(scope, MINUTE, now)
            if cell.total(1) >= limits.tokens_per_minute:
                raise _limit_error(f"rate limit reached: {who} allows {limits.tokens_per_minute} tokens per minute "
                                   f"({int(cell.total(1))} used)", "rate_limit_tokens", ends[MINUTE] - now)
        if limits.usd_per_day is not None:
            cell, _ = self._cell(scope, DAY, now)
            if cell.total(2) >= limits.usd_per_day:
                raise _limit_error(f"budget exceeded: {who} spent ${cell.total(2):.4f} of its "
                                   f"${limits.usd_per_day:g} daily budget", "budget_exceeded_day", ends[DAY] - now,
                                   kind="insufficient_quota")
        if limits.usd_per_month is not None:
            cell, _ = self._cell(scope, MONTH, now)
            if cell.total(2) >= limits.usd_per_month:
                raise _limit_error(f"budget exceeded: {who} spent ${cell.total(2):.4f} of its "
                                   f"${limits.usd_per_month:g} monthly budget", "budget_exceeded_month",
                                   ends[MONTH] - now, kind="insufficient_quota")

    def charge(self, scopes: Sequence[tuple[str, Limits]], tokens: int, usd: float) -> None:
        """Add a finished request's tokens and cost to every scope that limits them."""
        if not tokens and not usd:
            return
        now = time.time()
        for scope, limits in scopes:
            for window in self._needs(limits):
                cell, _ = self._cell(scope, window, now)
                if window == MINUTE:
                    cell.pending[1] += tokens
                else:
                    cell.pending[2] += usd
                cell.touched = now

    # --- synchronisation --------------------------------------------------------------------------

    async def sync_once(self) -> None:
        now = time.time()
        deltas: list[Delta] = []
        sent: list[_Cell] = []
        refresh: list[CounterKey] = []
        for key, cell in list(self.cells.items()):
            if cell.expires < now:
                del self.cells[key]
                continue
            p = cell.pending
            if p[0] or p[1] or p[2]:
                cell.flight = p
                cell.pending = [0, 0, 0.0]
                deltas.append((key[0], key[1], int(p[0]), int(p[1]), float(p[2]), cell.expires))
                sent.append(cell)
            elif now - cell.touched < 120:
                refresh.append(key)  # learn what the other processes spent
        if not deltas and not refresh:
            return
        try:
            totals = await asyncio.to_thread(self._exchange, deltas, refresh)
        except Exception as exc:  # noqa: BLE001 - keep the deltas and retry at the next tick
            log.error("could not sync usage counters with the shared store: %s", exc)
            for cell in sent:
                cell.pending = [a + b for a, b in zip(cell.flight, cell.pending, strict=True)]
                cell.flight = [0, 0, 0.0]
            return
        for key, (r, t, u) in totals.items():
            known = self.cells.get(key)
            if known is not None:
                known.base = [r, t, u]
                known.flight = [0, 0, 0.0]

    def _exchange(self, deltas: list[Delta], refresh: list[CounterKey]) -> dict[CounterKey, tuple[int, int, float]]:
        out = self.counters.add(deltas) if deltas else {}
        if refresh:
            out.update(self.counters.read(refresh))
        return out

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.sync_interval_s)
            await self.sync_once()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        await self.sync_once()  # hand the last deltas to the shared store


def _limit_error(message: str, code: str, retry_after: float, kind: str = "rate_limit_error") -> ApiError:
    seconds = max(1, int(retry_after + 0.999))
    return ApiError(429, f"{message}; retry in {seconds} s", type=kind, code=code,
                    headers=[(b"retry-after", str(seconds).encode())])
