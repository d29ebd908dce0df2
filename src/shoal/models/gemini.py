"""Google Gemini API: ``models/{model}:generateContent``, ``:streamGenerateContent?alt=sse`` and
``:batchEmbedContents``.

Wire-format rules this adapter applies:

- roles are ``user`` and ``model``; system messages become ``systemInstruction``; tool results
  are ``functionResponse`` parts in a user turn, named after the call they answer;
- images: data URLs become ``inlineData``; other URLs ``fileData`` (``fileUri``), with the MIME
  type guessed from the file name;
- sampling goes in ``generationConfig`` (``temperature``, ``topP``, ``maxOutputTokens``,
  ``stopSequences``, ``seed``); JSON mode sets ``responseMimeType: application/json``;
- tools become one ``functionDeclarations`` list; ``tool_choice`` maps to ``toolConfig``;
- the key travels in the ``x-goog-api-key`` header, never in the URL;
- a prompt blocked by ``promptFeedback.blockReason`` raises ``ContentBlockedError``; an answer
  stopped for safety (``SAFETY``, ``PROHIBITED_CONTENT``...) is finish reason
  ``content_filter``, and raises ``ContentBlockedError`` when it produced no text at all;
- the SSE stream has no end marker: the chunk carrying ``finishReason`` is terminal, and a
  stream that closes without one was cut.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

from shoal import errors
from shoal.models.base import ChatModel, EmbeddingModel
from shoal.models.http import ErrorInfo, HTTPTransport, parse_duration, require, transport_for
from shoal.models.types import (
    ChatRequest,
    Chunk,
    Completion,
    EmbeddingResult,
    ImagePart,
    Message,
    ModelSpec,
    TextPart,
    ToolCall,
    Usage,
)

DEFAULT_BASE_URL = "https://generativelanguage.googleapis.com/v1beta"
_BLOCKED = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE"}
_FINISH = {"STOP": "stop", "MAX_TOKENS": "length", "MALFORMED_FUNCTION_CALL": "error", "OTHER": "stop",
           "FINISH_REASON_UNSPECIFIED": "stop", **{r: "content_filter" for r in _BLOCKED}}

_STATUS_KINDS: dict[str, type[errors.ProviderError]] = {
    "INVALID_ARGUMENT": errors.BadRequestError,
    "FAILED_PRECONDITION": errors.BadRequestError,
    "OUT_OF_RANGE": errors.BadRequestError,
    "UNAUTHENTICATED": errors.AuthenticationError,
    "PERMISSION_DENIED": errors.PermissionDeniedError,
    "NOT_FOUND": errors.ModelNotFoundError,
    "RESOURCE_EXHAUSTED": errors.RateLimitError,
    "DEADLINE_EXCEEDED": errors.ProviderTimeoutError,
    "UNAVAILABLE": errors.UnavailableError,
    "INTERNAL": errors.UnavailableError,
}
_KEY_REASONS = {"API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_NOT_FOUND"}


def parse_error(body: Any) -> ErrorInfo | None:
    """``{"error": {"code", "message", "status", "details": [...]}}`` (sometimes wrapped in a list).

    A bad key comes back as HTTP 400 ``INVALID_ARGUMENT`` with reason ``API_KEY_INVALID``, so the
    reason decides the type; ``RetryInfo.retryDelay`` gives the rate-limit delay.
    """
    if isinstance(body, list) and body:
        body = body[0]
    if not isinstance(body, dict) or not isinstance(body.get("error"), dict):
        return None
    err = body["error"]
    status = str(err.get("status") or "")
    kind = _STATUS_KINDS.get(status)
    retry_after: float | None = None
    for detail in err.get("details") or ():
        if not isinstance(detail, dict):
            continue
        if detail.get("reason") in _KEY_REASONS:
            kind = errors.AuthenticationError
        if str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            retry_after = parse_duration(detail.get("retryDelay"))
    return ErrorInfo(message=str(err.get("message") or ""), code=status or None, kind=kind,
                     retry_after=retry_after)


# --- wire format ---------------------------------------------------------------------------------


def _image_part(part: ImagePart) -> dict[str, Any]:
    data, media_type = part.base64_data, part.media_type
    if data is not None and media_type:
        return {"inlineData": {"mimeType": media_type, "data": data}}
    guessed = mimetypes.guess_type(urlsplit(part.url).path)[0] or "image/jpeg"
    return {"fileData": {"mimeType": guessed, "fileUri": part.url}}


def _tool_response(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"result": text}
    return value if isinstance(value, dict) else {"result": value}


def _function(tool: dict[str, Any]) -> dict[str, Any]:
    fn = tool.get("function", tool)
    out: dict[str, Any] = {"name": fn["name"]}
    if fn.get("description"):
        out["description"] = fn["description"]
    if fn.get("parameters"):
        out["parameters"] = fn["parameters"]
    return out


def _tool_config(choice: str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(choice, dict):
        name = (choice.get("function") or {}).get("name")
        return {"functionCallingConfig": {"mode": "ANY", "allowedFunctionNames": [name]}} if name else choice
    mode = {"auto": "AUTO", "required": "ANY", "none": "NONE"}.get(choice, choice.upper())
    return {"functionCallingConfig": {"mode": mode}}


class GeminiWire:
    """Request bodies and response parsing for ``generateContent``."""

    def __init__(self, spec: ModelSpec) -> None:
        mid = spec.model_id
        self.model_id = mid
        self.model_path = mid if mid.startswith(("models/", "tunedModels/")) else f"models/{mid}"

    def _parts(self, message: Message, names: dict[str, str]) -> list[dict[str, Any]]:
        if message.role == "tool":
            name = message.name or names.get(message.tool_call_id or "", "tool")
            return [{"functionResponse": {"name": name, "response": _tool_response(message.text)}}]
        parts: list[dict[str, Any]] = []
        if isinstance(message.content, str):
            if message.content:
                parts.append({"text": message.content})
        else:
            for part in message.content:
                parts.append({"text": part.text} if isinstance(part, TextPart) else _image_part(part))
        for call in message.tool_calls:
            try:
                args = json.loads(call.arguments) if call.arguments else {}
            except ValueError:
                args = {"_raw": call.arguments}
            parts.append({"functionCall": {"name": call.name, "args": args}})
        return parts

    def body(self, request: ChatRequest) -> dict[str, Any]:
        names = {c.id: c.name for m in request.messages for c in m.tool_calls}
        contents: list[dict[str, Any]] = []
        for m in request.messages:
            if m.role == "system":
                continue
            role = "model" if m.role == "assistant" else "user"
            parts = self._parts(m, names)
            if contents and contents[-1]["role"] == role:
                contents[-1]["parts"].extend(parts)
            else:
                contents.append({"role": role, "parts": parts})
        body: dict[str, Any] = {"contents": contents}
        system = [m.text for m in request.messages if m.role == "system" and m.text]
        if system:
            body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
        config: dict[str, Any] = {}
        if request.temperature is not None:
            config["temperature"] = request.temperature
        if request.top_p is not None:
            config["topP"] = request.top_p
        if request.max_tokens is not None:
            config["maxOutputTokens"] = request.max_tokens
        if request.stop:
            config["stopSequences"] = list(request.stop)
        if request.seed is not None:
            config["seed"] = request.seed
        if request.json_mode:
            config["responseMimeType"] = "application/json"
        if config:
            body["generationConfig"] = config
        if request.tools:
            body["tools"] = [{"functionDeclarations": [_function(t) for t in request.tools]}]
            if request.tool_choice is not None:
                body["toolConfig"] = _tool_config(request.tool_choice)
        return body

    @staticmethod
    def usage(data: dict[str, Any]) -> Usage | None:
        meta = data.get("usageMetadata")
        if not isinstance(meta, dict):
            return None
        return Usage(int(meta.get("promptTokenCount") or 0), int(meta.get("candidatesTokenCount") or 0))

    @staticmethod
    def block_reason(data: dict[str, Any]) -> str | None:
        feedback = data.get("promptFeedback") or {}
        reason = feedback.get("blockReason")
        return str(reason) if reason and not data.get("candidates") else None

    @staticmethod
    def candidate(data: dict[str, Any], calls_so_far: int = 0) -> tuple[str, list[ToolCall], str | None]:
        """Text, tool calls and raw finish reason of the first candidate of one response."""
        candidates = data.get("candidates") or []
        if not candidates:
            return "", [], None
        cand = candidates[0]
        texts: list[str] = []
        calls: list[ToolCall] = []
        for part in (cand.get("content") or {}).get("parts") or ():
            if "text" in part and not part.get("thought"):
                texts.append(str(part["text"]))
            elif "functionCall" in part:
                fc = part["functionCall"]
                call_id = str(fc.get("id") or f"call_{calls_so_far + len(calls)}_{fc['name']}")
                calls.append(ToolCall(call_id, str(fc["name"]), json.dumps(fc.get("args") or {})))
        reason = cand.get("finishReason")
        return "".join(texts), calls, str(reason) if reason else None

    @staticmethod
    def finish(reason: str | None, has_calls: bool) -> str:
        if has_calls and reason in (None, "STOP"):
            return "tool_calls"
        return _FINISH.get(reason or "STOP", (reason or "stop").lower())


# --- models --------------------------------------------------------------------------------------


def _headers(spec: ModelSpec) -> dict[str, str]:
    return {"x-goog-api-key": spec.api_key} if spec.api_key else {}


class GeminiChatModel(ChatModel):
    """A Gemini model through ``generateContent`` / ``streamGenerateContent``."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.wire = GeminiWire(spec)
        self.transport: HTTPTransport = transport_for(spec, default_base_url=DEFAULT_BASE_URL,
                                                      headers=_headers(spec), parse_error=parse_error)

    def _blocked(self, why: str, url: str) -> errors.ProviderError:
        return self.transport.error(errors.ContentBlockedError, why, url=url)

    async def _complete(self, request: ChatRequest) -> Completion:
        path = f"{self.wire.model_path}:generateContent"
        url = self.transport.url(path)
        data = require(await self.transport.post_json(path, self.wire.body(request)), dict, "the response",
                       self.transport, url)
        try:
            blocked = self.wire.block_reason(data)
            if blocked:
                raise self._blocked(f"the prompt was blocked (promptFeedback.blockReason: {blocked})", url)
            if not data.get("candidates"):
                raise self.transport.malformed("the response has no candidates", url)
            text, calls, reason = self.wire.candidate(data)
        except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
            raise self.transport.malformed(f"unexpected response shape ({type(exc).__name__}: {exc})", url) from None
        finish = self.wire.finish(reason, bool(calls))
        if finish == "content_filter" and not text and not calls:
            raise self._blocked(f"the answer was blocked (finishReason: {reason})", url)
        return Completion(text=text, model=str(data.get("modelVersion") or self.spec.model_id),
                          finish_reason=finish, usage=self.wire.usage(data) or Usage(), tool_calls=tuple(calls))

    async def _stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        path = f"{self.wire.model_path}:streamGenerateContent?alt=sse"
        url = self.transport.url(path)
        calls: list[ToolCall] = []
        usage: Usage | None = None
        served = self.spec.model_id
        any_text = False
        async for event in self.transport.stream_events(path, self.wire.body(request)):
            data = self.transport.decode_json(event.data, url)
            if isinstance(data, dict) and "error" in data:
                raise self.transport.stream_error(data, url)
            data = require(data, dict, "a stream chunk", self.transport, url)
            try:
                blocked = self.wire.block_reason(data)
                text, new_calls, reason = self.wire.candidate(data, len(calls))
            except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
                raise self.transport.malformed(f"unexpected stream chunk ({type(exc).__name__}: {exc})",
                                               url) from None
            if blocked:
                raise self._blocked(f"the prompt was blocked (promptFeedback.blockReason: {blocked})", url)
            served = str(data.get("modelVersion") or served)
            usage = self.wire.usage(data) or usage
            calls.extend(new_calls)
            if text:
                any_text = True
                yield Chunk(delta=text, model=served)
            if reason is not None:
                finish = self.wire.finish(reason, bool(calls))
                if finish == "content_filter" and not any_text and not calls:
                    raise self._blocked(f"the answer was blocked (finishReason: {reason})", url)
                yield Chunk(finish_reason=finish, usage=usage, model=served, tool_calls=tuple(calls))
                return
        raise self.transport.stream_cut("a chunk with finishReason", url)

    async def aclose(self) -> None:
        await self.transport.aclose()


class GeminiEmbeddingModel(EmbeddingModel):
    """Embeddings through ``:batchEmbedContents`` (options: ``task_type``, ``dimensions``)."""

    def __init__(self, spec: ModelSpec) -> None:
        super().__init__(spec)
        self.wire = GeminiWire(spec)
        self.transport: HTTPTransport = transport_for(spec, default_base_url=DEFAULT_BASE_URL,
                                                      headers=_headers(spec), parse_error=parse_error)

    async def _embed(self, texts: list[str]) -> EmbeddingResult:
        if not texts:
            return EmbeddingResult(vectors=[], model=self.spec.model_id)
        opts = self.spec.options
        requests: list[dict[str, Any]] = []
        for text in texts:
            req: dict[str, Any] = {"model": self.wire.model_path, "content": {"parts": [{"text": text}]}}
            if opts.get("task_type"):
                req["taskType"] = str(opts["task_type"])
            if opts.get("dimensions"):
                req["outputDimensionality"] = int(opts["dimensions"])
            requests.append(req)
        path = f"{self.wire.model_path}:batchEmbedContents"
        url = self.transport.url(path)
        data = await self.transport.post_json(path, {"requests": requests})
        try:
            vectors = [[float(x) for x in e["values"]] for e in data["embeddings"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise self.transport.malformed(f"unexpected embeddings shape ({type(exc).__name__}: {exc})",
                                           url) from None
        if len(vectors) != len(texts):
            raise self.transport.malformed(f"asked for {len(texts)} embeddings, got {len(vectors)}", url)
        # The API reports no token usage for embeddings.
        return EmbeddingResult(vectors=vectors, model=self.spec.model_id)

    async def aclose(self) -> None:
        await self.transport.aclose()


class GeminiProvider:
    """``provider: gemini`` — Google's Gemini API (AI Studio keys)."""

    name = "gemini"
    # The keys ``options:`` may hold (anything else is a config error naming the key).
    options: frozenset[str] | None = frozenset({"headers", "task_type", "dimensions"})
    default_locality = "external"
    default_base_url: str | None = DEFAULT_BASE_URL
    api_key_env: str | None = "GEMINI_API_KEY"

    def chat_model(self, spec: ModelSpec) -> ChatModel:
        return GeminiChatModel(spec)

    def embedding_model(self, spec: ModelSpec) -> EmbeddingModel:
        return GeminiEmbeddingModel(spec)
