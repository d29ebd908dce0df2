"""Anthropic's Messages wire format (``POST /v1/messages``), so the official SDK works unchanged."""

from __future__ import annotations

from typing import Any

import orjson

from shoal.gateway.openai_api import ParsedChat
from shoal.gateway.validate import bad, obj, opt_bool, opt_int, opt_number, opt_str, req_list, req_str
from shoal.models.types import ChatRequest, Chunk, Completion, ImagePart, Message, Part, TextPart, ToolCall

_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "content_filter": "refusal",
         "error": "end_turn"}


def _system(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        texts = []
        for i, block in enumerate(value):
            block = obj(block, f"system[{i}]")
            if block.get("type") != "text" or not isinstance(block.get("text"), str):
                raise bad(f"system[{i}]", "expected a text block {type: 'text', text: '...'}")
            texts.append(block["text"])
        return "\n".join(texts)
    raise bad("system", "expected a string or an array of text blocks")


def _image(block: dict[str, Any], where: str) -> ImagePart:
    source = obj(block.get("source"), f"{where}.source")
    kind = source.get("type")
    if kind == "base64":
        media = req_str(source, "media_type", f"{where}.source.media_type")
        data = req_str(source, "data", f"{where}.source.data")
        return ImagePart(f"data:{media};base64,{data}")
    if kind == "url":
        return ImagePart(req_str(source, "url", f"{where}.source.url"))
    raise bad(f"{where}.source.type", "use 'base64' or 'url'")


def _tool_result_text(value: Any, where: str) -> str:
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, list):
        return "".join(b["text"] for b in value
                       if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str))
    raise bad(where, "expected a string or an array of content blocks")


def _message(raw: Any, i: int) -> list[Message]:
    where = f"messages[{i}]"
    msg = obj(raw, where)
    role = msg.get("role")
    if role not in ("user", "assistant"):
        raise bad(f"{where}.role", f"unknown role {role!r}; use 'user' or 'assistant'")
    content = msg.get("content")
    if isinstance(content, str):
        return [Message(role, content)]
    if not isinstance(content, list):
        raise bad(f"{where}.content", "expected a string or an array of content blocks")
    parts: list[Part] = []
    calls: list[ToolCall] = []
    results: list[Message] = []
    for j, raw_block in enumerate(content):
        w = f"{where}.content[{j}]"
        block = obj(raw_block, w)
        kind = block.get("type")
        if kind == "text":
            text = block.get("text")
            if not isinstance(text, str):
                raise bad(f"{w}.text", "expected a string")
            parts.append(TextPart(text))
        elif kind == "image":
            parts.append(_image(block, w))
        elif kind == "tool_use" and role == "assistant":
            calls.append(ToolCall(id=req_str(block, "id", f"{w}.id"), name=req_str(block, "name", f"{w}.name"),
                                  arguments=orjson.dumps(block.get("input") or {}).decode()))
        elif kind == "tool_result" and role == "user":
            results.append(Message("tool", _tool_result_text(block.get("content"), f"{w}.content"),
                                   tool_call_id=req_str(block, "tool_use_id", f"{w}.tool_use_id")))
        else:
            raise bad(f"{w}.type", f"unsupported block type {kind!r} in a {role} message")
    out = results
    if parts or calls or not results:
        text_only = all(isinstance(p, TextPart) for p in parts)
        body: str | tuple[Part, ...] = "".join(p.text for p in parts if isinstance(p, TextPart)) \
            if text_only else tuple(parts)
        out = [*results, Message(role, body, tool_calls=tuple(calls))]
    return out


def _tools(value: Any) -> tuple[dict[str, Any], ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad("tools", "expected an array")
    tools = []
    for i, raw in enumerate(value):
        tool = obj(raw, f"tools[{i}]")
        schema = tool.get("input_schema")
        tools.append({"type": "function", "function": {
            "name": req_str(tool, "name", f"tools[{i}].name"), "description": opt_str(tool, "description") or "",
            "parameters": obj(schema, f"tools[{i}].input_schema") if schema is not None else {"type": "object"}}})
    return tuple(tools)


def _tool_choice(value: Any) -> str | dict[str, Any] | None:
    if value is None:
        return None
    choice = obj(value, "tool_choice")
    kind = choice.get("type")
    if kind == "tool":
        return {"type": "function", "function": {"name": req_str(choice, "name", "tool_choice.name")}}
    mapped = {"auto": "auto", "any": "required", "none": "none"}.get(kind) if isinstance(kind, str) else None
    if mapped is None:
        raise bad("tool_choice.type", "use 'auto', 'any', 'tool' or 'none'")
    return mapped


def parse_messages_request(data: dict[str, Any]) -> ParsedChat:
    model = req_str(data, "model")
    max_tokens = opt_int(data, "max_tokens", lo=1)
    if max_tokens is None:
        raise bad("max_tokens", "is required (a positive integer)")
    messages: list[Message] = []
    system = _system(data.get("system"))
    if system:
        messages.append(Message.system(system))
    for i, raw in enumerate(req_list(data, "messages")):
        messages.extend(_message(raw, i))
    stops = data.get("stop_sequences")
    if stops is not None and not (isinstance(stops, list) and all(isinstance(s, str) for s in stops)):
        raise bad("stop_sequences", "expected an array of strings")
    request = ChatRequest(messages=tuple(messages), max_tokens=max_tokens,
                          temperature=opt_number(data, "temperature", lo=0, hi=1),
                          top_p=opt_number(data, "top_p", lo=0, hi=1), stop=tuple(stops or ()),
                          tools=_tools(data.get("tools")), tool_choice=_tool_choice(data.get("tool_choice")))
    return ParsedChat(request, model, opt_bool(data, "stream"), False)


def _content(text: str, calls: tuple[ToolCall, ...]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [{"type": "text", "text": text}] if text or not calls else []
    for c in calls:
        try:
            args = orjson.loads(c.arguments) if c.arguments else {}
        except orjson.JSONDecodeError:
            args = {"_raw": c.arguments}
        blocks.append({"type": "tool_use", "id": c.id, "name": c.name, "input": args})
    return blocks


def message_body(completion: Completion, *, response_id: str, model: str, meta: dict[str, Any]) -> bytes:
    stop = "tool_use" if completion.tool_calls else _STOP.get(completion.finish_reason, "end_turn")
    return orjson.dumps({
        "id": response_id, "type": "message", "role": "assistant", "model": model,
        "content": _content(completion.text, completion.tool_calls), "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": completion.usage.prompt_tokens, "output_tokens": completion.usage.completion_tokens},
        "shoal": meta,
    })


def _event(name: str, data: dict[str, Any]) -> bytes:
    return b"event: " + name.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class EventWriter:
    """Renders ``Chunk``s as Anthropic stream events (message_start, content blocks, message_delta...)."""

    __slots__ = ("index", "message_id", "model", "started", "text_open", "tools_seen")

    def __init__(self, response_id: str, model: str, include_usage: bool = False) -> None:
        self.message_id = response_id
        self.model = model
        self.started = False
        self.text_open = False
        self.index = 0
        self.tools_seen = False

    def _start(self) -> bytes:
        self.started = True
        return _event("message_start", {"type": "message_start", "message": {
            "id": self.message_id, "type": "message", "role": "assistant", "model": self.model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 0, "output_tokens": 0}}})

    def chunk(self, chunk: Chunk) -> bytes:
        out = b"" if self.started else self._start()
        if chunk.delta:
            if not self.text_open:
                out += _event("content_block_start", {"type": "content_block_start", "index": self.index,
                                                      "content_block": {"type": "text", "text": ""}})
                self.text_open = True
            out += _event("content_block_delta", {"type": "content_block_delta", "index": self.index,
                                                  "delta": {"type": "text_delta", "text": chunk.delta}})
        for call in chunk.tool_calls:
            self.tools_seen = True
            out += self._close_text()
            out += _event("content_block_start", {"type": "content_block_start", "index": self.index,
                                                  "content_block": {"type": "tool_use", "id": call.id,
                                                                    "name": call.name, "input": {}}})
            out += _event("content_block_delta", {"type": "content_block_delta", "index": self.index,
                                                  "delta": {"type": "input_json_delta",
                                                            "partial_json": call.arguments or "{}"}})
            out += _event("content_block_stop", {"type": "content_block_stop", "index": self.index})
            self.index += 1
        return out

    def _close_text(self) -> bytes:
        if not self.text_open:
            return b""
        self.text_open = False
        self.index += 1
        return _event("content_block_stop", {"type": "content_block_stop", "index": self.index - 1})

    def finish(self, finish_reason: str, prompt_tokens: int, completion_tokens: int, meta: dict[str, Any]) -> bytes:
        out = b"" if self.started else self._start()
        out += self._close_text()
        stop = "tool_use" if self.tools_seen and finish_reason in ("stop", "tool_calls") else _STOP.get(finish_reason, "end_turn")
        out += _event("message_delta", {"type": "message_delta",
                                        "delta": {"stop_reason": stop, "stop_sequence": None},
                                        "usage": {"input_tokens": prompt_tokens, "output_tokens": completion_tokens},
                                        "shoal": meta})
        return out + _event("message_stop", {"type": "message_stop"})

    @staticmethod
    def error(status: int, message: str, type: str, code: str | None) -> bytes:
        return _event("error", {"type": "error", "error": {"type": "api_error" if status >= 500 else type,
                                                           "message": message, "code": code}})
