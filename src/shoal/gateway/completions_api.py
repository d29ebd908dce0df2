"""The legacy OpenAI ``/v1/completions`` wire format (LlamaIndex's ``OpenAILike`` uses it by
default), mapped onto the chat request path: the prompt becomes one user message, so it is
scanned, routed, called, charged and recorded like any chat request."""

from __future__ import annotations

import time
from typing import Any

import orjson

from shoal.gateway.openai_api import MAX_N, ParsedChat
from shoal.gateway.validate import bad, opt_bool, opt_int, opt_number, req_str, stop_list
from shoal.models.types import ChatRequest, Chunk, Completion, Message


def parse_completion(data: dict[str, Any]) -> ParsedChat:
    model = req_str(data, "model")
    prompt = data.get("prompt")
    if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
        prompt = prompt[0]
    if not isinstance(prompt, str):
        raise bad("prompt", "expected a string (one prompt per request)")
    n = opt_int(data, "n", lo=1, hi=MAX_N) or 1
    if n > 1 and data.get("stream"):
        raise bad("n", "more than one choice cannot be streamed; use stream: false (or n: 1)")
    if data.get("best_of") not in (None, 1, n):
        raise bad("best_of", "choosing the best of several generations is not supported")
    if data.get("logprobs") is not None:
        raise bad("logprobs", "the legacy completions format's logprobs are not supported; "
                              "use /v1/chat/completions with logprobs: true")
    if data.get("echo"):
        raise bad("echo", "echoing the prompt is not supported")
    suffix = data.get("suffix")
    if suffix not in (None, ""):
        raise bad("suffix", "fill-in-the-middle is not supported")
    stream_options = data.get("stream_options")
    include_usage = bool(stream_options.get("include_usage")) if isinstance(stream_options, dict) else False
    request = ChatRequest(
        messages=(Message.user(prompt),), max_tokens=opt_int(data, "max_tokens", lo=1),
        temperature=opt_number(data, "temperature", lo=0, hi=2), top_p=opt_number(data, "top_p", lo=0, hi=1),
        stop=stop_list(data, "stop"), seed=opt_int(data, "seed"), n=n)
    return ParsedChat(request, model, opt_bool(data, "stream"), include_usage)


def text_completion_body(completion: Completion, *, response_id: str, model: str, meta: dict[str, Any]) -> bytes:
    usage = completion.usage
    return orjson.dumps({
        "id": response_id, "object": "text_completion", "created": int(time.time()), "model": model,
        "choices": [{"index": i, "text": c.text, "finish_reason": c.finish_reason, "logprobs": None}
                    for i, c in enumerate(completion.choices)],
        "usage": {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                  "total_tokens": usage.total_tokens},
        "shoal": meta,
    })


class TextChunkWriter:
    """Renders ``Chunk``s as ``text_completion`` SSE events."""

    __slots__ = ("created", "include_usage", "model", "response_id")

    def __init__(self, response_id: str, model: str, include_usage: bool) -> None:
        self.response_id = response_id
        self.model = model
        self.created = int(time.time())
        self.include_usage = include_usage

    def _event(self, choices: list[dict[str, Any]], **extra: Any) -> bytes:
        return b"data: " + orjson.dumps({"id": self.response_id, "object": "text_completion",
                                         "created": self.created, "model": self.model, "choices": choices,
                                         **extra}) + b"\n\n"

    def chunk(self, chunk: Chunk) -> bytes:
        if not chunk.delta:
            return b""
        return self._event([{"index": 0, "text": chunk.delta, "finish_reason": None, "logprobs": None}])

    def finish(self, finish_reason: str, prompt_tokens: int, completion_tokens: int, meta: dict[str, Any]) -> bytes:
        out = self._event([{"index": 0, "text": "", "finish_reason": finish_reason, "logprobs": None}], shoal=meta)
        if self.include_usage:
            out += self._event([], usage={"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                                          "total_tokens": prompt_tokens + completion_tokens})
        return out + b"data: [DONE]\n\n"

    @staticmethod
    def error(status: int, message: str, type: str, code: str | None) -> bytes:
        return b"data: " + orjson.dumps({"error": {"message": message, "type": type, "code": code}}) + b"\n\n"
