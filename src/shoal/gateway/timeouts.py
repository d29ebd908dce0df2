"""Connection timeouts for the gateway's HTTP server: idle keep-alive, request headers, request body.

uvicorn only closes a connection that sat idle *after* a response; a connection that never sends
a byte, stops half-way through its headers, or stops half-way through its body is kept open for
ever, each holding a file descriptor (and for a body, a request task). ``TimedHttpToolsProtocol``
is uvicorn's httptools protocol with one timer per phase:

- idle: from the connection's start, or the end of a response, to the first byte of a request;
- headers: from that first byte to the end of the request headers (answered 408, then closed);
- body: from the end of the headers to the end of the body (a total, so a client dripping a
  byte at a time cannot hold the request open; the app sees a disconnect and records a 499).

While the app computes an answer no timer runs: a slow model is the model timeout's business.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

if TYPE_CHECKING:
    from shoal.gateway.config import GatewayConfig

Phase = Literal["idle", "headers", "body", "app"]

_408_BODY = b'{"error":{"message":"request headers not received in time","type":"invalid_request_error",' \
            b'"code":"request_timeout","param":null}}'
_TIMEOUT_408 = (b"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\nconnection: close\r\n"
                b"content-length: %d\r\n\r\n%s" % (len(_408_BODY), _408_BODY))


@dataclass(frozen=True, slots=True)
class ServerTimeouts:
    """Seconds each phase of a connection may take (see the module docstring)."""

    idle_s: float = 15.0
    headers_s: float = 10.0
    body_s: float = 60.0


def server_timeouts(cfg: GatewayConfig) -> ServerTimeouts:
    """The timeouts of the ``gateway:`` section."""
    return ServerTimeouts(idle_s=cfg.idle_timeout_s, headers_s=cfg.header_timeout_s, body_s=cfg.body_timeout_s)


class ShoalUvicornConfig(uvicorn.Config):
    """uvicorn's Config plus the connection timeouts (pickled to worker processes with it)."""

    def __init__(self, app: Any, *, timeouts: ServerTimeouts, **kwargs: Any) -> None:
        super().__init__(app, http=TimedHttpToolsProtocol, timeout_keep_alive=max(1, round(timeouts.idle_s)),
                         **kwargs)
        self.timeouts = timeouts


class TimedHttpToolsProtocol(HttpToolsProtocol):
    """httptools protocol that closes connections stuck in the idle, header or body phase."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.limits: ServerTimeouts = getattr(config, "timeouts", None) or ServerTimeouts()
        self.timeout_keep_alive = self.limits.idle_s  # type: ignore[assignment]  # float, not int
        self.phase: Phase = "idle"
        self._timer: asyncio.TimerHandle | None = None

    def _arm(self, phase: Phase, seconds: float | None) -> None:
        self.phase = phase
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if seconds is not None:
            self._timer = self.loop.call_later(seconds, self._expired, phase)

    def _expired(self, phase: Phase) -> None:
        self._timer = None
        if self.phase != phase or self.transport.is_closing():
            return
        if phase == "headers":
            self.transport.write(_TIMEOUT_408)
        self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # A connection that never sends a request: the same idle limit as after a response.
        self.timeout_keep_alive_task = self.loop.call_later(self.limits.idle_s, self.timeout_keep_alive_handler)

    def connection_lost(self, exc: Exception | None) -> None:
        self._arm("idle", None)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.phase == "idle":
            self._arm("headers", self.limits.headers_s)
        super().data_received(data)

    def on_headers_complete(self) -> None:
        self._arm("body", self.limits.body_s)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        if self.cycle is not None and self.cycle.response_complete:
            # The app answered before reading the whole body (a 413, say): the rest just arrived.
            self._arm("idle", self.limits.idle_s)
        else:
            self._arm("app", None)
        super().on_message_complete()

    def on_response_complete(self) -> None:
        if not self.pipeline:  # else the next pipelined request starts at once
            self._arm("idle", None)
        super().on_response_complete()
