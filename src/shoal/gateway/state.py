"""What every handler shares: the pipeline, catalog, store, limiter, metrics and config."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from shoal.gateway.auth import Authenticator, Caller
from shoal.gateway.config import GatewayConfig, LimitsConfig
from shoal.gateway.http import ApiError
from shoal.gateway.limits import Limiter
from shoal.gateway.metrics import Metrics
from shoal.gateway.storecall import StoreGuard
from shoal.models.types import ModelSpec
from shoal.pipeline import Pipeline
from shoal.store import Limits, Store

log = logging.getLogger("shoal.gateway")

_T = TypeVar("_T")


def limits_of(cfg: LimitsConfig) -> Limits:
    return Limits(requests_per_minute=cfg.requests_per_minute, tokens_per_minute=cfg.tokens_per_minute,
                  usd_per_day=cfg.usd_per_day, usd_per_month=cfg.usd_per_month)


@dataclass
class GatewayState:
    pipeline: Pipeline
    catalog: Any  # shoal.catalog.Catalog (or anything with chat_model/embedding_model/specs)
    store: Store
    config: GatewayConfig
    auth: Authenticator
    limiter: Limiter
    metrics: Metrics
    collections: frozenset[str] = frozenset()
    guards: tuple[StoreGuard, ...] = ()  # the database's, then Redis's when counters live there
    team_limits: dict[str, Limits] = field(default_factory=dict)
    dashboard: Any = None  # shoal.gateway.dashboard.DashboardSources (eval runs, registry, costs)
    # Large requests are parsed and scanned here, off the event loop. Two threads: big scans queue
    # behind each other instead of all competing with the event loop for the interpreter at once.
    scan_pool: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="shoal-scan"))
    _specs: dict[str, ModelSpec | None] = field(default_factory=dict)

    def scopes(self, caller: Caller) -> tuple[tuple[str, Limits], ...]:
        """The (scope, limits) pairs a request of ``caller`` must fit; empty when nothing is limited."""
        out: list[tuple[str, Limits]] = []
        if caller.admin:
            return ()
        if not caller.limits.empty:
            out.append((f"key:{caller.key_id or 'anonymous'}", caller.limits))
        team = caller.principal.team
        if team is not None:
            limits = self.team_limits.get(team)
            if limits is not None and not limits.empty:
                out.append((f"team:{team}", limits))
        return tuple(out)

    async def off_loop(self, large: bool, fn: Callable[..., _T], *args: Any) -> _T:
        """``fn(*args)`` right here for a small request; in the scan pool for a large one. (The privacy
        scan's semantic stage is a table lookup, ~0.1 ms where it runs: no reason for a thread hop.)"""
        if large:
            return await asyncio.get_running_loop().run_in_executor(self.scan_pool, fn, *args)
        return fn(*args)

    def is_large(self, body_size: int) -> bool:
        """Whether a request body is big enough to be parsed and scanned off the event loop."""
        return body_size > self.config.scan_inline_bytes

    def check_scan_size(self, chars: int) -> None:
        """``ApiError(413, prompt_too_large)`` when a request has more text than the scan takes."""
        limit = self.config.max_scan_chars
        if chars > limit:
            raise ApiError(413, f"the request has {chars:,} characters of text (all messages, tool calls and "
                                f"tool definitions together); the limit is {limit:,}. Send less text per "
                                "request, e.g. split the document", code="prompt_too_large")

    def spec(self, name: str) -> ModelSpec | None:
        """The spec of a configured chat model (cached), or None if it cannot be built."""
        if name not in self._specs:
            try:
                self._specs[name] = self.catalog.chat_model(name).spec
            except Exception:  # noqa: BLE001 - only used for names and prices
                self._specs[name] = None
        return self._specs[name]

    def served_name(self, candidates: tuple[str, ...], model_id: str | None) -> str:
        """Which configured candidate a provider model id belongs to (streams report only the id)."""
        if model_id:
            for name in candidates:
                spec = self.spec(name)
                if spec is not None and (spec.model_id == model_id or name == model_id):
                    return name
            for name in candidates:  # providers often report a dated id: gpt-4o-mini-2024-07-18
                spec = self.spec(name)
                if spec is not None and model_id.startswith(spec.model_id):
                    return name
        return candidates[0]
