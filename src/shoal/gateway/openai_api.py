"""The OpenAI chat-completions wire format: request → ``ChatRequest``, ``Completion``/``Chunk`` → JSON/SSE."""

from __future__ import annotations

import time
from typing import Any

import orjson

from shoal.gateway.validate import (
    bad,
    obj,
    opt_bool,
    opt_int,
    opt_number,
    opt_str,
    req_list,
    req_str,
    stop_list,
    tools_list,
)
from shoal.models.types import (
    ChatRequest,
    Choice,
    Chunk,
    Completion,
    ImagePart,
    Message,
    Part,
    TextPart,
    TokenLogprob,
    ToolCall,
)

_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant", "tool": "tool",
          "function": "tool"}


def _legacy_call_id(name: str) -> str:
    # The deprecated function-calling fields carry no ids; the call and its result are paired by name.
    return f"call_{name}"


class ParsedChat:
    """What the endpoint needs from a request body besides the ``ChatRequest``."""

    __slots__ = ("include_usage", "model", "request", "stream")

    def __init__(self, request: ChatRequest, model: str, stream: bool, include_usage: bool) -> None:
        self.request = request
        self.model = model
        self.stream = stream
        self.include_usage = include_usage


def _parts(content: list[Any], where: str) -> tuple[Part, ...]:
    parts: list[Part] = []
    for j, raw in enumerate(content):
        w = f"{where}[{j}]"
        part = obj(raw, w)
        kind = part.get("type")
        if kind == "text":
            text = part.get("text")
            if not isinstance(text, str):
                raise bad(f"{w}.text", "expected a string")
            parts.append(TextPart(text))
        elif kind == "image_url":
            image = part.get("image_url")
            if isinstance(image, str):
                parts.append(ImagePart(image))
                continue
            image = obj(image, f"{w}.image_url")
            url = req_str(image, "url", f"{w}.image_url.url")
            parts.append(ImagePart(url, detail=opt_str(image, "detail", f"{w}.image_url.detail")))
        else:
            raise bad(f"{w}.type", f"unsupported content part type {kind!r}; use 'text' or 'image_url'")
    return tuple(parts)


def _tool_calls(value: Any, where: str) -> tuple[ToolCall, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad(where, "expected an array")
    calls = []
    for j, raw in enumerate(value):
        w = f"{where}[{j}]"
        call = obj(raw, w)
        fn = obj(call.get("function"), f"{w}.function")
        args = fn.get("arguments", "")
        if not isinstance(args, str):
            args = orjson.dumps(args).decode()
        calls.append(ToolCall(id=req_str(call, "id", f"{w}.id"), name=req_str(fn, "name", f"{w}.function.name"),
                              arguments=args))
    return tuple(calls)


def parse_messages(raw_messages: list[Any]) -> tuple[Message, ...]:
    messages: list[Message] = []
    for i, raw in enumerate(raw_messages):
        where = f"messages[{i}]"
        msg = obj(raw, where)
        raw_role = msg.get("role")
        role = _ROLES.get(raw_role) if isinstance(raw_role, str) else None
        if role is None:
            raise bad(f"{where}.role", f"unknown role {msg.get('role')!r}; use system, user, assistant or tool")
        content = msg.get("content")
        parsed: str | tuple[Part, ...]
        if content is None:
            parsed = ""
        elif isinstance(content, str):
            parsed = content
        elif isinstance(content, list):
            parsed = _parts(content, f"{where}.content")
        else:
            raise bad(f"{where}.content", f"expected a string or an array of parts, got {type(content).__name__}")
        tool_calls = _tool_calls(msg.get("tool_calls"), f"{where}.tool_calls") if role == "assistant" else ()
        if role == "assistant" and not tool_calls and msg.get("function_call") is not None:
            # Legacy function calling: the same call, in the current shape (so it is scanned and sent).
            fn = obj(msg["function_call"], f"{where}.function_call")
            fname = req_str(fn, "name", f"{where}.function_call.name")
            args = fn.get("arguments", "")
            tool_calls = (ToolCall(id=_legacy_call_id(fname), name=fname,
                                   arguments=args if isinstance(args, str) else orjson.dumps(args).decode()),)
        tool_call_id = None
        if raw_role == "function":
            tool_call_id = _legacy_call_id(req_str(msg, "name", f"{where}.name"))
        elif role == "tool":
            tool_call_id = req_str(msg, "tool_call_id", f"{where}.tool_call_id")
        if content is None and not tool_calls:
            raise bad(f"{where}.content", "is required (null only for assistant messages with tool_calls)")
        messages.append(Message(role, parsed, name=opt_str(msg, "name", f"{where}.name"),  # type: ignore[arg-type]
                                tool_call_id=tool_call_id, tool_calls=tool_calls))
    return tuple(messages)


def _legacy_functions(value: Any) -> tuple[dict[str, Any], ...]:
    """The deprecated ``functions`` list as function tools (validated like ``tools``)."""
    if not isinstance(value, list):
        raise bad("functions", f"expected an array of functions, got {type(value).__name__}")
    return tools_list({"functions": [{"type": "function", "function": f} for f in value]}, "functions")


def _legacy_function_call(value: Any) -> str | dict[str, Any]:
    """The deprecated ``function_call`` as the equivalent ``tool_choice``."""
    if value in ("none", "auto"):
        return str(value)
    name = req_str(obj(value, "function_call"), "name", "function_call.name")
    return {"type": "function", "function": {"name": name}}


def parse_chat(data: dict[str, Any]) -> ParsedChat:
    model = req_str(data, "model")
    messages = parse_messages(req_list(data, "messages"))
    n, logprobs, top_logprobs = choices_options(data)
    max_tokens = opt_int(data, "max_completion_tokens", lo=1) or opt_int(data, "max_tokens", lo=1)
    json_mode = False
    json_schema: dict[str, Any] | None = None
    fmt = data.get("response_format")
    if fmt is not None:
        kind = obj(fmt, "response_format").get("type")
        if kind not in ("text", "json_object", "json_schema"):
            raise bad("response_format.type", "use 'text', 'json_object' or 'json_schema'")
        json_mode = kind != "text"
        if kind == "json_schema":
            json_schema = dict(obj(fmt.get("json_schema"), "response_format.json_schema"))
            if not isinstance(json_schema.get("schema", {}), dict):
                raise bad("response_format.json_schema.schema", "expected a JSON schema object")
    tool_choice = data.get("tool_choice")
    if tool_choice is not None and not isinstance(tool_choice, (str, dict)):
        raise bad("tool_choice", "expected 'none', 'auto', 'required' or an object")
    tools = tools_list(data)
    if not tools and data.get("functions") is not None:
        tools = _legacy_functions(data["functions"])
    if tool_choice is None and data.get("function_call") is not None:
        tool_choice = _legacy_function_call(data["function_call"])
    stream_options = data.get("stream_options")
    include_usage = bool(obj(stream_options, "stream_options").get("include_usage")) if stream_options else False
    seed = opt_int(data, "seed")
    request = ChatRequest(
        messages=messages, temperature=opt_number(data, "temperature", lo=0, hi=2), max_tokens=max_tokens,
        top_p=opt_number(data, "top_p", lo=0, hi=1), stop=stop_list(data, "stop"), json_mode=json_mode,
        json_schema=json_schema, tools=tools, tool_choice=tool_choice, seed=seed, n=n, logprobs=logprobs,
        top_logprobs=top_logprobs)
    return ParsedChat(request, model, opt_bool(data, "stream"), include_usage)


MAX_N = 16  # choices per request: each is generated (and reserved against the budget) in full


def choices_options(data: dict[str, Any]) -> tuple[int, bool, int | None]:
    """``n``, ``logprobs`` and ``top_logprobs`` of a chat request, checked together."""
    n = opt_int(data, "n", lo=1, hi=MAX_N) or 1
    if n > 1 and data.get("stream"):
        raise bad("n", "more than one choice cannot be streamed; use stream: false (or n: 1)")
    logprobs = opt_bool(data, "logprobs")
    top_logprobs = opt_int(data, "top_logprobs", lo=0, hi=20)
    if top_logprobs is not None and not logprobs:
        raise bad("top_logprobs", "needs logprobs: true")
    return n, logprobs, top_logprobs


def _calls_json(calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    return [{"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in calls]


def _logprobs_json(logprobs: tuple[TokenLogprob, ...] | None) -> dict[str, Any] | None:
    return None if logprobs is None else {"content": list(logprobs), "refusal": None}


def _choice_json(index: int, choice: Choice) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": choice.text if choice.text or not
                               choice.tool_calls else None, "refusal": None}
    if choice.tool_calls:
        message["tool_calls"] = _calls_json(choice.tool_calls)
    finish = "tool_calls" if choice.tool_calls and choice.finish_reason == "stop" else choice.finish_reason
    return {"index": index, "message": message, "finish_reason": finish, "logprobs": _logprobs_json(choice.logprobs)}


def completion_body(completion: Completion, *, response_id: str, model: str, meta: dict[str, Any]) -> bytes:
    usage = completion.usage
    return orjson.dumps({
        "id": response_id, "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [_choice_json(i, c) for i, c in enumerate(completion.choices)],
        "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                  "total_tokens": usage.total_tokens},
        "shoal": meta,
    })


class ChunkWriter:
    """Renders ``Chunk``s as OpenAI ``chat.completion.chunk`` SSE events."""

    __slots__ = ("completion_id", "created", "first", "include_usage", "model", "tool_index")

    def __init__(self, response_id: str, model: str, include_usage: bool) -> None:
        self.completion_id = response_id
        self.model = model
        self.created = int(time.time())
        self.first = True
        self.include_usage = include_usage
        self.tool_index = 0

    def _event(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        return b"data: " + orjson.dumps({"id": self.completion_id, "object": "chat.completion.chunk",
                                         "created": self.created, "model": self.model, "choices": choices,
                                         **extra}) + b"\n\n"

    def chunk(self, chunk: Chunk) -> bytes:
        delta: dict[str, Any] = {}
        if self.first:
            delta["role"] = "assistant"
            self.first = False
        if chunk.delta or not chunk.tool_calls:
            delta["content"] = chunk.delta
        if chunk.tool_calls:
            delta["tool_calls"] = [
                {"index": self.tool_index + i, "id": c.id, "type": "function",
                 "function": {"name": c.name, "arguments": c.arguments}} for i, c in enumerate(chunk.tool_calls)]
            self.tool_index += len(chunk.tool_calls)
        if chunk.finish_reason is None and not delta:
            return b""
        return self._event([{"index": 0, "delta": delta, "finish_reason": None,
                             "logprobs": _logprobs_json(chunk.logprobs)}])

    def finish(self, finish_reason: str, prompt_tokens: int, completion_tokens: int, meta: dict[str, Any]) -> bytes:
        if finish_reason == "stop" and self.tool_index:
            finish_reason = "tool_calls"
        out = self._event([{"index": 0, "delta": {}, "finish_reason": finish_reason, "logprobs": None}], shoal=meta)
        if self.include_usage:
            out += self._event([], usage={"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                          "total_tokens": prompt_tokens + completion_tokens})
        return out + b"data: [DONE]\n\n"

    @staticmethod
    def error(status: int, message: str, type: str, code: str | None) -> bytes:
        return b"data: " + orjson.dumps({"error": {"message": message, "type": type, "code": code}}) + b"\n\n"
