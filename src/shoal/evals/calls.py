"""Model calls made by a run: through the response cache, under the budget cap and the
concurrency limit. The only place in evals that spends money."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from shoal.catalog import Catalog
from shoal.evals.cache import ResponseCache, cache_key
from shoal.models.types import ChatRequest, Completion, ModelSpec, Usage

# When a request has no max_tokens, assume this many output tokens when reserving budget.
DEFAULT_OUTPUT_ESTIMATE = 1024


def estimate_cost(spec: ModelSpec, request: ChatRequest) -> float:
    """A deliberately high estimate (≈3 characters per token), so reservations rarely undershoot."""
    prompt_tokens = sum(len(m.text) for m in request.messages) // 3 + 8 * len(request.messages)
    out = request.max_tokens or int(spec.options.get("max_tokens", DEFAULT_OUTPUT_ESTIMATE))
    return spec.pricing.cost(Usage(prompt_tokens, out))


class Budget:
    """Money left for fresh calls. A call reserves its estimate first; a call that would not fit is
    skipped, so concurrent calls cannot jointly overshoot the cap by more than estimates err."""

    def __init__(self, limit_usd: float | None) -> None:
        self.limit = limit_usd
        self.spent = 0.0
        self.reserved = 0.0
        self.exhausted = False

    def reserve(self, estimate: float) -> bool:
        if self.limit is None:
            return True
        if self.exhausted or self.spent + self.reserved + estimate > self.limit + 1e-12:
            self.exhausted = True  # once one call is refused, later ones are too: a clean cut
            return False
        self.reserved += estimate
        return True

    def settle(self, estimate: float, actual: float) -> None:
        if self.limit is not None:
            self.reserved -= estimate
        self.spent += actual


@dataclass(frozen=True, slots=True)
class CallOutcome:
    completion: Completion | None  # None: skipped because of the budget cap
    cached: bool = False

    @property
    def skipped(self) -> bool:
        return self.completion is None


class CallService:
    """Cache → budget → semaphore → model. Counts fresh calls (what a repeated run must not make)."""

    def __init__(self, catalog: Catalog, cache: ResponseCache, budget: Budget, concurrency: int) -> None:
        self.catalog = catalog
        self.cache = cache
        self.budget = budget
        self.semaphore = asyncio.Semaphore(concurrency)
        self.fresh_calls = 0
        self.cache_hits = 0

    async def call(self, model_name: str, request: ChatRequest, sample: int) -> CallOutcome:
        model = self.catalog.chat_model(model_name)
        key = cache_key(model.spec, request, sample)
        hit = self.cache.get(key)
        if hit is not None:
            self.cache_hits += 1
            return CallOutcome(hit.completion(model.spec), cached=True)
        estimate = estimate_cost(model.spec, request)
        if not self.budget.reserve(estimate):
            return CallOutcome(None)
        actual = 0.0
        try:
            async with self.semaphore:
                self.fresh_calls += 1
                completion = await model.complete(request)
            actual = completion.cost_usd
        finally:
            self.budget.settle(estimate, actual)
        self.cache.put(key, completion)
        return CallOutcome(completion)
