"""StoreGuard: a deadline and a circuit breaker around store calls."""

from __future__ import annotations

import asyncio
import logging

import pytest

from shoal.gateway import storecall
from shoal.gateway.storecall import StoreGuard
from shoal.store.backend import StoreUnavailableError


class _Down(ConnectionError):
    pass


def _guard() -> StoreGuard:
    return StoreGuard("the test store", timeout_s=1.0, retry_s=0.0,
                      is_transient=lambda exc: isinstance(exc, ConnectionError))


def _fail() -> None:
    raise _Down("connection reset")


def _missing() -> None:
    raise KeyError("no such key")


async def test_a_transient_failure_opens_the_breaker_and_a_success_closes_it() -> None:
    guard = _guard()
    with pytest.raises(StoreUnavailableError):
        await guard.call(_fail)
    assert not guard.up
    assert await guard.call(lambda: 42) == 42
    assert guard.up


async def test_an_error_that_is_an_answer_closes_the_breaker() -> None:
    """"Not found" comes from a store that is up: the probe that gets it ends the outage."""
    guard = _guard()
    with pytest.raises(StoreUnavailableError):
        await guard.call(_fail)
    with pytest.raises(KeyError):
        await guard.call(_missing)
    assert guard.up


async def test_an_open_breaker_fails_fast_until_the_next_probe() -> None:
    guard = StoreGuard("the test store", timeout_s=1.0, retry_s=60.0,
                       is_transient=lambda exc: isinstance(exc, ConnectionError))
    with pytest.raises(StoreUnavailableError):
        await guard.call(_fail)
    calls: list[int] = []
    with pytest.raises(StoreUnavailableError):
        await guard.call(lambda: calls.append(1))
    assert calls == []  # not run: the breaker answered


async def test_a_long_outage_is_logged_again_with_its_latest_error(caplog: pytest.LogCaptureFixture,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storecall, "_REPORT_EVERY_S", 0.0)
    guard = _guard()
    with caplog.at_level(logging.ERROR, logger="shoal.gateway"):
        for _ in range(2):
            with pytest.raises(StoreUnavailableError):
                await guard.call(_fail)
            await asyncio.sleep(0)
    messages = [r.getMessage() for r in caplog.records]
    assert any("is unavailable" in m for m in messages)
    assert any("still unavailable" in m and "_Down" in m for m in messages)
