"""The gateway's OpenAPI document (served at /openapi.json; the schemathesis fuzz test reads it)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from shoal.store.dashboard_sql import GRAINS as _GRAINS
from shoal.store.records import FEEDBACK_STATUSES as _FEEDBACK_STATUSES
from shoal.store.requests_sql import GROUPS as _USAGE_GROUPS

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
    "n": {"type": "integer", "minimum": 1, "maximum": 16,
          "description": "choices; > 1 not with stream, and only on models that can (else a 400 naming n)"},
    "logprobs": {"type": "boolean", "description": "per-token log probabilities (a 400 where the model has none)"},
    "top_logprobs": {"type": "integer", "minimum": 0, "maximum": 20, "description": "needs logprobs: true"},
    "seed": {"type": "integer"},
    "response_format": {"type": "object", "required": ["type"], "properties": {
        "type": {"enum": ["text", "json_object", "json_schema"]}}},
    "tools": {"type": "array", "items": _TOOL},
    "tool_choice": {"oneOf": [{"enum": ["none", "auto", "required"]}, {"type": "object"}]},
    "user": {"type": "string"}}}

_R_PART = {"oneOf": [
    {"type": "object", "required": ["type", "text"], "properties": {
        "type": {"enum": ["input_text", "output_text"]}, "text": {"type": "string"}}},
    {"type": "object", "required": ["type", "image_url"], "properties": {
        "type": {"const": "input_image"}, "image_url": {"type": "string", "minLength": 1},
        "detail": {"enum": ["auto", "low", "high"]}}}]}
_R_ITEM = {"oneOf": [
    {"type": "object", "required": ["role", "content"], "properties": {
        "type": {"const": "message"}, "role": {"enum": ["user", "assistant", "system", "developer"]},
        "content": {"oneOf": [{"type": "string"}, {"type": "array", "items": _R_PART}]}}},
    {"type": "object", "required": ["type", "call_id", "name", "arguments"], "properties": {
        "type": {"const": "function_call"}, "call_id": {"type": "string", "minLength": 1},
        "name": {"type": "string", "minLength": 1}, "arguments": {"type": "string"}}},
    {"type": "object", "required": ["type", "call_id", "output"], "properties": {
        "type": {"const": "function_call_output"}, "call_id": {"type": "string", "minLength": 1},
        "output": {"type": "string"}}}]}
_RESPONSES_REQUEST = {"type": "object", "required": ["model", "input"], "properties": {
    "model": {"type": "string", "minLength": 1,
              "description": "a configured model, 'auto' (the router decides) or a RAG collection"},
    "input": {"oneOf": [{"type": "string"}, {"type": "array", "minItems": 1, "items": _R_ITEM}]},
    "instructions": {"type": "string", "description": "sent to the model as the system message"},
    "stream": {"type": "boolean", "description": "Responses SSE events: response.created, "
                                                 "response.output_text.delta ... response.completed"},
    "tools": {"type": "array", "items": {"type": "object", "required": ["type", "name"], "properties": {
        "type": {"const": "function"}, "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"}, "parameters": {"type": "object"}, "strict": {"type": "boolean"}}}},
    "tool_choice": {"oneOf": [{"enum": ["none", "auto", "required"]}, {
        "type": "object", "required": ["type", "name"], "properties": {
            "type": {"const": "function"}, "name": {"type": "string", "minLength": 1}}}]},
    "temperature": {"type": "number", "minimum": 0, "maximum": 2},
    "top_p": {"type": "number", "minimum": 0, "maximum": 1},
    "max_output_tokens": {"type": "integer", "minimum": 1},
    "text": {"type": "object", "properties": {"format": {"type": "object", "required": ["type"], "properties": {
        "type": {"enum": ["text", "json_object", "json_schema"]}}}}},
    "parallel_tool_calls": {"type": "boolean"},
    "include": {"type": "array", "items": {"const": "message.output_text.logprobs"}},
    "top_logprobs": {"type": "integer", "minimum": 0, "maximum": 20},
    "store": {"type": "boolean", "description": "accepted; responses are not kept for retrieval by id"},
    "metadata": {"type": "object", "maxProperties": 16, "additionalProperties": {"type": "string", "maxLength": 512}},
    "user": {"type": "string"}},
    "description": "previous_response_id, conversation, background, prompt, reasoning and non-function tools "
                   "are refused with a 400 naming the field (the gateway keeps no conversation state)"}
_RESPONSE = {"type": "object", "required": ["id", "object", "status", "model", "output"], "properties": {
    "id": {"type": "string"}, "object": {"const": "response"}, "created_at": {"type": "integer"},
    "status": {"enum": ["completed", "incomplete"]}, "model": {"type": "string"}, "output": {"type": "array"},
    "usage": {"type": "object"}}}

_COMPLETIONS_REQUEST = {"type": "object", "required": ["model", "prompt"], "properties": {
    "model": {"type": "string", "minLength": 1},
    "prompt": {"oneOf": [{"type": "string"}, {"type": "array", "minItems": 1, "maxItems": 1,
                                              "items": {"type": "string"}}]},
    "max_tokens": {"type": "integer", "minimum": 1},
    "temperature": {"type": "number", "minimum": 0, "maximum": 2},
    "top_p": {"type": "number", "minimum": 0, "maximum": 1},
    "stop": {"oneOf": [{"type": "string"}, {"type": "array", "maxItems": 16, "items": {"type": "string"}}]},
    "stream": {"type": "boolean"}, "seed": {"type": "integer"},
    "n": {"type": "integer", "minimum": 1, "maximum": 16}}}

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

_COUNT_REQUEST = {"type": "object", "required": ["model", "messages"], "properties": {
    k: v for k, v in _MESSAGES_REQUEST["properties"].items() if k not in ("max_tokens", "stream")}}  # type: ignore[attr-defined]
_KEY_REQUEST = {"type": "object", "properties": {
    "team": {"type": "string"}, "user": {"type": "string"}, "segment": {"type": "string"},
    "name": {"type": "string"}, "groups": {"type": "array", "items": {"type": "string"}},
    "limits": {"type": "object", "additionalProperties": False, "properties": {
        "requests_per_minute": {"type": "integer", "minimum": 1}, "tokens_per_minute": {"type": "integer", "minimum": 1},
        "usd_per_day": {"type": "number", "minimum": 0}, "usd_per_month": {"type": "number", "minimum": 0}}}}}

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


def _q(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


_SINCE = _q("since", {"type": "number", "minimum": 0}, "unix seconds")
_UNTIL = _q("until", {"type": "number", "minimum": 0}, "unix seconds")
_TEAM = _q("team", {"type": "string"}, "admin key: one team (default all); a team key may only name its own")
_LIMIT = _q("limit", {"type": "integer", "minimum": 1, "maximum": 10_000}, "rows at most (default 100)")
_WINDOW_PARAMS = [
    {**_SINCE, "description": "unix seconds (default: 7 days before until; 30 days for requests and tco)"},
    {**_UNTIL, "description": "unix seconds (default: now)"}, _TEAM]
_DASHBOARD_PAGES: dict[str, tuple[str, list[dict[str, Any]]]] = {
    "whoami": ("Who the key is: admin or team, and the teams it may see", []),
    "overview": ("Requests, spend, tokens, latency p50/p95, error rate: totals and a time series (rollups)",
                 [*_WINDOW_PARAMS, _q("grain", {"enum": list(_GRAINS)},
                                      "time series buckets (default: minutes up to 6 hours, hours up to 8 days, "
                                      "days beyond)")]),
    "spend": ("Spend by team, user, segment, model, key; self-hosted cost allocation; budgets", _WINDOW_PARAMS),
    "routing": ("Mix by model and route, reasons, router scores and escalation, savings vs all-frontier",
                _WINDOW_PARAMS),
    "privacy": ("Sensitive requests kept self-hosted, sent outside, refused; top reasons (never content)",
                _WINDOW_PARAMS),
    "requests": ("The request log, newest first, one keyset page at a time (no content)", [
        *_WINDOW_PARAMS, *(_q(n, {"type": "string"}, f"only requests with this {n}")
                           for n in ("model", "route", "sensitivity", "user", "key")),
        _q("status", {"type": "integer", "minimum": 100, "maximum": 599}, "only requests with this HTTP status"),
        _q("limit", {"type": "integer", "minimum": 1, "maximum": 200}, "rows per page (default 50)"),
        _q("before_ts", {"type": "number", "minimum": 0}, "next page: the 'next.before_ts' of the previous one"),
        _q("before_id", {"type": "string"}, "next page: the 'next.before_id' of the previous one")]),
    "evals": ("Eval runs (quality, latency, cost per target) and the latest recommendation", []),
    "feedback": ("Feedback queue counts, recent items, dataset versions", [_TEAM]),
    "models": ("Configured models (prices, hourly cost) and the registry (aliases, promotions, rollbacks)", []),
    "tco": ("Buy / Build / Blend for a month of the window's traffic", [*_WINDOW_PARAMS, {
        "name": "a", "in": "query", "required": False, "style": "deepObject", "explode": True,
        "schema": {"type": "object", "additionalProperties": {"type": "string"}},
        "description": "a.NAME=VALUE overrides one assumption for this report (a number, or a model name for "
                       "a.buy_model / a.build_model)"}]),
}
_REQUESTS_PARAMS = [
    _TEAM, *(_q(n, {"type": "string"}, f"only requests with this {n}") for n in ("user", "segment", "model")),
    _q("status", {"type": "integer", "minimum": 0, "maximum": 999}, "only requests with this HTTP status"),
    _q("errors", {"enum": ["1", "true", "0", "false"]}, "'1' or 'true': only failed requests"),
    _SINCE, _UNTIL, _LIMIT]
_USAGE_PARAMS = [_TEAM, _q("group_by", {"enum": list(_USAGE_GROUPS)}, "one row per value of this (default model)"),
                 _SINCE, _UNTIL]
_FEEDBACK_PARAMS = [_TEAM, _q("status", {"enum": list(_FEEDBACK_STATUSES)}, "only feedback in this state"),
                    _LIMIT]
_KEYS_PARAMS = [_q("team", {"type": "string"}, "only this team's keys"),
                _q("revoked", {"enum": ["1", "true", "0", "false"]}, "'1' or 'true': include revoked keys")]


def _with(op: dict[str, Any], params: list[dict[str, Any]]) -> dict[str, Any]:
    op["parameters"] = params
    return op


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}


def _dashboard_paths() -> dict[str, Any]:
    obj = {"type": "object"}
    paths: dict[str, Any] = {}
    for page, (summary, params) in _DASHBOARD_PAGES.items():
        paths[f"/v1/dashboard/{page}"] = {"get": _with(_op(f"Dashboard: {summary}", None, obj), params)}
    detail = _op("Dashboard: one request; content only where the key may read it", None, obj)
    paths["/v1/dashboard/requests/{request_id}"] = {"get": _with(detail, [_path_param("request_id")])}
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
            "/v1/responses": {"post": _op("Responses (OpenAI Responses API; stream: true for its SSE events)",
                                          _RESPONSES_REQUEST, _RESPONSE)},
            "/v1/completions": {"post": _op("Legacy text completion (OpenAI format; one prompt)",
                                            _COMPLETIONS_REQUEST, obj)},
            "/v1/messages": {"post": _op("Messages (Anthropic format)", _MESSAGES_REQUEST, obj)},
            "/v1/messages/count_tokens": {"post": _op("Input tokens of a Messages request (Anthropic format; "
                                                      "max_tokens not needed)", _COUNT_REQUEST, obj)},
            "/v1/embeddings": {"post": _op("Embeddings (OpenAI format)", _EMBED_REQUEST, obj)},
            "/v1/models": {"get": _op("Models, 'auto' and RAG collections", None, obj)},
            "/v1/feedback": {"post": _op("Rate or correct an answer", _FEEDBACK_REQUEST, obj),
                             "get": _with(_op("Feedback of the caller's team", None, obj), _FEEDBACK_PARAMS)},
            "/v1/requests": {"get": _with(_op("Request log of the caller's team", None, obj), _REQUESTS_PARAMS)},
            "/v1/requests/{request_id}": {"get": _with(_op("One request of the caller's team", None, obj),
                                                       [_path_param("request_id")])},
            "/v1/usage": {"get": _with(_op("Usage of the caller's team", None, obj), _USAGE_PARAMS)},
            "/admin/keys": {"post": _op("Create an API key (admin key only)", _KEY_REQUEST, obj),
                            "get": _with(_op("API keys (admin key only)", None, obj), _KEYS_PARAMS)},
            "/admin/keys/{key_id}": {"delete": _with(_op("Revoke an API key (admin key only)", None, obj),
                                                     [_path_param("key_id")])},
            "/healthz": {"get": _op("Liveness", None, obj, secured=False)},
            "/openapi.json": {"get": _op("This document", None, obj, secured=False)},
            "/readyz": {"get": _op("Readiness (store reachable)", None, obj, secured=False)},
            "/metrics": {"get": _op("Prometheus metrics", None, {"type": "string"}, secured=False,
                                    content_type="text/plain")},
            **_dashboard_paths(),
        },
    }
