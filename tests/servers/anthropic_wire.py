"""Replies in the Anthropic Messages API wire format (JSON and the event stream)."""

from __future__ import annotations

import json
from typing import Any

from tests.servers.server import Reply


def message(text: str, *, model: str = "claude-sonnet-4-5-20250929", input_tokens: int = 21,
            output_tokens: int = 7, stop_reason: str = "end_turn",
            tool_uses: list[tuple[str, str, dict[str, Any]]] | None = None) -> Reply:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    content += [{"type": "tool_use", "id": tid, "name": name, "input": inp} for tid, name, inp in tool_uses or ()]
    return Reply(200, {
        "id": "msg_01Test", "type": "message", "role": "assistant", "model": model, "content": content,
        "stop_reason": stop_reason, "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens,
                  "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
    }, headers={"request-id": "req_test"})


def _event(name: str, data: dict[str, Any]) -> str:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n"


def stream_events(deltas: list[str], *, model: str = "claude-sonnet-4-5-20250929", input_tokens: int = 21,
                  output_tokens: int = 7, stop_reason: str = "end_turn",
                  tool_uses: list[tuple[str, str, str]] | None = None, stop: bool = True) -> list[str]:
    """message_start, ping, a text block of deltas, tool_use blocks (input streamed as
    input_json_delta fragments), message_delta with stop_reason and usage, message_stop."""
    events = [_event("message_start", {"type": "message_start", "message": {
        "id": "msg_01Test", "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": None, "stop_sequence": None,
        "usage": {"input_tokens": input_tokens, "output_tokens": 1}}})]
    events.append(_event("ping", {"type": "ping"}))
    index = 0
    if deltas:
        events.append(_event("content_block_start", {"type": "content_block_start", "index": 0,
                                                     "content_block": {"type": "text", "text": ""}}))
        events += [_event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                  "delta": {"type": "text_delta", "text": d}}) for d in deltas]
        events.append(_event("content_block_stop", {"type": "content_block_stop", "index": 0}))
        index = 1
    for tid, name, args in tool_uses or ():
        events.append(_event("content_block_start", {"type": "content_block_start", "index": index,
                                                     "content_block": {"type": "tool_use", "id": tid,
                                                                       "name": name, "input": {}}}))
        half = len(args) // 2
        for piece in ("", args[:half], args[half:]):
            events.append(_event("content_block_delta", {"type": "content_block_delta", "index": index,
                                                         "delta": {"type": "input_json_delta",
                                                                   "partial_json": piece}}))
        events.append(_event("content_block_stop", {"type": "content_block_stop", "index": index}))
        index += 1
    events.append(_event("message_delta", {"type": "message_delta",
                                           "delta": {"stop_reason": stop_reason, "stop_sequence": None},
                                           "usage": {"output_tokens": output_tokens}}))
    if stop:
        events.append(_event("message_stop", {"type": "message_stop"}))
    return events


def stream(deltas: list[str], *, cut: bool = False, **kw: Any) -> Reply:
    return Reply(200, chunks=list(stream_events(deltas, **kw)), cut=cut)


def error_body(type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": type, "message": message}}


def error(status: int, type: str, message: str, *, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, error_body(type, message), headers=headers or {})


def error_event(type: str, message: str) -> str:
    return _event("error", error_body(type, message))
