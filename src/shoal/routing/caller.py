"""Calls a decision's models in order: timeouts, retries with backoff, circuit breakers, fallbacks.

Safety first: a sensitive request is only ever handed to a ``self_hosted`` model. The policy already
filters the chain; this module checks again (defence in depth) — the whole chain before the first
call and each model right before its call — and raises ``PolicyRefusedError`` rather than send.
When every allowed model fails, a sensitive request is refused, never retried elsewhere.

Retries: per model, up to ``retries.max_attempts`` for transient errors (rate limit, timeout,
unavailable, malformed response), waiting ``Retry-After`` when the provider gives one (up to
``max_retry_after_s``; longer waits move on to the next model) and exponential backoff otherwise.
Errors that another model may not have (context length, bad request, auth, not found) move on at
once, and so does a model that cannot serve the request at all (``check_request``: n > 1 or
logprobs it cannot return — the policy normally drops it first), without a call or a breaker
verdict. Streaming falls back only before the first chunk; after that, errors reach the caller.

Which model served, and every attempt, is reported through ``on_attempt`` and ``CallRecord``
(``complete_recorded`` / ``stream_recorded``) for the request log; ``Completion.name`` is the
configured name that served.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from shoal import errors
from shoal.catalog import Catalog
from shoal.models.base import ChatModel
from shoal.models.types import ChatRequest, Chunk, Completion, ImagePart, Message, TextPart, ToolCall
from shoal.routing.breaker import CircuitBreakers
from shoal.routing.config import RoutingConfig
from shoal.routing.types import Attempt, CallRecord, Decision

if TYPE_CHECKING:
    from shoal.privacy.redact import Pseudonymizer, StreamRestorer

__all__ = ["Attempt", "CallRecord", "FallbackCaller"]

# Transient: the same model may succeed on a retry.
_RETRYABLE = (errors.RateLimitError, errors.ProviderTimeoutError, errors.UnavailableError,
              errors.MalformedResponseError)
# Say nothing about the model's health (the request is the problem): no breaker verdict.
_NEUTRAL = (errors.BadRequestError, errors.ContextLengthError, errors.ContentBlockedError)


class FallbackCaller:
    """Implements ``shoal.pipeline.Caller``."""

    def __init__(self, catalog: Catalog, config: RoutingConfig, *, breakers: CircuitBreakers | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                 on_attempt: Callable[[Attempt], None] | None = None) -> None:
        self.catalog = catalog
        self.config = config
        self.breakers = breakers or CircuitBreakers(config.circuit_breaker, clock=clock)
        self.clock = clock
        self.sleep = sleep
        self.on_attempt = on_attempt

    # --- safety ----------------------------------------------------------------------------------

    def _model(self, name: str, decision: Decision) -> ChatModel:
        """The model instance, refusing an external one for a sensitive request."""
        model = self.catalog.chat_model(name)
        if decision.sensitivity.is_sensitive and model.spec.locality != "self_hosted":
            raise errors.PolicyRefusedError(
                f"refused: {name!r} is {model.spec.locality} and the request is sensitive; "
                "nothing was sent", reasons=[*decision.reasons, f"privacy:refused-external({name})"],
                hint="this is a policy bug if the decision came from shoal.routing.policy; please report it")
        return model

    def _check_chain(self, decision: Decision) -> None:
        if decision.sensitivity.is_sensitive:
            for name in decision.candidates:
                self._model(name, decision)

    def _unsupported(self, record: CallRecord, name: str, model: ChatModel, request: ChatRequest, *,
                     stream: bool) -> errors.UnsupportedRequestError | None:
        """The model's refusal of what it cannot return (noted as an attempt; nothing is sent)."""
        try:
            model.check_request(request, stream=stream)
        except errors.UnsupportedRequestError as exc:
            self._note(record, Attempt(name, 1, "refused", type(exc).__name__, exc.message))
            return exc
        return None

    def _all_failed(self, decision: Decision, record: CallRecord, last: BaseException | None) -> BaseException:
        tried = _tried(record)
        if isinstance(last, errors.UnsupportedRequestError) and all(
                a.error == "UnsupportedRequestError" for a in record.attempts):
            # No candidate can return what was asked: that is the reason (privacy is not), one
            # model's own words, or each candidate's.
            if len(record.attempts) == 1:
                return last
            return errors.UnsupportedRequestError(
                f"no candidate model can serve this request: "
                f"{'; '.join(a.detail or a.model for a in record.attempts)}",
                reasons=[*decision.reasons, "unsupported:no-capable-model"], hint=last.hint)
        if decision.sensitivity.is_sensitive:
            if isinstance(last, (*_NEUTRAL, errors.UnsupportedRequestError)):
                # The request itself is the problem (too long, not supported): say so — another
                # model would fail the same way, so privacy is not why it was not served.
                return last
            return errors.PolicyRefusedError(
                f"refused: no self-hosted model could serve this sensitive request (tried: {tried}); "
                "it was not sent to any external model",
                reasons=[*decision.reasons, "privacy:refused(self-hosted-unavailable)"],
                hint="retry when the self-hosted model is back, or add another self_hosted model to "
                     "routing.privacy.models")
        if last is not None:
            return last
        return errors.UnavailableError(f"every model is unavailable (circuit open): {tried}", provider="shoal",
                                       hint="wait for the circuit breakers' cooldown, or add fallbacks")

    # --- bookkeeping -----------------------------------------------------------------------------

    def _note(self, record: CallRecord, attempt: Attempt) -> None:
        record.attempts.append(attempt)
        if self.on_attempt is not None:
            self.on_attempt(attempt)

    def _timeout(self, model: ChatModel) -> float:
        return self.config.timeout_s or model.spec.timeout_s

    def _delay(self, exc: BaseException, attempt: int) -> float | None:
        """Seconds to wait before retrying the same model; None = move on to the next model."""
        if not isinstance(exc, _RETRYABLE) or attempt >= self.config.retries.max_attempts:
            return None
        r = self.config.retries
        if isinstance(exc, errors.RateLimitError) and exc.retry_after is not None:
            return exc.retry_after if exc.retry_after <= r.max_retry_after_s else None
        return min(r.max_backoff_s, r.backoff_s * r.multiplier ** (attempt - 1))

    def _verdict(self, name: str, exc: BaseException) -> None:
        if isinstance(exc, _NEUTRAL):
            self.breakers.release(name)
        else:
            self.breakers.record_failure(name)

    def _redactor(self, decision: Decision, model: ChatModel) -> Pseudonymizer | None:
        """A pseudonymizer when this route or model is in redact mode and the model is external."""
        if (model.spec.locality == "self_hosted" or not decision.sensitivity.spans
                or not ({decision.route, model.name} & set(self.config.redact))):
            return None
        from shoal.privacy.redact import Pseudonymizer

        return Pseudonymizer()

    # --- complete --------------------------------------------------------------------------------

    def _failed(self, record: CallRecord, name: str, number: int, model: ChatModel, exc: BaseException,
                start: float, *, retry: bool = True) -> tuple[errors.ProviderError, float | None]:
        """Judge a failed attempt: breaker verdict, backoff (None = move on) and the attempt log."""
        err = _as_provider_error(exc, model)
        self._verdict(name, err)
        delay = self._delay(err, number) if retry else None
        self._note(record, Attempt(name, number, "error", type(err).__name__, err.message,
                                   self.clock() - start, delay or 0.0))
        return err, delay

    async def complete(self, decision: Decision, request: ChatRequest) -> Completion:
        completion, _ = await self.complete_recorded(decision, request)
        return completion

    async def complete_recorded(self, decision: Decision, request: ChatRequest) -> tuple[Completion, CallRecord]:
        record = CallRecord()
        self._check_chain(decision)
        last: BaseException | None = None
        for name in decision.candidates:
            model = self._model(name, decision)
            redactor = self._redactor(decision, model)
            outgoing = _pseudonymise(request, decision, redactor) if redactor else request
            if (refused := self._unsupported(record, name, model, outgoing, stream=False)) is not None:
                last = refused
                continue
            for number in range(1, self.config.retries.max_attempts + 1):
                if not self.breakers.acquire(name):
                    self._note(record, Attempt(name, number, "circuit_open"))
                    break
                self._model(name, decision)  # re-checked right before the call
                start = self.clock()
                try:
                    # asyncio.timeout, not wait_for: no extra task per call (gateway hot path)
                    async with asyncio.timeout(self._timeout(model)):
                        result = await model.complete(outgoing)
                except (errors.ProviderError, TimeoutError) as exc:
                    last, delay = self._failed(record, name, number, model, exc, start)
                    if delay is None:
                        break
                    await self.sleep(delay)
                    continue
                except BaseException:
                    self.breakers.release(name)
                    raise
                self.breakers.record_success(name)
                self._note(record, Attempt(name, number, "ok", latency_s=self.clock() - start))
                record.served = name
                if redactor is not None:
                    record.redacted = True
                    result = replace(result, text=redactor.restore(result.text),
                                     tool_calls=_restore_calls(result.tool_calls, redactor))
                return (result if result.name else replace(result, name=name)), record
        raise self._all_failed(decision, record, last)

    # --- stream ----------------------------------------------------------------------------------

    def stream(self, decision: Decision, request: ChatRequest) -> AsyncIterator[Chunk]:
        return self.stream_recorded(decision, request, CallRecord())

    async def stream_recorded(self, decision: Decision, request: ChatRequest,
                              record: CallRecord) -> AsyncIterator[Chunk]:
        """Like ``stream``; ``record`` is filled in as attempts happen (``served`` set on the first chunk)."""
        self._check_chain(decision)
        last: BaseException | None = None
        for name in decision.candidates:
            model = self._model(name, decision)
            redactor = self._redactor(decision, model)
            outgoing = _pseudonymise(request, decision, redactor) if redactor else request
            if (refused := self._unsupported(record, name, model, outgoing, stream=True)) is not None:
                last = refused
                continue
            for number in range(1, self.config.retries.max_attempts + 1):
                if not self.breakers.acquire(name):
                    self._note(record, Attempt(name, number, "circuit_open"))
                    break
                self._model(name, decision)
                start = self.clock()
                source = model.stream(outgoing).__aiter__()
                restorer = redactor.stream_restorer() if redactor else None
                yielded = False
                settled = False
                finished = False
                try:
                    while True:
                        try:
                            async with asyncio.timeout(self._timeout(model)):  # no task per chunk
                                chunk = await source.__anext__()
                        except StopAsyncIteration:
                            finished = True
                            break
                        if restorer is not None and redactor is not None:
                            chunk = _restore_chunk(chunk, restorer)
                            if chunk.tool_calls:
                                chunk = replace(chunk, tool_calls=_restore_calls(chunk.tool_calls, redactor))
                        if not yielded:
                            yielded = True
                            record.served = name
                            record.redacted = restorer is not None
                        yield chunk
                except (errors.ProviderError, TimeoutError) as exc:
                    settled = True
                    # Once the client has part of this answer there is no silent switch: no retry.
                    last, delay = self._failed(record, name, number, model, exc, start, retry=not yielded)
                    if yielded:
                        raise last from None
                    if delay is None:
                        break
                    await self.sleep(delay)
                    continue
                finally:
                    if not settled and not finished:  # cancelled or closed early: no verdict
                        self.breakers.release(name)
                    await _aclose(source)
                if not yielded:
                    record.served = name
                self.breakers.record_success(name)
                self._note(record, Attempt(name, number, "ok", latency_s=self.clock() - start))
                return
        raise self._all_failed(decision, record, last)


# What a failed attempt is called in a client-visible message (no URLs, hosts or upstream bodies).
_PLAIN = {"RateLimitError": "rate limited", "ProviderTimeoutError": "timed out", "UnavailableError": "unavailable",
          "ProviderConnectionError": "unreachable", "MalformedResponseError": "malformed response",
          "ContextLengthError": "prompt too long for its context window", "BadRequestError": "rejected the request",
          "ContentBlockedError": "content blocked", "AuthenticationError": "not authorised (server credentials)",
          "PermissionDeniedError": "not authorised (server credentials)", "ModelNotFoundError": "model not found",
          "NetworkBlockedError": "network blocked", "UnsupportedRequestError": "cannot serve this request"}


def _tried(record: CallRecord) -> str:
    """``local (attempt 1): unavailable; local (attempt 2): circuit open`` — what was tried and why it failed."""
    out = []
    for a in record.attempts:
        why = "circuit open" if a.outcome == "circuit_open" else _PLAIN.get(a.error or "", "failed")
        out.append(f"{a.model} (attempt {a.number}): {why}")
    return "; ".join(out) or "nothing"


def _as_provider_error(exc: BaseException, model: ChatModel) -> errors.ProviderError:
    if isinstance(exc, errors.ProviderError):
        return exc
    return errors.ProviderTimeoutError(f"no answer within {model.spec.timeout_s:g} s (routing timeout)",
                                       provider=model.spec.provider, model=model.spec.model_id)


async def _aclose(source: AsyncIterator[Chunk]) -> None:
    close = getattr(source, "aclose", None)
    if close is not None:
        await close()


def _restore_chunk(chunk: Chunk, restorer: StreamRestorer) -> Chunk:
    text = restorer.feed(chunk.delta) if chunk.delta else ""
    if chunk.finish_reason is not None:
        text += restorer.flush()
    return replace(chunk, delta=text)


def _pseudonymise(request: ChatRequest, decision: Decision, redactor: Pseudonymizer) -> ChatRequest:
    """Replace every detected value (whole-word) in every field of the request with its placeholder.

    Spans are offsets into the scanned text (``request_text``: all fields, normalised), so values
    are replaced by text, not offset, everywhere the model would read them — message text and text
    parts, names, tool-call arguments, tool results, tool definitions — which also catches repeats
    the scanner reported once.
    """
    values = sorted({(s.text, s.entity_type) for s in decision.sensitivity.spans if s.text.strip()},
                    key=lambda v: -len(v[0]))
    if not values:
        return request
    for value, entity in values:
        redactor.placeholder_for(entity, value)
    lookup = {v: redactor.placeholder_for(e, v) for v, e in values}
    rx = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(v) for v, _ in values) + r")(?!\w)")

    def sub(text: str) -> str:
        return rx.sub(lambda m: lookup[m.group()], text)

    messages: list[Message] = []
    for m in request.messages:
        if isinstance(m.content, str):
            content: str | tuple[TextPart | ImagePart, ...] = sub(m.content)
        else:
            content = tuple(TextPart(sub(p.text)) if isinstance(p, TextPart) else p for p in m.content
                            if isinstance(p, (TextPart, ImagePart)))
        calls = tuple(replace(c, arguments=sub(c.arguments)) for c in m.tool_calls)
        messages.append(replace(m, content=content, name=sub(m.name) if m.name else m.name, tool_calls=calls))
    tools = tuple(_sub_strings(t, sub) for t in request.tools)
    return replace(request, messages=tuple(messages), tools=tools)


def _sub_strings(value: Any, sub: Callable[[str], str]) -> Any:
    """``value`` (JSON-shaped) with ``sub`` applied to every string in it."""
    if isinstance(value, str):
        return sub(value)
    if isinstance(value, dict):
        return {k: _sub_strings(v, sub) for k, v in value.items()}
    if isinstance(value, list):
        return [_sub_strings(v, sub) for v in value]
    return value


def _restore_calls(calls: tuple[ToolCall, ...], redactor: Pseudonymizer) -> tuple[ToolCall, ...]:
    """Tool calls of an answer with the originals back in their arguments (the caller runs the tool)."""
    return tuple(replace(c, arguments=redactor.restore(c.arguments)) for c in calls)
