"""Raw-ASGI plumbing: reading bounded bodies, JSON and SSE responses, API errors.

The gateway speaks ASGI directly (no framework) because every microsecond on the hot path is
added to every model call; what a framework would give us is these ~150 lines.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from shoal.gateway.public import public_text

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON_CT = (b"content-type", b"application/json")
SSE_HEADERS: Headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"),
                        (b"x-accel-buffering", b"no")]


class ApiError(Exception):
    """An error answered to the client with an OpenAI-style body ``{"error": {message, type, code}}``."""

    def __init__(self, status: int, message: str, *, type: str = "invalid_request_error",
                 code: str | None = None, param: str | None = None, headers: Headers | None = None) -> None:
        message = public_text(message)  # the last guard: no paths, DSNs, URLs or env names to clients
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or []

    def body(self) -> bytes:
        return orjson.dumps({"error": {"message": self.message, "type": self.type, "code": self.code,
                                       "param": self.param}})

    def anthropic_body(self) -> bytes:
        kinds = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
                 404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error",
                 529: "overloaded_error"}
        return orjson.dumps({"type": "error", "error": {"type": kinds.get(self.status, "api_error"),
                                                        "message": self.message}})


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return value  # type: ignore[no-any-return]
    return None


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, or ``ApiError(413)`` as soon as it is known to be larger than ``limit``."""
    length = header(scope, b"content-length")
    if length is not None:
        try:
            if int(length) > limit:
                raise ApiError(413, f"request body is {int(length)} bytes; the limit is {limit} bytes",
                               code="request_too_large")
        except ValueError:
            raise ApiError(400, "invalid Content-Length header") from None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone()
        chunk = message.get("body", b"")
        if chunk:
            size += len(chunk)
            if size > limit:
                raise ApiError(413, f"request body exceeds the limit of {limit} bytes", code="request_too_large")
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def parse_json(body: bytes) -> dict[str, Any]:
    if not body:
        raise ApiError(400, "the request body is empty; send a JSON object", code="invalid_json")
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, f"the request body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(data, dict):
        raise ApiError(400, f"the request body must be a JSON object, not {type(data).__name__}",
                       code="invalid_json")
    return data


class ClientGone(Exception):
    """The client disconnected; nothing more can be sent."""


def content_length(body: bytes) -> tuple[bytes, bytes]:
    """The Content-Length header: without it the server frames the body as chunked."""
    return (b"content-length", b"%d" % len(body))


async def send_bytes(send: Send, status: int, body: bytes, headers: Headers) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [*headers, content_length(body)]})
    await send({"type": "http.response.body", "body": body})


async def send_json(send: Send, status: int, data: Any, headers: Headers | None = None) -> None:
    await send_bytes(send, status, orjson.dumps(data), [JSON_CT, *(headers or [])])


async def send_error(send: Send, error: ApiError, headers: Headers | None = None, *,
                     anthropic: bool = False) -> None:
    body = error.anthropic_body() if anthropic else error.body()
    await send_bytes(send, error.status, body, [JSON_CT, *error.headers, *(headers or [])])


def latin1(value: str) -> bytes:
    """Header-safe bytes: anything outside printable ASCII is percent-encoded."""
    if value.isascii() and value.isprintable():  # for ASCII: exactly the bytes 32..126
        return value.encode("ascii")
    from urllib.parse import quote

    return quote(value, safe=" !#$&'()*+,-./:;<=>?@[]^_`{|}~").encode("ascii")
