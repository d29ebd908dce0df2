"""A scripted HTTP/1.1 server on 127.0.0.1 for testing HTTP clients without the internet.

``FakeServer`` answers each request with the next queued ``Reply`` (or with a handler function)
and records every request it received, so a test can assert the exact JSON a client sent.
Replies can be delayed (timeouts), streamed with chunked transfer encoding (SSE), and cut
mid-body (the connection is dropped before the final chunk), which is how real streams fail.

Usage::

    with FakeServer() as server:
        server.enqueue(Reply(200, {"ok": True}))
        ... point a client at server.url ...
        assert server.last.json["model"] == "gpt-4o-mini"
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    """One scripted response.

    ``body`` (dict/list are JSON-encoded) is sent with a Content-Length; ``chunks`` are streamed
    one by one with chunked transfer encoding. ``cut`` drops the connection after the chunks
    without the terminating zero-length chunk. ``delay_s`` waits before the status line.
    """

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Sequence[bytes | str] | None = None
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    cut: bool = False
    content_type: str | None = None


@dataclass
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


Handler = Callable[[Received], Reply]


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        received = Received(self.command, parts.path, parse_qs(parts.query),
                            {k.lower(): v for k, v in self.headers.items()}, body)
        reply = self.server.owner._next(received)
        try:
            self._send(reply)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self.close_connection = True  # the client gave up (e.g. it timed out): nothing to do

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def _send(self, reply: Reply) -> None:
        if reply.delay_s:
            time.sleep(reply.delay_s)
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.chunks is not None:
            self.send_header("content-type", reply.content_type or "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.send_header("cache-control", "no-cache")
            self.end_headers()
            for chunk in reply.chunks:
                data = chunk.encode() if isinstance(chunk, str) else chunk
                if not data:
                    continue
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()
                if reply.chunk_delay_s:
                    time.sleep(reply.chunk_delay_s)
            if reply.cut:
                self.wfile.flush()
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
            return
        if isinstance(reply.body, (dict, list)):
            data = json.dumps(reply.body).encode()
            ctype = reply.content_type or "application/json"
        elif isinstance(reply.body, str):
            data = reply.body.encode()
            ctype = reply.content_type or "text/plain; charset=utf-8"
        else:
            data = reply.body or b""
            ctype = reply.content_type or "application/octet-stream"
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler still sleeping for a timeout test must not block stop()
    owner: FakeServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            return  # clients closing keep-alive connections or giving up are normal in these tests
        super().handle_error(request, client_address)


class FakeServer:
    """A local HTTP server answering with scripted replies; see the module docstring."""

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler
        self.requests: list[Received] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> Self:
        server = _Server(("127.0.0.1", 0), _RequestHandler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="fake-provider-server")
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` (no trailing slash)."""
        return f"http://127.0.0.1:{self.port}"

    # --- scripting -------------------------------------------------------------------------------

    def enqueue(self, *replies: Reply | Iterable[Reply]) -> FakeServer:
        with self._lock:
            for r in replies:
                if isinstance(r, Reply):
                    self._queue.append(r)
                else:
                    self._queue.extend(r)
        return self

    def _next(self, received: Received) -> Reply:
        with self._lock:
            self.requests.append(received)
            if self._queue:
                return self._queue.popleft()
        if self.handler is not None:
            return self.handler(received)
        return Reply(500, {"error": {"message": "FakeServer: no scripted reply left", "type": "test_error"}})

    @property
    def last(self) -> Received:
        assert self.requests, "the server received no request"
        return self.requests[-1]


def closed_port() -> int:
    """A local port with nothing listening (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
