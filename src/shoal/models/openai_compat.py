"""OpenAI-compatible chat completions and embeddings.

One adapter for every server that speaks ``/v1/chat/completions`` and ``/v1/embeddings``:
OpenAI itself, vLLM, Ollama, the llama.cpp server, OpenRouter, Together, Groq. ``base_url`` is
the API root including ``/v1``; the key travels as ``Authorization: Bearer`` and may be absent
(local servers need none).

The module keeps the wire format (``OpenAIWire``: request bodies, response and chunk parsing,
error bodies — pure functions of JSON) apart from the provider (``OpenAIProvider`` /
``HTTPTransport``: credentials, base URL, client).

Options (``models.NAME.options``): ``headers`` (extra request headers, e.g. OpenRouter's
``HTTP-Referer``), ``extra_body`` (merged into every request body, e.g. vLLM sampling
parameters), ``max_tokens_param`` (``max_tokens`` or ``max_completion_tokens``; default: the
latter on api.openai.com, where newer models reject the former, else ``max_tokens``),
``stream_usage`` (false for servers that reject ``stream_options``), ``dimensions`` (embeddings).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from shoal import errors
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.http import ErrorInfo, HTTPTransport, require, transport_for
from shoal.models.types import (
    ChatRequest,
    Choice,
    Chunk,
    Completion,
    EmbeddingResult,
    ImagePart,
    Message,
    ModelSpec,
    TextPart,
    ToolCall,
    Usage,
    token_logprobs,
)

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_FINISH = {"stop": "stop", "length": "length", "tool_calls": "tool_calls", "function_call": "tool_calls",
           "content_filter": "content_filter"}


def parse_error(body: Any) -> ErrorInfo | None:
    """``{"error": {"message", "type", "code"}}``; some servers send ``{"error": "text"}`` or ``{"detail"}``."""
    if not isinstance(body, dict):
        return None
    err = body.get("error")
    if isinstance(err, dict):
        # OpenAI puts the useful id in ``code`` (context_length_exceeded); llama.cpp's server puts
        # the HTTP status there and the id in ``type`` (exceed_context_size_error).
        code = err.get("code") if isinstance(err.get("code"), str) else None
        code = code or err.get("type")
        return ErrorInfo(message=str(err.get("message") or ""), code=str(code) if code else None)
    if isinstance(err, str):
        return ErrorInfo(message=err)
    detail = body.get("detail") or body.get("message")
    if detail is not None:
        return ErrorInfo(message=detail if isinstance(detail, str) else json.dumps(detail))
    return None


# --- wire format ---------------------------------------------------------------------------------


def _content(message: Message) -> str | list[dict[str, Any]]:
    if isinstance(message.content, str):
        return message.content
    parts: list[dict[str, Any]] = []
    for part in message.content:
        if isinstance(part, TextPart):
            parts.append({"type": "text", "text": part.text})
        elif isinstance(part, ImagePart):
            image: dict[str, Any] = {"url": part.url}
            if part.detail:
                image["detail"] = part.detail
            parts.append({"type": "image_url", "image_url": image})
    return parts


def message_to_wire(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role}
    if message.role == "assistant" and message.tool_calls:
        out["content"] = _content(message) or None
        out["tool_calls"] = [{"id": c.id, "type": "function",
                              "function": {"name": c.name, "arguments": c.arguments}}
                             for c in message.tool_calls]
    else:
        out["content"] = _content(message)
    if message.role == "tool" and message.tool_call_id:
        out["tool_call_id"] = message.tool_call_id
    if message.name:
        out["name"] = message.name
    return out


@dataclass
class _ToolAccumulator:
    """Tool calls arrive in pieces keyed by ``index``: id and name first, arguments in fragments."""

    calls: dict[int, dict[str, str]] = field(default_factory=dict)

    def add(self, deltas: list[Any]) -> None:
        for d in deltas:
            slot = self.calls.setdefault(int(d.get("index", len(self.calls))),
                                         {"id": "", "name": "", "arguments": ""})
            if d.get("id"):
                slot["id"] = d["id"]
            fn = d.get("function") or {}
            if fn.get("name"):
                slot["name"] = fn["name"]
            if fn.get("arguments"):
                slot["arguments"] += fn["arguments"]

    def result(self) -> tuple[ToolCall, ...]:
        return tuple(ToolCall(c["id"], c["name"], c["arguments"]) for _, c in sorted(self.calls.items()))


class OpenAIWire:
    """Request bodies and response parsing for ``/chat/completions`` and ``/embeddings``."""

    def __init__(self, spec: ModelSpec) -> None:
        self.model_id = spec.model_id
        opts = spec.options
        host = urlsplit(spec.base_url or DEFAULT_BASE_URL).hostname or ""
        self.max_tokens_param = str(opts.get("max_tokens_param")
                                    or ("max_completion_tokens" if host == "api.openai.com" else "max_tokens"))
        self.stream_usage = bool(opts.get("stream_usage", True))
        extra = opts.get("extra_body") or {}
        if not isinstance(extra, dict):
            raise errors.ConfigError("options.extra_body must be a mapping",
                                     key=f"models.{spec.name}.options.extra_body")
        self.extra_body: dict[str, Any] = extra
        self.dimensions = opts.get("dimensions")

    def chat_body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model_id,
                                "messages": [message_to_wire(m) for m in request.messages]}
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.max_tokens is not None:
            body[self.max_tokens_param] = request.max_tokens
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.stop:
            body["stop"] = list(request.stop)
        if request.seed is not None:
            body["seed"] = request.seed
        if request.n > 1:
            body["n"] = request.n
        if request.logprobs:
            body["logprobs"] = True
            if request.top_logprobs is not None:
                body["top_logprobs"] = request.top_logprobs
        if request.json_schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": request.json_schema}
        elif request.json_mode:
            body["response_format"] = {"type": "json_object"}
        if request.tools:
            body["tools"] = [dict(t) for t in request.tools]
            if request.tool_choice is not None:
                body["tool_choice"] = request.tool_choice
        if stream:
            body["stream"] = True
            if self.stream_usage:
                body["stream_options"] = {"include_usage": True}
        body.update(self.extra_body)
        return body

    @staticmethod
    def usage(data: Any) -> Usage | None:
        if not isinstance(data, dict):
            return None
        return Usage(int(data.get("prompt_tokens") or 0), int(data.get("completion_tokens") or 0))

    @staticmethod
    def choice(choice: dict[str, Any]) -> Choice:
        message = choice["message"]
        text = message.get("content") or ""
        if not isinstance(text, str):
            raise TypeError("message.content is not a string")
        calls = tuple(ToolCall(c["id"], c["function"]["name"], c["function"].get("arguments") or "")
                      for c in message.get("tool_calls") or ())
        finish = choice.get("finish_reason") or "stop"
        return Choice(text, _FINISH.get(finish, finish), calls, token_logprobs(choice.get("logprobs")))

    def completion(self, data: dict[str, Any]) -> Completion:
        choices = sorted(data["choices"], key=lambda c: int(c.get("index") or 0))
        first, *more = (self.choice(c) for c in choices)
        return Completion(text=first.text, model=str(data.get("model") or self.model_id),
                          finish_reason=first.finish_reason, usage=self.usage(data.get("usage")) or Usage(),
                          tool_calls=first.tool_calls, logprobs=first.logprobs, more=tuple(more))

    def embed_body(self, texts: list[str]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": self.model_id, "input": texts, "encoding_format": "float"}
        if self.dimensions is not None:
            body["dimensions"] = int(self.dimensions)
        return body


# --- models --------------------------------------------------------------------------------------


def _headers(spec: ModelSpec) -> dict[str, str]:
    return {"authorization": f"Bearer {spec.api_key}"} if spec.api_key else {}


class OpenAIChatModel(ChatModel):
    """A chat model behind any OpenAI-compatible ``/chat/completions`` endpoint.

    ``n`` and ``logprobs`` go to the upstream as given; one that cannot serve them answers with its
    own 400, which the client sees with the provider's reason."""

    n_choices = "native"

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.wire = OpenAIWire(spec)
        self.transport: HTTPTransport = transport_for(spec, default_base_url=DEFAULT_BASE_URL,
                                                      headers=_headers(spec), parse_error=parse_error)

    def logprobs_supported(self) -> bool:
        return True

    async def _complete(self, request: ChatRequest) -> Completion:
        data = await self.transport.post_json("chat/completions", self.wire.chat_body(request, stream=False))
        url = self.transport.url("chat/completions")
        if isinstance(data, dict) and "error" in data and "choices" not in data:
            raise self.transport.stream_error(data, url)
        try:
            return self.wire.completion(require(data, dict, "the response", self.transport, url))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise self.transport.malformed(f"unexpected chat completion shape ({type(exc).__name__}: {exc})",
                                           url) from None

    async def _stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        url = self.transport.url("chat/completions")
        tools = _ToolAccumulator()
        finish: str | None = None
        usage: Usage | None = None
        served = self.spec.model_id
        async for event in self.transport.stream_events("chat/completions",
                                                        self.wire.chat_body(request, stream=True)):
            if event.data.strip() == "[DONE]":
                yield Chunk(finish_reason=_FINISH.get(finish or "stop", finish or "stop"), usage=usage,
                            model=served, tool_calls=tools.result())
                return
            data = self.transport.decode_json(event.data, url)
            if not isinstance(data, dict):
                raise self.transport.malformed(f"stream chunk is not a JSON object: {event.data[:200]!r}", url)
            if "error" in data:
                raise self.transport.stream_error(data, url)
            try:
                served = str(data.get("model") or served)
                usage = self.wire.usage(data.get("usage")) or usage
                for choice in data.get("choices") or ():
                    delta = choice.get("delta") or {}
                    if delta.get("tool_calls"):
                        tools.add(delta["tool_calls"])
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
                    text = delta.get("content")
                    logprobs = token_logprobs(choice.get("logprobs"))
                    if text or logprobs:
                        yield Chunk(delta=str(text or ""), model=served, logprobs=logprobs)
            except (AttributeError, TypeError, ValueError) as exc:
                raise self.transport.malformed(f"unexpected stream chunk shape ({exc})", url) from None
        raise self.transport.stream_cut("data: [DONE]", url)

    async def aclose(self) -> None:
        await self.transport.aclose()


class OpenAIEmbeddingModel(EmbeddingModel):
    """Embeddings from an OpenAI-compatible ``/embeddings`` endpoint (vectors in input order)."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.wire = OpenAIWire(spec)
        self.transport: HTTPTransport = transport_for(spec, default_base_url=DEFAULT_BASE_URL,
                                                      headers=_headers(spec), parse_error=parse_error)

    async def _embed(self, texts: list[str]) -> EmbeddingResult:
        if not texts:
            return EmbeddingResult(vectors=[], model=self.spec.model_id)
        data = await self.transport.post_json("embeddings", self.wire.embed_body(texts))
        url = self.transport.url("embeddings")
        try:
            items = sorted(data["data"], key=lambda d: int(d.get("index", 0)))
            vectors = [[float(x) for x in item["embedding"]] for item in items]
            usage = data.get("usage") or {}
            result = EmbeddingResult(vectors=vectors, model=str(data.get("model") or self.spec.model_id),
                                     usage=Usage(int(usage.get("prompt_tokens") or 0), 0))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self.transport.malformed(f"unexpected embeddings shape ({type(exc).__name__}: {exc})",
                                           url) from None
        if len(result.vectors) != len(texts):
            raise self.transport.malformed(f"asked for {len(texts)} embeddings, got {len(result.vectors)}", url)
        return result

    async def aclose(self) -> None:
        await self.transport.aclose()


class OpenAIProvider:
    """``provider: openai`` — OpenAI and every OpenAI-compatible server."""

    name = "openai"
    # The keys ``options:`` may hold (anything else is a config error naming the key).
    options: frozenset[str] | None = frozenset({"headers", "max_tokens_param", "stream_usage", "extra_body", "dimensions"})
    default_locality = "external"
    default_base_url: str | None = DEFAULT_BASE_URL
    api_key_env: str | None = "OPENAI_API_KEY"

    def chat_model(self, spec: ModelSpec) -> ChatModel:
        return OpenAIChatModel(spec)

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel:
        return OpenAIEmbeddingModel(spec)
