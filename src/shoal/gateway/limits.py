"""Budgets and rate limits, enforced before the upstream call, consistent across processes.

Consistency model
-----------------
Counters live per *scope* (``key:<id>``, ``team:<name>``) and *window* (the current minute for
rate limits, the UTC day and month for budgets) in the shared store (``shoal.store.counters``:
PostgreSQL / SQLite table or Redis).

Admission *reserves* the request's maximum cost in one atomic step of the shared store
(``Counters.reserve``): one request, prompt tokens + the completion-token cap, and the USD those
tokens would cost at the highest price among the models that may answer. The step checks every
limit against the global totals, which include every reservation still open in any process, and
adds the reservation only if all fit. At completion the request is *settled*: the difference
between what it actually used and what it reserved is queued and sent with this process's next
reservation (or within ``sync_interval_s``).

Worst case (shared store up): the request rate limit is exact (0 overshoot). A budget is
overshot only by the last admitted request, by at most its reservation beyond the remaining
budget (admission needs the total below the limit, reservations included); and by the tokens of a
completion that exceeds its cap (a request without ``max_tokens`` reserves
``gateway.reserve_completion_tokens``). Reservations of requests still running make the budget
refuse early, never late; a process killed mid-request leaves its reservation counted (safe side).

While the shared store is unreachable each process admits against the last global totals it saw
plus its own usage since (``pending``), and sends that usage once the store is back: overshoot
during an outage is bounded by what each process admits on its own during it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from shoal.gateway.http import ApiError
from shoal.gateway.storecall import StoreGuard
from shoal.store.backend import StoreUnavailableError
from shoal.store.counters import CounterKey, Counters, Delta, Item, over
from shoal.store.records import Limits

log = logging.getLogger("shoal.gateway")

MINUTE, DAY, MONTH = "minute", "day", "month"


class _Cell:
    __slots__ = ("base", "expires", "pending", "touched")

    def __init__(self, expires: float) -> None:
        self.base = [0, 0, 0.0]  # requests, tokens, usd (global, as last seen)
        self.pending = [0, 0, 0.0]  # this process's deltas not yet in the shared store
        self.expires = expires
        self.touched = 0.0

    def total(self, i: int) -> float:
        return self.base[i] + self.pending[i]


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


@dataclass(slots=True)
class Reservation:
    """What admission reserved in each cell: settled against actual usage at completion."""

    cells: list[tuple[CounterKey, float, int, float]] = field(default_factory=list)  # key, expires, tok, usd
    tokens: int = 0
    usd: float = 0.0
    settled: bool = False


NO_RESERVATION = Reservation(settled=True)


class Limiter:
    """Atomic admission in the shared counters; local view of them for when the store is down."""

    def __init__(self, counters: Counters, *, sync_interval_s: float = 0.2, guard: StoreGuard | None = None) -> None:
        self.counters = counters
        self.sync_interval_s = sync_interval_s
        self.guard = guard or StoreGuard("the usage counters", timeout_s=2.0, is_transient=lambda exc: True)
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

    def _cell(self, key: CounterKey, expires: float) -> _Cell:
        cell = self.cells.get(key)
        if cell is None:
            cell = self.cells[key] = _Cell(expires)
        return cell

    def _items(self, scopes: Sequence[tuple[str, Limits]], tokens: int, usd: float, now: float
               ) -> tuple[list[Item], list[tuple[str, Limits, str]]]:
        ids = self.windows.at(now)
        ends = self.windows.ends
        items: list[Item] = []
        labels: list[tuple[str, Limits, str]] = []
        for scope, limits in scopes:
            for window in self._needs(limits):
                expires = ends[window] + 60.0
                if window == MINUTE:
                    items.append((scope, ids[window], 1, tokens, 0.0, expires, limits.requests_per_minute,
                                  limits.tokens_per_minute, None))
                else:
                    cap = limits.usd_per_day if window == DAY else limits.usd_per_month
                    items.append((scope, ids[window], 1, 0, usd, expires, None, None, cap))
                labels.append((scope, limits, window))
        return items, labels

    async def admit(self, scopes: Sequence[tuple[str, Limits]], *, tokens: int = 0, usd: float = 0.0
                    ) -> Reservation:
        """Reserve one request of at most ``tokens`` tokens costing at most ``usd`` in every scope;
        raise ``ApiError(429)`` naming the limit if any scope has no room."""
        now = time.time()
        items, labels = self._items(scopes, tokens, usd, now)
        if not items:
            return NO_RESERVATION
        settle = self._take_pending()
        try:
            refusal, totals = await self.guard.call(self.counters.reserve, items, settle)
        except StoreUnavailableError:
            self._restore_pending(settle)
            return self._admit_locally(items, labels, tokens, usd, now)
        except Exception:
            self._restore_pending(settle)
            raise
        for key, (r, t, u) in totals.items():
            cell = self.cells.get(key)
            if cell is not None:
                cell.base = [r, t, u]
        for item in items:
            self._cell((item[0], item[1]), item[5]).touched = now
        if refusal is not None:
            index, which, before = refusal
            scope, limits, window = labels[index]
            raise self._error(scope, limits, window, which, before, now)
        res = Reservation(tokens=tokens, usd=usd)
        res.cells = [((i[0], i[1]), i[5], i[3], i[4]) for i in items]
        return res

    def _admit_locally(self, items: list[Item], labels: list[tuple[str, Limits, str]], tokens: int, usd: float,
                       now: float) -> Reservation:
        for index, item in enumerate(items):
            cell = self._cell((item[0], item[1]), item[5])
            before = (int(cell.total(0)), int(cell.total(1)), cell.total(2))
            which = over(item, before)
            if which is not None:
                scope, limits, window = labels[index]
                raise self._error(scope, limits, window, which, before, now)
        for item in items:
            cell = self._cell((item[0], item[1]), item[5])
            cell.pending[0] += item[2]
            cell.pending[1] += item[3]
            cell.pending[2] += item[4]
            cell.touched = now
        res = Reservation(tokens=tokens, usd=usd)
        res.cells = [((i[0], i[1]), i[5], i[3], i[4]) for i in items]
        return res

    def _error(self, scope: str, limits: Limits, window: str, which: int, before: tuple[int, int, float],
               now: float) -> ApiError:
        who = scope.replace(":", " ", 1)
        ends = self.windows.ends
        if which == 0:
            return _limit_error(f"rate limit reached: {who} allows {limits.requests_per_minute} requests per "
                                "minute", "rate_limit_requests", ends[MINUTE] - now)
        if which == 1:
            return _limit_error(f"rate limit reached: {who} allows {limits.tokens_per_minute} tokens per minute "
                                f"({before[1]} used or reserved)", "rate_limit_tokens", ends[MINUTE] - now)
        if window == DAY:
            return _limit_error(f"budget exceeded: {who} spent or reserved ${before[2]:.4f} of its "
                                f"${limits.usd_per_day:g} daily budget", "budget_exceeded_day", ends[DAY] - now,
                                kind="insufficient_quota")
        return _limit_error(f"budget exceeded: {who} spent or reserved ${before[2]:.4f} of its "
                            f"${limits.usd_per_month:g} monthly budget", "budget_exceeded_month",
                            ends[MONTH] - now, kind="insufficient_quota")

    def settle(self, reservation: Reservation, tokens: int, usd: float) -> None:
        """Replace a reservation by what the request actually used (sent with the next exchange)."""
        if reservation.settled:
            return
        reservation.settled = True
        now = time.time()
        for key, expires, res_tok, res_usd in reservation.cells:
            cell = self._cell(key, expires)
            if key[1].startswith("m"):  # a minute cell counts tokens; day and month cells count USD
                cell.pending[1] += tokens - res_tok
            else:
                cell.pending[2] += usd - res_usd
            cell.touched = now

    def _take_pending(self) -> list[Delta]:
        deltas: list[Delta] = []
        for key, cell in self.cells.items():
            p = cell.pending
            if p[0] or p[1] or p[2]:
                deltas.append((key[0], key[1], int(p[0]), int(p[1]), float(p[2]), cell.expires))
                cell.pending = [0, 0, 0.0]
        return deltas

    def _restore_pending(self, deltas: Sequence[Delta]) -> None:
        for scope, win, req, tok, usd, expires in deltas:
            cell = self._cell((scope, win), expires)
            cell.pending[0] += req
            cell.pending[1] += tok
            cell.pending[2] += usd

    # --- synchronisation --------------------------------------------------------------------------

    async def sync_once(self) -> None:
        """Send pending deltas (settlements, usage admitted during an outage); drop old cells."""
        now = time.time()
        for key, cell in list(self.cells.items()):
            if cell.expires < now:
                del self.cells[key]
        deltas = self._take_pending()
        if not deltas:
            return
        try:
            totals = await self.guard.call(self.counters.add, deltas)
        except Exception as exc:  # noqa: BLE001 - keep the deltas and retry at the next tick
            if not isinstance(exc, StoreUnavailableError):
                log.error("could not sync usage counters with the shared store: %s", exc)
            self._restore_pending(deltas)
            return
        for key, (r, t, u) in totals.items():
            known = self.cells.get(key)
            if known is not None:
                known.base = [r, t, u]

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
