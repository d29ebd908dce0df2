"""Test doubles that ship with Shoal: a scripted chat model and a deterministic embedding model.

Use them in your own tests, or from config with ``provider: testing``::

    models:
      fake:
        provider: testing
        options:
          responses: ["first answer", "second answer"]   # cycled; or
          echo: true                                     # answer with the last user message
          echo: history                                  # ... with every user message, " | "-joined
          delay_s: 0.01                                  # per streamed chunk
          fail_with: unavailable                         # raise this error on every call
          logprobs: true                                 # say it can return log probabilities
          one_choice: true                               # like a paid API: no n > 1

Every request a ``ScriptedChatModel`` receives is kept in ``.requests`` so tests can assert
what was sent (for instance: that a sensitive prompt never reached an external model).
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace
from typing import Any, ClassVar, Literal

from shoal import errors
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.types import ChatRequest, Chunk, Completion, EmbeddingResult, ModelSpec, TokenLogprob, Usage

Script = str | Completion | BaseException | Callable[[ChatRequest], "str | Completion"]

_FAILURES: dict[str, type[errors.ProviderError]] = {
    "authentication": errors.AuthenticationError,
    "permission": errors.PermissionDeniedError,
    "not_found": errors.ModelNotFoundError,
    "rate_limit": errors.RateLimitError,
    "context_length": errors.ContextLengthError,
    "bad_request": errors.BadRequestError,
    "timeout": errors.ProviderTimeoutError,
    "unavailable": errors.UnavailableError,
    "connection": errors.ProviderConnectionError,
}


def _count_tokens(text: str) -> int:
    # Rough but deterministic: words and punctuation, so usage numbers are stable in tests.
    return len(re.findall(r"\w+|[^\w\s]", text))


def spec_for(name: str = "scripted", *, locality: str = "external", **kw: Any) -> ModelSpec:
    """A ModelSpec for a test double, with the given locality."""
    return ModelSpec(name=name, provider="testing", model_id=kw.pop("model_id", name),
                     locality=locality, **kw)  # type: ignore[arg-type]


class ScriptedChatModel(ChatModel):
    """Answers from a script: strings, Completions, exceptions to raise, or callables.

    ``n > 1`` takes n scripted answers in turn (as the embedded model generates n times). It has
    no token probabilities: a request for logprobs is refused, unless a scripted ``Completion``
    carries them and ``logprobs=True`` says so.
    """

    n_choices: ClassVar[Literal["native", "sequential"] | None] = "sequential"

    def __init__(self, spec: ModelSpec | None = None, responses: Sequence[Script] = (), *,
                 echo: bool | str = False, delay_s: float = 0.0, chunk_words: int = 1,
                 logprobs: bool = False) -> None:
        super().__init__(spec or spec_for())
        self.logprobs = logprobs
        self.responses = list(responses)
        self.echo = echo
        self.delay_s = delay_s
        self.chunk_words = max(1, chunk_words)
        self.requests: list[ChatRequest] = []
        self._index = 0

    def logprobs_supported(self) -> bool:
        return self.logprobs

    def _next(self, request: ChatRequest) -> str | Completion:
        self.requests.append(request)
        if self.echo or not self.responses:
            users = [m.text for m in request.messages if m.role == "user"]
            if self.echo == "history":
                return " | ".join(users)
            return users[-1] if users else ""
        item = self.responses[self._index % len(self.responses)]
        self._index += 1
        if isinstance(item, BaseException):
            raise item
        if callable(item) and not isinstance(item, (str, Completion)):
            return item(request)
        return item

    def _completion(self, request: ChatRequest, answer: str | Completion) -> Completion:
        if isinstance(answer, Completion):
            return answer
        usage = Usage(sum(_count_tokens(m.text) for m in request.messages), _count_tokens(answer))
        logprobs = _certain(_words(answer)) if request.logprobs and self.logprobs else None
        return Completion(text=answer, model=self.spec.model_id, finish_reason="stop", usage=usage,
                          logprobs=logprobs)

    async def _complete(self, request: ChatRequest) -> Completion:
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        return self._completion(request, self._next(request))

    async def _stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        completion = self._completion(request, self._next(request))
        words = _words(completion.text)
        for i in range(0, len(words), self.chunk_words):
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            part = words[i:i + self.chunk_words]
            yield Chunk(delta="".join(part), model=completion.model,
                        logprobs=_certain(part) if completion.logprobs is not None else None)
        yield Chunk(finish_reason=completion.finish_reason, usage=completion.usage, model=completion.model)


def _words(text: str) -> list[str]:
    return re.findall(r"\S+\s*|\s+", text)


def _certain(words: Sequence[str]) -> tuple[TokenLogprob, ...]:
    """Word tokens in OpenAI's logprobs shape, each certain (log probability 0): the answer is scripted."""
    return tuple({"token": w, "logprob": 0.0, "bytes": list(w.encode()),
                  "top_logprobs": [{"token": w, "logprob": 0.0, "bytes": list(w.encode())}]} for w in words)


class OneChoiceScriptedModel(ScriptedChatModel):
    """A scripted model that, like a paid API billed per call, returns one choice (refuses n > 1)."""

    n_choices = None


class HashEmbeddingModel(EmbeddingModel):
    """Deterministic bag-of-words hashing embeddings: similar texts get similar vectors.

    Good enough for tests of retrieval plumbing; not a real semantic model.
    """

    def __init__(self, spec: ModelSpec | None = None, dim: int = 256) -> None:
        super().__init__(spec or spec_for("hash-embed", kind="embedding"))
        self.dim = dim

    def vector(self, text: str) -> list[float]:
        vec = [0.0] * self.dim
        for token in re.findall(r"\w+", text.lower()):
            h = int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little")
            vec[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vec)) or 1.0
        return [v / norm for v in vec]

    async def _embed(self, texts: list[str]) -> EmbeddingResult:
        return EmbeddingResult(vectors=[self.vector(t) for t in texts], model=self.spec.model_id,
                               usage=Usage(sum(_count_tokens(t) for t in texts), 0))


class ScriptedProvider:
    """``provider: testing`` — builds the doubles above from config options."""

    name = "testing"
    # The keys ``options:`` may hold (anything else is a config error naming the key).
    options: frozenset[str] | None = frozenset({"responses", "fail_with", "echo", "delay_s", "dim", "logprobs",
                                                "one_choice"})
    default_locality = "self_hosted"
    default_base_url: str | None = None
    api_key_env: str | None = None

    def chat_model(self, spec: ModelSpec) -> ChatModel:
        opts = spec.options
        responses: list[Script] = list(opts.get("responses", []))
        failure = opts.get("fail_with")
        if failure:
            cls = _FAILURES.get(str(failure))
            if cls is None:
                raise errors.ConfigError(f"unknown fail_with {failure!r}",
                                         key=f"models.{spec.name}.options.fail_with",
                                         hint=f"use one of: {', '.join(sorted(_FAILURES))}")
            responses = [cls("scripted failure", provider="testing", model=spec.model_id)]
        echo = opts.get("echo", False)
        kind: type[ScriptedChatModel] = OneChoiceScriptedModel if opts.get("one_choice") else ScriptedChatModel
        return kind(spec, responses, echo=echo if echo == "history" else bool(echo),
                   delay_s=float(opts.get("delay_s", 0.0)), logprobs=bool(opts.get("logprobs", False)))

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel:
        return HashEmbeddingModel(spec, dim=int(spec.options.get("dim", 256)))


def with_locality(model: ScriptedChatModel, locality: str) -> ScriptedChatModel:
    """Return the same double re-labelled as ``self_hosted`` or ``external``."""
    model.spec = replace(model.spec, locality=locality)  # type: ignore[arg-type]
    return model
