"""Replies in the OpenAI chat-completions / embeddings wire format (as api.openai.com sends them)."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.servers.server import Received, Reply


def _tool_calls(calls: list[tuple[str, str, str]] | None) -> list[dict[str, Any]] | None:
    if not calls:
        return None
    return [{"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
            for cid, name, args in calls]


def completion(text: str | None, *, model: str = "gpt-4o-mini-2024-07-18", prompt_tokens: int = 12,
               completion_tokens: int = 5, finish_reason: str = "stop",
               tool_calls: list[tuple[str, str, str]] | None = None) -> Reply:
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
    if tool_calls:
        message["tool_calls"] = _tool_calls(tool_calls)
    return Reply(200, {
        "id": "chatcmpl-test1", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
        "system_fingerprint": "fp_test",
    }, headers={"x-request-id": "req_test"})


def _chunk(model: str, delta: dict[str, Any] | None, finish: str | None = None,
           usage: dict[str, int] | None = None) -> str:
    data: dict[str, Any] = {"id": "chatcmpl-test1", "object": "chat.completion.chunk", "created": 1700000000,
                            "model": model, "system_fingerprint": "fp_test",
                            "choices": [] if delta is None else
                            [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}],
                            "usage": usage}
    return f"data: {json.dumps(data)}\n\n"


def stream_events(deltas: list[str], *, model: str = "gpt-4o-mini-2024-07-18", prompt_tokens: int = 12,
                  completion_tokens: int = 5, finish_reason: str = "stop", include_usage: bool = True,
                  tool_calls: list[tuple[str, str, str]] | None = None, done: bool = True) -> list[str]:
    """The SSE events of a streamed completion: role chunk, content chunks, finish chunk,
    the ``include_usage`` chunk (empty ``choices``) and ``data: [DONE]``."""
    events = [_chunk(model, {"role": "assistant", "content": "", "refusal": None})]
    events += [_chunk(model, {"content": d}) for d in deltas]
    for i, (cid, name, args) in enumerate(tool_calls or ()):
        half = len(args) // 2
        events.append(_chunk(model, {"tool_calls": [{"index": i, "id": cid, "type": "function",
                                                     "function": {"name": name, "arguments": ""}}]}))
        events.append(_chunk(model, {"tool_calls": [{"index": i, "function": {"arguments": args[:half]}}]}))
        events.append(_chunk(model, {"tool_calls": [{"index": i, "function": {"arguments": args[half:]}}]}))
    events.append(_chunk(model, {}, finish_reason))
    if include_usage:
        events.append(_chunk(model, None, usage={"prompt_tokens": prompt_tokens,
                                                 "completion_tokens": completion_tokens,
                                                 "total_tokens": prompt_tokens + completion_tokens}))
    if done:
        events.append("data: [DONE]\n\n")
    return events


def stream(deltas: list[str], *, cut: bool = False, chunk_delay_s: float = 0.0, **kw: Any) -> Reply:
    return Reply(200, chunks=list(stream_events(deltas, **kw)), cut=cut, chunk_delay_s=chunk_delay_s)


def error(status: int, message: str, *, type: str = "invalid_request_error", code: str | None = None,
          param: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    return Reply(status, {"error": {"message": message, "type": type, "param": param, "code": code}},
                 headers=headers or {})


def embeddings(vectors: list[list[float]], *, model: str = "text-embedding-3-small",
               prompt_tokens: int = 8, shuffled: bool = False) -> Reply:
    data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(vectors)]
    if shuffled:
        data.reverse()  # the API allows any order; clients must sort by index
    return Reply(200, {"object": "list", "data": data, "model": model,
                       "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}})


def echo(received: Received) -> Reply:
    """A handler answering with the last user message, streamed or not as the request asked."""
    body = received.json
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[-1]["content"] if users else ""
    text = content if isinstance(content, str) else " ".join(
        p.get("text", "") for p in content if p.get("type") == "text")
    model = str(body.get("model", "echo"))
    words = text.split(" ")
    if body.get("stream"):
        return stream([w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)], model=model,
                      completion_tokens=len(words))
    return completion(text, model=model, completion_tokens=len(words))
