"""OpenAI's Responses wire format (``POST /v1/responses``), mapped onto the chat request path.

``input`` (a string, or a list of items: messages, ``function_call`` and ``function_call_output``)
and ``instructions`` become the messages of a ``ChatRequest``; function tools, ``tool_choice`` and
``text.format`` become its tools, tool choice and JSON schema; ``include:
["message.output_text.logprobs"]`` (or ``top_logprobs``) asks for per-token log probabilities. So a Responses request is
authenticated, budgeted, scanned (every field the model reads: ``request_text``), routed, called,
charged and recorded exactly like a chat request.

What the gateway does not keep is refused with a 400 naming the field, never ignored: there is no
server-side conversation state (``previous_response_id``, ``conversation``, ``item_reference``
items: send the whole conversation in ``input``), no background mode, and only function tools.
``store`` is accepted and has no effect: a response is not retrievable later by id (the request
log keeps the record, under the same id, in ``GET /v1/requests``).
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from shoal.gateway.openai_api import ParsedChat
from shoal.gateway.validate import bad, obj, opt_bool, opt_int, opt_number, opt_str, req_str
from shoal.models.types import (
    ChatRequest,
    Chunk,
    Completion,
    ImagePart,
    Message,
    Part,
    TextPart,
    TokenLogprob,
    ToolCall,
)

LOGPROBS_INCLUDE = "message.output_text.logprobs"  # the one extra the gateway can return
_ROLES = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}

# Fields that need state or machinery the gateway does not have: each is a 400 that says so.
_UNSUPPORTED: dict[str, str] = {
    "previous_response_id": "the gateway keeps no conversation state; send the whole conversation in 'input'",
    "conversation": "the gateway keeps no conversation state; send the whole conversation in 'input'",
    "background": "background responses are not supported; use stream: true for long answers",
    "prompt": "stored prompt templates are not supported; send 'instructions' and 'input'",
    "reasoning": "reasoning options are not supported by the gateway's models",
    "max_tool_calls": "a limit on built-in tool calls is not supported (only function tools are)",
}


class ParsedResponses(ParsedChat):
    """A parsed Responses request: the ``ChatRequest`` plus the fields echoed in the response object."""

    __slots__ = ("echo",)

    def __init__(self, request: ChatRequest, model: str, stream: bool, echo: dict[str, Any]) -> None:
        super().__init__(request, model, stream, False)
        self.echo = echo


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise bad(where, f"expected a string, got {type(value).__name__}")
    return value


def _content(raw: Any, where: str, role: str) -> str | tuple[Part, ...]:
    """A message's content: a string or a list of input/output parts."""
    if isinstance(raw, str):
        return raw
    if not isinstance(raw, list):
        raise bad(where, "expected a string or an array of content parts")
    parts: list[Part] = []
    for j, item in enumerate(raw):
        w = f"{where}[{j}]"
        part = obj(item, w)
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text"):
            parts.append(TextPart(_text(part.get("text"), f"{w}.text")))
        elif kind == "refusal" and role == "assistant":
            parts.append(TextPart(_text(part.get("refusal"), f"{w}.refusal")))
        elif kind == "input_image":
            url = part.get("image_url")
            if not isinstance(url, str) or not url:
                raise bad(f"{w}.image_url", "is required (an https or data URL; file ids are not supported)")
            parts.append(ImagePart(url, detail=opt_str(part, "detail", f"{w}.detail")))
        else:
            raise bad(f"{w}.type", f"unsupported content part type {kind!r}; use 'input_text' or 'input_image'"
                      " (files are not supported)")
    if all(isinstance(p, TextPart) for p in parts):
        return "".join(p.text for p in parts if isinstance(p, TextPart))
    return tuple(parts)


def _output_text(raw: Any, where: str) -> str:
    """A ``function_call_output``'s output: a string, or a list of text parts."""
    if isinstance(raw, str):
        return raw
    content = _content(raw, where, "user")
    if not isinstance(content, str):
        raise bad(where, "a function call output may hold text only")
    return content


def _arguments(raw: Any, where: str) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, dict):
        return orjson.dumps(raw).decode()
    raise bad(where, "expected the arguments as a JSON string")


def parse_input(value: Any) -> list[Message]:
    """``input`` as chat messages: consecutive ``function_call`` items become one assistant turn."""
    if isinstance(value, str):
        return [Message.user(value)]
    if not isinstance(value, list) or not value:
        raise bad("input", "expected a string or a non-empty array of input items")
    messages: list[Message] = []
    calls: list[ToolCall] = []

    def flush_calls() -> None:
        if not calls:
            return
        last = messages[-1] if messages else None
        if last is not None and last.role == "assistant" and not last.tool_calls:
            # An assistant message followed by its calls is one chat turn (text and tool calls).
            messages[-1] = Message("assistant", last.content, tool_calls=tuple(calls))
        else:
            messages.append(Message("assistant", "", tool_calls=tuple(calls)))
        calls.clear()

    for i, raw in enumerate(value):
        where = f"input[{i}]"
        item = obj(raw, where)
        kind = item.get("type", "message")
        if kind == "function_call":
            calls.append(ToolCall(id=req_str(item, "call_id", f"{where}.call_id"),
                                  name=req_str(item, "name", f"{where}.name"),
                                  arguments=_arguments(item.get("arguments", ""), f"{where}.arguments")))
            continue
        flush_calls()
        if kind == "message":
            raw_role = item.get("role")
            role = _ROLES.get(raw_role) if isinstance(raw_role, str) else None
            if role is None:
                raise bad(f"{where}.role", f"unknown role {raw_role!r}; use user, assistant, system or developer")
            if "content" not in item:
                raise bad(f"{where}.content", "is required")
            messages.append(Message(role, _content(item["content"], f"{where}.content", role)))  # type: ignore[arg-type]
        elif kind == "function_call_output":
            messages.append(Message("tool", _output_text(item.get("output"), f"{where}.output"),
                                    tool_call_id=req_str(item, "call_id", f"{where}.call_id")))
        elif kind == "item_reference":
            raise bad(f"{where}.type", "item references need stored responses, which the gateway does not keep; "
                      "send the item itself")
        else:
            raise bad(f"{where}.type", f"unsupported input item type {kind!r}; use 'message', 'function_call' "
                      "or 'function_call_output'")
    flush_calls()
    return messages


def _tools(value: Any) -> tuple[dict[str, Any], ...]:
    """Responses function tools (flat: name, parameters...) in the chat shape the providers take."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise bad("tools", f"expected an array of tools, got {type(value).__name__}")
    out: list[dict[str, Any]] = []
    for i, raw in enumerate(value):
        where = f"tools[{i}]"
        tool = obj(raw, where)
        if tool.get("type") != "function":
            raise bad(f"{where}.type", f"only 'function' tools are supported (got {tool.get('type')!r})")
        fn: dict[str, Any] = {"name": req_str(tool, "name", f"{where}.name")}
        description = opt_str(tool, "description", f"{where}.description")
        if description is not None:
            fn["description"] = description
        if tool.get("parameters") is not None:
            fn["parameters"] = obj(tool["parameters"], f"{where}.parameters")
        if tool.get("strict") is not None:
            fn["strict"] = opt_bool(tool, "strict")
        out.append({"type": "function", "function": fn})
    return tuple(out)


def _tool_choice(value: Any) -> str | dict[str, Any] | None:
    if value is None or value in ("none", "auto", "required"):
        return value  # type: ignore[no-any-return]
    choice = obj(value, "tool_choice") if not isinstance(value, str) else None
    if choice is None:
        raise bad("tool_choice", "use 'none', 'auto', 'required' or {type: 'function', name}")
    if choice.get("type") != "function":
        raise bad("tool_choice.type", "only {type: 'function', name} is supported")
    return {"type": "function", "function": {"name": req_str(choice, "name", "tool_choice.name")}}


def _text_format(value: Any) -> tuple[bool, dict[str, Any] | None]:
    """``text.format`` → (JSON mode, JSON schema in the chat API's ``json_schema`` shape)."""
    if value is None:
        return False, None
    text = obj(value, "text")
    if text.get("verbosity") not in (None, "medium"):
        raise bad("text.verbosity", "only the default verbosity is supported")
    fmt = text.get("format")
    if fmt is None:
        return False, None
    fmt = obj(fmt, "text.format")
    kind = fmt.get("type")
    if kind == "text":
        return False, None
    if kind == "json_object":
        return True, None
    if kind == "json_schema":
        schema = obj(fmt.get("schema"), "text.format.schema")
        out: dict[str, Any] = {"name": req_str(fmt, "name", "text.format.name"), "schema": schema}
        if fmt.get("description") is not None:
            out["description"] = opt_str(fmt, "description", "text.format.description")
        if fmt.get("strict") is not None:
            out["strict"] = opt_bool(fmt, "strict")
        return True, out
    raise bad("text.format.type", "use 'text', 'json_object' or 'json_schema'")


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    meta = obj(value, "metadata")
    if len(meta) > 16 or not all(isinstance(v, str) and len(k) <= 64 and len(v) <= 512 for k, v in meta.items()):
        raise bad("metadata", "expected at most 16 string values (keys up to 64, values up to 512 characters)")
    return dict(meta)


def parse_responses(data: dict[str, Any]) -> ParsedResponses:
    for key, why in _UNSUPPORTED.items():
        if data.get(key) is not None:
            raise bad(key, why)
    if data.get("truncation") not in (None, "disabled"):
        raise bad("truncation", "only 'disabled' is supported: a prompt longer than the model's window is a 400")
    include = data.get("include") or []
    if not isinstance(include, list) or any(i != LOGPROBS_INCLUDE for i in include):
        raise bad("include", f"only {LOGPROBS_INCLUDE!r} is available")
    top_logprobs = opt_int(data, "top_logprobs", lo=0, hi=20)
    model = req_str(data, "model")
    messages: list[Message] = []
    instructions = opt_str(data, "instructions")
    if instructions:
        messages.append(Message.system(instructions))
    if data.get("input") is None:
        raise bad("input", "is required (a string or an array of input items)")
    messages.extend(parse_input(data["input"]))
    json_mode, json_schema = _text_format(data.get("text"))
    tools = _tools(data.get("tools"))
    tool_choice = _tool_choice(data.get("tool_choice"))
    request = ChatRequest(
        messages=tuple(messages), temperature=opt_number(data, "temperature", lo=0, hi=2),
        max_tokens=opt_int(data, "max_output_tokens", lo=1), top_p=opt_number(data, "top_p", lo=0, hi=1),
        json_mode=json_mode, json_schema=json_schema, tools=tools, tool_choice=tool_choice,
        logprobs=bool(include) or top_logprobs is not None, top_logprobs=top_logprobs)
    parallel = data.get("parallel_tool_calls")
    echo = {
        "instructions": instructions, "max_output_tokens": request.max_tokens, "metadata": _metadata(data.get("metadata")),
        "parallel_tool_calls": True if parallel is None else opt_bool(data, "parallel_tool_calls"),
        "temperature": request.temperature, "top_p": request.top_p,
        "tool_choice": data.get("tool_choice") or "auto", "tools": data.get("tools") or [],
        "text": data.get("text") or {"format": {"type": "text"}}, "truncation": "disabled",
        "store": opt_bool(data, "store") if data.get("store") is not None else False,
        "user": opt_str(data, "user"), "top_logprobs": top_logprobs,
    }
    return ParsedResponses(request, model, opt_bool(data, "stream"), echo)


# --- output ---------------------------------------------------------------------------------------

def _item_id(response_id: str, prefix: str, n: int) -> str:
    # Derived from the response id: unique per response, stable between the stream and its snapshot.
    return f"{prefix}_{response_id.removeprefix('resp_')}_{n}"


def _message_item(item_id: str, text: str, status: str,
                  logprobs: tuple[TokenLogprob, ...] | list[TokenLogprob] | None = None) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": list(logprobs or ())}] \
        if status == "completed" else []
    return {"id": item_id, "type": "message", "status": status, "role": "assistant", "content": content}


def _call_item(item_id: str, call: ToolCall, status: str) -> dict[str, Any]:
    return {"id": item_id, "type": "function_call", "status": status, "call_id": call.id, "name": call.name,
            "arguments": call.arguments if status == "completed" else ""}


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {"input_tokens": prompt_tokens, "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": completion_tokens, "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": prompt_tokens + completion_tokens}


def _response(response_id: str, model: str, created: int, echo: dict[str, Any] | None, *, status: str,
              output: list[dict[str, Any]], usage: dict[str, Any] | None = None,
              finish_reason: str | None = None, meta: dict[str, Any] | None = None) -> dict[str, Any]:
    incomplete = {"reason": "max_output_tokens"} if finish_reason == "length" else \
        {"reason": "content_filter"} if finish_reason == "content_filter" else None
    body: dict[str, Any] = {
        "id": response_id, "object": "response", "created_at": created, "status": status, "error": None,
        "incomplete_details": incomplete, "model": model, "output": output, "usage": usage,
        **(echo or {}),
    }
    if meta is not None:
        body["shoal"] = meta
    return body


def _status(finish_reason: str) -> str:
    return "incomplete" if finish_reason in ("length", "content_filter") else "completed"


def response_body(completion: Completion, *, response_id: str, model: str, meta: dict[str, Any],
                  parsed: ParsedChat | None = None) -> bytes:
    output: list[dict[str, Any]] = []
    if completion.text or not completion.tool_calls:
        output.append(_message_item(_item_id(response_id, "msg", 0), completion.text, "completed", completion.logprobs))
    for call in completion.tool_calls:
        output.append(_call_item(_item_id(response_id, "fc", len(output)), call, "completed"))
    usage = completion.usage
    echo = parsed.echo if isinstance(parsed, ParsedResponses) else None
    return orjson.dumps(_response(response_id, model, int(time.time()), echo, status=_status(completion.finish_reason),
                                  output=output, usage=_usage(usage.prompt_tokens, usage.completion_tokens),
                                  finish_reason=completion.finish_reason, meta=meta))


def _event(data: dict[str, Any]) -> bytes:
    return b"event: " + str(data["type"]).encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


class ResponsesEventWriter:
    """Renders ``Chunk``s as the Responses stream: response.created, output items and their deltas,
    then response.completed (or response.incomplete) with the whole response and its usage."""

    __slots__ = ("created", "echo", "logprobs", "model", "output", "response_id", "seq", "started", "text",
                 "text_index")

    def __init__(self, response_id: str, model: str, include_usage: bool = False,
                 parsed: ParsedChat | None = None) -> None:
        self.response_id = response_id
        self.model = model
        self.created = int(time.time())
        self.echo = parsed.echo if isinstance(parsed, ParsedResponses) else None
        self.seq = 0
        self.started = False
        self.output: list[dict[str, Any]] = []  # finished items, in output order
        self.text: list[str] | None = None  # the open message item's text so far
        self.logprobs: list[TokenLogprob] = []  # ... and its tokens' logprobs
        self.text_index = -1

    def _emit(self, kind: str, **fields: Any) -> bytes:
        data = {"type": kind, "sequence_number": self.seq, **fields}
        self.seq += 1
        return _event(data)

    def _snapshot(self, status: str, **kw: Any) -> dict[str, Any]:
        return _response(self.response_id, self.model, self.created, self.echo, status=status, **kw)

    def _start(self) -> bytes:
        self.started = True
        return (self._emit("response.created", response=self._snapshot("in_progress", output=[]))
                + self._emit("response.in_progress", response=self._snapshot("in_progress", output=[])))

    def _open_text(self) -> bytes:
        self.text = []
        self.logprobs = []
        self.text_index = len(self.output)
        item_id = _item_id(self.response_id, "msg", self.text_index)
        return (self._emit("response.output_item.added", output_index=self.text_index,
                           item=_message_item(item_id, "", "in_progress"))
                + self._emit("response.content_part.added", item_id=item_id, output_index=self.text_index,
                             content_index=0, part={"type": "output_text", "text": "", "annotations": [],
                                                    "logprobs": []}))

    def _close_text(self) -> bytes:
        if self.text is None:
            return b""
        text, self.text = "".join(self.text), None
        index = self.text_index
        item_id = _item_id(self.response_id, "msg", index)
        item = _message_item(item_id, text, "completed", self.logprobs)
        self.output.append(item)
        return (self._emit("response.output_text.done", item_id=item_id, output_index=index, content_index=0,
                           text=text, logprobs=self.logprobs)
                + self._emit("response.content_part.done", item_id=item_id, output_index=index, content_index=0,
                             part=item["content"][0])
                + self._emit("response.output_item.done", output_index=index, item=item))

    def _call(self, call: ToolCall) -> bytes:
        index = len(self.output)
        item_id = _item_id(self.response_id, "fc", index)
        item = _call_item(item_id, call, "completed")
        self.output.append(item)
        return (self._emit("response.output_item.added", output_index=index,
                           item=_call_item(item_id, call, "in_progress"))
                + self._emit("response.function_call_arguments.delta", item_id=item_id, output_index=index,
                             delta=call.arguments)
                + self._emit("response.function_call_arguments.done", item_id=item_id, output_index=index,
                             name=call.name, arguments=call.arguments)
                + self._emit("response.output_item.done", output_index=index, item=item))

    def chunk(self, chunk: Chunk) -> bytes:
        out = b"" if self.started else self._start()
        if chunk.delta or chunk.logprobs:
            if self.text is None:
                out += self._open_text()
            assert self.text is not None
            self.text.append(chunk.delta)
            self.logprobs.extend(chunk.logprobs or ())
            item_id = _item_id(self.response_id, "msg", self.text_index)
            out += self._emit("response.output_text.delta", item_id=item_id, output_index=self.text_index,
                              content_index=0, delta=chunk.delta, logprobs=list(chunk.logprobs or ()))
        for call in chunk.tool_calls:
            out += self._close_text() + self._call(call)
        return out

    def finish(self, finish_reason: str, prompt_tokens: int, completion_tokens: int, meta: dict[str, Any]) -> bytes:
        out = b"" if self.started else self._start()
        if not self.output and self.text is None:
            out += self._open_text()  # an empty answer is still one (empty) message
        out += self._close_text()
        status = _status(finish_reason)
        final = self._snapshot(status, output=self.output, usage=_usage(prompt_tokens, completion_tokens),
                               finish_reason=finish_reason, meta=meta)
        return out + self._emit("response.completed" if status == "completed" else "response.incomplete",
                                response=final)

    @staticmethod
    def error(status: int, message: str, type: str, code: str | None) -> bytes:
        # The Responses ``error`` event; its ``error`` object makes the OpenAI SDK raise mid-stream.
        return _event({"type": "error", "code": code, "message": message, "param": None, "sequence_number": 0,
                       "error": {"type": type, "code": code, "message": message}})
