"""FallbackCaller: retries, Retry-After, circuit breakers, timeouts, streaming fallback rules, redaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from shoal import errors
from shoal.models.base import ChatModel
from shoal.models.testing import ScriptedChatModel, spec_for
from shoal.models.types import ChatRequest, Chunk, Completion, Message, ToolCall
from shoal.privacy.types import Sensitivity, Span
from shoal.routing.breaker import CircuitBreakers
from shoal.routing.caller import Attempt, CallRecord, FallbackCaller
from shoal.routing.types import Decision
from tests.routing.conftest import make_catalog, routing_of, scripted

REQ = ChatRequest.of("hello")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Sleeps:
    """Injectable sleep: records the delays and advances the fake clock instead of waiting."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.delays: list[float] = []
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.clock is not None:
            self.clock.now += seconds


class MidStreamFailure(ChatModel):
    """Streams ``words`` then fails: the provider dropped the connection mid-answer."""

    def __init__(self, words: list[str]) -> None:
        super().__init__(spec_for("midstream"))
        self.words = words
        self.requests: list[ChatRequest] = []

    async def _complete(self, request: ChatRequest) -> Completion:
        raise NotImplementedError

    async def _stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        self.requests.append(request)
        for w in self.words:
            yield Chunk(delta=w)
        raise errors.ProviderConnectionError("connection reset", provider="testing")


def unavailable() -> errors.UnavailableError:
    return errors.UnavailableError("down", provider="testing")


def caller(models: dict[str, tuple[str, ChatModel]], routing: dict[str, Any] | None = None,
           clock: Clock | None = None) -> tuple[FallbackCaller, Sleeps, list[Attempt]]:
    catalog = make_catalog(models, routing)
    sleeps = Sleeps(clock)
    seen: list[Attempt] = []
    c = FallbackCaller(catalog, routing_of(catalog), clock=clock or Clock(), sleep=sleeps,
                       on_attempt=seen.append)
    return c, sleeps, seen


async def test_retries_with_exponential_backoff_then_falls_back() -> None:
    a, b = scripted([unavailable()]), scripted(["from b"])
    c, sleeps, seen = caller({"a": ("external", a), "b": ("external", b)},
                             {"retries": {"max_attempts": 3, "backoff_s": 0.5, "multiplier": 2}})
    result, record = await c.complete_recorded(Decision("a", ("b",)), REQ)
    assert result.text == "from b" and result.name == "b" and record.served == "b"
    assert sleeps.delays == [0.5, 1.0]  # after attempts 1 and 2; the third failure moves on
    assert [(x.model, x.number, x.outcome) for x in record.attempts] == [
        ("a", 1, "error"), ("a", 2, "error"), ("a", 3, "error"), ("b", 1, "ok")]
    assert seen == record.attempts
    assert len(a.requests) == 3 and len(b.requests) == 1


async def test_retry_after_is_honoured_and_long_waits_move_on() -> None:
    limited = errors.RateLimitError("slow down", provider="testing", retry_after=2.5)
    a = scripted([limited, "second try"])
    c, sleeps, _ = caller({"a": ("external", a)}, {"retries": {"max_attempts": 2, "backoff_s": 0.1}})
    assert (await c.complete(Decision("a"), REQ)).text == "second try"
    assert sleeps.delays == [2.5]

    too_long = errors.RateLimitError("slow down", provider="testing", retry_after=120)
    a2, b2 = scripted([too_long]), scripted(["b"])
    c, sleeps, _ = caller({"a": ("external", a2), "b": ("external", b2)},
                          {"retries": {"max_attempts": 3, "max_retry_after_s": 30}})
    assert (await c.complete(Decision("a", ("b",)), REQ)).text == "b"
    assert sleeps.delays == [] and len(a2.requests) == 1


async def test_non_transient_errors_skip_retries() -> None:
    a = scripted([errors.ContextLengthError("too long", provider="testing")])
    b = scripted(["b"])
    c, sleeps, _ = caller({"a": ("external", a), "b": ("external", b)}, {"retries": {"max_attempts": 5}})
    assert (await c.complete(Decision("a", ("b",)), REQ)).text == "b"
    assert len(a.requests) == 1 and sleeps.delays == []
    assert c.breakers.state("a") == "closed"  # the request was the problem, not the model


async def test_all_failing_raises_the_last_provider_error() -> None:
    c, _, _ = caller({"a": ("external", scripted([unavailable()])),
                      "b": ("external", scripted([errors.AuthenticationError("bad key", provider="testing")]))},
                     {"retries": {"max_attempts": 1}})
    with pytest.raises(errors.AuthenticationError):
        await c.complete(Decision("a", ("b",)), REQ)


async def test_timeout_falls_back() -> None:
    slow, fast = scripted(["slow"], delay_s=5.0), scripted(["fast"])
    c, _, _ = caller({"slow": ("external", slow), "fast": ("external", fast)},
                     {"timeout_s": 0.05, "retries": {"max_attempts": 1}})
    result, record = await c.complete_recorded(Decision("slow", ("fast",)), REQ)
    assert result.text == "fast"
    assert record.attempts[0].error == "ProviderTimeoutError"


def test_circuit_breaker_transitions() -> None:
    clock = Clock()
    from shoal.routing.config import CircuitBreakerConfig

    br = CircuitBreakers(CircuitBreakerConfig(failure_threshold=2, cooldown_s=10), clock=clock)
    assert br.acquire("m") and br.state("m") == "closed"
    br.record_failure("m")
    assert br.state("m") == "closed"
    br.record_success("m")  # success resets the count
    br.record_failure("m")
    assert br.state("m") == "closed"
    br.record_failure("m")
    assert br.state("m") == "open" and not br.acquire("m") and not br.is_available("m")
    clock.now = 9.9
    assert br.state("m") == "open"
    clock.now = 10.0
    assert br.state("m") == "half_open" and br.is_available("m")
    assert br.acquire("m")  # the one trial call
    assert not br.acquire("m") and not br.is_available("m")  # nobody else while it runs
    br.record_failure("m")  # trial failed: open for another cooldown
    assert br.state("m") == "open"
    clock.now = 20.0
    assert br.acquire("m")
    br.record_success("m")
    assert br.state("m") == "closed" and br.acquire("m")


async def test_open_circuit_is_skipped_without_calling() -> None:
    clock = Clock()
    a, b = scripted([unavailable()]), scripted(["b"])
    c, _, _ = caller({"a": ("external", a), "b": ("external", b)},
                     {"retries": {"max_attempts": 1}, "circuit_breaker": {"failure_threshold": 2, "cooldown_s": 30}},
                     clock)
    for _ in range(2):
        await c.complete(Decision("a", ("b",)), REQ)
    assert c.breakers.state("a") == "open" and len(a.requests) == 2
    _, record = await c.complete_recorded(Decision("a", ("b",)), REQ)
    assert record.attempts[0].outcome == "circuit_open" and len(a.requests) == 2
    clock.now = 31
    a.responses = ["a is back"]
    a._index = 0
    assert (await c.complete(Decision("a", ("b",)), REQ)).text == "a is back"
    assert c.breakers.state("a") == "closed"


async def test_stream_falls_back_before_the_first_chunk() -> None:
    a, b = scripted([unavailable()]), scripted(["one two three"])
    c, _, _ = caller({"a": ("external", a), "b": ("external", b)}, {"retries": {"max_attempts": 1}})
    record = CallRecord()
    chunks = [ch async for ch in c.stream_recorded(Decision("a", ("b",)), REQ, record)]
    assert "".join(ch.delta for ch in chunks) == "one two three"
    assert record.served == "b" and [x.outcome for x in record.attempts] == ["error", "ok"]


async def test_stream_error_after_first_chunk_propagates() -> None:
    broken, b = MidStreamFailure(["partial ", "answer"]), scripted(["never"])
    c, sleeps, _ = caller({"broken": ("external", broken), "b": ("external", b)}, {"retries": {"max_attempts": 3}})
    got: list[str] = []
    with pytest.raises(errors.ProviderConnectionError):
        async for ch in c.stream(Decision("broken", ("b",)), REQ):
            got.append(ch.delta)
    assert got == ["partial ", "answer"]
    assert b.requests == [] and len(broken.requests) == 1 and sleeps.delays == []


# --- redact mode -----------------------------------------------------------------------------------

INTERNAL = Sensitivity("internal", ("pii:EMAIL_ADDRESS",), (Span(9, 25, "EMAIL_ADDRESS", "dana@examplemail.com"),))
PII_REQ = ChatRequest.of("write to dana@examplemail.com about dana@examplemail.com")


async def test_redact_mode_pseudonymises_for_external_and_restores() -> None:
    ext = ScriptedChatModel(None, echo=True)
    c, _, _ = caller({"ext": ("external", ext)}, {"redact": ["router"]})
    result, record = await c.complete_recorded(Decision("ext", sensitivity=INTERNAL, route="router"), PII_REQ)
    sent = ext.requests[0].prompt_text
    assert "dana@examplemail.com" not in sent and sent.count("[EMAIL_ADDRESS_1]") == 2
    assert result.text == PII_REQ.prompt_text and record.redacted
    chunks = [ch.delta async for ch in c.stream(Decision("ext", sensitivity=INTERNAL, route="router"), PII_REQ)]
    assert "".join(chunks) == PII_REQ.prompt_text
    assert "dana@examplemail.com" not in ext.requests[1].prompt_text


async def test_redact_mode_covers_every_field_and_restores_tool_calls() -> None:
    request = ChatRequest(messages=(
        Message("user", "hi", name="dana@examplemail.com"),
        Message("assistant", "", tool_calls=(ToolCall("c1", "mail", '{"to": "dana@examplemail.com"}'),)),
        Message("tool", "sent to dana@examplemail.com", tool_call_id="c1")),
        tools=({"type": "function", "function": {"name": "mail", "description": "mail dana@examplemail.com",
                                                 "parameters": {"type": "object"}}},))
    answer = Completion("", "m", tool_calls=(ToolCall("c2", "mail", '{"to": "[EMAIL_ADDRESS_1]"}'),))
    ext = ScriptedChatModel(None, [answer])
    c, _, _ = caller({"ext": ("external", ext)}, {"redact": ["router"]})
    result, _ = await c.complete_recorded(Decision("ext", sensitivity=INTERNAL, route="router"), request)
    assert "dana@examplemail.com" not in repr(ext.requests[0])
    assert result.tool_calls[0].arguments == '{"to": "dana@examplemail.com"}'


async def test_redact_mode_off_for_other_routes_and_self_hosted() -> None:
    ext, loc = ScriptedChatModel(None, echo=True), ScriptedChatModel(None, echo=True)
    c, _, _ = caller({"ext": ("external", ext), "loc": ("self_hosted", loc)}, {"redact": ["router"]})
    await c.complete(Decision("ext", sensitivity=INTERNAL, route="pinned"), PII_REQ)
    await c.complete(Decision("loc", sensitivity=INTERNAL, route="router"), PII_REQ)
    assert "dana@examplemail.com" in ext.requests[0].prompt_text
    assert "dana@examplemail.com" in loc.requests[0].prompt_text
