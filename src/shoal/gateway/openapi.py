"""The gateway's OpenAPI document (served at /openapi.json; the schemathesis fuzz test reads it)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

_ERROR = {"type": "object", "required": ["error"], "properties": {"error": {
    "type": "object", "required": ["message", "type"],
    "properties": {"message": {"type": "string"}, "type": {"type": "string"},
                   "code": {"type": ["string", "null"]}, "param": {"type": ["string", "null"]}}}}}

_TEXT_PART = {"type": "object", "required": ["type", "text"],
              "properties": {"type": {"const": "text"}, "text": {"type": "string"}}}
_IMAGE_PART = {"type": "object", "required": ["type", "image_url"], "properties": {
    "type": {"const": "image_url"},
    "image_url": {"type": "object", "required": ["url"], "properties": {
        "url": {"type": "string", "minLength": 1}, "detail": {"type": "string"}}}}}
_TOOL_CALL = {"type": "object", "required": ["id", "type", "function"], "properties": {
    "id": {"type": "string", "minLength": 1}, "type": {"const": "function"},
    "function": {"type": "object", "required": ["name", "arguments"], "properties": {
        "name": {"type": "string", "minLength": 1}, "arguments": {"type": "string"}}}}}
_MESSAGE = {"type": "object", "required": ["role", "content"], "properties": {
    "role": {"enum": ["system", "developer", "user", "assistant"]},
    "content": {"oneOf": [{"type": "string"},
                          {"type": "array", "items": {"oneOf": [_TEXT_PART, _IMAGE_PART]}}]},
    "name": {"type": "string"}}}
_TOOL_MESSAGE = {"type": "object", "required": ["role", "content", "tool_call_id"], "properties": {
    "role": {"const": "tool"}, "content": {"type": "string"}, "tool_call_id": {"type": "string", "minLength": 1}}}
_ASSISTANT_TOOLS = {"type": "object", "required": ["role", "tool_calls"], "properties": {
    "role": {"const": "assistant"}, "content": {"type": "null"},
    "tool_calls": {"type": "array", "minItems": 1, "items": _TOOL_CALL}}}
_TOOL = {"type": "object", "required": ["type", "function"], "properties": {
    "type": {"const": "function"},
    "function": {"type": "object", "required": ["name"], "properties": {
        "name": {"type": "string", "minLength": 1}, "description": {"type": "string"},
        "parameters": {"type": "object"}}}}}

_CHAT_REQUEST = {"type": "object", "required": ["model", "messages"], "properties": {
    "model": {"type": "string", "minLength": 1,
              "description": "a configured model, 'auto' (the router decides) or a RAG collection"},
    "messages": {"type": "array", "minItems": 1, "items": {"oneOf": [_MESSAGE, _TOOL_MESSAGE, _ASSISTANT_TOOLS]}},
    "temperature": {"type": "number", "minimum": 0, "maximum": 2},
    "top_p": {"type": "number", "minimum": 0, "maximum": 1},
    "max_tokens": {"type": "integer", "minimum": 1},
    "max_completion_tokens": {"type": "integer", "minimum": 1},
    "stop": {"oneOf": [{"type": "string"}, {"type": "array", "maxItems": 16, "items": {"type": "string"}}]},
    "stream": {"type": "boolean"},
    "stream_options": {"type": "object", "properties": {"include_usage": {"type": "boolean"}}},
    "n": {"type": "integer", "enum": [1]},
    "seed": {"type": "integer"},
    "response_format": {"type": "object", "required": ["type"], "properties": {
        "type": {"enum": ["text", "json_object", "json_schema"]}}},
    "tools": {"type": "array", "items": _TOOL},
    "tool_choice": {"oneOf": [{"enum": ["none", "auto", "required"]}, {"type": "object"}]},
    "user": {"type": "string"}}}

_SHOAL_META = {"type": "object", "properties": {
    "request_id": {"type": "string"}, "model": {"type": ["string", "null"]}, "route": {"type": ["string", "null"]},
    "reasons": {"type": "array", "items": {"type": "string"}},
    "sensitivity": {"type": "object"}, "citations": {"type": "array"}, "cost_usd": {"type": "number"}}}

_CHAT_RESPONSE = {"type": "object", "required": ["id", "object", "model", "choices", "usage"], "properties": {
    "id": {"type": "string"}, "object": {"const": "chat.completion"}, "created": {"type": "integer"},
    "model": {"type": "string"}, "choices": {"type": "array"}, "usage": {"type": "object"}, "shoal": _SHOAL_META}}

_A_BLOCK = {"oneOf": [
    {"type": "object", "required": ["type", "text"], "properties": {"type": {"const": "text"},
                                                                   "text": {"type": "string"}}},
    {"type": "object", "required": ["type", "source"], "properties": {
        "type": {"const": "image"}, "source": {"type": "object", "required": ["type", "media_type", "data"],
                                               "properties": {"type": {"const": "base64"},
                                                              "media_type": {"type": "string", "minLength": 1},
                                                              "data": {"type": "string", "minLength": 1}}}}}]}
_MESSAGES_REQUEST = {"type": "object", "required": ["model", "max_tokens", "messages"], "properties": {
    "model": {"type": "string", "minLength": 1}, "max_tokens": {"type": "integer", "minimum": 1},
    "system": {"type": "string"},
    "messages": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["role", "content"],
                                                           "properties": {
        "role": {"enum": ["user", "assistant"]},
        "content": {"oneOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": _A_BLOCK}]}}}},
    "temperature": {"type": "number", "minimum": 0, "maximum": 1},
    "top_p": {"type": "number", "minimum": 0, "maximum": 1},
    "stop_sequences": {"type": "array", "items": {"type": "string"}},
    "stream": {"type": "boolean"}}}

_EMBED_REQUEST = {"type": "object", "required": ["model", "input"], "properties": {
    "model": {"type": "string", "minLength": 1},
    "input": {"oneOf": [{"type": "string"}, {"type": "array", "minItems": 1, "maxItems": 2048,
                                             "items": {"type": "string"}}]},
    "encoding_format": {"enum": ["float", "base64"]}}}

_FEEDBACK_REQUEST = {"type": "object", "required": ["request_id"], "properties": {
    "request_id": {"type": "string", "minLength": 1}, "rating": {"oneOf": [
        {"type": "integer", "minimum": -1, "maximum": 5}, {"enum": ["up", "down", "1", "2", "3", "4", "5"]}]},
    "correction": {"type": "string"}, "comment": {"type": "string"}}}


def _op(summary: str, request: dict[str, Any] | None, ok: dict[str, Any], *, secured: bool = True,
        content_type: str = "application/json") -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {
        "200": {"description": "success", "content": {content_type: {"schema": ok}}},
        "default": {"description": "error", "content": {"application/json": {"schema": _ERROR}}}}}
    if request is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": request}}}
    if not secured:
        op["security"] = []
    return op


_WINDOW_PARAMS = [
    {"name": "since", "in": "query", "schema": {"type": "number"}, "description": "unix seconds (default: 7 days ago)"},
    {"name": "until", "in": "query", "schema": {"type": "number"}, "description": "unix seconds (default: now)"},
    {"name": "team", "in": "query", "schema": {"type": "string"},
     "description": "admin key: one team (default all); a team key may only name its own"},
]
_DASHBOARD_PAGES = {
    "whoami": "Who the key is: admin or team, and the teams it may see",
    "overview": "Requests, spend, tokens, latency p50/p95, error rate: totals and a time series (rollups)",
    "spend": "Spend by team, user, segment, model, key; self-hosted cost allocation; budgets",
    "routing": "Mix by model and route, reasons, router scores and escalation, savings vs all-frontier",
    "privacy": "Sensitive requests kept self-hosted, sent outside, refused; top reasons (never content)",
    "requests": "The request log, newest first, one keyset page at a time (no content)",
    "evals": "Eval runs (quality, latency, cost per target) and the latest recommendation",
    "feedback": "Feedback queue counts, recent items, dataset versions",
    "models": "Configured models (prices, hourly cost) and the registry (aliases, promotions, rollbacks)",
    "tco": "Buy / Build / Blend for a month of the window's traffic; a.NAME=VALUE overrides an assumption",
}
_REQUEST_FILTERS = [
    {"name": n, "in": "query", "schema": {"type": t}} for n, t in
    (("model", "string"), ("route", "string"), ("sensitivity", "string"), ("status", "integer"),
     ("user", "string"), ("key", "string"), ("limit", "integer"), ("before_ts", "number"), ("before_id", "string"))]


def _dashboard_paths() -> dict[str, Any]:
    obj = {"type": "object"}
    paths: dict[str, Any] = {}
    for page, summary in _DASHBOARD_PAGES.items():
        op = _op(f"Dashboard: {summary}", None, obj)
        op["parameters"] = [*_WINDOW_PARAMS, *(_REQUEST_FILTERS if page == "requests" else [])]
        paths[f"/v1/dashboard/{page}"] = {"get": op}
    detail = _op("Dashboard: one request; content only where the key may read it", None, obj)
    detail["parameters"] = [{"name": "request_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    paths["/v1/dashboard/requests/{request_id}"] = {"get": detail}
    paths["/dashboard"] = {"get": _op("The dashboard (HTML; log in with a key in the page)", None,
                                      {"type": "string"}, secured=False, content_type="text/html")}
    return paths


@lru_cache(maxsize=1)
def openapi_document() -> dict[str, Any]:
    obj = {"type": "object"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Shoal gateway", "version": "1",
                 "description": "OpenAI- and Anthropic-compatible gateway with keys, budgets and routing."},
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": {
            "/v1/chat/completions": {"post": _op("Chat completion (OpenAI format; stream: true for SSE)",
                                                 _CHAT_REQUEST, _CHAT_RESPONSE)},
            "/v1/messages": {"post": _op("Messages (Anthropic format)", _MESSAGES_REQUEST, obj)},
            "/v1/embeddings": {"post": _op("Embeddings (OpenAI format)", _EMBED_REQUEST, obj)},
            "/v1/models": {"get": _op("Models, 'auto' and RAG collections", None, obj)},
            "/v1/feedback": {"post": _op("Rate or correct an answer", _FEEDBACK_REQUEST, obj),
                             "get": _op("Feedback of the caller's team", None, obj)},
            "/v1/requests": {"get": _op("Request log of the caller's team", None, obj)},
            "/v1/usage": {"get": _op("Usage of the caller's team", None, obj)},
            "/healthz": {"get": _op("Liveness", None, obj, secured=False)},
            "/readyz": {"get": _op("Readiness (store reachable)", None, obj, secured=False)},
            "/metrics": {"get": _op("Prometheus metrics", None, {"type": "string"}, secured=False,
                                    content_type="text/plain")},
            **_dashboard_paths(),
        },
    }
