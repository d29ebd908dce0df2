"""The model contracts: ``ChatModel``, ``EmbeddingModel`` and the ``Provider`` plugin interface.

Adapters implement ``_complete`` / ``_stream`` / ``_embed``; the base classes add what every
model must do the same way: latency measurement, cost from the spec's pricing, the configured
name on every completion, and sync wrappers.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Literal, Protocol, TypeVar, runtime_checkable

from shoal.errors import UnsupportedRequestError
from shoal.models.types import ChatRequest, Chunk, Completion, EmbeddingResult, ModelSpec, ToolCall, Usage

T = TypeVar("T")

# What a model may be able to return beyond one answer (``ChatModel.can_return``): several choices
# to one prompt (``n > 1``, not streamed) and per-token log probabilities. Routing asks for these
# by the same names (``shoal.routing.needs``), so a request that needs one goes to a model that has it.
CHOICES = "n"
LOGPROBS = "logprobs"


def run_sync(coro: Any) -> Any:
    """Run a coroutine from sync code; refuses inside a running loop instead of deadlocking."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    raise RuntimeError("called a sync wrapper inside a running event loop; await the async method instead")


class ChatModel(ABC):
    """A chat model, reached through some provider. Async first; ``*_sync`` wrap for scripts.

    ``n > 1`` (several answers to one prompt): an adapter whose upstream returns them from one call
    says ``n_choices = "native"``; one whose calls cost only local compute (the embedded model, test
    doubles) says ``"sequential"`` and the base class makes n calls; any other refuses the request
    with a 400 (n paid calls would also pay for the prompt n times). ``logprobs`` are refused by a
    model whose ``logprobs_supported()`` is false. Neither is streamed with n > 1.
    """

    n_choices: ClassVar[Literal["native", "sequential"] | None] = None

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    def logprobs_supported(self) -> bool:
        """Whether this model can return per-token log probabilities."""
        return False

    def can_return(self) -> frozenset[str]:
        """What this model can return beyond one answer: ``CHOICES`` (n > 1, not streamed) and
        ``LOGPROBS``. The router reads it to pick a model that can; ``check_request`` enforces it."""
        return frozenset(name for name, on in ((CHOICES, self.n_choices is not None),
                                               (LOGPROBS, self.logprobs_supported())) if on)

    def check_request(self, request: ChatRequest, *, stream: bool = False) -> None:
        """Refuse (``UnsupportedRequestError``, a 400) what this model cannot do; nothing is sent."""
        if request.n > 1 and (stream or self.n_choices is None):
            how = "streamed" if stream else f"returned by model {self.spec.name!r}"
            raise UnsupportedRequestError(f"n: more than one choice cannot be {how}",
                                          hint="send n = 1 (and repeat the request)" if not stream
                                          else "use stream: false for n > 1")
        if request.logprobs and not self.logprobs_supported():
            raise UnsupportedRequestError(f"logprobs: model {self.spec.name!r} cannot return log probabilities",
                                          hint="ask a model that can (an OpenAI-compatible upstream, or the "
                                               "embedded model with options.logprobs: true), or drop logprobs")

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def locality(self) -> str:
        return self.spec.locality

    async def complete(self, request: ChatRequest) -> Completion:
        self.check_request(request)
        start = time.perf_counter()
        if request.n > 1 and self.n_choices == "sequential":
            result = await self._complete_each(request)
        else:
            result = await self._complete(request)
        latency = time.perf_counter() - start
        return replace(result, latency_s=latency, cost_usd=self.spec.pricing.cost(result.usage),
                       provider=self.spec.provider, name=self.spec.name)

    async def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        """Yield text deltas; the final chunk carries finish_reason and usage.

        Closing this stream early (a client that disconnects) closes the adapter's stream at
        once, which cancels the upstream HTTP call or stops local generation.
        """
        self.check_request(request, stream=True)
        inner = self._stream(request)
        try:
            async for chunk in inner:
                yield chunk
        finally:
            aclose = getattr(inner, "aclose", None)
            if aclose is not None:
                await aclose()

    def complete_sync(self, request: ChatRequest) -> Completion:
        result: Completion = run_sync(self.complete(request))
        return result

    def stream_sync(self, request: ChatRequest) -> Iterator[Chunk]:
        """Blocking iteration over ``stream()`` on a private event loop."""
        loop = asyncio.new_event_loop()
        agen = self.stream(request).__aiter__()
        try:
            while True:
                try:
                    yield loop.run_until_complete(agen.__anext__())
                except StopAsyncIteration:
                    break
        finally:
            loop.run_until_complete(agen.aclose())  # type: ignore[attr-defined]
            loop.run_until_complete(self.aclose())
            loop.close()

    async def aclose(self) -> None:
        """Release connections; the model may be used again afterwards (clients are re-created)."""

    async def _complete_each(self, request: ChatRequest) -> Completion:
        """``n`` answers from ``n`` calls, one after the other; usage adds up (each call reads the prompt)."""
        one = replace(request, n=1)
        results = [await self._complete(one) for _ in range(request.n)]
        first = results[0]
        usage = sum((r.usage for r in results[1:]), first.usage)
        return replace(first, usage=usage, more=tuple(r.choices[0] for r in results[1:]))

    @abstractmethod
    async def _complete(self, request: ChatRequest) -> Completion: ...

    @abstractmethod
    def _stream(self, request: ChatRequest) -> AsyncIterator[Chunk]: ...

    def cost(self, usage: Usage) -> float:
        return self.spec.pricing.cost(usage)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.spec.name!r} ({self.spec.provider}:{self.spec.model_id})>"


async def collect_stream(stream: AsyncIterator[Chunk], model: str) -> Completion:
    """Turn a stream into a Completion — for adapters whose complete() is built on stream()."""
    parts: list[str] = []
    usage = Usage()
    finish: str = "stop"
    served = model
    tool_calls: tuple[ToolCall, ...] = ()
    async for chunk in stream:
        parts.append(chunk.delta)
        if chunk.usage is not None:
            usage = chunk.usage
        if chunk.finish_reason:
            finish = chunk.finish_reason
        if chunk.model:
            served = chunk.model
        if chunk.tool_calls:
            tool_calls = chunk.tool_calls
    return Completion(text="".join(parts), model=served, finish_reason=finish, usage=usage,
                      tool_calls=tool_calls)


class EmbeddingModel(ABC):
    """Turns texts into vectors."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    async def embed(self, texts: Sequence[str]) -> EmbeddingResult:
        start = time.perf_counter()
        result = await self._embed(list(texts))
        return replace(result, latency_s=time.perf_counter() - start,
                       cost_usd=self.spec.pricing.cost(result.usage))

    def embed_sync(self, texts: Sequence[str]) -> EmbeddingResult:
        result: EmbeddingResult = run_sync(self.embed(texts))
        return result

    async def aclose(self) -> None:
        """Release connections."""

    @abstractmethod
    async def _embed(self, texts: list[str]) -> EmbeddingResult: ...


@runtime_checkable
class Provider(Protocol):
    """A provider plugin, registered under the entry-point group ``shoal.providers``.

    ``name`` is the value users write as ``provider:`` in shoal.yaml. ``default_locality`` is used
    when config does not say; ``default_base_url`` when the model has none.
    """

    name: str
    default_locality: str
    default_base_url: str | None
    api_key_env: str | None  # the conventional environment variable, named in errors

    def chat_model(self, spec: ModelSpec) -> ChatModel: ...

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel: ...
