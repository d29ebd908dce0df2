"""Per-model circuit breakers: stop calling a model that keeps failing, try it again after a cooldown.

closed → (``failure_threshold`` consecutive failures) → open → (``cooldown_s`` elapsed) → half-open:
one trial call is let through; success closes the circuit, failure re-opens it for another cooldown.
State lives in the process (each gateway replica learns on its own, which is what a breaker wants:
it protects this process's latency). The clock is injectable so tests need no sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from shoal.routing.config import CircuitBreakerConfig

State = Literal["closed", "open", "half_open"]


@dataclass(slots=True)
class _Circuit:
    failures: int = 0
    opened_at: float | None = None
    trial_in_flight: bool = False


class CircuitBreakers:
    """The breakers of every model, keyed by model name."""

    def __init__(self, config: CircuitBreakerConfig | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config or CircuitBreakerConfig()
        self.clock = clock
        self._circuits: dict[str, _Circuit] = {}

    def _circuit(self, model: str) -> _Circuit:
        return self._circuits.setdefault(model, _Circuit())

    def state(self, model: str) -> State:
        c = self._circuits.get(model)
        if c is None or c.opened_at is None:
            return "closed"
        if self.clock() - c.opened_at >= self.config.cooldown_s:
            return "half_open"
        return "open"

    def is_available(self, model: str) -> bool:
        """Whether a call may be attempted now (no side effect; for the policy's health view)."""
        state = self.state(model)
        return state == "closed" or (state == "half_open" and not self._circuit(model).trial_in_flight)

    def acquire(self, model: str) -> bool:
        """Reserve a call. In half-open state only one trial call at a time gets through."""
        state = self.state(model)
        if state == "closed":
            return True
        if state == "open":
            return False
        c = self._circuit(model)
        if c.trial_in_flight:
            return False
        c.trial_in_flight = True
        return True

    def record_success(self, model: str) -> None:
        c = self._circuit(model)
        c.failures = 0
        c.opened_at = None
        c.trial_in_flight = False

    def record_failure(self, model: str) -> None:
        c = self._circuit(model)
        c.failures += 1
        if c.trial_in_flight or c.failures >= self.config.failure_threshold:
            c.opened_at = self.clock()
        c.trial_in_flight = False

    def release(self, model: str) -> None:
        """Give back a reservation without a verdict (the call was cancelled, or failed for a reason that
        says nothing about the model's health, such as a bad request)."""
        self._circuit(model).trial_in_flight = False

    def snapshot(self) -> dict[str, State]:
        return {name: self.state(name) for name in self._circuits}
