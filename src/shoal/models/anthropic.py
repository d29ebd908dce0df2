"""Anthropic Messages API (``POST {base_url}/v1/messages``) with its event-stream format.

Wire-format rules this adapter applies:

- system messages become the top-level ``system`` parameter (joined), never a message;
- ``max_tokens`` is required by the API: the request's value, else ``options.max_tokens``,
  else 1024;
- consecutive messages of one role are merged (tool results are user turns), images become
  ``image`` blocks with a ``base64`` or ``url`` source, assistant tool calls ``tool_use`` blocks;
- tools in the OpenAI function shape become ``{name, description, input_schema}``;
- JSON mode has no native switch, so the system prompt gets an instruction to answer with one
  JSON object only;
- the stream ends with ``message_stop``; anything else is a cut stream.

Headers: ``x-api-key`` and ``anthropic-version`` (``options.anthropic_version``, default
2023-06-01). A refusal (``stop_reason: refusal``) is reported as finish reason
``content_filter``; with no text at all it raises ``ContentBlockedError``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from shoal import errors
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.http import ErrorInfo, HTTPTransport, require, transport_for
from shoal.models.types import (
    ChatRequest,
    Chunk,
    Completion,
    ImagePart,
    Message,
    ModelSpec,
    TextPart,
    ToolCall,
    Usage,
)

DEFAULT_BASE_URL = "https://api.anthropic.com"
API_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 1024
PATH = "v1/messages"
JSON_INSTRUCTION = ("Respond with a single valid JSON object and nothing else: no prose, no code fences.")

_FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls",
           "refusal": "content_filter", "pause_turn": "stop", "model_context_window_exceeded": "length"}

_ERROR_KINDS: dict[str, type[errors.ProviderError]] = {
    "invalid_request_error": errors.BadRequestError,
    "authentication_error": errors.AuthenticationError,
    "permission_error": errors.PermissionDeniedError,
    "not_found_error": errors.ModelNotFoundError,
    "request_too_large": errors.BadRequestError,
    "rate_limit_error": errors.RateLimitError,
    "api_error": errors.UnavailableError,
    "overloaded_error": errors.UnavailableError,
    "timeout_error": errors.ProviderTimeoutError,
}


def parse_error(body: Any) -> ErrorInfo | None:
    """``{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}``."""
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    err = body["error"]
    kind = str(err.get("type") or "")
    return ErrorInfo(message=str(err.get("message") or ""), code=kind or None, kind=_ERROR_KINDS.get(kind))


# --- wire format ---------------------------------------------------------------------------------


def _image_block(part: ImagePart) -> dict[str, Any]:
    data, media_type = part.base64_data, part.media_type
    if data is not None and media_type:
        return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}
    return {"type": "image", "source": {"type": "url", "url": part.url}}


def _blocks(message: Message) -> list[dict[str, Any]]:
    if message.role == "tool":
        return [{"type": "tool_result", "tool_use_id": message.tool_call_id or "", "content": message.text}]
    blocks: list[dict[str, Any]] = []
    if isinstance(message.content, str):
        if message.content:
            blocks.append({"type": "text", "text": message.content})
    else:
        for part in message.content:
            if isinstance(part, TextPart):
                blocks.append({"type": "text", "text": part.text})
            else:
                blocks.append(_image_block(part))
    for call in message.tool_calls:
        try:
            args = json.loads(call.arguments) if call.arguments else {}
        except ValueError:
            args = {"_raw": call.arguments}  # keep what the model produced rather than dropping it
        blocks.append({"type": "tool_use", "id": call.id, "name": call.name, "input": args})
    return blocks


def _tool(tool: dict[str, Any]) -> dict[str, Any]:
    fn = tool.get("function")
    if not isinstance(fn, dict):
        return dict(tool)  # already in Anthropic's shape
    out: dict[str, Any] = {"name": fn["name"],
                           "input_schema": fn.get("parameters") or {"type": "object", "properties": {}}}
    if fn.get("description"):
        out["description"] = fn["description"]
    return out


def _tool_choice(choice: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(choice, dict):
        fn = choice.get("function")
        if isinstance(fn, dict) and fn.get("name"):
            return {"type": "tool", "name": fn["name"]}
        return dict(choice)
    return {"type": {"required": "any", "auto": "auto", "none": "none"}.get(choice, choice)}


class AnthropicWire:
    """Request bodies and response parsing for the Messages API."""

    def __init__(self, spec: ModelSpec) -> None:
        self.model_id = spec.model_id
        self.default_max_tokens = int(spec.options.get("max_tokens") or DEFAULT_MAX_TOKENS)

    def body(self, request: ChatRequest, *, stream: bool) -> dict[str, Any]:
        system = [m.text for m in request.messages if m.role == "system" and m.text]
        if request.json_schema is not None and request.json_schema.get("schema"):
            # The Messages API has no schema-constrained output: the schema goes into the instructions.
            system.append(f"{JSON_INSTRUCTION} It must be valid against this JSON schema: "
                          f"{json.dumps(request.json_schema['schema'], ensure_ascii=False)}")
        elif request.json_mode:
            system.append(JSON_INSTRUCTION)
        messages: list[dict[str, Any]] = []
        for m in request.messages:
            if m.role == "system":
                continue
            role = "assistant" if m.role == "assistant" else "user"
            blocks = _blocks(m)
            if messages and messages[-1]["role"] == role:
                messages[-1]["content"].extend(blocks)
            else:
                messages.append({"role": role, "content": blocks})
        body: dict[str, Any] = {"model": self.model_id, "messages": messages,
                                "max_tokens": request.max_tokens or self.default_max_tokens}
        if system:
            body["system"] = "\n\n".join(system)
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.stop:
            body["stop_sequences"] = list(request.stop)
        if request.tools:
            body["tools"] = [_tool(t) for t in request.tools]
            if request.tool_choice is not None:
                body["tool_choice"] = _tool_choice(request.tool_choice)
        if stream:
            body["stream"] = True
        return body

    def completion(self, data: dict[str, Any]) -> Completion:
        texts: list[str] = []
        calls: list[ToolCall] = []
        for block in data["content"]:
            if block["type"] == "text":
                texts.append(block["text"])
            elif block["type"] == "tool_use":
                calls.append(ToolCall(block["id"], block["name"], json.dumps(block.get("input") or {})))
        usage = data.get("usage") or {}
        stop = data.get("stop_reason") or "end_turn"
        return Completion(text="".join(texts), model=str(data.get("model") or self.model_id),
                          finish_reason=_FINISH.get(stop, stop),
                          usage=Usage(int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)),
                          tool_calls=tuple(calls))


class _StreamState:
    """Folds the event stream into deltas, tool calls, usage and the stop reason."""

    def __init__(self, model: str) -> None:
        self.model = model
        self.input_tokens = 0
        self.output_tokens = 0
        self.stop_reason: str | None = None
        self.tools: dict[int, dict[str, str]] = {}
        self.text_seen = False

    def apply(self, kind: str, data: dict[str, Any]) -> str | None:
        """Apply one event; return a text delta if it carried one."""
        if kind == "message_start":
            msg = data["message"]
            self.model = str(msg.get("model") or self.model)
            usage = msg.get("usage") or {}
            self.input_tokens = int(usage.get("input_tokens") or 0)
            self.output_tokens = int(usage.get("output_tokens") or 0)
        elif kind == "content_block_start":
            block = data["content_block"]
            if block.get("type") == "tool_use":
                self.tools[int(data["index"])] = {"id": block["id"], "name": block["name"], "json": ""}
        elif kind == "content_block_delta":
            delta = data["delta"]
            if delta.get("type") == "text_delta":
                self.text_seen = self.text_seen or bool(delta["text"])
                return str(delta["text"])
            if delta.get("type") == "input_json_delta":
                self.tools[int(data["index"])]["json"] += delta.get("partial_json") or ""
        elif kind == "message_delta":
            self.stop_reason = (data.get("delta") or {}).get("stop_reason") or self.stop_reason
            usage = data.get("usage") or {}
            # output_tokens here is cumulative; newer API versions may also restate input_tokens.
            self.output_tokens = int(usage.get("output_tokens") or self.output_tokens)
            self.input_tokens = int(usage.get("input_tokens") or self.input_tokens)
        return None

    def final(self) -> Chunk:
        stop = self.stop_reason or "end_turn"
        calls = tuple(ToolCall(t["id"], t["name"], t["json"] or "{}") for _, t in sorted(self.tools.items()))
        return Chunk(finish_reason=_FINISH.get(stop, stop), usage=Usage(self.input_tokens, self.output_tokens),
                     model=self.model, tool_calls=calls)


# --- model ---------------------------------------------------------------------------------------


class AnthropicChatModel(ChatModel):
    """A Claude model through the Messages API."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.wire = AnthropicWire(spec)
        headers = {"anthropic-version": str(spec.options.get("anthropic_version") or API_VERSION)}
        if spec.api_key:
            headers["x-api-key"] = spec.api_key
        self.transport: HTTPTransport = transport_for(spec, default_base_url=DEFAULT_BASE_URL,
                                                      headers=headers, parse_error=parse_error)

    def _blocked(self, url: str) -> errors.ProviderError:
        return self.transport.error(errors.ContentBlockedError, "the model refused to answer (stop_reason: refusal)",
                                    url=url)

    async def _complete(self, request: ChatRequest) -> Completion:
        url = self.transport.url(PATH)
        data = await self.transport.post_json(PATH, self.wire.body(request, stream=False))
        try:
            result = self.wire.completion(require(data, dict, "the response", self.transport, url))
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise self.transport.malformed(f"unexpected message shape ({type(exc).__name__}: {exc})", url) from None
        if result.finish_reason == "content_filter" and not result.text and not result.tool_calls:
            raise self._blocked(url)
        return result

    async def _stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        url = self.transport.url(PATH)
        state = _StreamState(self.spec.model_id)
        async for event in self.transport.stream_events(PATH, self.wire.body(request, stream=True)):
            if event.event == "ping":
                continue
            data = self.transport.decode_json(event.data, url)
            if not isinstance(data, dict):
                raise self.transport.malformed(f"event data is not a JSON object: {event.data[:200]!r}", url)
            kind = str(data.get("type") or event.event)
            if kind == "error":
                raise self.transport.stream_error(data, url)
            if kind == "message_stop":
                final = state.final()
                if final.finish_reason == "content_filter" and not state.text_seen and not final.tool_calls:
                    raise self._blocked(url)
                yield final
                return
            try:
                text = state.apply(kind, data)
            except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
                raise self.transport.malformed(f"unexpected {kind} event ({type(exc).__name__}: {exc})",
                                               url) from None
            if text:
                yield Chunk(delta=text, model=state.model)
        raise self.transport.stream_cut("event: message_stop", url)

    async def aclose(self) -> None:
        await self.transport.aclose()


class AnthropicProvider:
    """``provider: anthropic`` — Claude models via the Messages API (no embeddings endpoint)."""

    name = "anthropic"
    # The keys ``options:`` may hold (anything else is a config error naming the key).
    options: frozenset[str] | None = frozenset({"headers", "max_tokens", "anthropic_version"})
    default_locality = "external"
    default_base_url: str | None = DEFAULT_BASE_URL
    api_key_env: str | None = "ANTHROPIC_API_KEY"

    def chat_model(self, spec: ModelSpec) -> ChatModel:
        return AnthropicChatModel(spec)

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel:
        raise errors.ConfigError(
            "Anthropic has no embeddings API", key=f"models.{spec.name}.provider",
            hint="use an OpenAI-compatible or Gemini embedding model, or the embedded 'minilm'")
