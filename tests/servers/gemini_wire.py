"""Replies in the Gemini API wire format (generateContent, streamGenerateContent?alt=sse, errors)."""

from __future__ import annotations

import json
from typing import Any

from tests.servers.server import Reply

_RATINGS = [{"category": "HARM_CATEGORY_HATE_SPEECH", "probability": "NEGLIGIBLE"},
            {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "NEGLIGIBLE"}]


def response_body(text: str | None, *, model: str = "gemini-2.5-flash", prompt_tokens: int = 9,
                  candidates_tokens: int | None = 6, finish_reason: str | None = "STOP",
                  function_calls: list[tuple[str, dict[str, Any]]] | None = None) -> dict[str, Any]:
    parts: list[dict[str, Any]] = [{"text": text}] if text else []
    parts += [{"functionCall": {"name": name, "args": args}} for name, args in function_calls or ()]
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    if finish_reason:
        candidate["finishReason"] = finish_reason
        candidate["safetyRatings"] = _RATINGS
    body: dict[str, Any] = {"candidates": [candidate], "modelVersion": model, "responseId": "resp-test"}
    if candidates_tokens is not None:
        body["usageMetadata"] = {"promptTokenCount": prompt_tokens, "candidatesTokenCount": candidates_tokens,
                                 "totalTokenCount": prompt_tokens + candidates_tokens}
    return body


def response(text: str | None, **kw: Any) -> Reply:
    return Reply(200, response_body(text, **kw))


def stream_events(deltas: list[str], *, model: str = "gemini-2.5-flash", prompt_tokens: int = 9,
                  candidates_tokens: int = 6, finish_reason: str = "STOP",
                  function_calls: list[tuple[str, dict[str, Any]]] | None = None,
                  finish: bool = True) -> list[str]:
    """One ``data:`` event per GenerateContentResponse; the last carries finishReason and usage.
    Gemini sends no end marker and separates events with CRLF pairs."""
    events: list[dict[str, Any]] = []
    for i, d in enumerate(deltas):
        last = finish and i == len(deltas) - 1 and not function_calls
        events.append(response_body(d, model=model, prompt_tokens=prompt_tokens,
                                    candidates_tokens=candidates_tokens if last else None,
                                    finish_reason=finish_reason if last else None))
    if function_calls:
        events.append(response_body(None, model=model, prompt_tokens=prompt_tokens,
                                    candidates_tokens=candidates_tokens,
                                    finish_reason=finish_reason if finish else None,
                                    function_calls=function_calls))
    return [f"data: {json.dumps(e)}\r\n\r\n" for e in events]


def stream(deltas: list[str], *, cut: bool = False, **kw: Any) -> Reply:
    return Reply(200, chunks=list(stream_events(deltas, **kw)), cut=cut)


def blocked(reason: str = "SAFETY") -> Reply:
    return Reply(200, {"promptFeedback": {"blockReason": reason, "safetyRatings": _RATINGS},
                       "usageMetadata": {"promptTokenCount": 9, "totalTokenCount": 9},
                       "modelVersion": "gemini-2.5-flash"})


def error(code: int, message: str, status: str, *, details: list[dict[str, Any]] | None = None,
          headers: dict[str, str] | None = None) -> Reply:
    err: dict[str, Any] = {"code": code, "message": message, "status": status}
    if details:
        err["details"] = details
    return Reply(code, {"error": err}, headers=headers or {})


def retry_info(delay: str) -> dict[str, Any]:
    return {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay}


def key_invalid() -> Reply:
    return error(400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT", details=[
        {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID",
         "domain": "googleapis.com", "metadata": {"service": "generativelanguage.googleapis.com"}}])


def embeddings(vectors: list[list[float]]) -> Reply:
    return Reply(200, {"embeddings": [{"values": v} for v in vectors]})


def blocked_stream(reason: str = "SAFETY") -> Reply:
    body = blocked(reason).body
    return Reply(200, chunks=[f"data: {json.dumps(body)}\r\n\r\n"])
